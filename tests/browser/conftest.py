"""Browser tests: Playwright (sync API) driving Debian's Chromium against pytest-django's
live_server, with the real engine (in-process Dramatiq worker, simulated providers)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.workers import running_worker


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
FAST_SIMULATOR = {"latency_ms": 0, "token_delay_ms": 5, "render_seconds": 0, "failure_rate": 0}


def screenshots_dir() -> Path:
    path = Path(os.environ.get("TOLLGATE_TEST_ARTIFACTS", "var/test-artifacts")) / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def browser():
    """Module-scoped: Playwright's sync API runs an event loop in this thread, which must not
    outlive the browser tests (later async views would refuse to run under the test client)."""
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip(f"{CHROMIUM} is absent: apt-get install -y chromium chromium-driver")
    from playwright.sync_api import sync_playwright

    # While that loop runs, Django flags the test body's plain ORM calls as "async unsafe".
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield launched
            launched.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_page(browser):
    """``new_page(viewport)`` → a page in a fresh context (own cookies); all closed afterwards."""
    contexts = []

    def make(viewport=DESKTOP):
        context = browser.new_context(viewport=viewport)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def shoot(page, name: str) -> Path:
    """Full-page screenshot at the page's current width, named <name>-<width>.png."""
    path = screenshots_dir() / f"{name}-{page.viewport_size['width']}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def engine(transactional_db, settings):
    """Catalog, fast simulated providers and an in-process Dramatiq worker (the real engine)."""
    import dramatiq

    from apps.catalog.services.catalog_io import catalog_file_default, catalog_import, catalog_load_file

    settings.TOLLGATE_SIMULATED_OPTIONS = FAST_SIMULATOR
    settings.TOLLGATE_SIMULATE_UNCONFIGURED = True
    settings.TOLLGATE_RATE_LIMIT_ENABLED = False
    settings.STRIPE_SECRET_KEY = ""
    wanted = {"openai/gpt-4", "black-forest-labs/flux-1-schnell", "elevenlabs/text-to-speech", "suno-ai/music"}
    data = catalog_load_file(catalog_file_default())
    catalog_import(data={**data, "models": [m for m in data["models"] if m["id"] in wanted]})
    broker = dramatiq.get_broker()
    broker.flush_all()
    with running_worker(broker, worker_threads=1, worker_timeout=100) as worker:  # one writer: SQLite test DB
        yield worker
    broker.flush_all()
