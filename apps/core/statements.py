"""Hot-path statements: built once per process, bound per call, prepared by PostgreSQL.

Every task runs about a dozen statements, and the ORM compiles each one anew on every call. On
the billed path that compilation cost more CPU than the database spent running the statements
(measured: the worker's task SELECT took 1.44 ms to build and 0.12 ms to execute). The statements
every task runs go through this module instead:

* ``execute`` / ``fetchone``: SQL written by hand that SQLite and PostgreSQL both accept;
* ``insert``: one INSERT for model instances (optionally an upsert), its SQL built once;
* ``update``: one UPDATE … WHERE of simple equalities, its SQL built once per shape;
* ``CompiledSelect``: an ORM queryset compiled once; each call binds new values;
* ``at_commit``: a statement that ends the transaction, sent with its COMMIT on PostgreSQL.

On PostgreSQL they run on a server-side-binding cursor of the request's own connection (so in
its transaction): psycopg prepares each statement at its first use on a connection
(``DATABASE_PREPARED_STATEMENTS``), and PostgreSQL then skips parsing and planning it (measured:
half the server CPU of the same statement with its values inlined). SQLite caches prepared
statements by their text itself. The cursor is Django's wrapper, so errors are Django's
(IntegrityError…), broken transactions are refused and tests count the queries as usual.

With server-side binding a Python int is sent as the smallest integer type that holds it:
write arithmetic column first (``"col" + %s``, computed as the column's bigint). ``%s + %s``
would be smallint arithmetic, and overflow raises an error (never a wrapped value).
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Sequence

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models
from django.db.models.query import get_related_populators

try:  # PostgreSQL's backend (psycopg 3) when installed; SQLite needs none of it
    from psycopg.pq import Format

    from django.db.backends.postgresql import base as _pg
    _TEXT = Format.TEXT
except ImportError:  # pragma: no cover
    _pg = None

_insert_sql: dict[tuple, tuple[str, list]] = {}
_update_sql: dict[tuple, tuple[str, list, list]] = {}


def _connection():
    """The thread's connection itself. Passing ``django.db.connection`` (a proxy) to the fields'
    value preparation made every one of its many attribute reads a thread-local lookup:
    measured, 87 instead of 35 µs of CPU to prepare a task row's 36 values."""
    return connections[DEFAULT_DB_ALIAS]


@contextmanager
def cursor():
    """A cursor on the current connection. On PostgreSQL one that binds values server-side and
    prepares each statement at its first use on a connection (pooled connections take turns, so
    psycopg's default of the fifth use was rarely reached under load); it is kept with the
    pooled connection (``apps.core.postgresql.base.kept_cursor``)."""
    conn = _connection()
    if conn.vendor != "postgresql":
        with conn.cursor() as cur:
            yield cur
        return
    conn.ensure_connection()
    raw_connection = conn.connection

    def build():
        kept = _pg.ServerBindingCursor(raw_connection)
        # As Django's own cursors do: the session's time zone, if the connection's differs.
        if conn.timezone != raw_connection.adapters.get_loader(_pg.TIMESTAMPTZ_OID, _TEXT).timezone:
            _pg.register_tzloader(conn.timezone, kept)
        return kept

    from apps.core.postgresql.base import kept_cursor, statements_prepared

    with conn.wrap_database_errors:
        kept = kept_cursor(raw_connection, "statements", build)
    statements_prepared(raw_connection)
    yield conn._prepare_cursor(kept)


def execute(sql: str, params: Sequence[Any] = ()) -> int:
    """Runs one statement; returns the number of rows it changed."""
    with cursor() as cur:
        cur.execute(sql, params)
        return cur.rowcount


class RowUnchanged(DatabaseError):
    """A statement given to ``at_commit`` changed no row: the transaction rolls back."""


def at_commit(sql: str, params: Sequence[Any] = (), *, rows: int = 1) -> None:
    """Runs ``sql``, an UPDATE or INSERT that must change exactly ``rows`` rows, as one of the
    transaction's last statements: for a row many transactions lock (an organization's balance,
    its usage roll-up), and for writes whose result nobody reads (ledger entries). When the
    enclosing atomic block will commit (PostgreSQL, no savepoint open), it is queued and sent in
    one message with the COMMIT (``apps.core.postgresql``): the row's lock is then held by the
    server for microseconds, not across this thread's next turn, and the statement costs no round
    trip of its own (measured: a transaction of three inserts and an update took 242 instead of
    633 µs of client CPU, and 485 instead of 635 µs of the backend's).
    Otherwise (SQLite, inside a savepoint, or in a test's transaction, which never commits: the
    same marker Django's ``durable`` check reads) it runs now. Either way, changing no row raises
    ``RowUnchanged`` and the transaction rolls back, from here or from the atomic block's exit.
    Nothing in the transaction may read what it changes."""
    if _queued_for_commit(sql, list(params), rows):
        return
    changed = execute(sql, params)
    if changed != rows:
        raise RowUnchanged(f"{changed} rows changed, {rows} expected: {sql}")


def _queued_for_commit(sql: str, params: list, rows: int, keys_for: Sequence[models.Model] | None = None) -> bool:
    """Queues the statement for the COMMIT message when the enclosing atomic block will commit
    (see ``at_commit``); False when it must run now."""
    conn = _connection()
    tail = getattr(conn, "commit_tail", None)
    if (tail is None or not conn.in_atomic_block or conn.get_autocommit()
            or any(sid is not None for sid in conn.savepoint_ids)
            or any(getattr(block, "_from_testcase", False) for block in conn.atomic_blocks)):
        return False
    from apps.core.postgresql.base import TailStatement

    tail.append(TailStatement(sql, params, rows, keys_for))
    return True


_at_commit = at_commit  # for insert(), whose flag of the same name hides it


def fetchone(sql: str, params: Sequence[Any] = ()) -> tuple | None:
    with cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()


def db_value(model: type[models.Model], name: str, value: Any) -> Any:
    """``value`` as the ORM would send it for the field ``name`` (datetimes on SQLite, JSON…)."""
    return model._meta.get_field(name).get_db_prep_save(value, _connection())


def quoted(model: type[models.Model]) -> str:
    return _connection().ops.quote_name(model._meta.db_table)


def insert(objs: Sequence[models.Model], *, conflict: tuple[Sequence[str], Sequence[str]] | None = None,
           at_commit: bool = False) -> None:
    """INSERTs ``objs`` (new instances of one model, primary keys unset) in one statement and sets
    their primary keys, as ``save()`` / ``bulk_create()`` would; model ``save()`` methods and
    signals do not run. ``conflict=(unique_fields, update_fields)`` makes it an upsert: a row
    that exists is updated with the new values (``ON CONFLICT … DO UPDATE``) and keeps its key.
    ``at_commit``: sent with the COMMIT (see ``at_commit``) for rows nobody reads back in the
    transaction; their primary keys are set once it committed, and a unique violation fails the
    commit."""
    if not objs:
        return
    if at_commit and conflict:
        raise ValueError("an upsert sent with the COMMIT cannot say how many rows it changes: write it out")
    model = type(objs[0])
    opts = model._meta
    if any(type(obj) is not model or obj.pk is not None for obj in objs):
        raise ValueError("insert() takes new instances of one model")
    conn = _connection()
    key = (model, len(objs), conflict and (tuple(conflict[0]), tuple(conflict[1])), conn.vendor)
    built = _insert_sql.get(key)
    if built is None:
        fields = [field for field in opts.local_concrete_fields if field is not opts.auto_field]
        quote = conn.ops.quote_name
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        sql = (f"INSERT INTO {quote(opts.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
               f"VALUES {', '.join([row] * len(objs))}")
        if conflict:
            unique, update_fields = conflict
            columns = [opts.get_field(name).column for name in unique]
            sets = ", ".join(f"{quote(opts.get_field(n).column)} = EXCLUDED.{quote(opts.get_field(n).column)}"
                             for n in update_fields)
            sql += f" ON CONFLICT ({', '.join(quote(c) for c in columns)}) DO UPDATE SET {sets}"
        sql += f" RETURNING {quote(opts.pk.column)}"
        built = _insert_sql[key] = (sql, fields)
    sql, fields = built
    params = [field.get_db_prep_save(field.pre_save(obj, True), conn) for obj in objs for field in fields]
    if at_commit and _queued_for_commit(sql, params, len(objs), keys_for=list(objs)):
        return
    with cursor() as cur:
        cur.execute(sql, params)
        keys = cur.fetchall()
    for obj, (pk,) in zip(objs, keys, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = conn.alias


def update(model: type[models.Model], *, where: dict[str, Any], values: dict[str, Any], at_commit: bool = False) -> int:
    """``UPDATE … SET values WHERE where``; returns the number of rows changed. ``where`` maps a
    field name to a value (``= %s``, or ``IS NULL`` for None) or, with the ``__in`` suffix, to a
    list. Values are sent as the ORM would send them; ``auto_now`` fields are not touched
    (pass them in ``values``). ``at_commit``: a compare-and-set that must change exactly one row,
    sent with the COMMIT (see ``at_commit``); it returns 1, and a lost race fails the commit."""
    opts = model._meta
    conn = _connection()
    shape = tuple((name, len(value) if name.endswith("__in") else value is None) for name, value in where.items())
    key = (model, tuple(values), shape, conn.vendor)
    built = _update_sql.get(key)
    if built is None:
        quote = conn.ops.quote_name
        set_fields = [_field(opts, name) for name in values]
        conditions, where_fields = [], []
        for name, size_or_null in shape:
            field = _field(opts, name.removesuffix("__in"))
            if name.endswith("__in"):
                conditions.append(f"{quote(field.column)} IN ({', '.join(['%s'] * size_or_null)})")
            elif size_or_null is True:
                conditions.append(f"{quote(field.column)} IS NULL")
            else:
                conditions.append(f"{quote(field.column)} = %s")
            where_fields.append(field)
        sql = (f"UPDATE {quote(opts.db_table)} SET {', '.join(f'{quote(f.column)} = %s' for f in set_fields)} "
               f"WHERE {' AND '.join(conditions)}")
        built = _update_sql[key] = (sql, set_fields, where_fields)
    sql, set_fields, where_fields = built
    params = [field.get_db_prep_save(value, conn) for field, value in zip(set_fields, values.values())]
    for field, value in zip(where_fields, where.values()):
        if isinstance(value, (list, tuple)):
            params.extend(field.get_db_prep_value(item, conn) for item in value)
        elif value is not None:
            params.append(field.get_db_prep_value(value, conn))
    if at_commit:
        _at_commit(sql, params, rows=1)
        return 1
    return execute(sql, params)


def _field(opts, name: str):
    return opts.pk if name == "pk" else opts.get_field(name)


class CompiledSelect:
    """A queryset compiled once per database vendor; ``get(**values)`` runs it with new values and
    builds the instance (with its ``select_related`` objects) as the ORM does.

    ``build(**markers)`` returns the queryset; each keyword is a string that must reach the SQL
    parameters unchanged (an exact lookup on a text field, for example)."""

    def __init__(self, build: Callable[..., models.QuerySet], *names: str):
        self._build, self._names = build, names
        self._compiled: dict[str, tuple] = {}

    def _compile(self) -> tuple:
        conn = _connection()
        markers = {name: f"\x00{name}\x00" for name in self._names}
        compiler = self._build(**markers).query.get_compiler(connection=conn)
        sql, params = compiler.as_sql()
        by_marker = {marker: name for name, marker in markers.items()}
        # (True, name) where a caller's value goes, (False, constant) elsewhere.
        slots = [(True, by_marker[param]) if isinstance(param, str) and param in by_marker else (False, param)
                 for param in params]
        if sorted(value for bound, value in slots if bound) != sorted(self._names):
            raise ValueError("every marker must appear once among the query's parameters")
        select, klass_info = compiler.select, compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        init_list = [column[0].target.attname for column in select[start:end]]
        converters = compiler.get_converters([column[0] for column in select[:compiler.col_count]])
        populators = get_related_populators(klass_info, select, conn.alias)
        built = (sql, slots, compiler, converters, klass_info["model"], start, end, init_list, populators)
        self._compiled[conn.vendor] = built
        return built

    def get(self, **values: str) -> models.Model | None:
        return self._get(None, (), None, values)[0]

    def get_after(self, before: str, before_params: Sequence[Any], extra: str, **values: str) -> tuple[models.Model | None, Any]:
        """PostgreSQL only: ``WITH before`` (a data-modifying common table expression) and the
        select in one statement, one round trip. The row is read as it was before ``before``
        changed it (no part of a statement sees another's changes); ``extra``, an expression
        that may read ``before`` (how many rows it changed), comes back with the instance."""
        return self._get(before, before_params, extra, values)

    def _get(self, before: str | None, before_params: Sequence[Any], extra: str | None,
             values: dict[str, str]) -> tuple[models.Model | None, Any]:
        conn = _connection()
        built = self._compiled.get(conn.vendor) or self._compile()
        sql, slots, compiler, converters, model, start, end, init_list, populators = built
        params = [values[value] if bound else value for bound, value in slots]
        if before is not None:
            sql, params = f"WITH {before} SELECT selected.*, ({extra}) FROM ({sql}) AS selected", [*before_params, *params]
        row = fetchone(sql, params)
        if row is None:
            return None, None
        added = None
        if before is not None:
            row, added = row[:-1], row[-1]
        if converters:
            row = next(compiler.apply_converters([row], converters))
        obj = model.from_db(conn.alias, init_list, row[start:end])
        for populator in populators:
            populator.populate(row, obj)
        return obj, added
