"""Response shapes of the audio surfaces (pure functions of a task snapshot)."""
from __future__ import annotations

from typing import Any

from django.http import HttpResponse, JsonResponse

from apps.core.errors import ApplicationError
from apps.tasks.surfaces.snapshot import TaskSnapshot

TRANSCRIPTION_FORMATS = ("json", "text", "verbose_json")
BAD_TRANSCRIPTION_FORMAT = "response_format must be one of: json, text, verbose_json."
NO_AUDIO = "The task produced no audio."


def audio_bytes(snap: TaskSnapshot, *, filename: str = "speech") -> HttpResponse:
    audio = snap.files("audio")
    if not audio or audio[0].data is None:
        raise ApplicationError(NO_AUDIO, code="no_output", type="api_error", status=502)
    response = HttpResponse(audio[0].data, content_type=audio[0].mime_type or "audio/mpeg")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["X-Task-Id"] = snap.id
    return response


def _meta(snap: TaskSnapshot) -> dict[str, Any]:
    return next((o.meta for o in snap.outputs if o.kind in ("text", "json")), {})


def _duration(snap: TaskSnapshot) -> float | None:
    value = snap.usage.get("audio_seconds")
    return float(value) if value not in (None, "") else None


def openai_transcription(snap: TaskSnapshot, response_format: str) -> HttpResponse:
    if response_format == "text":
        return HttpResponse(snap.text, content_type="text/plain; charset=utf-8")
    body: dict[str, Any] = {"text": snap.text}
    if response_format == "verbose_json":
        meta = _meta(snap)
        body = {"task": "transcribe", "language": meta.get("language") or "english", "duration": _duration(snap),
                "text": snap.text, "words": meta.get("words") or [], "segments": meta.get("segments") or []}
    else:
        seconds = _duration(snap)
        if seconds is not None:
            body["usage"] = {"type": "duration", "seconds": seconds}
    return JsonResponse(body)


def deepgram_transcription(snap: TaskSnapshot, model: str) -> dict[str, Any]:
    """Seed 003's ``/stt`` answer, shaped like Deepgram's pre-recorded result."""
    meta = _meta(snap)
    return {
        "metadata": {"request_id": snap.id, "created": snap.created, "duration": _duration(snap),
                     "channels": 1, "models": [model]},
        "results": {"channels": [{"alternatives": [{
            "transcript": snap.text, "confidence": meta.get("confidence", 1.0), "words": meta.get("words") or [],
        }]}]},
    }
