"""Speech: OpenAI's ``/v1/audio/speech`` and ``/v1/audio/transcriptions``; seed 003's ``/tts``
and ``/stt``."""
from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from apps.core.errors import ApplicationError
from apps.tasks.surfaces import engine
from apps.tasks.surfaces.audio_shapes import (
    BAD_TRANSCRIPTION_FORMAT, TRANSCRIPTION_FORMATS, audio_bytes, deepgram_transcription, openai_transcription,
)
from apps.tasks.surfaces.auth import key_authenticate
from apps.tasks.surfaces.endpoint import api_endpoint
from apps.tasks.surfaces.inputs import request_params, require_model
from apps.tasks.surfaces.param_map import fit, parameter_names
from apps.tasks.surfaces.respond import respond

SPEECH_RENAMES = {"input": ("text", "prompt"), "text": ("input", "prompt"), "voice": ("voice_id",)}
# OpenAI's response_format values (mp3, wav...) are not other providers' output formats: dropped
# when the model does not take response_format itself.
SPEECH_OPTIONAL = frozenset({"stream_format", "response_format", "speed", "instructions"})
STT_RENAMES = {"file": ("audio", "audio_file"), "url": ("audio_url", "audio", "file", "file_url")}
STT_OPTIONAL = frozenset({"temperature", "timestamp_granularities", "timestamp_granularities[]", "include",
                          "include[]", "chunking_strategy"})


async def _speech(request: HttpRequest, *, default_model: str | None) -> HttpResponse:
    api_key = await key_authenticate(request)
    body, _ = request_params(request)
    model = require_model(body, default=default_model)
    params = fit({k: v for k, v in body.items() if v is not None}, await parameter_names(model),
                 renames=SPEECH_RENAMES, optional=SPEECH_OPTIONAL)
    submitted = await engine.submit(request, api_key=api_key, model=model, params=params, surface="openai",
                                    waits=True)
    return await respond(request, submitted, model, audio_bytes, with_bytes=True)


@api_endpoint("POST")
async def openai_speech(request: HttpRequest) -> HttpResponse:
    return await _speech(request, default_model=None)


@api_endpoint("POST")
async def aiml_tts(request: HttpRequest) -> HttpResponse:
    return await _speech(request, default_model=None)


async def _transcription_inputs(request: HttpRequest) -> tuple[Any, str, dict[str, Any], dict[str, Any]]:
    api_key = await key_authenticate(request)
    body, files = request_params(request)
    model = require_model(body)
    names = await parameter_names(model)
    params = fit({k: v for k, v in body.items() if k != "response_format"}, names,
                 renames=STT_RENAMES, optional=STT_OPTIONAL)
    files = {next((n for n in (name, *STT_RENAMES.get(name, ())) if names is None or n in names), name): upload
             for name, upload in files.items()}
    return api_key, model, params, files


@api_endpoint("POST")
async def openai_transcriptions(request: HttpRequest) -> HttpResponse:
    api_key, model, params, files = await _transcription_inputs(request)
    response_format = request.POST.get("response_format") or "json"
    if response_format not in TRANSCRIPTION_FORMATS:
        raise ApplicationError(BAD_TRANSCRIPTION_FORMAT, code="invalid_value", param="response_format")
    submitted = await engine.submit(request, api_key=api_key, model=model, params=params, files=files,
                                    surface="openai", waits=True)
    return await respond(request, submitted, model, lambda snap: openai_transcription(snap, response_format))


@api_endpoint("POST")
async def aiml_stt(request: HttpRequest) -> HttpResponse:
    api_key, model, params, files = await _transcription_inputs(request)
    submitted = await engine.submit(request, api_key=api_key, model=model, params=params, files=files,
                                    surface="aiml", waits=True)
    return await respond(request, submitted, model, lambda snap: deepgram_transcription(snap, model))
