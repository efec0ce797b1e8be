"""Deepgram models, two ways in:

- family "deepgram": Deepgram's own API (``/v1/listen`` speech-to-text, ``/v1/speak`` TTS), sync.
- family "aimlapi": the AI/ML API aggregator, whose ``#g1_*`` ids name Deepgram models
  (``#g1_nova-2-general``, ``#g1_aura-asteria-en``): TTS sync, STT async (create, then poll).

Both return Deepgram-shaped transcripts, parsed by ``transcript_result``.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from apps.providers.base import InputFile, Output, ProviderError, ProviderRequest, ProviderResult, ResultState
from apps.providers.http import clean_message, error_from_response, join, json_or_none, send
from apps.providers.registry import register

DEEPGRAM = "Deepgram"
AIMLAPI = "AI/ML API"
DEEPGRAM_BASE_URL = "https://api.deepgram.com"
AIMLAPI_BASE_URL = "https://api.aimlapi.com"
STT_POLL_AFTER_SECONDS = 2.0
AUDIO_PARAM_NAMES = ("url", "audio", "file")
LISTEN_OPTIONS = ("language", "detect_language", "punctuate", "smart_format", "diarize", "utterances",
                  "paragraphs", "numerals", "profanity_filter", "keywords")
DEFAULT_ENCODING = "mp3"
MIME_BY_ENCODING = {"mp3": "audio/mpeg", "linear16": "audio/wav", "mulaw": "audio/wav", "alaw": "audio/wav",
                    "opus": "audio/ogg", "flac": "audio/flac", "aac": "audio/aac"}
RUNNING_STATUSES = frozenset({"waiting", "active", "queued", "processing", "pending"})
FAILED_STATUSES = frozenset({"failed", "error"})
MISSING_AUDIO_MESSAGE = "an audio file or url is required"


def error_message(body: Any) -> str | None:
    """Deepgram ``{"err_msg"}`` / ``{"message", "details"}``; AI/ML API ``{"message"}`` or ``{"error": {...}}``."""
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    if isinstance(error, dict):
        return error.get("message")
    return body.get("err_msg") or body.get("message") or (error if isinstance(error, str) else None)


def raise_for_error(response: httpx.Response, provider: str) -> None:
    if not response.is_success:
        raise error_from_response(response, provider=provider, message=error_message(json_or_none(response)))


def query_value(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def input_audio(request: ProviderRequest) -> InputFile | None:
    return next((request.files[name] for name in AUDIO_PARAM_NAMES if name in request.files), None)


def transcript_result(body: Any, provider: str, request_id: str | None) -> ProviderResult:
    """Text from ``results.channels[0].alternatives[0]``; usage from ``metadata.duration``."""
    try:
        channel = body["results"]["channels"][0]
        alternative = channel["alternatives"][0]
        text = alternative["transcript"]
    except (KeyError, IndexError, TypeError):
        raise ProviderError(f"{provider} returned an unreadable transcript", code="provider_bad_response") from None
    if not isinstance(text, str):
        raise ProviderError(f"{provider} returned an unreadable transcript", code="provider_bad_response")
    metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
    meta: dict[str, Any] = {}
    if "confidence" in alternative:
        meta["confidence"] = alternative["confidence"]
    if channel.get("detected_language"):
        meta["language"] = channel["detected_language"]
    usage: dict[str, Any] = {"requests": 1}
    if isinstance(metadata.get("duration"), (int, float)):
        usage["audio_seconds"] = str(Decimal(str(metadata["duration"])))
        meta["duration"] = metadata["duration"]
    return ProviderResult(ResultState.SUCCEEDED, outputs=[Output(kind="text", text=text, meta=meta)], usage=usage,
                          provider_request_id=metadata.get("request_id") or request_id)


def audio_result(request: ProviderRequest, response: httpx.Response, provider: str, encoding: str) -> ProviderResult:
    content_type = response.headers.get("content-type", "").split(";")[0].strip()
    if not response.content or content_type.startswith(("application/json", "text/")):
        raise ProviderError(f"{provider} returned no audio", code="provider_bad_response")
    mime_type = content_type if content_type.startswith("audio/") else MIME_BY_ENCODING.get(encoding, "audio/mpeg")
    audio = Output(kind="audio", mime_type=mime_type, data=response.content, meta={"encoding": encoding},
                   filename=f"{request.task_id}.{mime_type.split('/')[-1].replace('mpeg', 'mp3')}")
    usage = {"characters": len(request.params["text"]), "requests": 1}
    return ProviderResult(ResultState.SUCCEEDED, outputs=[audio], usage=usage,
                          provider_request_id=response.headers.get("x-dg-request-id"))


def unsupported(provider: str, request: ProviderRequest) -> ProviderError:
    return ProviderError(f"{provider} adapter does not support {request.task_kind}", code="unsupported_task")


@register
class DeepgramAdapter:
    family = "deepgram"

    def _post(self, request: ProviderRequest, http: httpx.Client, path: str, **kwargs: Any) -> httpx.Response:
        url = join(request.base_url or DEEPGRAM_BASE_URL, path)
        headers = {"Authorization": f"Token {request.credentials['api_key']}", **kwargs.pop("headers", {})}
        response = send(http, "POST", url, provider=DEEPGRAM, headers=headers, timeout=request.timeout_seconds,
                        **kwargs)
        raise_for_error(response, DEEPGRAM)
        return response

    def run(self, request: ProviderRequest, http: httpx.Client, on_chunk: Any = None) -> ProviderResult:
        if request.task_kind == "speech_to_text":
            return self._listen(request, http)
        if request.task_kind == "text_to_speech":
            return self._speak(request, http)
        raise unsupported(DEEPGRAM, request)

    def poll(self, request: ProviderRequest, job: dict[str, Any], http: httpx.Client) -> ProviderResult:
        raise ProviderError(f"{DEEPGRAM} calls are synchronous; there is nothing to poll", code="unsupported_task")

    def _listen(self, request: ProviderRequest, http: httpx.Client) -> ProviderResult:
        audio = input_audio(request)
        if audio is None:  # the engine fetches ``url`` into files; we never fetch user URLs ourselves
            raise ProviderError(MISSING_AUDIO_MESSAGE, code="missing_input", status=400)
        query = {"model": request.upstream_model, "smart_format": "true"}
        query.update({name: query_value(request.params[name]) for name in LISTEN_OPTIONS if name in request.params})
        response = self._post(request, http, "/v1/listen", params=query, content=audio.content,
                              headers={"Content-Type": audio.content_type})
        return transcript_result(json_or_none(response), DEEPGRAM, response.headers.get("x-dg-request-id"))

    def _speak(self, request: ProviderRequest, http: httpx.Client) -> ProviderResult:
        # Deepgram documents two different defaults, so the encoding is always explicit.
        encoding = request.params.get("encoding") or DEFAULT_ENCODING
        query = {"model": request.upstream_model, "encoding": encoding}
        for name in ("container", "sample_rate", "bit_rate"):
            if request.params.get(name) is not None:
                query[name] = query_value(request.params[name])
        response = self._post(request, http, "/v1/speak", params=query, json={"text": request.params["text"]})
        return audio_result(request, response, DEEPGRAM, encoding)


@register
class AimlApiAdapter:
    family = "aimlapi"

    def _call(self, request: ProviderRequest, http: httpx.Client, method: str, path: str,
              **kwargs: Any) -> httpx.Response:
        url = join(request.base_url or AIMLAPI_BASE_URL, path)
        headers = {"Authorization": f"Bearer {request.credentials['api_key']}"}
        response = send(http, method, url, provider=AIMLAPI, headers=headers, timeout=request.timeout_seconds,
                        **kwargs)
        raise_for_error(response, AIMLAPI)
        return response

    def run(self, request: ProviderRequest, http: httpx.Client, on_chunk: Any = None) -> ProviderResult:
        if request.task_kind == "text_to_speech":
            encoding = request.params.get("encoding") or DEFAULT_ENCODING
            body = {"model": request.upstream_model, "text": request.params["text"], "encoding": encoding}
            response = self._call(request, http, "POST", "/v1/tts", json=body)
            return audio_result(request, response, AIMLAPI, encoding)
        if request.task_kind == "speech_to_text":
            return self._create_transcription(request, http)
        raise unsupported(AIMLAPI, request)

    def _create_transcription(self, request: ProviderRequest, http: httpx.Client) -> ProviderResult:
        options = {name: request.params[name] for name in LISTEN_OPTIONS if name in request.params}
        audio = input_audio(request)
        if audio is not None:
            form = {"model": request.upstream_model, **{k: query_value(v) for k, v in options.items()}}
            response = self._call(request, http, "POST", "/v1/stt/create", data=form,
                                  files={"audio": (audio.filename, audio.content, audio.content_type)})
        elif request.params.get("url"):
            # The aggregator fetches the URL itself; only used when the engine gave us no file.
            body = {"model": request.upstream_model, "url": request.params["url"], **options}
            response = self._call(request, http, "POST", "/v1/stt/create", json=body)
        else:
            raise ProviderError(MISSING_AUDIO_MESSAGE, code="missing_input", status=400)
        body = json_or_none(response)
        generation_id = (body.get("generation_id") or body.get("id")) if isinstance(body, dict) else None
        if not isinstance(generation_id, str) or not generation_id or "/" in generation_id:
            raise ProviderError(f"{AIMLAPI} returned no generation id", code="provider_bad_response")
        return ProviderResult(ResultState.PENDING, job={"generation_id": generation_id}, progress=0,
                              poll_after_seconds=STT_POLL_AFTER_SECONDS, provider_request_id=generation_id)

    def poll(self, request: ProviderRequest, job: dict[str, Any], http: httpx.Client) -> ProviderResult:
        generation_id = job["generation_id"]
        body = json_or_none(self._call(request, http, "GET", f"/v1/stt/{generation_id}"))
        if not isinstance(body, dict):
            raise ProviderError(f"{AIMLAPI} returned an unreadable job status", code="provider_bad_response")
        status = str(body.get("status") or "").lower()
        if isinstance(body.get("result"), dict):
            return transcript_result(body["result"], AIMLAPI, generation_id)
        if status in FAILED_STATUSES:
            detail = error_message(body)
            raise ProviderError(f"{AIMLAPI} transcription failed" + (f": {clean_message(detail)}" if detail else ""),
                                code="provider_job_failed")
        if status in ("completed", "succeeded", "done"):
            raise ProviderError(f"{AIMLAPI} finished without a transcript", code="provider_bad_response")
        # waiting / active, or a status we do not know yet: still running.
        return ProviderResult(ResultState.PENDING, job=job, poll_after_seconds=STT_POLL_AFTER_SECONDS,
                              provider_request_id=generation_id)
