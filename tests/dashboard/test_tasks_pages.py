from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from apps.tasks.models import TaskEvent, TaskOutput, WebhookDelivery

pytestmark = pytest.mark.django_db


def link(task) -> str:
    return f"/tasks/{task.public_id}/"


def test_task_list_empty_state(owner_client):
    response = owner_client.get("/tasks/")
    assert response.status_code == 200
    assert b"No tasks yet" in response.content


def test_task_list_shows_only_this_organizations_tasks(owner_client, organization, api_key, rival, make_task):
    mine = make_task(organization=organization, api_key=api_key[0])
    theirs = make_task(organization=rival[0], api_key=rival[2])
    body = owner_client.get("/tasks/").content.decode()
    assert link(mine) in body
    assert link(theirs) not in body
    assert "$0.00125" in body


def test_task_list_filters(owner_client, organization, api_key, second_key, make_task):
    failed = make_task(organization=organization, api_key=api_key[0], status="failed", cost_micros=None, model_id="openai/gpt-4")
    ok = make_task(organization=organization, api_key=second_key)
    by_status = owner_client.get("/tasks/?status=failed").content.decode()
    assert link(failed) in by_status and link(ok) not in by_status
    by_model = owner_client.get("/tasks/?model=openai/gpt-4").content.decode()
    assert link(failed) in by_model and link(ok) not in by_model
    by_key = owner_client.get(f"/tasks/?key={second_key.pk}").content.decode()
    assert link(ok) in by_key and link(failed) not in by_key
    tomorrow = (timezone.now() + timedelta(days=1)).date().isoformat()
    assert b"No tasks match" in owner_client.get(f"/tasks/?since={tomorrow}").content


def test_task_list_paginates_with_a_cursor(owner_client, organization, make_task):
    tasks = [make_task(organization=organization) for _ in range(23)]
    first = owner_client.get("/tasks/").content.decode()
    assert link(tasks[-1]) in first and link(tasks[0]) not in first
    assert "Older →" in first
    cursor = first.split("cursor=")[1].split('"')[0]
    second = owner_client.get(f"/tasks/?cursor={cursor}").content.decode()
    assert link(tasks[0]) in second and "Older →" not in second


def test_task_detail_shows_outputs_cost_timeline_webhooks_and_curl(owner_client, organization, api_key, make_task, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    task = make_task(organization=organization, api_key=api_key[0], params={"prompt": "a red fox"},
                     quote_lines=[{"item": "image", "quantity": "1", "unit": "image", "unit_price_micros": "3000", "per": 1, "amount_micros": 3000}],
                     usage={"images": 1}, webhook_url="https://hooks.example.com/x")
    TaskOutput.objects.create(task=task, index=0, kind="text", text="Once upon a time", mime_type="text/plain")
    image = TaskOutput(task=task, index=1, kind="image", mime_type="image/png", size_bytes=3)
    image.file.save("dash-test.png", ContentFile(b"png"), save=True)
    TaskOutput.objects.create(task=task, index=2, kind="audio", mime_type="audio/mpeg", file="tasks/x.mp3", size_bytes=3)
    TaskOutput.objects.create(task=task, index=3, kind="video", mime_type="video/mp4", file="tasks/x.mp4", size_bytes=3)
    TaskEvent.objects.create(task=task, status="running", message="started")
    WebhookDelivery.objects.create(task=task, webhook_id="wh_1", url="https://hooks.example.com/x", status="succeeded", response_code=204)
    response = owner_client.get(f"/tasks/{task.public_id}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Once upon a time" in body
    assert "<img src=" in body and "<audio controls" in body and "<video controls" in body
    assert "/v1/files/" in body  # signed output links
    assert "a red fox" in body and "$0.00125" in body and "$0.005" in body and "$0.00375" in body
    assert "started" in body and "204" in body
    assert f"/v1/tasks/{task.public_id}" in body


def test_running_task_shows_progress_and_polls(owner_client, organization, make_task):
    task = make_task(organization=organization, status="running", progress=40, cost_micros=None)
    body = owner_client.get(f"/tasks/{task.public_id}/").content.decode()
    assert 'data-active="true"' in body and "width:40%" in body and "task_status.js" in body
    status = owner_client.get(f"/tasks/{task.public_id}/status.json").json()
    assert status == {"id": task.public_id, "status": "running", "progress": 40, "finished": False, "cost": None}


def test_other_organizations_task_is_not_found(owner_client, rival, make_task):
    theirs = make_task(organization=rival[0], api_key=rival[2])
    for path in ("/", "/status.json", "/outputs/"):
        assert owner_client.get(f"/tasks/{theirs.public_id}{path}").status_code == 404


def test_members_see_tasks(member_client, organization, make_task):
    task = make_task(organization=organization)
    assert member_client.get(f"/tasks/{task.public_id}/").status_code == 200


def test_malformed_cursor_falls_back_to_the_first_page(owner_client):
    response = owner_client.get("/tasks/?cursor=not-a-cursor")
    assert response.status_code == 200
    assert b"cursor" in response.content.lower()


def test_task_list_day_filters_are_whole_utc_days(owner_client, organization, make_task):
    from datetime import datetime, timezone as dt_timezone

    from apps.tasks.models import Task

    late = make_task(organization=organization)  # the day's last microsecond, UTC
    Task.objects.filter(pk=late.pk).update(created_at=datetime(2026, 3, 9, 23, 59, 59, 999999, tzinfo=dt_timezone.utc))
    early = make_task(organization=organization)
    Task.objects.filter(pk=early.pk).update(created_at=datetime(2026, 3, 10, 0, 0, tzinfo=dt_timezone.utc))

    on_ninth = owner_client.get("/tasks/?since=2026-03-09&until=2026-03-09").content.decode()
    assert link(late) in on_ninth and link(early) not in on_ninth
    on_tenth = owner_client.get("/tasks/?since=2026-03-10&until=2026-03-10").content.decode()
    assert link(early) in on_tenth and link(late) not in on_tenth
