"""Admin actions (retry, refund), output retention, the scheduler command."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from apps.billing.models import LedgerEntry
from apps.core.errors import ApplicationError
from apps.tasks.models import Task, TaskOutput, TaskStatus
from apps.tasks.services import sweep, task_refund, task_retry, task_submit
from tests.tasks.conftest import CHARGE_MICROS, FUNDS_MICROS, QUOTE_MICROS, balance, wait_finished

pytestmark = pytest.mark.django_db(transaction=True)
PARAMS = {"prompt": "a fox"}


def test_retry_creates_a_new_task_with_a_new_hold(funded, api_key, worker):
    failed = wait_finished(task_submit(api_key=api_key[0], model="test/failing", params=PARAMS).task.public_id)
    with pytest.raises(ApplicationError) as excinfo:
        task_retry(task=Task.objects.create(organization=funded, model_id="x", task_kind="chat",
                                            deadline_at=timezone.now(), status=TaskStatus.SUCCEEDED))
    assert excinfo.value.code == "task_not_retryable"

    retry = task_retry(task=failed)

    assert (retry.retry_of_id, retry.surface, retry.quote_micros) == (failed.pk, "admin_retry", QUOTE_MICROS)
    assert wait_finished(retry.public_id).status == TaskStatus.FAILED  # same failing route
    assert balance(funded).balance_micros == FUNDS_MICROS
    assert Task.objects.get(pk=failed.pk).status == TaskStatus.FAILED


def test_refund_credits_the_cost_once(funded, api_key, worker):
    task = wait_finished(task_submit(api_key=api_key[0], model="test/chat", params=PARAMS).task.public_id)
    first = task_refund(task=task)
    assert task_refund(task=task) == first
    assert balance(funded).balance_micros == FUNDS_MICROS
    assert LedgerEntry.objects.filter(kind="refund", idempotency_key=f"refund:{task.public_id}").count() == 1
    assert task.events.filter(message="refunded").count() == 1  # the timeline shows one refund


def test_refund_of_uncharged_task_is_refused(funded, api_key, broker):
    task = task_submit(api_key=api_key[0], model="test/chat", params=PARAMS).task
    with pytest.raises(ApplicationError) as excinfo:
        task_refund(task=task)
    assert excinfo.value.code == "task_not_refundable"


def test_sweep_purges_outputs_past_retention(funded, api_key, worker, api_client, settings):
    task = wait_finished(task_submit(api_key=api_key[0], model="test/image", params=PARAMS).task.public_id)
    output = task.outputs.get()
    url = api_client.get(f"/v1/tasks/{task.public_id}").json()["outputs"][0]["url"].replace("http://testserver", "")
    TaskOutput.objects.filter(pk=output.pk).update(
        created_at=timezone.now() - timedelta(days=settings.TOLLGATE_OUTPUT_RETENTION_DAYS + 1))

    assert sweep().purged == 1

    output.refresh_from_db()
    assert output.purged_at is not None
    assert not default_storage.exists(output.file.name)
    assert api_client.get(url).status_code == 410
    assert balance(funded).balance_micros == FUNDS_MICROS - CHARGE_MICROS


def test_run_scheduler_once_sends_one_sweep(broker, settings):
    from apps.core.redis import redis_client

    redis_client().delete(f"{settings.CACHE_KEY_PREFIX}:scheduler:sweep")
    call_command("run_scheduler", "--once")
    call_command("run_scheduler", "--once")  # the lock: a second scheduler sends nothing this interval
    assert broker.do_qsize("tasks") == 1


def test_admin_pages_render(funded, api_key, broker, client, user):
    user.is_staff = user.is_superuser = True
    user.save()
    client.force_login(user)
    task = task_submit(api_key=api_key[0], model="test/chat", params=PARAMS).task
    assert client.get("/admin/tasks/task/").status_code == 200
    assert client.get(f"/admin/tasks/task/{task.pk}/change/").status_code == 200
    assert client.get("/admin/tasks/ratelimitplan/add/").status_code == 200
