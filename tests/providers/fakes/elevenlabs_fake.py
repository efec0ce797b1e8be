"""Fake ElevenLabs API: audio endpoints answer raw bytes, speech-to-text answers JSON.
Every route checks ``xi-api-key``; ``next_reply`` overrides the next answer (errors)."""
from __future__ import annotations

from typing import Any

from tests.providers.fakes.server import FakeServer, Reply, Request

API_KEY = "xi-test-key"
AUDIO = b"ID3\x04\x00fake-mp3-frames"
TRANSCRIPT = {
    "language_code": "en", "language_probability": 0.98, "text": "Hello world",
    "words": [{"text": "Hello", "start": 0.0, "end": 0.4, "type": "word"}],
    "transcription_id": "tr-1", "audio_duration_secs": 12.3,
}


class ElevenLabsFake:
    def __init__(self, server: FakeServer) -> None:
        self.server = server
        self.next_reply: Reply | None = None
        self.transcript: Any = TRANSCRIPT
        for path in (r"/v1/text-to-speech/[\w-]+", r"/v1/speech-to-speech/[\w-]+", r"/v1/sound-generation",
                     r"/v1/text-to-dialogue", r"/v1/audio-isolation"):
            server.route("POST", path, self._audio)
        server.route("POST", r"/v1/speech-to-text", self._transcribe)

    def _guard(self, req: Request) -> Reply | None:
        if req.headers.get("xi-api-key") != API_KEY:
            return Reply.json({"detail": {"status": "invalid_api_key",
                                          "message": f"Invalid API key: {req.headers.get('xi-api-key')}"}}, 401)
        reply, self.next_reply = self.next_reply, None
        return reply

    def _audio(self, req: Request) -> Reply:
        return self._guard(req) or Reply(200, AUDIO, {"Content-Type": "audio/mpeg", "request-id": "req-1"})

    def _transcribe(self, req: Request) -> Reply:
        return self._guard(req) or Reply.json(self.transcript)
