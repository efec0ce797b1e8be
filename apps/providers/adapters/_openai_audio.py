"""OpenAI text-to-speech (raw audio bytes back) and transcription (multipart in)."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from apps.providers.base import Output, ProviderError, ProviderRequest, ProviderResult, ResultState
from apps.providers.http import join, json_object, send
from apps.providers.adapters._audio_probe import audio_duration_seconds
from apps.providers.adapters._media import extension_for
from apps.providers.adapters._openai_common import raise_for_status, request_id, timeout

DEFAULT_VOICE = "alloy"
SPEECH_PARAMS = ("voice", "response_format", "speed", "instructions")
SPEECH_FORMAT_TYPES = {
    "mp3": "audio/mpeg", "opus": "audio/opus", "aac": "audio/aac", "flac": "audio/flac", "wav": "audio/wav", "pcm": "audio/pcm",
}
AUDIO_FILE_KEYS = ("file", "audio", "audio_url", "file_url")
TRANSCRIPTION_PARAMS = ("language", "prompt", "temperature", "response_format", "timestamp_granularities", "include")
PLAIN_TEXT_FORMATS = {"text": "text/plain", "srt": "application/x-subrip", "vtt": "text/vtt"}
JSON_DETAIL_FORMATS = frozenset({"verbose_json", "diarized_json"})


def run_speech(
    request: ProviderRequest, http: httpx.Client, *, provider: str, base_url: str, headers: dict[str, str]
) -> ProviderResult:
    params = request.params
    text = params.get("input") or params.get("text") or ""
    body: dict[str, Any] = {"model": request.upstream_model, "input": text, "voice": DEFAULT_VOICE}
    body.update({name: params[name] for name in SPEECH_PARAMS if params.get(name) is not None})
    response = send(
        http, "POST", join(base_url, "audio/speech"), provider=provider, headers=headers, json=body, timeout=timeout(request)
    )
    raise_for_status(response, provider=provider)
    content_type = response.headers.get("content-type", "").split(";")[0].strip()
    # Errors are JSON on this endpoint; a JSON (or empty) 200 is not audio.
    if content_type == "application/json" or not response.content:
        raise ProviderError(f"{provider} returned no audio", code="provider_bad_response")
    mime_type = content_type if content_type.startswith("audio/") else SPEECH_FORMAT_TYPES.get(body.get("response_format", "mp3"), "audio/mpeg")
    output = Output(kind="audio", mime_type=mime_type, data=response.content, filename=f"speech.{extension_for(mime_type, 'mp3')}")
    return ProviderResult(
        ResultState.SUCCEEDED,
        outputs=[output],
        usage={"characters": len(text), "requests": 1},
        provider_request_id=request_id(response),
    )


def run_transcription(
    request: ProviderRequest, http: httpx.Client, *, provider: str, base_url: str, headers: dict[str, str]
) -> ProviderResult:
    audio = next((request.files[key] for key in AUDIO_FILE_KEYS if key in request.files), None)
    if audio is None:
        raise ProviderError("an audio file is required", code="invalid_parameters", status=400)
    params = request.params
    data: dict[str, Any] = {"model": request.upstream_model}
    for name in TRANSCRIPTION_PARAMS:
        value = params.get(name)
        if value is None:
            continue
        if isinstance(value, list):  # OpenAI's array form: repeated "name[]" fields
            data[f"{name}[]"] = [str(item) for item in value]
        else:
            data[name] = str(value)
    response = send(
        http, "POST", join(base_url, "audio/transcriptions"), provider=provider, headers=headers,
        data=data, files={"file": (audio.filename, audio.content, audio.content_type)}, timeout=timeout(request),
    )
    raise_for_status(response, provider=provider)
    response_format = str(params.get("response_format") or "json")
    if response_format in PLAIN_TEXT_FORMATS:
        outputs = [Output(kind="text", mime_type=PLAIN_TEXT_FORMATS[response_format], text=response.text)]
        reported: dict[str, Any] = {}
    else:
        payload = json_object(response, provider=provider)
        if not isinstance(payload.get("text"), str):
            raise ProviderError(f"{provider} returned no transcript", code="provider_bad_response")
        meta = {key: payload[key] for key in ("language", "duration") if key in payload}
        outputs = [Output(kind="text", text=payload["text"], meta=meta)]
        if response_format in JSON_DETAIL_FORMATS:
            outputs.append(Output(kind="json", mime_type="application/json", data=response.content, filename="transcript.json"))
        reported = payload
    return ProviderResult(
        ResultState.SUCCEEDED,
        outputs=outputs,
        usage=_transcription_usage(reported, audio.content),
        provider_request_id=request_id(response),
    )


def _transcription_usage(payload: dict[str, Any], audio: bytes) -> dict[str, Any]:
    """whisper-1 reports seconds; gpt-4o-*-transcribe reports tokens. Seconds are always
    recorded, from the audio itself when the provider gave none."""
    usage: dict[str, Any] = {"requests": 1}
    reported = payload.get("usage") or {}
    seconds = reported.get("seconds") if reported.get("type") == "duration" else payload.get("duration")
    if seconds is None:
        seconds = audio_duration_seconds(audio)
    if seconds is not None:
        usage["audio_seconds"] = str(Decimal(str(seconds)))
    if reported.get("type") == "tokens":
        for key in ("input_tokens", "output_tokens"):
            if isinstance(reported.get(key), int):
                usage[key] = reported[key]
    return usage
