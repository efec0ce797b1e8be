"""ElevenLabs adapter: speech, sound effects, dialogue, voice isolation (audio bytes back) and
speech-to-text (JSON back). All calls are synchronous.

The route's ``upstream_model`` is ElevenLabs' ``model_id`` (``eleven_multilingual_v2``,
``scribe_v1``...). Voices may be given by premade name ("adam") or by voice id.
"""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx

from apps.providers.base import InputFile, Output, ProviderError, ProviderRequest, ProviderResult, ResultState
from apps.providers.http import error_from_response, join, json_or_none, send
from apps.providers.registry import register
from apps.providers.adapters._audio_probe import audio_duration_seconds

PROVIDER = "ElevenLabs"
DEFAULT_BASE_URL = "https://api.elevenlabs.io"
DEFAULT_OUTPUT_FORMAT = "mp3_44100_128"
DEFAULT_VOICE = "adam"
DEFAULT_STT_MODEL = "scribe_v1"

# ElevenLabs' public premade voices (GET /v1/voices, category "premade"), lower-cased name -> id.
# Anything not in this map is passed through as a voice id (cloned/library voices).
PREMADE_VOICE_IDS = {
    "adam": "pNInz6obpgDQGcFmaJgB",
    "alice": "Xb7hH8MSUJpSbSDYk0k2",
    "bella": "hpp4J3VqNfWAUOO0d1Us",
    "bill": "pqHfZKP75CvOlQylNhV4",
    "brian": "nPczCjzI2devNBz1zQrb",
    "callum": "N2lVS1w4EtoT3dr4eOWO",
    "charlie": "IKne3meq5aSn9XLyUdCD",
    "chris": "iP95p4xoKVk53GoZ742B",
    "daniel": "onwK4e9ZLuTAKqWW03F9",
    "eric": "cjVigY5qzO86Huf0OWal",
    "george": "JBFqnCBsd6RMkjVDRZzb",
    "harry": "SOYHLrjzK2X1ezoPC6cr",
    "jessica": "cgSgspJ2msm6clMCkdW9",
    "laura": "FGY2WhTYpPnrIDTdsKH5",
    "liam": "TX3LPaxmHKxFdv7VOQHJ",
    "lily": "pFZP5JQG7iQjIQuC4Bku",
    "matilda": "XrExE9yKIg1WjnnlVkGX",
    "rachel": "21m00Tcm4TlvDq8ikWAM",  # legacy premade voice, still widely referenced
    "river": "SAz9YHcvj6GT2YYXdXww",
    "roger": "CwhRBWXzGAHq8TQ4Fs17",
    "sarah": "EXAVITQu4vr4xnSDxMaL",
    "will": "bIHbv24MWmeRgasZH58o",
}
AUDIO_MIME_BY_FORMAT_PREFIX = {"mp3": "audio/mpeg", "pcm": "audio/pcm", "ulaw": "audio/basic",
                               "alaw": "audio/x-alaw-basic", "opus": "audio/ogg", "wav": "audio/wav"}
TTS_OPTIONS = ("language_code", "seed", "previous_text", "next_text", "apply_text_normalization")
STS_OPTIONS = ("seed", "remove_background_noise", "file_format")
STT_OPTIONS = ("language_code", "tag_audio_events", "num_speakers", "timestamps_granularity", "diarize",
               "diarization_threshold", "file_format", "temperature", "seed")
SOUND_OPTIONS = ("duration_seconds", "prompt_influence", "loop")
DIALOGUE_OPTIONS = ("settings", "seed", "language_code", "apply_text_normalization")
MISSING_AUDIO_MESSAGE = "an audio file is required"


def voice_id(value: Any) -> str:
    name = str(value or DEFAULT_VOICE)
    return PREMADE_VOICE_IDS.get(name.lower(), name)


def error_message(body: Any) -> str | None:
    """FastAPI shapes: ``{"detail": {"status", "message"}}``, ``{"detail": [{"msg"}]}``, ``{"detail": "..."}``."""
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, dict):
        return detail.get("message") or detail.get("status")
    if isinstance(detail, list):
        return "; ".join(str(item.get("msg", item)) if isinstance(item, dict) else str(item) for item in detail)
    return str(detail) if detail else None


def raise_for_error(response: httpx.Response) -> None:
    if response.is_success:
        return
    body = json_or_none(response)
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, dict) and detail.get("status") == "quota_exceeded":
        # Our account ran out of characters: retrying cannot help, and it is not the caller's fault.
        raise ProviderError(f"{PROVIDER} account quota is exhausted", code="provider_quota_exceeded",
                            upstream_status=response.status_code)
    raise error_from_response(response, provider=PROVIDER, message=error_message(body))


def pick(params: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {name: params[name] for name in names if params.get(name) is not None}


def form_value(value: Any) -> str:
    """Multipart fields are strings: JSON-encode objects, lower-case booleans."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def as_object(value: Any) -> Any:
    """Multipart callers send ``voice_settings`` as a JSON string; JSON bodies want the object."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise ProviderError("voice_settings must be a JSON object", code="invalid_parameter", status=400) from None
    return value


def input_audio(request: ProviderRequest, *names: str) -> InputFile:
    for name in names:
        if name in request.files:
            return request.files[name]
    raise ProviderError(MISSING_AUDIO_MESSAGE, code="missing_input", status=400)


@register
class ElevenLabsAdapter:
    family = "elevenlabs"

    def run(self, request: ProviderRequest, http: httpx.Client, on_chunk: Any = None) -> ProviderResult:
        handlers = {
            "text_to_speech": self._text_to_speech,
            "speech_to_speech": self._speech_to_speech,
            "speech_to_text": self._speech_to_text,
            "sound_effect": self._sound_effect,
            "dialogue": self._dialogue,
            "voice_isolation": self._voice_isolation,
        }
        if request.task_kind not in handlers:
            raise ProviderError(f"{PROVIDER} does not support {request.task_kind}", code="unsupported_task")
        return handlers[request.task_kind](request, http)

    def poll(self, request: ProviderRequest, job: dict[str, Any], http: httpx.Client) -> ProviderResult:
        raise ProviderError(f"{PROVIDER} calls are synchronous; there is nothing to poll", code="unsupported_task")

    def _post(self, request: ProviderRequest, http: httpx.Client, path: str, **kwargs: Any) -> httpx.Response:
        url = join(request.base_url or DEFAULT_BASE_URL, path)
        headers = {"xi-api-key": request.credentials["api_key"]}
        response = send(http, "POST", url, provider=PROVIDER, headers=headers, timeout=request.timeout_seconds,
                        **kwargs)
        raise_for_error(response)
        return response

    def _audio_call(self, request: ProviderRequest, http: httpx.Client, path: str, usage: dict[str, Any],
                    *, measure_missing_seconds: bool = False, **kwargs: Any) -> ProviderResult:
        """``measure_missing_seconds``: when ``usage`` has no ``seconds``, measure the returned audio."""
        output_format = request.params.get("output_format") or DEFAULT_OUTPUT_FORMAT
        response = self._post(request, http, path, params={"output_format": output_format}, **kwargs)
        content_type = response.headers.get("content-type", "").split(";")[0].strip()
        if not response.content or content_type.startswith(("application/json", "text/")):
            raise ProviderError(f"{PROVIDER} returned no audio", code="provider_bad_response")
        fallback_mime = AUDIO_MIME_BY_FORMAT_PREFIX.get(output_format.split("_")[0], "application/octet-stream")
        mime_type = content_type if content_type.startswith("audio/") else fallback_mime
        if measure_missing_seconds and "seconds" not in usage:
            measured = audio_duration_seconds(response.content)
            usage = {**usage, "seconds": str(measured)} if measured is not None else usage
        meta = {"output_format": output_format}
        if "seconds" in usage:
            meta["duration"] = float(usage["seconds"])
        audio = Output(kind="audio", mime_type=mime_type, data=response.content, meta=meta,
                       filename=f"{request.task_id}.{output_format.split('_')[0]}")
        return ProviderResult(ResultState.SUCCEEDED, outputs=[audio], usage={**usage, "requests": 1},
                              provider_request_id=response.headers.get("request-id"))

    def _text_to_speech(self, request: ProviderRequest, http: httpx.Client) -> ProviderResult:
        params = request.params
        body = {"text": params["text"], "model_id": request.upstream_model, **pick(params, TTS_OPTIONS)}
        if params.get("voice_settings"):
            body["voice_settings"] = as_object(params["voice_settings"])
        path = f"/v1/text-to-speech/{voice_id(params.get('voice_id') or params.get('voice'))}"
        return self._audio_call(request, http, path, {"characters": len(params["text"])}, json=body)

    def _speech_to_speech(self, request: ProviderRequest, http: httpx.Client) -> ProviderResult:
        params = request.params
        audio = input_audio(request, "audio", "audio_url")
        form = {"model_id": request.upstream_model, **pick(params, STS_OPTIONS)}
        if params.get("voice_settings"):
            form["voice_settings"] = params["voice_settings"]
        path = f"/v1/speech-to-speech/{voice_id(params.get('voice_id') or params.get('voice'))}"
        return self._audio_call(request, http, path, {},
                                data={k: form_value(v) for k, v in form.items()},
                                files={"audio": (audio.filename, audio.content, audio.content_type)})

    def _sound_effect(self, request: ProviderRequest, http: httpx.Client) -> ProviderResult:
        params = request.params
        body = {"text": params.get("text") or params.get("prompt"), "model_id": request.upstream_model,
                **pick(params, SOUND_OPTIONS)}
        usage = {"seconds": str(Decimal(str(params["duration_seconds"])))} if params.get("duration_seconds") else {}
        return self._audio_call(request, http, "/v1/sound-generation", usage, measure_missing_seconds=True, json=body)

    def _dialogue(self, request: ProviderRequest, http: httpx.Client) -> ProviderResult:
        params = request.params
        inputs = [{"text": line["text"], "voice_id": voice_id(line.get("voice_id") or line.get("voice"))}
                  for line in params["inputs"]]
        body = {"inputs": inputs, "model_id": request.upstream_model, **pick(params, DIALOGUE_OPTIONS)}
        characters = sum(len(line["text"]) for line in inputs)
        return self._audio_call(request, http, "/v1/text-to-dialogue", {"characters": characters}, json=body)

    def _voice_isolation(self, request: ProviderRequest, http: httpx.Client) -> ProviderResult:
        audio = input_audio(request, "audio", "audio_url")
        form = pick(request.params, ("file_format",))
        return self._audio_call(request, http, "/v1/audio-isolation", {}, measure_missing_seconds=True, data=form,
                                files={"audio": (audio.filename, audio.content, audio.content_type)})

    def _speech_to_text(self, request: ProviderRequest, http: httpx.Client) -> ProviderResult:
        audio = input_audio(request, "audio", "file", "audio_url", "url")
        form = {"model_id": request.upstream_model or DEFAULT_STT_MODEL, **pick(request.params, STT_OPTIONS)}
        response = self._post(request, http, "/v1/speech-to-text",
                              data={k: form_value(v) for k, v in form.items()},
                              files={"file": (audio.filename, audio.content, audio.content_type)})
        body = json_or_none(response)
        text = transcript_text(body)
        if text is None:
            raise ProviderError(f"{PROVIDER} returned an unreadable transcript", code="provider_bad_response")
        meta = {key: body[key] for key in ("language_code", "language_probability", "transcription_id") if key in body}
        usage: dict[str, Any] = {"requests": 1}
        if isinstance(body.get("audio_duration_secs"), (int, float)):
            usage["audio_seconds"] = str(Decimal(str(body["audio_duration_secs"])))
            meta["duration"] = body["audio_duration_secs"]
        return ProviderResult(ResultState.SUCCEEDED, outputs=[Output(kind="text", text=text, meta=meta)],
                              usage=usage, provider_request_id=body.get("transcription_id"))


def transcript_text(body: Any) -> str | None:
    """``text`` for one channel; multichannel responses carry a ``transcripts`` list."""
    if not isinstance(body, dict):
        return None
    if isinstance(body.get("text"), str):
        return body["text"]
    transcripts = body.get("transcripts")
    if isinstance(transcripts, list) and all(isinstance(item, dict) for item in transcripts):
        return "\n".join(str(item.get("text", "")) for item in transcripts)
    return None
