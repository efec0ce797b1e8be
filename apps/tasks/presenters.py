"""The public JSON of a task (GET /v1/tasks/{id}, webhooks, surfaces)."""
from __future__ import annotations

from typing import Any

from apps.core.money import CURRENCY, micros_to_usd
from apps.tasks.models import Task
from apps.tasks.outputs import output_url


def _iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def task_output_list(task: Task, *, absolute_base: str | None = None) -> list[dict[str, Any]]:
    items = []
    for output in task.outputs.all():
        item: dict[str, Any] = {"index": output.index, "type": output.kind, "mime_type": output.mime_type,
                                "size": output.size_bytes}
        if output.file and output.purged_at is None:
            url, expires_at = output_url(output, absolute_base=absolute_base)
            item.update(url=url, expires_at=_iso(expires_at))
        if output.text is not None:
            item["text"] = output.text
        if output.meta:
            item["meta"] = output.meta
        items.append(item)
    return items


def task_to_dict(task: Task, *, absolute_base: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": task.public_id,
        "object": "task",
        "model": task.model_id,
        "status": task.status,
        "progress": task.progress,
        "created_at": _iso(task.created_at),
        "started_at": _iso(task.started_at),
        "completed_at": _iso(task.finished_at),
        "outputs": task_output_list(task, absolute_base=absolute_base) if task.status == "succeeded" else [],
        "usage": task.usage or None,
        "cost": micros_to_usd(task.cost_micros) if task.cost_micros is not None else None,
        "quote": micros_to_usd(task.quote_micros),
        "currency": CURRENCY,
        "price_version": task.price_version_id,
        "error": {"code": task.error_code, "message": task.error_message} if task.error_code else None,
        "simulated": task.simulated,
        "webhook_url": task.webhook_url or None,
    }
    return body
