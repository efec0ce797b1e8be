"""Webhooks: Standard Webhooks signature, stable id across retries, retried on 500."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest

from apps.tasks.models import WebhookDelivery
from apps.tasks.services import task_submit, webhook_settings_get
from tests.tasks.conftest import wait_finished

pytestmark = pytest.mark.django_db(transaction=True)


def verify(secret: str, headers: dict, body: bytes) -> bool:
    """The receiver's side, written from the Standard Webhooks spec."""
    key = base64.b64decode(secret.split("_", 1)[1])
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.{body.decode()}".encode()
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(part.split(",", 1)[1] == expected for part in headers["webhook-signature"].split(" "))


def test_webhook_signed_and_retried_after_500(funded, api_key, worker, local_server, settings):
    settings.TOLLGATE_ALLOW_PRIVATE_URLS = True
    settings.TOLLGATE_WEBHOOK_RETRY_SCHEDULE_SECONDS = [0, 0]
    local_server.responder = lambda path, n: (500, {}, b"") if n == 1 else (200, {}, b"ok")
    task = task_submit(api_key=api_key[0], model="test/chat", params={"prompt": "hi"},
                       webhook_url=f"{local_server.url}/hook").task
    wait_finished(task.public_id)
    deadline = time.monotonic() + 10
    while not WebhookDelivery.objects.filter(task=task, status="succeeded").exists() and time.monotonic() < deadline:
        time.sleep(0.05)

    secret = webhook_settings_get(organization=funded).secret
    first, second = local_server.requests
    headers = [{k.lower(): v for k, v in r["headers"].items()} for r in (first, second)]
    assert all(verify(secret, h, r["body"]) for h, r in zip(headers, (first, second)))
    assert headers[0]["webhook-id"] == headers[1]["webhook-id"]
    body = json.loads(second["body"])
    assert (body["id"], body["status"], body["cost"]) == (task.public_id, "succeeded", "0.020000")
    rows = list(WebhookDelivery.objects.filter(task=task).values_list("attempt", "status", "response_code"))
    assert rows == [(1, "failed", 500), (2, "succeeded", 200)]


def test_organization_default_webhook_used_when_task_has_none(funded, api_key, worker, local_server, settings):
    settings.TOLLGATE_ALLOW_PRIVATE_URLS = True
    row = webhook_settings_get(organization=funded)
    row.url = f"{local_server.url}/org-hook"
    row.save()
    task = task_submit(api_key=api_key[0], model="test/failing", params={"prompt": "hi"}).task
    wait_finished(task.public_id)
    deadline = time.monotonic() + 10
    while not local_server.requests and time.monotonic() < deadline:
        time.sleep(0.05)
    assert json.loads(local_server.requests[0]["body"])["status"] == "failed"
    assert local_server.requests[0]["path"] == "/org-hook"
