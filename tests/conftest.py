"""Shared fixtures. Areas add their own in tests/<area>/conftest.py."""
from __future__ import annotations

import re
import threading
import time

import pytest
from django.db import connection
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.accounts.services import api_key_create, organization_create


def pytest_collection_modifyitems(config, items):
    """Browser tests last: they run an event loop in the main thread while they are active."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(autouse=True)
def _ledger_stays_consistent(request):
    """After every database test, ``check_ledger``'s invariants hold (balance = Σ entries, held =
    Σ open holds, every finished task's hold resolved exactly once). Tests that corrupt the ledger
    on purpose to prove the check catches it opt out with ``@pytest.mark.ledger_corrupted``."""
    db_fixtures = [name for name in ("transactional_db", "db") if name in request.fixturenames]
    if request.node.get_closest_marker("django_db") and not db_fixtures:
        db_fixtures = ["db"]
    if not db_fixtures or request.node.get_closest_marker("ledger_corrupted"):
        yield
        return
    request.getfixturevalue(db_fixtures[0])  # set up before this fixture, so torn down after it
    yield
    from apps.billing.checks import ledger_problems

    problems = ledger_problems()
    if problems:  # a worker thread may commit between the check's reads: look once more
        time.sleep(0.5)
        problems = ledger_problems()
    assert problems == [], f"ledger inconsistent after the test: {problems}"


@pytest.fixture(autouse=True)
def _isolated_cache():
    """Each test starts with an empty cache namespace (rate limits, key lookups), an empty catalog
    cache and no pending provider-health counts."""
    from django.core.cache import cache

    from apps.catalog.cache import catalog_cache_clear
    from apps.catalog.services.health import route_health_discard
    from apps.accounts.services import api_key_touch_forget
    from apps.tasks.selectors import plan_local_clear

    cache.clear()
    # Per-process caches outlive a test's rolled-back transaction, which sends no signal.
    catalog_cache_clear()
    route_health_discard()
    plan_local_clear()
    api_key_touch_forget()
    yield


@pytest.fixture
def user(db) -> User:
    return User.objects.create_user(email="owner@example.com", password="correct horse battery")


@pytest.fixture
def organization(user):
    return organization_create(name="Acme", owner=user)


@pytest.fixture
def api_key(organization, user):
    """(ApiKey row, raw secret)."""
    created = api_key_create(organization=organization, name="test key", created_by=user)
    return created.api_key, created.secret


@pytest.fixture
def api_client(api_key) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key[1]}")
    return client


@pytest.fixture
def other_organization(db):
    other = User.objects.create_user(email="rival@example.com", password="another horse battery")
    organization = organization_create(name="Rival", owner=other)
    created = api_key_create(organization=organization, name="rival key", created_by=other)
    return organization, created.secret


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def postgres_only():
    """For tests of row locks and real concurrency, which SQLite cannot show."""
    if not is_postgres():
        pytest.skip("needs PostgreSQL row locks and real concurrency")




class WireTrace:
    """What this thread's connections sent to PostgreSQL, read from libpq's own protocol trace.
    A pooled connection given back (``connection_release``) and another taken are followed."""

    def __init__(self, directory) -> None:
        self.directory, self.files, self._traced = directory, [], None
        self._thread = threading.get_ident()

    def start(self) -> None:
        """Traces from here on (what was traced before is dropped)."""
        from django.db.backends.signals import connection_created

        self.stop()
        self.files = []
        connection_created.connect(self._follow, weak=False, dispatch_uid=id(self))
        if connection.connection is not None:
            self._trace(connection.connection.pgconn)

    def _follow(self, sender, connection, **kwargs) -> None:
        if connection.alias == "default" and threading.get_ident() == self._thread:
            self._trace(connection.connection.pgconn)

    def _trace(self, pgconn) -> None:
        from psycopg import pq

        self._untrace()
        handle = open(self.directory / f"libpq-{len(self.files)}.trace", "wb")
        self.files.append(handle)
        pgconn.trace(handle.fileno())
        pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        self._traced = pgconn

    def _untrace(self) -> None:
        if self._traced is not None:
            self._traced.untrace()  # flushes libpq's buffered trace
            self._traced = None
        for handle in self.files:
            handle.close()

    def stop(self) -> None:
        from django.db.backends.signals import connection_created

        connection_created.disconnect(dispatch_uid=id(self))
        self._untrace()

    def round_trips(self, prepares: bool = True) -> list[list[str]]:
        """Stops the trace; lists each exchange (what the client sent until the server was ready
        for the next query) as its queries: a simple query's text, a statement's SQL as it is
        parsed, or ``EXECUTE name`` for a prepared one run again. ``prepares=False`` leaves out
        the exchanges that only prepared a statement (psycopg's first use of it on a connection:
        which pooled connection a thread gets, and what it ran before, is not the test's)."""
        self.stop()
        trips, current, ran = [], [], False
        lines = [line for handle in self.files for line in open(handle.name).read().splitlines()]
        for line in lines:
            direction, _, message, *rest = line.split("\t") + [""]
            text = rest[0].strip()
            if direction == "F" and message == "Query":
                current.append(text.strip('"'))
                ran = True
            elif direction == "F" and message == "Parse":
                # "name" "query" then the parameters' type count and types; the query's own
                # quotes are not escaped: it runs to the last quote before those numbers.
                current.append(re.match(r'"[^"]*" "(.*)" \d+(?: \S+)*$', text).group(1))
            elif direction == "F" and message == "Bind" and not current:
                current.append(f"EXECUTE {text.split(chr(34))[3]}")
            elif direction == "F" and message == "Execute":
                ran = True
            elif direction == "B" and message == "ReadyForQuery":
                if ran or prepares:
                    trips.append(current)
                current, ran = [], False
        return trips


@pytest.fixture
def wire(tmp_path):
    """Traces this thread's messages to PostgreSQL from here on (PostgreSQL only)."""
    if not is_postgres():
        pytest.skip("reads PostgreSQL's wire protocol")
    connection.ensure_connection()
    trace = WireTrace(tmp_path)
    trace.start()
    yield trace
    trace.stop()
