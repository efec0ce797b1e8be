"""Django's PostgreSQL backend, plus statements sent with the COMMIT (``statements.at_commit``).

Every hold and every settle of an organization updates its one balance row, and that row's lock
is held until the transaction ends. Sent the usual way, the COMMIT leaves only after the
``UPDATE``'s answer has come back to this thread, which under load waits for the GIL in a busy
process: the lock stayed held across those waits, and the row became the queue of the whole
organization (round 6 of docs/benchmarks.md). Here the statements queued by ``at_commit`` and
the COMMIT go in one message (simple query protocol, values bound client-side), so the server
takes and releases the locks without waiting for the client in between."""
from __future__ import annotations

import psycopg
from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.commit_tail: list[tuple[str, list, int]] = []  # (statement, values, rows it must change)

    def _commit(self):
        tail, self.commit_tail = self.commit_tail, []
        if tail and self.connection is not None:
            self._commit_with(tail)  # psycopg's commit() below then finds no transaction: no round trip
        return super()._commit()

    def _commit_with(self, tail: list[tuple[str, list, int]]) -> None:
        from apps.core.statements import RowUnchanged

        # Each statement must change exactly its rows: otherwise the division by zero fails the
        # message, and PostgreSQL skips the rest of it, the COMMIT included.
        with self.wrap_database_errors:  # Django's exceptions, as for every other statement
            try:
                with psycopg.ClientCursor(self.connection) as cursor:
                    # Values are bound statement by statement: psycopg caches the parse of each
                    # short statement, never of the long joined message (9 % of a worker's CPU).
                    sql = "; ".join(cursor.mogrify(f"WITH changed AS ({statement} RETURNING 1) "
                                                   f"SELECT 1 / (COUNT(*) = {int(rows)})::int FROM changed", values)
                                    for statement, values, rows in tail) + "; COMMIT"
                    cursor.execute(sql)
            except psycopg.errors.DivisionByZero as error:
                raise RowUnchanged(f"a statement sent with the COMMIT changed other rows than expected: "
                                   f"{[statement for statement, _, _ in tail]}") from error

    def _rollback(self):
        self.commit_tail = []
        return super()._rollback()

    def _close(self):
        self.commit_tail = []
        return super()._close()
