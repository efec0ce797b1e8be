"""Task webhooks, signed per Standard Webhooks (https://www.standardwebhooks.com):
``webhook-id`` (stable across retries), ``webhook-timestamp``, ``webhook-signature: v1,<b64>``
= base64 HMAC-SHA256 over ``"{id}.{timestamp}.{body}"`` keyed by the base64 part of ``whsec_…``.
Each attempt is a WebhookDelivery row; failures are re-sent as delayed messages (> 24 h)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

from django.conf import settings
from django.db import transaction

from apps.accounts.models import Organization
from apps.core.errors import ApplicationError
from apps.core.ids import new_public_id
from apps.tasks.models import OrganizationWebhookSettings, Task, WebhookDelivery, WebhookDeliveryStatus


def webhook_settings_get(*, organization: Organization) -> OrganizationWebhookSettings:
    """The organization's webhook settings (created with a fresh secret on first use)."""
    row, _ = OrganizationWebhookSettings.objects.get_or_create(organization=organization)
    return row


def webhook_settings_update(*, organization: Organization, url: str, rotate_secret: bool = False) -> OrganizationWebhookSettings:
    from apps.tasks.models import new_webhook_secret
    from apps.tasks.urlsafety import url_check

    if url:
        url_check(url, param="url")
    row = webhook_settings_get(organization=organization)
    row.url = url
    if rotate_secret:
        row.secret = new_webhook_secret()
    row.full_clean()
    row.save()
    return row


def webhook_sign(*, secret: str, webhook_id: str, timestamp: int, body: str) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{webhook_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def _default_url(task: Task) -> str:
    """The organization's default webhook; no query when the worker loaded it with the task."""
    if Task.organization.is_cached(task):
        try:
            return task.organization.webhook_settings.url
        except OrganizationWebhookSettings.DoesNotExist:
            return ""
    return OrganizationWebhookSettings.objects.filter(organization_id=task.organization_id).values_list("url", flat=True).first() or ""


def webhook_schedule(*, task: Task) -> WebhookDelivery | None:
    """Called inside the settling transaction: first attempt row, sent after commit."""
    from apps.tasks.actors import webhook_deliver

    url = task.webhook_url or _default_url(task)
    if not url:
        return None
    delivery = WebhookDelivery.objects.create(task=task, webhook_id=new_public_id("msg"), url=url, attempt=1)
    transaction.on_commit(lambda: webhook_deliver.send(delivery.pk))
    return delivery


def webhook_deliver_attempt(*, delivery_id: int) -> WebhookDelivery | None:
    """One POST. Records the outcome; on failure creates and schedules the next attempt."""
    from apps.tasks.actors import webhook_deliver
    from apps.tasks.presenters import task_to_dict
    from apps.tasks.urlsafety import safe_request

    delivery = WebhookDelivery.objects.filter(pk=delivery_id, status=WebhookDeliveryStatus.PENDING).select_related(
        "task__organization").first()
    if delivery is None:
        return None  # redelivered: already attempted
    task = delivery.task
    secret = webhook_settings_get(organization=task.organization).secret
    body = json.dumps(task_to_dict(task), separators=(",", ":"))
    timestamp = int(time.time())
    headers = {
        "content-type": "application/json",
        "user-agent": "Tollgate-Webhooks/1",
        "webhook-id": delivery.webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": webhook_sign(secret=secret, webhook_id=delivery.webhook_id, timestamp=timestamp, body=body),
    }
    started = time.monotonic()
    code, error = None, ""
    try:
        response, _ = safe_request("POST", delivery.url, param="webhook_url", content=body.encode(), headers=headers,
                                   max_bytes=64 * 1024, timeout_seconds=settings.TOLLGATE_WEBHOOK_TIMEOUT_SECONDS)
        code = response.status_code
        ok = 200 <= code < 300
        error = "" if ok else f"HTTP {code}"
    except ApplicationError as exc:
        ok, error = False, exc.message
    delivery.response_code = code
    delivery.duration_ms = int((time.monotonic() - started) * 1000)
    delivery.error = error[:500]
    delivery.status = WebhookDeliveryStatus.SUCCEEDED if ok else WebhookDeliveryStatus.FAILED
    delivery.save(update_fields=["response_code", "duration_ms", "error", "status", "updated_at"])
    schedule = settings.TOLLGATE_WEBHOOK_RETRY_SCHEDULE_SECONDS
    if not ok and delivery.attempt <= len(schedule):
        following = WebhookDelivery.objects.create(task=task, webhook_id=delivery.webhook_id, url=delivery.url,
                                                   attempt=delivery.attempt + 1)
        webhook_deliver.send_with_options(args=(following.pk,), delay=schedule[delivery.attempt - 1] * 1000)
    return delivery
