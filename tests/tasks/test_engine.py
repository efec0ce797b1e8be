"""The life of a task through a real Dramatiq worker (in-process, Redis broker)."""
from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.tasks.actors import task_run
from apps.tasks.models import Task, TaskStatus
from apps.tasks.services import sweep, task_cancel, task_execute, task_submit
from apps.tasks.streaming import stream_cursor, task_stream_events
from apps.usage.models import UsageRecord
from apps.tasks.selectors import task_timeline
from tests.tasks.conftest import CHARGE_MICROS, FUNDS_MICROS, balance, wait_finished
from tests.workers import running_worker

pytestmark = pytest.mark.django_db(transaction=True)
CHAT = {"messages": [{"role": "user", "content": "Say hello"}], "max_tokens": 30}


def test_chat_task_succeeds_and_is_charged_once(funded, api_key, worker):
    task = task_submit(api_key=api_key[0], model="test/chat", params=CHAT).task
    assert task.status == TaskStatus.QUEUED
    assert balance(funded).held_micros == 50_000

    task = wait_finished(task.public_id)

    assert task.status == TaskStatus.SUCCEEDED
    assert task.progress == 100
    assert task.cost_micros == CHARGE_MICROS
    assert task.simulated is True
    assert task.outputs.get().text
    assert [e.status for e in task_timeline(task=task) if e.status] == ["queued", "running", "succeeded"]
    view = balance(funded)
    assert (view.balance_micros, view.held_micros) == (FUNDS_MICROS - CHARGE_MICROS, 0)
    assert UsageRecord.objects.get(task_id=task.public_id).cost_micros == CHARGE_MICROS


def test_streamed_chat_deltas_equal_final_text(funded, api_key, worker):
    task = task_submit(api_key=api_key[0], model="test/chat", params=CHAT, stream=True).task

    async def collect():
        return [event async for event in task_stream_events(task_id=task.public_id)]

    events = asyncio.run(collect())

    text = "".join(e.data["text"] for e in events if e.event == "delta")
    assert events[-1].event == "done"
    assert events[-1].data["usage"]["output_tokens"] > 0
    task = wait_finished(task.public_id)
    assert text == task.outputs.get().text
    resumed = asyncio.run(_collect_from(task.public_id, events[1].id))
    assert [e.id for e in resumed] == [e.id for e in events[2:]]


async def _collect_from(task_id, last_event_id):
    return [event async for event in task_stream_events(task_id=task_id, last_event_id=last_event_id)]


def test_image_task_stores_png_served_by_signed_url(funded, api_key, api_client, worker, settings):
    task = task_submit(api_key=api_key[0], model="test/image", params={"prompt": "a red fox"}).task
    task = wait_finished(task.public_id)
    output = task.outputs.get()
    assert output.file.name == f"tasks/{funded.public_id}/{task.public_id}/0.png"

    body = api_client.get(f"/v1/tasks/{task.public_id}").json()
    url = body["outputs"][0]["url"]
    response = api_client.get(url.replace("http://testserver", ""))
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:8] == b"\x89PNG\r\n\x1a\n"

    settings.TOLLGATE_OUTPUT_URL_TTL_SECONDS = -1
    expired = api_client.get(url.replace("http://testserver", ""))
    assert expired.status_code == 410
    assert expired.json()["error"]["code"] == "link_expired"
    assert api_client.get("/v1/files/not-a-token").status_code == 404


def test_video_task_polls_through_delayed_messages(funded, api_key, worker):
    task = task_submit(api_key=api_key[0], model="test/video", params={"prompt": "waves", "duration": 5}).task
    task = wait_finished(task.public_id, timeout=30)
    assert task.status == TaskStatus.SUCCEEDED
    assert task.provider_job["job_id"]
    assert task.outputs.get().mime_type == "video/mp4"
    assert task.events.filter(message="provider job submitted").count() == 1
    assert balance(funded).balance_micros == FUNDS_MICROS - CHARGE_MICROS


def test_failing_provider_releases_hold_and_charges_nothing(funded, api_key, worker):
    task = task_submit(api_key=api_key[0], model="test/failing", params=CHAT).task
    task = wait_finished(task.public_id)
    assert task.status == TaskStatus.FAILED
    assert task.error_code == "provider_bad_response"
    view = balance(funded)
    assert (view.balance_micros, view.held_micros) == (FUNDS_MICROS, 0)
    assert not UsageRecord.objects.filter(task_id=task.public_id).exists()


def test_retryable_failure_fails_over_to_next_route(funded, api_key, worker, catalog):
    task = task_submit(api_key=api_key[0], model="test/failover", params=CHAT).task
    task = wait_finished(task.public_id)
    assert task.status == TaskStatus.SUCCEEDED
    assert task.route_pk == 102
    assert [(pk, ok) for pk, ok, _ in catalog.health] == [(101, False), (102, True)]


def test_retries_exhausted_fail_the_task(funded, api_key, worker):
    task = task_submit(api_key=api_key[0], model="test/flaky", params=CHAT).task
    task = wait_finished(task.public_id)
    assert task.status == TaskStatus.FAILED
    assert task.attempts == 2  # first try + TOLLGATE_TASK_MAX_RETRIES (1)
    assert balance(funded).balance_micros == FUNDS_MICROS


def test_redelivered_message_settles_once(funded, api_key, worker, broker):
    task = task_submit(api_key=api_key[0], model="test/chat", params=CHAT).task
    wait_finished(task.public_id)
    task_run.send(task.public_id)
    task_run.send(task.public_id)
    broker.join("tasks")
    worker.join()
    assert task_execute(task_id=task.public_id) == "finished"
    assert balance(funded).balance_micros == FUNDS_MICROS - CHARGE_MICROS
    assert UsageRecord.objects.filter(task_id=task.public_id).count() == 1
    assert [e.status for e in task_timeline(task=Task.objects.get(pk=task.pk))].count("succeeded") == 1


def test_cancel_releases_hold_and_finished_task_is_not_cancelable(funded, api_key, broker):
    task = task_submit(api_key=api_key[0], model="test/chat", params=CHAT).task  # no worker: stays queued
    canceled = task_cancel(organization=funded, task_id=task.public_id)
    assert canceled.status == TaskStatus.CANCELED
    assert balance(funded).held_micros == 0
    assert task_execute(task_id=task.public_id) == "finished"
    assert balance(funded).balance_micros == FUNDS_MICROS

    Task.objects.filter(pk=task.pk).update(status=TaskStatus.SUCCEEDED)
    with pytest.raises(Exception) as excinfo:
        task_cancel(organization=funded, task_id=task.public_id)
    assert excinfo.value.code == "task_not_cancelable"
    assert excinfo.value.status == 409


def test_cancel_while_running_discards_result(funded, api_key, worker):
    task = task_submit(api_key=api_key[0], model="test/slow", params=CHAT).task
    deadline = time.monotonic() + 10
    while Task.objects.get(pk=task.pk).status != TaskStatus.RUNNING and time.monotonic() < deadline:
        time.sleep(0.02)
    task_cancel(organization=funded, task_id=task.public_id)
    time.sleep(2.0)  # the provider call finishes; its CAS to succeeded must fail
    task.refresh_from_db()
    assert task.status == TaskStatus.CANCELED
    assert balance(funded).balance_micros == FUNDS_MICROS
    assert not UsageRecord.objects.filter(task_id=task.public_id).exists()


def test_sweep_resends_a_lost_message(funded, api_key, broker, settings):
    task = task_submit(api_key=api_key[0], model="test/chat", params=CHAT).task
    broker.flush_all()  # the on-commit message is lost
    stale = timezone.now() - timedelta(seconds=settings.TOLLGATE_TASK_STALE_SECONDS + 5)
    Task.objects.filter(pk=task.pk).update(updated_at=stale)

    report = sweep()

    assert report.resent == 1
    assert sweep().resent == 0  # touched: not re-sent by the next sweep
    with running_worker(broker, worker_timeout=100, worker_threads=2):
        assert wait_finished(task.public_id).status == TaskStatus.SUCCEEDED


def test_sweep_expires_tasks_past_deadline(funded, api_key, broker):
    task = task_submit(api_key=api_key[0], model="test/chat", params=CHAT).task
    Task.objects.filter(pk=task.pk).update(deadline_at=timezone.now() - timedelta(seconds=1))
    assert sweep().expired == 1
    task.refresh_from_db()
    assert (task.status, task.error_code) == (TaskStatus.EXPIRED, "task_expired")
    assert balance(funded).held_micros == 0


@pytest.mark.parametrize("hinted", [False, True], ids=["message-without-organization", "message-with-organization"])
def test_organization_at_concurrency_cap_defers(funded, api_key, broker, settings, hinted):
    settings.TOLLGATE_MAX_RUNNING_TASKS = 1
    first = task_submit(api_key=api_key[0], model="test/chat", params=CHAT).task
    second = task_submit(api_key=api_key[0], model="test/chat", params=CHAT).task
    Task.objects.filter(pk=first.pk).update(status=TaskStatus.RUNNING)
    hint = {"organization_id": funded.pk} if hinted else {}
    assert task_execute(task_id=second.public_id, **hint) == "deferred"
    assert Task.objects.get(pk=second.pk).status == TaskStatus.QUEUED
    Task.objects.filter(pk=first.pk).update(status=TaskStatus.QUEUED)  # room again
    assert task_execute(task_id=second.public_id, **hint) == "succeeded"


@pytest.mark.postgres
def test_a_run_message_naming_the_organization_reads_and_claims_in_one_round_trip(funded, api_key, broker, wire):
    """The task's read and its claim are one statement; with the settle's one statement, a task
    costs the worker two round trips to PostgreSQL."""
    warm = task_submit(api_key=api_key[0], model="test/chat", params=CHAT).task
    assert task_execute(task_id=warm.public_id, organization_id=funded.pk) == "succeeded"  # caches warm
    task = task_submit(api_key=api_key[0], model="test/chat", params=CHAT).task
    wire.start()

    assert task_execute(task_id=task.public_id, organization_id=funded.pk) == "succeeded"

    trips = wire.round_trips(prepares=False)  # on a pooled connection that had not run them yet, prepares too
    assert len(trips) == 2, trips
    assert trips[0][0].startswith(("WITH claimed AS (UPDATE", "EXECUTE _pg3_")), trips
    assert trips[1][0].startswith("EXECUTE _pg3_"), trips  # the settle
    task.refresh_from_db()
    assert task.status == TaskStatus.SUCCEEDED and task.started_at is not None


def test_a_run_message_naming_another_organization_claims_nothing_wrongly(funded, api_key, broker, settings):
    """The hint only chooses the cap checked in the same statement as the read: a task of
    another organization is not claimed under it, and is then claimed under its own."""
    settings.TOLLGATE_MAX_RUNNING_TASKS = 1
    other = organization_other(funded)
    task = task_submit(api_key=api_key[0], model="test/chat", params=CHAT).task
    assert task_execute(task_id=task.public_id, organization_id=other.pk) == "succeeded"
    assert Task.objects.get(pk=task.pk).status == TaskStatus.SUCCEEDED


def test_claim_counts_only_this_organizations_running_tasks_and_stamps_times(funded, api_key, broker, settings):
    from apps.tasks.services.running import _claim

    settings.TOLLGATE_MAX_RUNNING_TASKS = 2
    running = task_submit(api_key=api_key[0], model="test/chat", params=CHAT).task
    queued = task_submit(api_key=api_key[0], model="test/chat", params=CHAT).task
    Task.objects.filter(pk=running.pk).update(status=TaskStatus.RUNNING)
    other = Task.objects.get(pk=running.pk)
    other.pk, other.public_id, other.organization = None, "task_other_org", organization_other(funded)
    other.save()  # a running task of another organization does not count against this one's cap
    before = timezone.now()

    assert _claim(queued) is True
    stored = Task.objects.get(pk=queued.pk)
    assert stored.status == TaskStatus.RUNNING and before <= stored.started_at <= timezone.now()
    assert (stored.started_at, stored.lease_until) == (queued.started_at, queued.lease_until)
    assert stored.lease_until - stored.started_at == timedelta(seconds=settings.TOLLGATE_TASK_TIME_LIMIT_SECONDS)
    third = task_submit(api_key=api_key[0], model="test/chat", params=CHAT).task
    assert _claim(third) is False  # two running now: at the cap
    assert _claim(Task.objects.get(pk=queued.pk)) is False  # claimed with a live lease: not again


def organization_other(organization):
    from apps.accounts.models import Organization

    return Organization.objects.create(name="Other")


@pytest.mark.parametrize("given, cursor", [(None, None), ("", None), ("1733000000000-5", "1733000000000-5"),
                                           (" 1733000000000 ", "1733000000000"), ("0-0", "0-0")])
def test_a_last_event_id_becomes_a_stream_cursor(given, cursor):
    assert stream_cursor(given) == cursor


@pytest.mark.parametrize("given", ["garbage", "1-2-3", "-1", "1-", "18446744073709551616-0", "0-18446744073709551616",
                                   "\u0661\u0662-0"])  # Arabic-Indic digits: int() reads them, Redis does not
def test_a_last_event_id_no_stream_could_give_is_refused(given):
    # Redis refuses these in XREAD: the stream broke after its headers, its task already billed.
    with pytest.raises(ValueError):
        stream_cursor(given)


class _Raising:
    """An adapter whose call raises something other than a ProviderError."""

    def __init__(self, error: Exception):
        self.error, self.calls = error, 0

    def run(self, request, http, on_chunk=None):
        self.calls += 1
        raise self.error


def test_an_adapter_that_cannot_read_the_reply_fails_the_task_at_once(funded, api_key, broker, adapter_as, caplog):
    # It went back to Dramatiq, whose retries called the provider again until the task's deadline.
    adapter = _Raising(KeyError("choices"))
    adapter_as(adapter)
    task = task_submit(api_key=api_key[0], model="test/chat", params=CHAT).task

    assert task_execute(task_id=task.public_id) == "failed"

    task.refresh_from_db()
    assert (task.status, task.error_code) == (TaskStatus.FAILED, "provider_bad_response")
    assert adapter.calls == 1
    assert balance(funded).balance_micros == FUNDS_MICROS and balance(funded).held_micros == 0
    assert any(record.exc_info and "KeyError" in repr(record.exc_info[1]) for record in caplog.records)


def test_an_httpx_error_the_adapter_did_not_map_is_retried_like_a_connection_error(funded, api_key, broker, adapter_as):
    import dramatiq
    import httpx

    adapter = _Raising(httpx.ReadError("connection reset mid-body"))
    adapter_as(adapter)
    task = task_submit(api_key=api_key[0], model="test/chat", params=CHAT).task

    with pytest.raises(dramatiq.Retry):  # TOLLGATE_TASK_MAX_RETRIES is 1 here
        task_execute(task_id=task.public_id)
    assert task_execute(task_id=task.public_id) == "failed"

    task.refresh_from_db()
    assert (task.status, task.error_code, task.attempts) == (TaskStatus.FAILED, "provider_unreachable", 2)
    assert adapter.calls == 2
    assert balance(funded).held_micros == 0


def test_an_unreadable_poll_reply_is_asked_again_not_failed(funded, api_key, broker, adapter_as):
    # The provider is running (and charging for) the job: one garbled status reply must not abandon it.
    import dramatiq

    class _JobAdapter(_Raising):
        def poll(self, request, job, http):
            self.calls += 1
            raise self.error

    adapter = _JobAdapter(ValueError("Expecting value: line 1 column 1"))
    adapter_as(adapter)
    task = task_submit(api_key=api_key[0], model="test/chat", params=CHAT).task
    Task.objects.filter(pk=task.pk).update(provider_job={"id": "job_1"}, provider_family="simulated")

    with pytest.raises(dramatiq.Retry):
        task_execute(task_id=task.public_id, poll=True)

    task.refresh_from_db()
    assert task.status == TaskStatus.RUNNING and task.attempts == 1 and adapter.calls == 1
