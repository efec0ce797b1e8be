"""The native Tasks API (seed 002) and the rate-limit middleware."""
from __future__ import annotations

import time

import pytest
from rest_framework.test import APIClient

from apps.tasks.models import Task, TaskStatus
from apps.tasks.ratelimit import RATE_LIMIT_EXCEEDED
from tests.tasks.conftest import FUNDS_MICROS, balance

pytestmark = pytest.mark.django_db(transaction=True)


def _create(client, headers=None, **extra):
    return client.post("/v1/tasks", {"model": "test/chat", "input": {"prompt": "hi"}, **extra}, format="json",
                       **(headers or {}))


@pytest.mark.ledger_corrupted  # forces a task to "failed" with a raw update, skipping its hold release
def test_create_get_list_and_cancel(funded, api_client, broker):
    created = _create(api_client)
    assert created.status_code == 202
    body = created.json()
    assert (body["object"], body["status"], body["model"], body["quote"]) == ("task", "queued", "test/chat", "0.050000")

    detail = api_client.get(f"/v1/tasks/{body['id']}").json()
    assert (detail["id"], detail["progress"], detail["cost"], detail["outputs"]) == (body["id"], 0, None, [])

    second = api_client.post("/v1/tasks", {"model": "test/chat", "prompt": "top-level"}, format="json").json()
    page = api_client.get("/v1/tasks", {"limit": 1}).json()
    assert [t["id"] for t in page["data"]] == [second["id"]]
    assert page["has_more"] is True
    rest = api_client.get("/v1/tasks", {"limit": 1, "cursor": page["next_cursor"]}).json()
    assert [t["id"] for t in rest["data"]] == [body["id"]]
    assert Task.objects.get(public_id=second["id"]).params == {"prompt": "top-level"}

    canceled = api_client.post(f"/v1/tasks/{body['id']}/cancel")
    assert (canceled.status_code, canceled.json()["status"]) == (200, "canceled")
    again = api_client.post(f"/v1/tasks/{body['id']}/cancel")
    assert again.status_code == 200
    Task.objects.filter(public_id=second["id"]).update(status=TaskStatus.FAILED)
    refused = api_client.post(f"/v1/tasks/{second['id']}/cancel")
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "task_not_cancelable")


def test_dry_run_returns_quote_and_touches_nothing(funded, api_client, broker):
    response = _create(api_client, dry_run=True)
    assert response.status_code == 200
    body = response.json()
    assert (body["object"], body["amount"], body["currency"]) == ("quote", "0.050000", "USD")
    assert body["breakdown"] == [{"item": "request", "quantity": "1", "unit": "request", "unit_price": "0.05",
                                  "per": 1, "amount": "0.050000"}]
    assert Task.objects.count() == 0
    assert balance(funded).held_micros == 0


def test_idempotent_replay_header_and_422(funded, api_client, broker):
    first = _create(api_client, {"HTTP_IDEMPOTENCY_KEY": "abc"})
    again = _create(api_client, {"HTTP_IDEMPOTENCY_KEY": "abc"})
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    other = api_client.post("/v1/tasks", {"model": "test/chat", "input": {"prompt": "x"}}, format="json",
                            HTTP_IDEMPOTENCY_KEY="abc")
    assert (other.status_code, other.json()["error"]["code"]) == (422, "idempotency_key_reused")


def test_insufficient_credit_is_402(organization, api_client, broker):
    response = _create(api_client)
    assert response.status_code == 402
    assert response.json()["error"]["type"] == "insufficient_credits_error"
    assert Task.objects.count() == 0


def test_other_organization_gets_404_for_get_and_cancel(funded, api_client, other_organization, broker):
    task_id = _create(api_client).json()["id"]
    rival = APIClient()
    rival.credentials(HTTP_AUTHORIZATION=f"Bearer {other_organization[1]}")
    for response in (rival.get(f"/v1/tasks/{task_id}"), rival.post(f"/v1/tasks/{task_id}/cancel")):
        assert response.status_code == 404
        assert response.json()["error"] == {"message": f"Task not found: {task_id}", "type": "not_found_error",
                                            "code": "task_not_found", "param": "task_id"}
    assert rival.get("/v1/tasks").json()["data"] == []
    assert Task.objects.get(public_id=task_id).status == TaskStatus.QUEUED
    assert balance(funded).held_micros == 50_000


def test_simulated_header_on_get(funded, api_client, broker):
    task_id = _create(api_client).json()["id"]
    Task.objects.filter(public_id=task_id).update(simulated=True)
    assert api_client.get(f"/v1/tasks/{task_id}")["X-Tollgate-Simulated"] == "true"


def test_multipart_upload(funded, api_client, broker):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = api_client.post("/v1/tasks", {"model": "test/edit", "prompt": "x",
                                             "image": SimpleUploadedFile("a.png", b"png", content_type="image/png")},
                               format="multipart")
    assert response.status_code == 202
    assert list(Task.objects.get(public_id=response.json()["id"]).input_files) == ["image"]


def test_rate_limit_headers_429_and_ban(funded, api_client, broker, settings):
    settings.TOLLGATE_RATE_LIMIT_ENABLED = True
    settings.TOLLGATE_RATE_LIMIT_POLLING_PER_SECOND = 2
    settings.TOLLGATE_RATE_LIMIT_BAN_AFTER_VIOLATIONS = 2
    time.sleep(1 - time.time() % 1)  # start at the beginning of a one-second window
    first = api_client.get("/v1/tasks")
    assert (first["X-RateLimit-Limit"], first["X-RateLimit-Remaining"]) == ("2", "1")
    assert int(first["X-RateLimit-Reset"]) >= int(time.time())
    api_client.get("/v1/tasks")
    limited = api_client.get("/v1/tasks")
    assert limited.status_code == 429
    error = limited.json()["error"]
    assert (error["type"], error["code"]) == ("rate_limit_error", "rate_limit_exceeded")
    assert error["message"].startswith(RATE_LIMIT_EXCEEDED.split("{")[0])
    assert int(limited["Retry-After"]) >= 1
    banned = api_client.get("/v1/tasks")  # second violation within a minute: banned
    assert banned.status_code == 429
    assert int(banned["Retry-After"]) == 60
    time.sleep(1.1)
    assert api_client.get("/v1/tasks").status_code == 429  # the ban outlives the window
    assert _create(api_client).status_code == 202  # generation has its own budget


def test_rate_limit_is_per_organization_across_keys(funded, api_key, user, broker, settings):
    from apps.accounts.services import api_key_create

    settings.TOLLGATE_RATE_LIMIT_ENABLED = True
    settings.TOLLGATE_RATE_LIMIT_GENERATION_PER_SECOND = 1
    second_key = api_key_create(organization=funded, name="second", created_by=user).secret
    time.sleep(1 - time.time() % 1)
    first = APIClient()
    first.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key[1]}")
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {second_key}")
    assert _create(first).status_code == 202
    assert _create(other).status_code == 429
    assert Task.objects.count() == 1
    assert balance(funded).balance_micros == FUNDS_MICROS


@pytest.mark.django_db(transaction=True)
def test_async_views_reuse_the_authentication_done_beside_the_rate_limit(api_key, settings, monkeypatch):
    """Under ASGI the rate-limit thread also authenticates the key; the view then takes no
    thread for it. A revoked key is still refused with 401 by the view."""
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient
    from apps.accounts.authentication import REVOKED_KEY
    from apps.accounts.services import api_key_revoke
    from apps.tasks.surfaces import auth

    settings.TOLLGATE_RATE_LIMIT_ENABLED = True
    calls = []
    real = auth._authenticate_with_organization
    monkeypatch.setattr(auth, "_authenticate_with_organization", lambda *a: calls.append(a[0]) or real(*a))
    client = AsyncClient()
    headers = {"Authorization": f"Bearer {api_key[1]}"}

    response = async_to_sync(client.get)("/check", headers=headers)
    assert response.status_code == 200, response.content
    assert len(calls) == 1
    assert response["X-RateLimit-Limit"]

    api_key_revoke(api_key=api_key[0])
    response = async_to_sync(client.get)("/check", headers=headers)
    assert response.status_code == 401 and response.json()["error"]["message"] == REVOKED_KEY


@pytest.mark.django_db(transaction=True)
def test_the_rate_limit_thread_gives_its_connection_back(api_key, settings):
    """A key or plan read from the database beside the rate limit must not keep the pooled
    connection while the request goes on to wait (for a submit slot, a task): under a burst on a
    cold process those waiting requests held the whole pool and the others timed out."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import RequestFactory

    from apps.tasks.ratelimit import _check_then_authenticate

    settings.TOLLGATE_RATE_LIMIT_ENABLED = True
    cache.clear()  # nothing cached: the key and the plan come from the database
    request = RequestFactory().get("/check", HTTP_AUTHORIZATION=f"Bearer {api_key[1]}")

    verdict = _check_then_authenticate(request)

    assert verdict is not None and verdict.retry_after is None
    assert connection.connection is None
