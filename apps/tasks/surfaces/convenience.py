"""Seed 004's convenience GETs: ``/imagine``, ``/imagine2``, ``/get-audio``, ``/images/vision``
and ``/ask`` (each also under ``/v1``). Same keys, billing and rate limits as every surface."""
from __future__ import annotations

from typing import Any, AsyncIterator

from django.http import HttpRequest, HttpResponse

from apps.core.errors import ApplicationError
from apps.tasks.surfaces import engine
from apps.tasks.surfaces.auth import key_authenticate
from apps.tasks.surfaces.chat_stream import DONE, event_error, event_kind
from apps.tasks.surfaces.endpoint import api_endpoint
from apps.tasks.surfaces.param_map import fit, fit_size, parameter_names
from apps.tasks.surfaces.respond import respond, stream_headers
from apps.tasks.surfaces.snapshot import TaskSnapshot
from apps.tasks.surfaces.sse import sse_data, sse_response

IMAGINE_MODEL = "flux"  # seed 004's default
IMAGINE2_MODEL = "flux-1-schnell"  # "fast and stable"
DEFAULT_VOICE = "alex"  # seed 004: each voice is a catalog model (aliases alex, sophia)
VISION_MODEL = "gemini-pro-vision"  # seed 004's default
ASK_MODEL = "gpt-4o-mini"
VISION_PROMPT = "Describe this image in detail."
NO_IMAGE = "The task produced no image."


def _required(request: HttpRequest, name: str) -> str:
    value = (request.GET.get(name) or "").strip()
    if not value:
        raise ApplicationError(f"Missing required parameter: {name}.", code="missing_parameter", param=name)
    return value


def image_bytes(snap: TaskSnapshot) -> HttpResponse:
    images = snap.files("image")
    if not images or images[0].data is None:
        raise ApplicationError(NO_IMAGE, code="no_output", type="api_error", status=502)
    response = HttpResponse(images[0].data, content_type=images[0].mime_type or "image/png")
    response["X-Task-Id"] = snap.id
    return response


async def _imagine(request: HttpRequest, default_model: str) -> HttpResponse:
    api_key = await key_authenticate(request)
    model = request.GET.get("model") or default_model
    params: dict[str, Any] = {"prompt": _required(request, "prompt")}
    for name in ("size", "seed"):
        if request.GET.get(name):
            params[name] = int(request.GET[name]) if name == "seed" and request.GET[name].isdigit() else request.GET[name]
    names = await parameter_names(model)
    params = fit(fit_size(params, names), names)
    submitted = await engine.submit(request, api_key=api_key, model=model, params=params, surface="convenience",
                                    waits=True)
    return await respond(request, submitted, model, image_bytes, with_bytes=True)


@api_endpoint("GET")
async def imagine(request: HttpRequest) -> HttpResponse:
    return await _imagine(request, IMAGINE_MODEL)


@api_endpoint("GET")
async def imagine2(request: HttpRequest) -> HttpResponse:
    return await _imagine(request, IMAGINE2_MODEL)


@api_endpoint("GET")
async def get_audio(request: HttpRequest) -> HttpResponse:
    from apps.tasks.surfaces.audio_shapes import audio_bytes

    api_key = await key_authenticate(request)
    voice = request.GET.get("voice") or DEFAULT_VOICE
    params = {"text": _required(request, "text"), "voice": voice}
    submitted = await engine.submit(request, api_key=api_key, model=voice, params=params, surface="convenience",
                                    waits=True)
    return await respond(request, submitted, voice, lambda snap: audio_bytes(snap, filename="audio.mp3"),
                         with_bytes=True)


def vision_params(url: str, names: set[str] | None) -> dict[str, Any]:
    if names is not None and "messages" not in names:
        return fit({"prompt": VISION_PROMPT, "image_url": url}, names, renames={"image_url": ("image_urls", "image")})
    return {"messages": [{"role": "user", "content": [
        {"type": "text", "text": VISION_PROMPT}, {"type": "image_url", "image_url": {"url": url}}]}]}


@api_endpoint("GET")
async def images_vision(request: HttpRequest) -> HttpResponse:
    api_key = await key_authenticate(request)
    model = request.GET.get("model") or VISION_MODEL
    params = vision_params(_required(request, "url"), await parameter_names(model))
    submitted = await engine.submit(request, api_key=api_key, model=model, params=params, surface="convenience",
                                    waits=True)
    return await respond(request, submitted, model,
                         lambda snap: HttpResponse(snap.text, content_type="text/plain; charset=utf-8"))


async def _ask_lines(task: Any) -> AsyncIterator[str]:
    """Each text delta as seed 004's ``{"message", "url"}`` line; ``url`` stays empty (no web search)."""
    async for event in engine.stream_events(task):
        kind = event_kind(event)
        if kind == "delta":
            yield sse_data({"message": (getattr(event, "data", None) or {}).get("text") or "", "url": ""})
        elif kind == "error":
            yield sse_data(event_error(event))
            break
        elif kind == "done":
            break
    yield DONE


@api_endpoint("GET")
async def ask(request: HttpRequest) -> HttpResponse:
    api_key = await key_authenticate(request)
    model = request.GET.get("model") or ASK_MODEL
    prompt = _required(request, "prompt")
    submitted = await engine.submit(request, api_key=api_key, model=model, stream=True, surface="convenience",
                                    params={"messages": [{"role": "user", "content": prompt}]})
    return stream_headers(sse_response(_ask_lines(submitted.task)), submitted)
