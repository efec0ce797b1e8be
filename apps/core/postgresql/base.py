"""Django's PostgreSQL backend, plus statements sent with the COMMIT (``statements.at_commit``).

Every hold and every settle of an organization updates its one balance row, and that row's lock
is held until the transaction ends. Sent the usual way, the COMMIT leaves only after the
``UPDATE``'s answer has come back to this thread, which under load waits for the GIL in a busy
process: the lock stayed held across those waits, and the row became the queue of the whole
organization (round 6 of docs/benchmarks.md). Here the statements queued by ``at_commit`` and
the COMMIT go in one message (simple query protocol, values bound client-side), so the server
takes and releases the locks without waiting for the client in between.

A transaction that sent nothing before its COMMIT (every statement queued: the usual settle)
sends its BEGIN in that message too, so it costs one round trip instead of two: psycopg would
otherwise send the BEGIN on its own, answer awaited, before the message."""
from __future__ import annotations

from typing import Any, Sequence

import psycopg
from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus


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
            with psycopg.ClientCursor(raw) as cursor:
                # Values are bound statement by statement: psycopg caches the parse of each
                # short statement, never of the long joined message (9 % of a worker's CPU).
                parts = [self._tail_sql(cursor, item) for item in tail]
                sql = ("BEGIN; " if begins else "") + "; ".join(parts) + "; COMMIT"
                try:
                    if begins:
                        self._execute_begun(raw, cursor, sql)
                    else:
                        cursor.execute(sql)
                except psycopg.errors.DivisionByZero as error:
                    raise RowUnchanged(f"a statement sent with the COMMIT changed other rows than expected: "
                                       f"{[item.sql for item in tail]}") from error
                if begins:
                    cursor.nextset()  # the BEGIN's
                for item in tail:
                    if item.keys_for is not None:
                        for obj, (pk,) in zip(item.keys_for, cursor.fetchall(), strict=True):
                            obj.pk = pk
                            obj._state.adding = False
                            obj._state.db = self.alias
                    cursor.nextset()

    @staticmethod
    def _tail_sql(cursor: psycopg.ClientCursor, item: TailStatement) -> str:
        if item.keys_for is not None:
            return cursor.mogrify(item.sql, item.params)
        return cursor.mogrify(f"WITH changed AS ({item.sql} RETURNING 1) "
                              f"SELECT 1 / (COUNT(*) = {int(item.rows)})::int FROM changed", item.params)

    @staticmethod
    def _execute_begun(raw: psycopg.Connection, cursor: psycopg.ClientCursor, sql: str) -> None:
        """Runs a message that carries its own BEGIN: psycopg must not send one before it, which
        it skips only in autocommit mode (the message is still one transaction: its BEGIN opens
        it). A failed message leaves that transaction aborted: it is rolled back here, while
        the connection is still in autocommit mode, so Django's rollback then finds none."""
        raw.autocommit = True
        try:
            cursor.execute(sql)
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
