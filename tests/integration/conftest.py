"""Fixtures of the every-model integration tests: one in-process Dramatiq worker, one media
server and one set of fake providers per module; the real catalog entry, credit and engine
settings per test."""
from __future__ import annotations

import os

import dramatiq
import pytest

from tests.integration import upstreams
from tests.providers.fakes.media import mp4_bytes, png_bytes, wav_bytes
from tests.providers.fakes.server import FakeServer, Reply
from tests.workers import running_worker

FAST_SIMULATOR = {"latency_ms": 0, "token_delay_ms": 0, "render_seconds": 0, "failure_rate": 0}


@pytest.fixture(scope="module")
def media_server():
    """Real input files for URL parameters: {media}/image.png, /speech.wav, /clip.mp4."""
    files = {
        "image.png": (png_bytes(64, 64, (30, 120, 200)), "image/png"),
        "speech.wav": (wav_bytes(1.0, 16000), "audio/wav"),
        "clip.mp4": (mp4_bytes(), "video/mp4"),
    }
    server = FakeServer()
    for name, (content, content_type) in files.items():
        server.route("GET", "/" + name.replace(".", r"\."), lambda req, c=content, t=content_type: Reply(200, c, {"Content-Type": t}))
    with server:
        yield server


@pytest.fixture(scope="module")
def fakes():
    """Every provider family's fake, started once (their poll scripts end on success and repeat it)."""
    started = upstreams.start_all()
    yield started
    upstreams.stop_all(started)


@pytest.fixture(scope="module")
def worker():
    broker = dramatiq.get_broker()
    broker.flush_all()
    with running_worker(broker, worker_timeout=100, worker_threads=4) as running:
        yield running
    broker.flush_all()


@pytest.fixture
def engine(transactional_db, settings, tmp_path, monkeypatch, worker, organization):
    """Fast engine settings, no provider credentials in the environment, $100 of credit."""
    from apps.billing.services import credit_grant

    for name in list(os.environ):
        if name.startswith("TOLLGATE_PROVIDER_"):
            monkeypatch.delenv(name)
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.TOLLGATE_RATE_LIMIT_ENABLED = False
    settings.TOLLGATE_ALLOW_PRIVATE_URLS = True
    settings.TOLLGATE_SIMULATED_OPTIONS = FAST_SIMULATOR
    settings.TOLLGATE_TASK_POLL_MIN_SECONDS = 0.01
    settings.TOLLGATE_TASK_POLL_MAX_SECONDS = 0.05
    settings.TOLLGATE_TASK_MAX_RETRIES = 0  # a provider error fails the task at once: it shows, not hides
    settings.TOLLGATE_TASK_RETRY_MIN_BACKOFF_MS = 10
    settings.TOLLGATE_TASK_RETRY_MAX_BACKOFF_MS = 50
    settings.TOLLGATE_PROVIDER_TIMEOUT_SECONDS = 15.0
    settings.TOLLGATE_PROVIDER_CONNECT_TIMEOUT_SECONDS = 5.0
    credit_grant(organization=organization, amount_micros=100_000_000, kind="promotional",
                 idempotency_key="integration-funds", reason="integration tests")
    return settings
