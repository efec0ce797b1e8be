"""Seed 000's response shapes for ``POST /api/v1/task``, by task kind."""
from __future__ import annotations

from typing import Any

from apps.tasks.surfaces.snapshot import TaskSnapshot

TEXT_KINDS = {"chat", "vision", "lyrics"}
IMAGE_KINDS = {"image_generation", "image_edit", "image_upscale"}
AUDIO_KINDS = {"text_to_speech", "speech_to_speech", "sound_effect", "dialogue", "voice_isolation",
               "music", "stems", "audio_export"}
VIDEO_KINDS = {"video_generation", "video_edit", "video_upscale", "lip_sync"}


def usage_tokens(usage: dict[str, Any]) -> dict[str, int]:
    prompt, completion = int(usage.get("input_tokens") or 0), int(usage.get("output_tokens") or 0)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _file_item(output) -> dict[str, Any]:
    return {"url": output.url, "b64_json": output.b64}


def completion(snap: TaskSnapshot, model: str) -> dict[str, Any]:
    return {
        "id": snap.id, "object": "task.completion", "created": snap.created, "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": snap.text},
                     "finish_reason": snap.finish_reason}],
        "usage": usage_tokens(snap.usage),
    }


def image_generation(snap: TaskSnapshot, model: str) -> dict[str, Any]:
    return {"id": snap.id, "object": "image.generation", "created": snap.created, "model": model,
            "data": [_file_item(o) for o in snap.files("image")]}


def speech_generation(snap: TaskSnapshot, model: str) -> dict[str, Any]:
    audio = snap.files("audio")
    body = {"id": snap.id, "object": "speech.generation", "created": snap.created, "model": model,
            "audio": _file_item(audio[0]) if audio else None}
    if len(audio) > 1:  # music and stems make several tracks; the first stays under "audio"
        body["data"] = [_file_item(o) for o in audio]
    return body


def transcription(snap: TaskSnapshot, model: str) -> dict[str, Any]:
    """Not in seed 000: ``{"object": "transcription", "text", "language", "duration", "words"}``."""
    meta = next((o.meta for o in snap.outputs if o.kind in ("text", "json")), {})
    return {"id": snap.id, "object": "transcription", "created": snap.created, "model": model,
            "text": snap.text, "language": meta.get("language"),
            "duration": _seconds(snap.usage.get("audio_seconds")), "words": meta.get("words", [])}


def video_generation(snap: TaskSnapshot, model: str) -> dict[str, Any]:
    """Not in seed 000: the image shape's sibling, URLs only (videos are too big for base64)."""
    return {"id": snap.id, "object": "video.generation", "created": snap.created, "model": model,
            "data": [{"url": o.url, "mime_type": o.mime_type} for o in snap.files("video")]}


def _seconds(value: Any) -> float | None:
    return float(value) if value not in (None, "") else None


def task_body(snap: TaskSnapshot, model: str) -> dict[str, Any]:
    """The seed-000 body for a finished task; ``model`` is the name the caller sent."""
    kind = snap.task_kind
    if kind in TEXT_KINDS:
        return completion(snap, model)
    if kind in IMAGE_KINDS:
        return image_generation(snap, model)
    if kind == "speech_to_text":
        return transcription(snap, model)
    if kind in AUDIO_KINDS:
        return speech_generation(snap, model)
    if kind in VIDEO_KINDS:
        return video_generation(snap, model)
    return completion(snap, model)


def wants_b64(task_kind: str) -> bool:
    return task_kind in IMAGE_KINDS or task_kind in AUDIO_KINDS


def pending_body(snap: TaskSnapshot, model: str) -> dict[str, Any]:
    """The 202 answer when the task outlives the wait: poll ``/v1/tasks/{id}``."""
    return {"id": snap.id, "object": "task", "created": snap.created, "model": model, "status": snap.status,
            "progress": snap.progress, "poll_url": f"/v1/tasks/{snap.id}"}
