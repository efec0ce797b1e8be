"""Image generation: OpenAI's ``POST /v1/images/generations`` and seed 003's
``POST /images/generations`` (whose answer is ``output.choices[0].image_base64``)."""
from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from apps.core.errors import ApplicationError
from apps.tasks.surfaces import engine
from apps.tasks.surfaces.auth import key_authenticate
from apps.tasks.surfaces.endpoint import api_endpoint
from apps.tasks.surfaces.inputs import request_params, require_model
from apps.tasks.surfaces.param_map import fit, fit_size, parameter_names
from apps.tasks.surfaces.respond import respond
from apps.tasks.surfaces.snapshot import TaskSnapshot

DEFAULT_IMAGE_MODEL = "openai/gpt-image-1"
RESPONSE_FORMATS = ("url", "b64_json")
BAD_RESPONSE_FORMAT = "response_format must be 'url' or 'b64_json'."
_RENAMES = {"n": ("num_images", "count", "num_outputs"), "quality": ("quality",)}
_OPTIONAL = frozenset({"n", "style", "user", "quality", "moderation"})


async def image_params(body: dict[str, Any], model: str) -> dict[str, Any]:
    names = await parameter_names(model)
    params = {k: v for k, v in body.items() if k not in ("response_format", "user") and v is not None}
    if params.get("n") == 1 and names is not None and "n" not in names:
        params.pop("n")
    return fit(fit_size(params, names), names, renames=_RENAMES, optional=_OPTIONAL)


def openai_images(snap: TaskSnapshot, response_format: str) -> dict[str, Any]:
    items = [{"b64_json": o.b64} if response_format == "b64_json" else {"url": o.url} for o in snap.files("image")]
    for item, output in zip(items, snap.files("image")):
        item["revised_prompt"] = output.meta.get("revised_prompt")
    return {"created": snap.created, "data": items}


def aiml_images(snap: TaskSnapshot, model: str) -> dict[str, Any]:
    """Seed 003's shape (AI/ML API): the images under ``output.choices``."""
    return {"id": snap.id, "object": "image.generation", "created": snap.created, "model": model,
            "output": {"choices": [{"image_base64": o.b64, "url": o.url, "mime_type": o.mime_type}
                                   for o in snap.files("image")]}}


async def _generate(request: HttpRequest, *, seed_003: bool) -> HttpResponse:
    api_key = await key_authenticate(request)
    body, _ = request_params(request)
    model = require_model(body, default=DEFAULT_IMAGE_MODEL)
    response_format = body.get("response_format") or "url"
    if response_format not in RESPONSE_FORMATS:
        raise ApplicationError(BAD_RESPONSE_FORMAT, code="invalid_value", param="response_format")
    params = await image_params(body, model)
    submitted = await engine.submit(request, api_key=api_key, model=model, params=params, surface="openai",
                                    waits=True)
    if seed_003:
        return await respond(request, submitted, model, lambda snap: aiml_images(snap, model), with_b64=True)
    return await respond(request, submitted, model, lambda snap: openai_images(snap, response_format),
                         with_b64=response_format == "b64_json")


@api_endpoint("POST")
async def openai_image_generations(request: HttpRequest) -> HttpResponse:
    return await _generate(request, seed_003=False)


@api_endpoint("POST")
async def aiml_image_generations(request: HttpRequest) -> HttpResponse:
    return await _generate(request, seed_003=True)
