"""Fixtures of the surface tests."""
from __future__ import annotations

import pytest
from django.test import Client

from tests.surfaces import live
from tests.surfaces.doubles import FakeEngine
from tests.workers import running_worker


@pytest.fixture
def fake_engine(monkeypatch) -> FakeEngine:
    return FakeEngine().install(monkeypatch)


@pytest.fixture
def client(api_key) -> Client:
    """Django's test client (it runs the async views) with the key on every request."""
    return Client(headers={"Authorization": f"Bearer {api_key[1]}"})


@pytest.fixture
def fast_simulator(settings):
    settings.TOLLGATE_SIMULATED_OPTIONS = live.FAST_SIMULATOR
    settings.TOLLGATE_SIMULATE_UNCONFIGURED = True
    settings.TOLLGATE_SYNC_WAIT_SECONDS = 15
    settings.TOLLGATE_RATE_LIMIT_ENABLED = False
    return settings


@pytest.fixture
def seeded(db, organization, fast_simulator):
    """The seeds' models in the catalog and $100 of credit (no worker: for request-time errors)."""
    live.catalog_install()
    live.fund(organization)
    return organization


@pytest.fixture
def worker(transactional_db, organization, fast_simulator):
    """The real engine end to end: catalog, credit and an in-process Dramatiq worker."""
    import dramatiq

    live.catalog_install()
    live.fund(organization)
    broker = dramatiq.get_broker()
    broker.flush_all()
    with running_worker(broker, worker_threads=2, worker_timeout=100) as running:
        yield running


@pytest.fixture
def http_server(worker):
    server = live.LiveServer().start()
    yield server
    server.stop()
