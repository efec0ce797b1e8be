"""The settle's two ways: the usual case sent with the COMMIT in one message, and the careful
path statement by statement when anything in that message was not as expected. Real commits
(transaction=True): on PostgreSQL the message itself is what runs."""
from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from apps.billing.models import EntryKind, Hold, LedgerEntry
from apps.billing.services import hold_release
from apps.providers.base import Output, ProviderResult, ResultState
from apps.tasks.models import Task, TaskOutput, TaskStatus
from apps.tasks.outputs import outputs_files_save
from apps.tasks.services import task_execute, task_submit
from apps.tasks.services.settle import task_settle_failure, task_settle_success
from apps.usage.models import UsageRecord
from tests.tasks.conftest import CHARGE_MICROS, FUNDS_MICROS, balance

pytestmark = pytest.mark.django_db(transaction=True)
CHAT = {"messages": [{"role": "user", "content": "Say hello"}], "max_tokens": 30}


@pytest.fixture
def commit_messages(monkeypatch):
    """The statements each commit carried (PostgreSQL's backend; SQLite runs them at once)."""
    sent: list[list[str]] = []
    if connection.vendor != "postgresql":
        return sent
    from apps.core.postgresql.base import DatabaseWrapper

    real = DatabaseWrapper._commit_with
    monkeypatch.setattr(DatabaseWrapper, "_commit_with",
                        lambda self, tail: sent.append([item.sql for item in tail]) or real(self, tail))
    return sent


def _running_task(api_key) -> Task:
    task = task_submit(api_key=api_key, model="test/chat", params=CHAT).task
    Task.objects.filter(pk=task.pk).update(status=TaskStatus.RUNNING, started_at=timezone.now())
    return Task.objects.select_related("organization", "api_key").get(pk=task.pk)


def _settle(task: Task, text: str = "hello") -> bool:
    result = ProviderResult(state=ResultState.SUCCEEDED, outputs=[Output(kind="text", text=text)],
                            usage={"input_tokens": 3, "output_tokens": 2})
    return task_settle_success(task=task, result=result, output_rows=outputs_files_save(task=task, outputs=result.outputs))


def _charged_once(task: Task, cost: int) -> None:
    task.refresh_from_db()
    assert (task.status, task.cost_micros) == (TaskStatus.SUCCEEDED, cost)
    assert UsageRecord.objects.get(task_id=task.public_id).cost_micros == cost
    assert Hold.objects.get(task_id=task.public_id).state in ("captured", "released")
    view = balance(task.organization)
    assert (view.balance_micros, view.held_micros) == (FUNDS_MICROS - cost, 0)


def test_usual_settle_goes_in_one_commit_message(funded, api_key, broker, commit_messages):
    task = _running_task(api_key[0])

    assert _settle(task) is True

    _charged_once(task, CHARGE_MICROS)
    assert list(TaskOutput.objects.filter(task=task).values_list("index", "text")) == [(0, "hello")]
    kinds = sorted(LedgerEntry.objects.filter(task_id=task.public_id).values_list("kind", flat=True))
    assert kinds == sorted([EntryKind.HOLD, EntryKind.CAPTURE, EntryKind.RELEASE])
    if connection.vendor == "postgresql":
        tables = " ".join(commit_messages[-1])
        for table in ("tasks_taskoutput", "tasks_task", "billing_hold", "usage_usagerecord", "billing_balance"):
            assert f'"{table}"' in tables


def _statement_of(trips: list[list[str]], first_table: str) -> str:
    """The one-statement transaction whose first CTE inserts into ``first_table``, as parsed."""
    found = [query for trip in trips for query in trip if query.startswith(f'WITH tail_0(key) AS (INSERT INTO "{first_table}"')]
    assert len(found) == 1, trips
    return found[0]


@pytest.mark.postgres
def test_usual_settle_and_submit_are_one_round_trip_each_on_postgresql(funded, api_key, broker, wire, settings):
    """On the wire: the settle's transaction is one statement, prepared at its first use on a
    connection and then one round trip; the submit's too (the catalog is cached by then, and the
    hold's terms are assumed, not read)."""
    settings.DATABASE_PREPARED_STATEMENTS = False  # each statement parsed where it is sent: its text is on the wire
    wire.start()
    task_submit(api_key=api_key[0], model="test/chat", params=CHAT)  # warms the process's caches
    statement = _statement_of(wire.round_trips(), "tasks_task")
    assert '"billing_hold"' in statement and 'UPDATE "billing_balance"' in statement
    assert statement.index('"billing_hold"') < statement.index('UPDATE "billing_balance"')  # the lock last
    assert '"monthly_budget_micros" IS NOT NULL' in statement and '"is_frozen"' in statement  # the terms checked
    settings.DATABASE_PREPARED_STATEMENTS = True
    task_submit(api_key=api_key[0], model="test/chat", params=CHAT)  # prepared on this connection
    wire.start()
    submitted = task_submit(api_key=api_key[0], model="test/chat", params=CHAT).task

    trips = wire.round_trips(prepares=False)  # the hold's terms assumed, not read: checked by the statement
    assert len(trips) == 1 and len(trips[0]) == 1 and trips[0][0].startswith("EXECUTE _pg3_"), trips
    assert submitted.pk is not None and Task.objects.get(pk=submitted.pk).public_id == submitted.public_id

    from apps.tasks.services.running import _TASK_TO_RUN

    first = _TASK_TO_RUN.get(public_id=_running_task(api_key[0]).public_id)  # as the worker reads it
    task = _TASK_TO_RUN.get(public_id=_running_task(api_key[0]).public_id)
    settings.DATABASE_PREPARED_STATEMENTS = False
    wire.start()
    assert _settle(first) is True
    statement = _statement_of(wire.round_trips(), "tasks_taskoutput")
    settings.DATABASE_PREPARED_STATEMENTS = True
    assert _settle(_TASK_TO_RUN.get(public_id=_running_task(api_key[0]).public_id)) is True  # prepared
    for part in ('UPDATE "tasks_task"', '"usage_usagerecord"', 'UPDATE "billing_hold"', '"billing_ledgerentry"',
                 'UPDATE "billing_balance"', 'INSERT INTO "usage_usagedaily"'):
        assert part in statement
    wire.start()

    assert _settle(task) is True

    trips = wire.round_trips(prepares=False)
    assert len(trips) == 1 and len(trips[0]) == 1 and trips[0][0].startswith("EXECUTE _pg3_"), trips
    task.refresh_from_db()
    assert (task.status, task.cost_micros) == (TaskStatus.SUCCEEDED, CHARGE_MICROS)
    assert Hold.objects.get(task_id=task.public_id).state == "captured"


def test_outputs_kept_from_an_earlier_attempt_fail_the_message_and_are_overwritten(funded, api_key, broker):
    task = _running_task(api_key[0])
    TaskOutput.objects.create(task=task, index=0, kind="text", text="from a run whose settle lost", size_bytes=5)

    assert _settle(task, text="the answer") is True

    _charged_once(task, CHARGE_MICROS)
    assert list(TaskOutput.objects.filter(task=task).values_list("index", "text")) == [(0, "the answer")]


def test_a_hold_resolved_otherwise_is_recorded_as_billing_says(funded, api_key, broker):
    task = _running_task(api_key[0])
    hold_release(task_id=task.public_id, reason="staff released it")

    assert _settle(task) is True

    _charged_once(task, 0)  # nothing was captured: the task and its usage record say so
    assert Hold.objects.get(task_id=task.public_id).state == "released"


def test_a_task_finished_meanwhile_is_not_settled_or_charged(funded, api_key, broker):
    task = _running_task(api_key[0])
    assert task_settle_failure(task=task, code="canceled", message="Canceled by the user.", status=TaskStatus.CANCELED)

    assert _settle(task) is False

    task.refresh_from_db()
    assert task.status == TaskStatus.CANCELED
    assert not UsageRecord.objects.filter(task_id=task.public_id).exists()
    assert not LedgerEntry.objects.filter(task_id=task.public_id, kind=EntryKind.CAPTURE).exists()
    view = balance(task.organization)
    assert (view.balance_micros, view.held_micros) == (FUNDS_MICROS, 0)  # the cancel released the hold


class _NulAdapter:
    """A provider whose answer holds NUL characters (PostgreSQL refuses them in text and JSON)."""

    def __init__(self, fail: bool = False):
        self.fail = fail

    def run(self, request, http, on_chunk=None):
        from apps.providers.base import ProviderError

        if self.fail:
            raise ProviderError("refused: bad\x00input", code="provider_invalid_request", status=400)
        return ProviderResult(state=ResultState.SUCCEEDED, provider_request_id="req\x00id",
                              outputs=[Output(kind="text", text="hel\x00lo", meta={"finish_reason": "st\x00op"})],
                              usage={"input_tokens": 3, "output_tokens": 2, "note": "a\x00b"})


def test_a_provider_answer_holding_nul_is_stored_and_charged_once(funded, api_key, broker, adapter_as):
    # The settle failed on PostgreSQL (a DataError), and the message was retried: the provider paid again.
    adapter_as(_NulAdapter())
    task = task_submit(api_key=api_key[0], model="test/chat", params=CHAT).task

    assert task_execute(task_id=task.public_id) == "succeeded"

    _charged_once(task, CHARGE_MICROS)
    task.refresh_from_db()
    assert task.outputs.get().text == "hel\ufffdlo"
    assert task.usage["note"] == "a\ufffdb" and task.provider_request_id == "req\ufffdid"


def test_a_provider_error_holding_nul_fails_the_task_and_releases_the_hold(funded, api_key, broker, adapter_as):
    adapter_as(_NulAdapter(fail=True))
    task = task_submit(api_key=api_key[0], model="test/chat", params=CHAT).task

    assert task_execute(task_id=task.public_id) == "failed"

    task.refresh_from_db()
    assert task.status == TaskStatus.FAILED and task.error_message == "refused: bad\ufffdinput"
    assert Hold.objects.get(task_id=task.public_id).state == "released"
    assert (balance(task.organization).balance_micros, balance(task.organization).held_micros) == (FUNDS_MICROS, 0)
