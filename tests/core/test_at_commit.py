"""statements.at_commit: a statement that must change one row, sent with the COMMIT on
PostgreSQL (so the row lock it takes is not held across the client's next turn), run at once
everywhere else. Either way a statement that changes no row rolls the transaction back."""
from __future__ import annotations

import pytest
from django.db import connection, connections, transaction

from apps.usage.models import UsageDaily
from apps.core import statements
from tests.conftest import is_postgres

# Any one-row UPDATE does: a usage roll-up row stands in for the balance row of the real callers.
MOVE = 'UPDATE "usage_usagedaily" SET "requests" = "requests" + %s WHERE "organization_id" = %s'
MOVE_M = MOVE + ' AND "model_id" = %s'  # the same row, beside rows of other models
NO_ROW = 'UPDATE "billing_balance" SET "held_micros" = "held_micros" + %s WHERE "organization_id" = %s'  # another table


def held(organization) -> int:
    return UsageDaily.objects.get(organization=organization, model_id="m").requests


@pytest.fixture
def balance(organization):
    UsageDaily.objects.create(organization=organization, day="2026-11-22", model_id="m")
    return organization


def test_in_a_test_transaction_it_runs_at_once(balance):
    """The test's own transaction never commits (Django's durable marker): nothing may wait for it."""
    with transaction.atomic():
        statements.at_commit(MOVE, [5, balance.pk])
        assert held(balance) == 5


def test_a_statement_that_changes_no_row_raises_and_its_savepoint_rolls_back(balance):
    with pytest.raises(statements.RowUnchanged):
        with transaction.atomic():
            UsageDaily.objects.filter(organization=balance).update(cost_micros=7)
            statements.at_commit(MOVE, [1, -1])
    assert held(balance) == 0


@pytest.fixture
def commit_messages(monkeypatch):
    """The transaction status psycopg reports right after each message with a COMMIT was sent."""
    from apps.core.postgresql.base import DatabaseWrapper

    seen = []
    original = DatabaseWrapper._commit_with

    def recording(self, tail):
        original(self, tail)
        seen.append((len(tail), self.connection.info.transaction_status.name))

    monkeypatch.setattr(DatabaseWrapper, "_commit_with", recording)
    return seen


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgres_only")
def test_on_postgresql_it_goes_with_the_commit(balance, commit_messages):
    callbacks = []
    with transaction.atomic():
        transaction.on_commit(lambda: callbacks.append(held(balance)))
        statements.at_commit(MOVE, [5, balance.pk])
        statements.at_commit(MOVE, [6, balance.pk])
        assert held(balance) == 0  # queued: not run before the commit
    assert held(balance) == 11
    # Both statements and the COMMIT in one message: the transaction was over when it returned,
    # so psycopg's own commit had nothing left to send.
    assert commit_messages == [(2, "IDLE")]
    assert callbacks == [11]  # after the commit, which the statements were part of
    assert not connection.commit_tail


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgres_only")
def test_on_postgresql_no_row_changed_rolls_back_the_whole_transaction(balance, commit_messages):
    ran = []
    with pytest.raises(statements.RowUnchanged):
        with transaction.atomic():
            UsageDaily.objects.filter(organization=balance).update(cost_micros=3)
            transaction.on_commit(lambda: ran.append(1))
            statements.at_commit(MOVE, [5, balance.pk])
            statements.at_commit(MOVE, [1, -1])  # no such organization
    row = UsageDaily.objects.get(organization=balance)
    assert (row.requests, row.cost_micros) == (0, 0)  # neither the statements nor the earlier write
    assert ran == [] and commit_messages == []
    assert not connection.commit_tail
    with transaction.atomic():  # the connection is usable again
        statements.at_commit(MOVE, [2, balance.pk])
    assert held(balance) == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgres_only")
def test_on_postgresql_a_rolled_back_transaction_drops_what_it_queued(balance):
    with pytest.raises(ValueError):
        with transaction.atomic():
            statements.at_commit(MOVE, [5, balance.pk])
            raise ValueError("changed my mind")
    with transaction.atomic():
        UsageDaily.objects.filter(organization=balance).update(cost_micros=0)
    assert held(balance) == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgres_only")
def test_on_postgresql_inside_a_savepoint_it_runs_at_once(balance, commit_messages):
    with transaction.atomic():
        with transaction.atomic():  # a savepoint: the outer block may still roll it back alone
            statements.at_commit(MOVE, [5, balance.pk])
            assert held(balance) == 5
    assert held(balance) == 5 and commit_messages == []


def test_the_default_database_runs_the_backend_with_commit_messages():
    if is_postgres():
        assert type(connections["default"]).__module__ == "apps.core.postgresql.base"
    else:
        assert getattr(connections["default"], "commit_tail", None) is None


def _daily(organization, model_id: str) -> UsageDaily:
    return UsageDaily(organization=organization, day="2026-11-23", model_id=model_id, requests=1)


def test_insert_with_the_commit_writes_every_row(balance):
    rows = [_daily(balance, "a"), _daily(balance, "b")]
    with transaction.atomic():
        statements.insert(rows, at_commit=True)
    stored = UsageDaily.objects.filter(organization=balance, day="2026-11-23")
    assert sorted(stored.values_list("model_id", flat=True)) == ["a", "b"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgres_only")
def test_on_postgresql_inserted_rows_go_with_the_commit_and_a_duplicate_fails_it(balance, commit_messages):
    from django.db import IntegrityError

    rows = [_daily(balance, "a"), _daily(balance, "b")]
    with transaction.atomic():
        statements.insert(rows, at_commit=True)
        assert not UsageDaily.objects.filter(model_id__in=["a", "b"]).exists()  # queued
        assert [row.pk for row in rows] == [None, None]  # not known before the commit
    # The message returned their keys.
    assert {row.pk: row.model_id for row in rows} == dict(
        UsageDaily.objects.filter(model_id__in=["a", "b"]).values_list("pk", "model_id"))
    assert not any(row._state.adding for row in rows)
    assert commit_messages == [(1, "IDLE")]

    with pytest.raises(IntegrityError):
        with transaction.atomic():
            UsageDaily.objects.filter(model_id="b").update(requests=5)
            statements.insert([_daily(balance, "c"), _daily(balance, "a")], at_commit=True)  # "a" exists
    assert not UsageDaily.objects.filter(model_id="c").exists()
    assert UsageDaily.objects.get(model_id="b").requests == 1  # the whole transaction rolled back


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgres_only")
def test_on_postgresql_more_rows_than_expected_fail_the_commit(balance):
    UsageDaily.objects.create(organization=balance, day="2026-11-24", model_id="m")  # a second row to match
    with pytest.raises(statements.RowUnchanged):
        with transaction.atomic():
            statements.at_commit(MOVE, [1, balance.pk])  # matches two rows, one expected
    assert list(UsageDaily.objects.filter(organization=balance).values_list("requests", flat=True)) == [0, 0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_transaction_of_queued_statements_is_one_prepared_statement(balance, wire):
    """Nothing was sent before the COMMIT: the transaction is one statement of data-modifying
    CTEs, run in autocommit mode (no BEGIN or COMMIT of its own), prepared at its first use on
    the connection and then one round trip: ``EXECUTE`` with the values bound by the server."""
    rows = [_daily(balance, "a")]
    with transaction.atomic():
        statements.insert(rows, at_commit=True)
        statements.at_commit(MOVE_M, [5, balance.pk, "m"])
    trips = wire.round_trips()
    assert [len(trip) for trip in trips] == [1, 1], trips  # prepared, then run
    assert trips[0][0].startswith('WITH tail_0(key) AS (INSERT INTO "usage_usagedaily"'), trips
    assert ', tail_1 AS (UPDATE "usage_usagedaily" SET "requests" = "requests" + $' in trips[0][0]
    assert trips[1][0].startswith("EXECUTE _pg3_")
    assert held(balance) == 5 and rows[0].pk == UsageDaily.objects.get(model_id="a").pk
    assert connection.connection.info.transaction_status.name == "IDLE"

    wire.start()
    more = [_daily(balance, "b")]
    with transaction.atomic():  # the same shape again: one round trip
        statements.insert(more, at_commit=True)
        statements.at_commit(MOVE_M, [2, balance.pk, "m"])
    trips = wire.round_trips()
    assert len(trips) == 1 and len(trips[0]) == 1 and trips[0][0].startswith("EXECUTE _pg3_"), trips
    assert held(balance) == 7 and more[0].pk == UsageDaily.objects.get(model_id="b").pk
    with transaction.atomic():  # Django's transactions still begin as usual on the connection
        assert connection.connection.autocommit is False
        UsageDaily.objects.filter(organization=balance).update(cost_micros=1)
        assert connection.connection.info.transaction_status.name == "INTRANS"
    assert connection.connection.autocommit is True


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_two_changes_of_one_row_go_as_a_message(balance, wire):
    """The CTEs of one statement all see the rows as they were before it: two UPDATEs of one
    table (which may be one row) go as a message of statements instead, its BEGIN included."""
    with transaction.atomic():
        statements.at_commit(MOVE, [5, balance.pk])
        statements.at_commit(MOVE, [6, balance.pk])
    trips = wire.round_trips()
    assert len(trips) == 1 and len(trips[0]) == 1, trips
    assert trips[0][0].startswith('BEGIN; WITH changed AS (UPDATE "usage_usagedaily"') and trips[0][0].endswith("; COMMIT")
    assert held(balance) == 11


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_after_a_statement_the_message_has_no_begin_of_its_own(balance, wire):
    with transaction.atomic():
        UsageDaily.objects.filter(organization=balance).update(cost_micros=3)
        statements.at_commit(MOVE, [5, balance.pk])
    trips = wire.round_trips()
    assert [trip[0].split(" ", 1)[0] for trip in trips] == ["BEGIN", "UPDATE", "WITH"], trips
    assert trips[-1][0].endswith("; COMMIT")
    assert (held(balance), UsageDaily.objects.get(organization=balance).cost_micros) == (5, 3)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("failing", [MOVE, NO_ROW], ids=["message", "statement"])
def test_on_postgresql_a_failed_one_round_trip_transaction_keeps_nothing(balance, wire, failing):
    rows = [_daily(balance, "a")]
    with pytest.raises(statements.RowUnchanged):
        with transaction.atomic():
            statements.insert(rows, at_commit=True)
            statements.at_commit(MOVE_M, [5, balance.pk, "m"])
            statements.at_commit(failing, [1, -1])  # no such organization
    trips = wire.round_trips()
    if failing == MOVE:
        # A message (two UPDATEs of one table): its BEGIN, then its own ROLLBACK (psycopg may
        # then drop its prepared statements: DEALLOCATE ALL, as after any rollback).
        assert [trip[0].split(";", 1)[0] for trip in trips][:2] == ["BEGIN", "ROLLBACK"], trips
    else:
        # One statement in autocommit mode: failed, it kept nothing, and there is nothing to roll back.
        assert trips[0][0].startswith("WITH tail_0(key) AS (INSERT"), trips
        assert not [trip for trip in trips if trip[0].split(" ", 1)[0].rstrip(";") in ("BEGIN", "ROLLBACK", "COMMIT")]
    assert not UsageDaily.objects.filter(model_id="a").exists() and held(balance) == 0
    assert rows[0].pk is None
    assert connection.connection.info.transaction_status.name == "IDLE"
    with transaction.atomic():  # the connection is usable, its transactions as before
        assert connection.connection.autocommit is False
        statements.at_commit(MOVE, [2, balance.pk])
    assert held(balance) == 2


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.usefixtures("postgres_only")
def test_on_postgresql_cursors_are_kept_with_the_pooled_connection_itself():
    """Django's connection object is made per request thread under ASGI: a cursor kept on it was
    built again for nearly every request. Kept with psycopg's connection, it is built once."""
    from apps.core.postgresql.base import kept_cursor

    connection.ensure_connection()
    raw, built = connection.connection, []

    def build():
        built.append(raw.cursor())
        return built[-1]

    first = kept_cursor(raw, "test", build)
    assert kept_cursor(raw, "test", build) is first and len(built) == 1
    first.close()
    assert kept_cursor(raw, "test", build) is built[1]  # a closed one is built again
    with statements.cursor() as one:
        pass
    with statements.cursor() as two:
        assert two.cursor is one.cursor  # the same psycopg cursor, through Django's wrappers
