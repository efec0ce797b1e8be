"""The real stack for end-to-end surface tests: the shipped catalog (the models the seeds
name), funded credit, a fast simulated provider, an in-process Dramatiq worker on the
configured Redis broker, and uvicorn serving ``config.asgi`` on a free 127.0.0.1 port."""
from __future__ import annotations

import copy
import socket
import threading
import time
from pathlib import Path

from django.conf import settings

USD = 1_000_000
# The seeds' model names (aliases or ids) the surface tests call.
SEED_MODELS = {
    "gpt-4", "gpt-4o-mini", "claude-3-sonnet", "flux-1-pro", "flux-1-schnell", "eleven-labs-tts", "eleven-labs-sts",
    "eleven-labs-stt", "stable-diffusion-2-1", "#g1_nova-2-general", "#g1_aura-asteria-en", "flux", "flux-realism",
    "alex", "sophia", "gemini-pro-vision", "chirp-v3-5", "openai/gpt-image-1", "mistralai/Mistral-7B-Instruct-v0.2",
    "gpt-image-1", "tts-1", "whisper-1",  # the official openai client's own model names
}
# Suno ships unpriced (no public price); the tests give chirp-v3-5 a flat test price.
TEST_SUNO_PRICE = {"note": "test price", "rules": [{"item": "song", "unit": "request", "usd": "0.05"}]}
FAST_SIMULATOR = {"latency_ms": 0, "token_delay_ms": 5, "render_seconds": 0, "failure_rate": 0}

_CATALOG: dict | None = None


def seed_catalog_data() -> dict:
    global _CATALOG
    if _CATALOG is None:
        from apps.catalog.services.catalog_io import catalog_load_file

        path = Path(settings.CATALOG_DATA_FILE or Path(settings.BASE_DIR) / "apps/catalog/data/catalog.yaml")
        data = catalog_load_file(path)
        models = []
        for entry in data["models"]:
            if entry["id"] in SEED_MODELS or SEED_MODELS & set(entry.get("aliases") or []):
                entry = copy.deepcopy(entry)
                if entry["id"] == "suno-ai/chirp-v3-5":
                    entry.pop("unpriced_reason", None)
                    entry["price"] = TEST_SUNO_PRICE
                models.append(entry)
        _CATALOG = {**data, "models": models}
    return _CATALOG


def catalog_install() -> None:
    from apps.catalog.services.catalog_io import catalog_import

    catalog_import(data=seed_catalog_data())


def fund(organization, amount_micros: int = 100 * USD) -> None:
    from apps.billing.services import credit_grant

    credit_grant(organization=organization, amount_micros=amount_micros, kind="promotional",
                 idempotency_key=f"surfaces-test-{organization.pk}", reason="surface tests")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """uvicorn in a thread of the test process, so it shares the test database (SQLite in
    memory included) and settings overrides; serves real HTTP for the openai client."""

    def __init__(self, app=None) -> None:
        """``app``: what to serve (default: ``config.asgi``'s application); uvloop and httptools,
        as production serves."""
        import uvicorn

        if app is None:
            from config.asgi import application as app

        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    lifespan="off", loop="uvloop", http="httptools"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
