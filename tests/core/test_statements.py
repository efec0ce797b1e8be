"""apps.core.statements: hand-built statements must write and read exactly what the ORM would,
on SQLite and on PostgreSQL (server-side binding, prepared at first use)."""
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.billing.models import Hold, HoldState
from apps.core import statements
from apps.tasks.models import OrganizationWebhookSettings, Task, TaskOutput, TaskStatus
from tests.conftest import is_postgres

BIG = 5_000_000_000  # above 2**31: must stay exact in values and in conditions


def _task(organization, api_key=None, **fields) -> Task:
    task = Task(organization=organization, api_key=api_key, model_id="openai/gpt-4", task_kind="chat",
                params={"messages": [{"role": "user", "content": "é ✓"}], "n": 1}, quote_micros=BIG,
                deadline_at=timezone.now() + timedelta(hours=1), quote_lines=[{"amount": "1.5"}], **fields)
    statements.insert([task])
    return task


def test_insert_writes_what_the_orm_reads_back(organization, api_key):
    task = _task(organization, api_key[0], webhook_url="https://example.com/hook")

    assert task.pk is not None and not task._state.adding
    stored = Task.objects.get(pk=task.pk)
    assert stored.public_id == task.public_id and stored.public_id.startswith("task_")
    assert stored.params == {"messages": [{"role": "user", "content": "é ✓"}], "n": 1}
    assert stored.quote_lines == [{"amount": "1.5"}] and stored.provider_job is None
    assert stored.quote_micros == BIG and stored.status == TaskStatus.QUEUED
    assert stored.created_at == task.created_at and stored.created_at.tzinfo is not None  # auto_now_add applied
    assert stored.api_key_id == api_key[0].pk and stored.organization_id == organization.pk


def test_insert_many_rows_sets_each_key_in_order(organization):
    tasks = [Task(organization=organization, model_id=f"m/{i}", task_kind="chat", deadline_at=timezone.now())
             for i in range(3)]
    statements.insert(tasks)

    assert [Task.objects.get(pk=t.pk).model_id for t in tasks] == ["m/0", "m/1", "m/2"]


def test_upsert_updates_the_existing_row_and_keeps_its_key(organization):
    task = _task(organization)
    first = TaskOutput(task=task, index=0, kind="text", mime_type="text/plain", text="one", size_bytes=3)
    statements.insert([first], conflict=(["task", "index"], ["text", "size_bytes", "updated_at"]))
    again = TaskOutput(task=task, index=0, kind="text", mime_type="text/plain", text="three", size_bytes=5)
    statements.insert([again], conflict=(["task", "index"], ["text", "size_bytes", "updated_at"]))

    assert again.pk == first.pk
    assert list(TaskOutput.objects.filter(task=task).values_list("text", "size_bytes")) == [("three", 5)]


def test_insert_refuses_saved_or_mixed_instances(organization):
    task = _task(organization)
    with pytest.raises(ValueError):
        statements.insert([task])


def test_a_duplicate_is_djangos_integrity_error_and_the_transaction_survives_its_savepoint(organization):
    task = _task(organization)
    duplicate = Task(organization=organization, model_id="x", task_kind="chat", deadline_at=timezone.now(),
                     public_id=task.public_id)
    with pytest.raises(IntegrityError):
        with transaction.atomic():
            statements.insert([duplicate])
    assert Task.objects.filter(public_id=task.public_id).count() == 1


@pytest.mark.ledger_corrupted  # a bare hold row without its entries: the statement is under test, not billing
def test_update_matches_every_condition_including_null_and_in(organization, api_key):
    hold = Hold(organization=organization, api_key=None, task_id="t1", amount_micros=BIG)
    statements.insert([hold])
    where = {"task_id": "t1", "state": HoldState.OPEN, "amount_micros": BIG, "organization_id": organization.pk}

    # Each wrong fact matches nothing: the key (NULL here), the amount, the state.
    assert statements.update(Hold, where={**where, "api_key_id": api_key[0].pk}, values={"state": "captured"}) == 0
    assert statements.update(Hold, where={**where, "amount_micros": BIG + 1, "api_key_id": None},
                             values={"state": "captured"}) == 0
    assert statements.update(Hold, where={**where, "state__in": ["captured", "released"], "api_key_id": None},
                             values={"state": "captured"}) == 0
    resolved = timezone.now()
    assert statements.update(Hold, where={**where, "api_key_id": None},
                             values={"state": HoldState.CAPTURED, "captured_micros": BIG - 7, "resolved_at": resolved}) == 1
    hold.refresh_from_db()
    assert (hold.state, hold.captured_micros, hold.resolved_at) == (HoldState.CAPTURED, BIG - 7, resolved)


def test_update_by_pk_with_json_values(organization):
    task = _task(organization)
    assert statements.update(Task, where={"pk": task.pk, "status__in": [TaskStatus.QUEUED, TaskStatus.RUNNING]},
                             values={"status": TaskStatus.SUCCEEDED, "usage": {"output_tokens": 3},
                                     "provider_job": None}) == 1
    task.refresh_from_db()
    assert (task.status, task.usage, task.provider_job) == (TaskStatus.SUCCEEDED, {"output_tokens": 3}, None)


def test_compiled_select_builds_the_instance_and_its_related_rows(organization, api_key):
    OrganizationWebhookSettings.objects.create(organization=organization, url="https://example.com/default")
    task = _task(organization, api_key[0])
    select = statements.CompiledSelect(
        lambda public_id: Task.objects.select_related("organization__webhook_settings", "api_key").filter(
            public_id=public_id), "public_id")

    for _ in range(2):  # compiled on the first call, reused on the second
        found = select.get(public_id=task.public_id)
        assert found.pk == task.pk and found.params == task.params and found.deadline_at == task.deadline_at
        with _no_queries():  # related rows came with it
            assert found.organization.webhook_settings.url == "https://example.com/default"
            assert found.api_key.pk == api_key[0].pk
    assert select.get(public_id="task_missing") is None


def test_compiled_select_refuses_a_marker_the_query_does_not_bind():
    select = statements.CompiledSelect(lambda public_id: Task.objects.filter(pk=1), "public_id")
    with pytest.raises(ValueError):
        select.get(public_id="x")


@pytest.mark.django_db
def test_postgres_prepares_hot_statements_at_first_use(postgres_only, organization):
    task = _task(organization)
    statements.update(Task, where={"pk": task.pk}, values={"progress": 5})
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any(text.startswith('UPDATE "tasks_task" SET "progress" = $1') for text in prepared), prepared


class _no_queries:
    def __enter__(self):
        from django.test.utils import CaptureQueriesContext

        self._capture = CaptureQueriesContext(connection)
        self._capture.__enter__()

    def __exit__(self, *exc):
        self._capture.__exit__(*exc)
        assert len(self._capture.captured_queries) == 0, self._capture.captured_queries


def test_tables_written_per_task_keep_only_the_indexes_their_queries_use(postgres_only, db):
    """Every index is one more entry per insert and per non-HOT update (migrations tasks 0002,
    billing 0002, usage 0003): no LIKE copies and no single-column index a composite leads with."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename, indexdef FROM pg_indexes WHERE tablename = ANY(%s)",
                       [["tasks_task", "billing_hold", "billing_ledgerentry", "usage_usagerecord"]])
        definitions = cursor.fetchall()
    assert not [d for _t, d in definitions if "varchar_pattern_ops" in d]
    single = {(t, d.split("(", 1)[1].rstrip(")")) for t, d in definitions if d.count(",") == 0 and "WHERE" not in d}
    for redundant in [("tasks_task", "organization_id"), ("tasks_task", "status"), ("billing_hold", "organization_id"),
                      ("billing_hold", "api_key_id"), ("billing_ledgerentry", "organization_id"),
                      ("usage_usagerecord", "organization_id"), ("usage_usagerecord", "api_key_id")]:
        assert redundant not in single, redundant
    assert len([d for t, d in definitions if t == "tasks_task"]) == 10


def test_preparation_can_be_turned_off_for_a_pooler(postgres_only, organization, settings):
    settings.DATABASE_PREPARED_STATEMENTS = False
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    connection.connection._prepared.clear()  # psycopg's own record of what it prepared
    task = _task(organization)
    statements.update(Task, where={"pk": task.pk}, values={"progress": 7})
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        assert cursor.fetchone()[0] == 0
    task.refresh_from_db()
    assert task.progress == 7


@pytest.mark.django_db
def test_prepared_statements_run_on_one_generic_plan(postgres_only, organization):
    """Planned once per connection, not at every call: PostgreSQL's own choice kept custom plans
    for some hot statements (config/settings/base.py)."""
    task = _task(organization)
    for progress in range(1, 8):
        statements.update(Task, where={"pk": task.pk, "organization_id": organization.pk}, values={"progress": progress})
    with connection.cursor() as cursor:
        cursor.execute("SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE %s",
                       ['UPDATE "tasks_task" SET "progress" = $1 WHERE "id" = $2 AND "organization_id" = $3'])
        assert cursor.fetchall() == [(7, 0)]


@pytest.mark.parametrize("generic_plans, expected", [("True", "-c plan_cache_mode=force_generic_plan"), ("False", None)])
def test_the_generic_plan_option_can_be_turned_off_for_a_pooler(generic_plans, expected):
    """A pooler that refuses the ``options`` startup parameter gets none (DATABASE_GENERIC_PLANS)."""
    env = {**os.environ, "DATABASE_URL": "postgresql://u@127.0.0.1:1/x", "REDIS_URL": "redis://127.0.0.1:1/0",
           "DATABASE_GENERIC_PLANS": generic_plans}
    code = "import json, config.settings.base as s; print(json.dumps(s.DATABASES['default']['OPTIONS'].get('options')))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2]).stdout
    assert json.loads(out.strip().splitlines()[-1]) == expected
