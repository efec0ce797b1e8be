"""Request bodies → (params, files): JSON or multipart form data, the way seed 000 sends them."""
from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParserError

from apps.core.errors import ApplicationError
from apps.core.json_body import BodyRefused, json_loads
from apps.core.text import NUL_CHARACTER, holds_nul

INVALID_JSON = "The request body is not valid JSON."
BODY_NOT_OBJECT = "The request body must be a JSON object."
MISSING_MODEL = "Missing required parameter: model."
BAD_FORM = "The multipart form data could not be parsed."
INVALID_LAST_EVENT_ID = "Last-Event-ID is not an event id of a stream: send back an id: line this API sent."


def form_value(raw: Any) -> Any:
    """Form fields holding JSON objects/arrays (``voice_settings={"stability": 0.5}``) are parsed;
    everything else stays as it came (a string for the catalog schema to coerce)."""
    if not isinstance(raw, str):
        return raw
    text = raw.strip()
    if text[:1] in "{[":
        try:
            return json_loads(text)  # a refused value stays the text it was
        except ValueError:
            return raw
    return raw


def request_params(request: HttpRequest) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    """The body as a parameter dict plus uploaded files (parameter name → file)."""
    content_type = request.content_type or ""
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        try:
            params = {name: form_value(values[-1]) if len(values) == 1 else [form_value(v) for v in values]
                      for name, values in request.POST.lists()}
            files = {name: request.FILES[name] for name in request.FILES}
        except MultiPartParserError as exc:
            raise ApplicationError(BAD_FORM, code="invalid_form") from exc
        if holds_nul(params):
            raise ApplicationError(NUL_CHARACTER, code="invalid_character")
        return params, files
    if not request.body:
        return {}, {}
    try:
        body = json_loads(request.body)
    except BodyRefused as exc:
        raise ApplicationError(str(exc), code=exc.code) from exc
    except ValueError as exc:
        raise ApplicationError(INVALID_JSON, code="invalid_json") from exc
    if not isinstance(body, dict):
        raise ApplicationError(BODY_NOT_OBJECT, code="invalid_json")
    return body, {}


def require_model(params: dict[str, Any], default: str | None = None) -> str:
    model = params.pop("model", None) or default
    if not isinstance(model, str) or not model.strip():
        raise ApplicationError(MISSING_MODEL, code="missing_parameter", param="model")
    return model.strip()


def is_true(value: Any) -> bool:
    """Booleans as seed 004 spells them: ``"false"`` is false."""
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes", "on"}
    return bool(value)


def body_hash(path: str, model: str, params: dict[str, Any], files: dict[str, UploadedFile]) -> str:
    """What an Idempotency-Key replay must match: the surface, model, params and file contents
    (not the raw bytes, whose multipart boundary changes on every send)."""
    digest = hashlib.sha256()
    digest.update(json.dumps([path, model, params], sort_keys=True, default=str).encode())
    for name in sorted(files):
        upload = files[name]
        upload.seek(0)
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        digest.update(name.encode())
    return digest.hexdigest()


def last_event_id(request: HttpRequest) -> str | None:
    """The ``Last-Event-ID`` a streamed request resumes after, checked before anything is
    submitted (``streaming.stream_cursor``)."""
    from apps.tasks.streaming import stream_cursor

    try:
        return stream_cursor(request.headers.get("Last-Event-ID"))
    except ValueError:
        raise ApplicationError(INVALID_LAST_EVENT_ID, code="invalid_last_event_id") from None
