"""The surfaces' only door to the engine: submit, wait, stream, and snapshot a task.
Everything here is translation; validation, pricing, holds and runs are the engine's."""
from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any, AsyncIterator, Callable

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse

from apps.accounts.models import ApiKey
from apps.core.errors import PROVIDER_ERROR, ApplicationError
from apps.tasks.surfaces.inputs import body_hash
from apps.tasks.surfaces.snapshot import FAILED, PENDING, SUCCEEDED, OutputSnapshot, TaskSnapshot

TASK_FAILED = "The task failed."


@dataclass
class Submitted:
    task: Any
    replayed: bool
    waiter: Any = None  # waiting.Waiter, registered before the task existed (``submit(waits=True)``)


def sync_wait_seconds() -> float:
    return settings.TOLLGATE_SYNC_WAIT_SECONDS


def _task_submit(**kwargs: Any) -> Any:
    from apps.core.db import connection_release
    from apps.tasks.services import task_submit

    try:
        return task_submit(**kwargs)
    finally:
        connection_release()  # the request now waits or streams: not on a pooled connection


async def submit(request: HttpRequest, *, api_key: ApiKey, model: str, params: dict[str, Any],
                 files: dict[str, UploadedFile] | None = None, stream: bool = False, surface: str,
                 waits: bool = False) -> Submitted:
    """``task_submit`` in a thread, with the request's Idempotency-Key and a hash of what it asks.
    ``waits``: the caller then waits for the task (``respond``), so a waiter is registered under
    the new task's id before the task exists (see ``waiting.Waiter``)."""
    from apps.core.ids import new_public_id
    from apps.tasks.waiting import Waiter

    idempotency_key = request.headers.get("Idempotency-Key") or None
    digest = body_hash(request.path, model, params, files or {}) if idempotency_key else None
    # The catalog schema must see each upload under its parameter name: the catalog's placeholder.
    from apps.catalog.services.params import UPLOAD_PLACEHOLDER

    uploads = {name: UPLOAD_PLACEHOLDER for name in files or {}}
    waiter = Waiter(new_public_id("task")) if waits else None
    try:
        async with _submit_slot():
            result = await sync_to_async(_task_submit)(
                api_key=api_key, model=model, params={**params, **uploads}, files=files or None,
                idempotency_key=idempotency_key, request_body_hash=digest,
                stream=stream, surface=surface, request_id=getattr(request, "request_id", None),
                public_id=waiter.task_id if waiter else None,
            )
    except BaseException:
        if waiter is not None:
            waiter.close()
        raise
    if waiter is not None and (result.task is None or result.task.public_id != waiter.task_id):
        waiter.close()  # an idempotent replay answers with the earlier task
        waiter = None
    return Submitted(task=result.task, replayed=bool(result.replayed), waiter=waiter)


_submit_slots: dict[int, asyncio.Semaphore] = {}


def _submit_slot() -> "asyncio.Semaphore | contextlib.nullcontext":
    """At most ~3/4 of the process's database pool runs submits at once; the rest of the
    burst queues here, in the event loop, holding neither a thread nor a connection. Without
    it a burst (hundreds of clients, every submit of an organization queueing on its balance
    row) checks out the whole pool and the other requests fail after the pool timeout."""
    pool = (settings.DATABASES["default"].get("OPTIONS") or {}).get("pool")
    size = pool.get("max_size") if isinstance(pool, dict) else None
    if not size:
        return contextlib.nullcontext()
    loop = asyncio.get_running_loop()
    slot = _submit_slots.get(id(loop))
    if slot is None:
        slot = _submit_slots[id(loop)] = asyncio.Semaphore(max(1, size * 3 // 4))
    return slot


async def wait_snapshot(submitted: Submitted, request: HttpRequest | None = None, *,
                        with_b64: "bool | Callable[[str], bool]" = False, with_bytes: bool = False,
                        timeout_seconds: float | None = None) -> TaskSnapshot:
    """Waits for the submitted task, then snapshots it (still pending when the wait ran out).
    A success message that carries the task's facts is answered without a database read, and
    without a thread unless output files must be read."""
    from apps.tasks.models import TaskStatus
    from apps.tasks.outputs import outputs_from_summary
    from apps.tasks.waiting import task_wait_for

    timeout = sync_wait_seconds() if timeout_seconds is None else timeout_seconds
    waited = await task_wait_for(task_id=submitted.task.public_id, timeout_seconds=timeout, waiter=submitted.waiter,
                                 submitted=submitted.task if submitted.waiter else None)
    if waited.summary is None:
        return await snapshot(waited.task, request, with_b64=with_b64, with_bytes=with_bytes)
    task, summary = waited.task, waited.summary
    task.status, task.usage, task.simulated, task.progress = TaskStatus.SUCCEEDED, summary["usage"], summary["simulated"], 100
    outputs = outputs_from_summary(summary["outputs"])
    if with_bytes or (with_b64 and any(output.file for output in outputs)):
        return await sync_to_async(_snapshot_sync)(task, request, with_b64, with_bytes, outputs)
    return _snapshot_sync(task, request, with_b64, with_bytes, outputs)


def stream_events(task: Any, last_event_id: str | None = None) -> AsyncIterator[Any]:
    from apps.tasks.streaming import task_stream_events

    return task_stream_events(task_id=task.public_id, last_event_id=last_event_id)


async def task_find(api_key: ApiKey, task_id: str) -> Any | None:
    from apps.tasks.selectors import task_get

    try:
        return await sync_to_async(task_get)(organization=api_key.organization, task_id=task_id)
    except ApplicationError:
        return None


def _state(status: str) -> str:
    if status in ("succeeded", "completed"):
        return SUCCEEDED
    if status in ("failed", "canceled", "cancelled", "expired"):
        return FAILED
    return PENDING


def _snapshot_sync(task: Any, request: HttpRequest | None, with_b64: "bool | Callable[[str], bool]",
                   with_bytes: bool, outputs_known: list | None = None) -> TaskSnapshot:
    """``outputs_known``: the task's outputs when already at hand (else read from the database)."""
    from apps.tasks.outputs import output_b64, output_url

    base = request.build_absolute_uri("/").rstrip("/") if request is not None else None
    task_kind = _task_kind(task)
    if callable(with_b64):
        with_b64 = with_b64(task_kind)
    outputs = []
    for output in (task.outputs.all() if outputs_known is None else outputs_known):
        item = OutputSnapshot(kind=output.kind, mime_type=output.mime_type, text=output.text, meta=dict(output.meta or {}))
        if output.file:
            url, expires_at = output_url(output, absolute_base=base)
            item.url, item.expires_at = url, _unix(expires_at)
            if with_b64:
                item.b64 = output_b64(output)
            if with_bytes:
                with default_storage.open(output.file.name, "rb") as handle:
                    item.data = handle.read()
        outputs.append(item)
    return TaskSnapshot(
        id=task.public_id, model=task.model_id, task_kind=task_kind, created=_unix(task.created_at),
        state=_state(str(task.status)), status=str(task.status), usage=dict(task.usage or {}), outputs=outputs,
        error_code=task.error_code or None, error_message=task.error_message or None,
        simulated=bool(getattr(task, "simulated", False)), progress=getattr(task, "progress", None),
    )


def _task_kind(task: Any) -> str:
    kind = getattr(task, "task_kind", None)
    if kind:
        return str(kind)
    from apps.catalog.selectors import model_resolve

    return model_resolve(name=task.model_id).task_kind


def _unix(moment: Any) -> int | None:
    return int(moment.timestamp()) if moment is not None else None


async def snapshot(task: Any, request: HttpRequest | None = None, *, with_b64: "bool | Callable[[str], bool]" = False,
                   with_bytes: bool = False) -> TaskSnapshot:
    """The task's public facts, outputs included. ``with_b64`` may be a predicate of the task kind."""
    return await sync_to_async(_snapshot_sync)(task, request, with_b64, with_bytes)


def failure_error(snap: TaskSnapshot) -> ApplicationError:
    """A failed task as the seed-000 error: the provider refused the content → 400, a
    timeout → 504, anything else the provider did → 502."""
    code = snap.error_code or "task_failed"
    status = 400 if code.endswith("invalid_request") or code == "content_rejected" else 504 if "timeout" in code else 502
    type_ = "invalid_request_error" if status == 400 else PROVIDER_ERROR
    return ApplicationError(snap.error_message or TASK_FAILED, code=code, type=type_, status=status)


def decorate(response: HttpResponse, *, replayed: bool = False, simulated: bool = False) -> HttpResponse:
    """The headers every task-creating surface adds."""
    if replayed:
        response["Idempotent-Replayed"] = "true"
    if simulated:
        response["X-Tollgate-Simulated"] = "true"
    return response
