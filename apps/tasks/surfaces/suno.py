"""Seed 004's Suno surface: ``POST /suno`` creates a song task, ``GET /suno/<clip>`` reads it.

A clip id is the task id for the task's first audio output and ``<task id>.<n>`` for the n-th
(Suno makes one or two tracks per request; the simulator one). The POST answers at once, so it
names the first clip; ``GET`` on a finished task lists its other clips under ``clips``."""
from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from apps.core.errors import NOT_FOUND, ApplicationError
from apps.tasks.surfaces import engine
from apps.tasks.surfaces.auth import key_authenticate
from apps.tasks.surfaces.endpoint import api_endpoint
from apps.tasks.surfaces.inputs import is_true, request_params, require_model
from apps.tasks.surfaces.snapshot import FAILED, PENDING, SUCCEEDED, TaskSnapshot

DEFAULT_SUNO_MODEL = "chirp-v3-5"  # seed 004's default; the catalog's chirp models take seed 004's fields
CLIP_NOT_FOUND = "No clip {clip_id}."
_BOOLEANS = ("instrumental", "custom")


def suno_params(body: dict[str, Any]) -> dict[str, Any]:
    """Seed 004 sends booleans as strings ("false"); everything else passes to the schema."""
    return {k: is_true(v) if k in _BOOLEANS else v for k, v in body.items() if v is not None}


def clip_ids(snap: TaskSnapshot) -> list[str]:
    count = max(1, len(snap.files("audio")))
    return [snap.id] + [f"{snap.id}.{n}" for n in range(1, count)]


def clip_body(snap: TaskSnapshot, clip_id: str, index: int) -> dict[str, Any]:
    audio, images, videos = snap.files("audio"), snap.files("image"), snap.files("video")
    if snap.state == PENDING:
        status = "generating"
    elif snap.state == FAILED:
        status = "error"
    else:
        if index >= len(audio):
            raise ApplicationError(CLIP_NOT_FOUND.format(clip_id=clip_id), code="not_found", type=NOT_FOUND, status=404)
        status = "finished"
    track = audio[index] if index < len(audio) else None
    return {
        "id": clip_id, "status": status,
        "title": track.meta.get("title") if track else None,
        "image_url": images[index].url if index < len(images) else (images[0].url if images else None),
        "audio_url": track.url if track else None,
        "video_url": videos[index].url if index < len(videos) else None,
        "error": snap.error_message if snap.state == FAILED else None,
        "clips": clip_ids(snap) if snap.state == SUCCEEDED else None,
    }


@api_endpoint("POST")
async def suno_create(request: HttpRequest) -> HttpResponse:
    api_key = await key_authenticate(request)
    body, _ = request_params(request)
    model = require_model(body, default=DEFAULT_SUNO_MODEL)
    submitted = await engine.submit(request, api_key=api_key, model=model, params=suno_params(body),
                                    surface="convenience")
    snap = await engine.snapshot(submitted.task, request)
    response = JsonResponse({"status": "success", "clips": clip_ids(snap)})
    return engine.decorate(response, replayed=submitted.replayed, simulated=snap.simulated)


@api_endpoint("GET")
async def suno_clip(request: HttpRequest, clip_id: str) -> HttpResponse:
    api_key = await key_authenticate(request)
    task_id, _, index = clip_id.partition(".")
    task = await engine.task_find(api_key, task_id) if not index or index.isdigit() else None
    if task is None:
        raise ApplicationError(CLIP_NOT_FOUND.format(clip_id=clip_id), code="not_found", type=NOT_FOUND, status=404)
    snap = await engine.snapshot(task, request)
    return engine.decorate(JsonResponse(clip_body(snap, clip_id, int(index or 0))), simulated=snap.simulated)
