"""The task engine's write side (see docs/engine.md). Public interface:

- task_submit(...) -> SubmitResult(task, quote, replayed)
- task_cancel(*, organization, task_id) -> Task
- task_execute(*, task_id, poll=False, organization_id=None)  (the actors' body)
- sweep() -> SweepReport
- task_retry(*, task), task_refund(*, task, actor=None)  (staff)
- webhook_settings_get / webhook_settings_update / webhook_sign
"""
from apps.tasks.services.cancel import TASK_NOT_CANCELABLE, task_cancel
from apps.tasks.services.running import task_execute
from apps.tasks.services.staff import task_refund, task_retry
from apps.tasks.services.submit import (
    IDEMPOTENCY_CONFLICT,
    IDEMPOTENCY_KEY_REUSED,
    MODEL_NOT_ALLOWED,
    SubmitResult,
    request_hash,
    task_submit,
)
from apps.tasks.services.sweep import SweepReport, sweep
from apps.tasks.services.webhooks import webhook_settings_get, webhook_settings_update, webhook_sign

__all__ = [
    "IDEMPOTENCY_CONFLICT", "IDEMPOTENCY_KEY_REUSED", "MODEL_NOT_ALLOWED", "TASK_NOT_CANCELABLE", "SubmitResult",
    "SweepReport", "request_hash", "sweep", "task_cancel", "task_execute", "task_refund", "task_retry",
    "task_submit", "webhook_settings_get", "webhook_settings_update", "webhook_sign",
]
