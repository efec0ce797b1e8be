"""Django's PostgreSQL backend, plus statements sent with the COMMIT (``statements.at_commit``).

Every hold and every settle of an organization updates its one balance row, and that row's lock
is held until the transaction ends. Sent the usual way, the COMMIT leaves only after the
``UPDATE``'s answer has come back to this thread, which under load waits for the GIL in a busy
process: the lock stayed held across those waits, and the row became the queue of the whole
organization (round 6 of docs/benchmarks.md). Here the statements queued by ``at_commit`` and
the COMMIT go in one message (simple query protocol, values bound client-side), so the server
takes and releases the locks without waiting for the client in between.

A transaction that sent nothing before its COMMIT (every statement queued: the usual submit and
settle) is sent as one statement instead: each queued statement becomes a data-modifying CTE
(``_one_statement``), run in autocommit mode, so PostgreSQL commits it as it ends (no BEGIN or
COMMIT to send) or keeps nothing of it. Its values are bound by the server and it is prepared on
the connection: measured (round 10 of docs/benchmarks.md), the message's client-side quoting of
every value was 7-11 % of a web and a worker process's CPU, and PostgreSQL parsed and planned
each of its statements anew (about 1 ms per task). A transaction that ran a statement first, or
whose statements cannot be one (``_one_statement``), sends the message as before; one that sent
nothing carries its BEGIN in that message, so psycopg sends none of its own."""
from __future__ import annotations

import re
import weakref
from typing import Any, Callable, Sequence

import psycopg
from django.conf import settings
from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus
from psycopg.types.numeric import Int8BinaryDumper


class TailStatement:
    """A statement queued for the COMMIT message. ``rows``: the rows it must change (checked in
    the message); ``keys_for``: the instances an INSERT creates, whose primary keys it returns
    (an INSERT of VALUES changes all its rows or fails, so it needs no check)."""
    __slots__ = ("sql", "params", "rows", "keys_for")

    def __init__(self, sql: str, params: list, rows: int, keys_for: Sequence[Any] | None = None) -> None:
        self.sql, self.params, self.rows, self.keys_for = sql, params, rows, keys_for


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.commit_tail: list[TailStatement] = []

    def _commit(self):
        tail, self.commit_tail = self.commit_tail, []
        if tail and self.connection is not None:
            self._commit_with(tail)  # psycopg's commit() below then finds no transaction: no round trip
        return super()._commit()

    def _commit_with(self, tail: list[TailStatement]) -> None:
        from apps.core.statements import RowUnchanged

        raw = self.connection
        # Nothing sent yet in this transaction, and a plain BEGIN is what psycopg would send.
        begins = (raw.pgconn.transaction_status == TransactionStatus.IDLE and raw.isolation_level is None
                  and raw.read_only is None and raw.deferrable is None)
        # Each statement must change exactly its rows: otherwise the division by zero fails the
        # message, and PostgreSQL skips the rest of it, the COMMIT included.
        with self.wrap_database_errors:  # Django's exceptions, as for every other statement
            statement = _one_statement(tail) if begins else None
            if statement is not None:
                self._commit_as_statement(raw, tail, statement)
                return
            with psycopg.ClientCursor(raw) as cursor:
                # Values are bound statement by statement: psycopg caches the parse of each
                # short statement, never of the long joined message (9 % of a worker's CPU).
                parts = [self._tail_sql(cursor, item) for item in tail]
                sql = ("BEGIN; " if begins else "") + "; ".join(parts) + "; COMMIT"
                try:
                    if begins:
                        self._execute_begun(raw, lambda: cursor.execute(sql))
                    else:
                        cursor.execute(sql)
                except psycopg.errors.DivisionByZero as error:
                    raise RowUnchanged(f"a statement sent with the COMMIT changed other rows than expected: "
                                       f"{[item.sql for item in tail]}") from error
                if begins:
                    cursor.nextset()  # the BEGIN's
                for item in tail:
                    if item.keys_for is not None:
                        self._keys_set(item.keys_for, [pk for (pk,) in cursor.fetchall()])
                    cursor.nextset()

    def _commit_as_statement(self, raw: psycopg.Connection, tail: list[TailStatement], statement: bytes) -> None:
        """The whole transaction as one statement (``_one_statement``), run in autocommit mode:
        PostgreSQL commits it as it ends, or keeps nothing of it. Its values are bound by the
        server, and it is prepared on the connection, so neither side parses or plans it again."""
        from apps.core.statements import RowUnchanged

        params = [value for item in tail for value in item.params]
        cursor = self._statement_cursor(raw)
        try:
            prepare = statements_prepared(raw)
            self._execute_begun(raw, lambda: cursor.execute(statement, params, prepare=prepare))
        except psycopg.errors.DivisionByZero as error:
            raise RowUnchanged(f"a statement sent as the transaction changed other rows than expected: "
                               f"{[item.sql for item in tail]}") from error
        row = cursor.fetchone()
        for item, keys in zip(tail, row, strict=True):
            if item.keys_for is not None:
                self._keys_set(item.keys_for, keys)

    def _keys_set(self, objs: Sequence[Any], keys: Sequence[Any]) -> None:
        """The keys an INSERT sent with the COMMIT returned, set as ``save()`` would."""
        for obj, pk in zip(objs, keys, strict=True):
            obj.pk = pk
            obj._state.adding = False
            obj._state.db = self.alias

    @staticmethod
    def _statement_cursor(raw: psycopg.Connection) -> psycopg.RawCursor:
        """A cursor that sends every int as a bigint: psycopg would send each as the smallest
        type that holds it, and a prepared statement is psycopg's per query *and* parameter
        types, so a task id or an amount crossing 32,767 would prepare the statement again."""

        def build() -> psycopg.RawCursor:
            cursor = psycopg.RawCursor(raw)
            cursor.adapters.register_dumper(int, Int8BinaryDumper)
            return cursor

        return kept_cursor(raw, "statement", build)

    @staticmethod
    def _tail_sql(cursor: psycopg.ClientCursor, item: TailStatement) -> str:
        if item.keys_for is not None:
            return cursor.mogrify(item.sql, item.params)
        return cursor.mogrify(f"WITH changed AS ({item.sql} RETURNING 1) "
                              f"SELECT 1 / (COUNT(*) = {int(item.rows)})::int FROM changed", item.params)

    @staticmethod
    def _execute_begun(raw: psycopg.Connection, execute: Callable[[], Any]) -> None:
        """Runs a message that carries its own BEGIN, or the one statement that is the whole
        transaction: psycopg must not send a BEGIN before it, which it skips only in autocommit
        mode (the message is still one transaction: its BEGIN opens it). A failed message leaves
        that transaction aborted: it is rolled back here, while the connection is still in
        autocommit mode, so Django's rollback then finds none (a failed single statement leaves
        nothing to roll back)."""
        raw.autocommit = True
        try:
            execute()
        except BaseException:
            if raw.pgconn.transaction_status == TransactionStatus.INERROR:
                raw.execute("ROLLBACK")
            raise
        finally:
            if raw.pgconn.transaction_status == TransactionStatus.IDLE:
                raw.autocommit = False  # as Django left it (a broken connection is discarded anyway)

    def _rollback(self):
        self.commit_tail = []
        return super()._rollback()

    def _close(self):
        self.commit_tail = []
        return super()._close()


def statements_prepared(raw: psycopg.Connection) -> bool:
    """Applies ``DATABASE_PREPARED_STATEMENTS`` to the pooled connection, whichever code path
    uses it first: prepare each statement at its first use (pooled connections take turns, so
    psycopg's default of the fifth use was rarely reached under load), or never (psycopg then
    ignores even an explicit ``prepare=True``). Django's own cursors bind client-side: never
    prepared either way."""
    threshold = 0 if settings.DATABASE_PREPARED_STATEMENTS else None
    if raw.prepare_threshold != threshold:
        raw.prepare_threshold = threshold
    return threshold is not None


_kept_cursors: "weakref.WeakKeyDictionary[psycopg.Connection, dict[str, psycopg.Cursor]]" = weakref.WeakKeyDictionary()


def kept_cursor(raw: psycopg.Connection, kind: str, build: Callable[[], Any]) -> Any:
    """A cursor of ``kind`` kept with the pooled connection itself, for whichever thread has it
    next. Building one copies psycopg's adapter map as soon as its adapters change (measured:
    2.3 % of a web process's CPU), and kept on Django's connection object it was built again for
    nearly every request: under ASGI each request's thread has its own, and a worker thread
    meets a different pooled connection at nearly every task."""
    cursors = _kept_cursors.get(raw)
    if cursors is None:
        cursors = _kept_cursors[raw] = {}
    kept = cursors.get(kind)
    if kept is None or kept.closed:
        kept = cursors[kind] = build()
    return kept


_statements: dict[tuple, bytes | None] = {}
_PLACEHOLDER = re.compile(r"%[s%]")
_TARGET = re.compile(r'^\s*(UPDATE|INSERT INTO)\s+("[^"]+"|\S+)', re.IGNORECASE)


def _one_statement(tail: list[TailStatement]) -> bytes | None:
    """The queued statements as one statement, each a data-modifying CTE; its one row says, in
    order, the keys each INSERT created and, for the others, 1 / (rows changed = rows expected),
    whose division by zero fails the statement when a row count is not as expected. None when
    the statements cannot be one: a statement that has a WITH of its own, or two that may change
    the same row (the CTEs of one statement all see the rows as they were before it, so two
    UPDATEs of one table, or two upserts, would not see each other's change).
    Placeholders become ``$n``: the statement is built once per shape, and psycopg then neither
    scans it for placeholders nor quotes its values."""
    shape = tuple((item.sql, item.rows, item.keys_for is not None) for item in tail)
    if shape not in _statements:
        _statements[shape] = _compose(tail)
    return _statements[shape]


def _compose(tail: list[TailStatement]) -> bytes | None:
    changing: set[str] = set()
    ctes, columns, count = [], [], 0

    def numbered(match: re.Match) -> str:
        nonlocal count
        if match.group(0) == "%%":
            return "%"
        count += 1
        return f"${count}"

    for index, item in enumerate(tail):
        target = _TARGET.match(item.sql)
        if target is None:
            return None  # a WITH of its own (data-modifying CTEs must be at the top level)
        if target.group(1).upper() == "UPDATE" or " ON CONFLICT " in item.sql.upper():
            if target.group(2) in changing:
                return None
            changing.add(target.group(2))
        sql = _PLACEHOLDER.sub(numbered, item.sql)
        name = f"tail_{index}"
        if item.keys_for is not None:  # INSERT … RETURNING its key: the keys, in the order made
            ctes.append(f"{name}(key) AS ({sql})")
            columns.append(f"(SELECT array_agg(key ORDER BY key) FROM {name})")
        else:
            ctes.append(f"{name} AS ({sql} RETURNING 1)")
            columns.append(f"(SELECT 1 / (COUNT(*) = {int(item.rows)})::int FROM {name})")
    return f"WITH {', '.join(ctes)} SELECT {', '.join(columns)}".encode()
