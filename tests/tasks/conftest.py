"""Engine fixtures: a real Dramatiq worker on the configured Redis broker, real billing, and a
small catalog test double (the engine's tests choose routes, options and prices themselves;
the catalog's own tests cover the shipped catalog)."""
from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dramatiq
import pytest

from apps.catalog.types import Charge, PriceLine, Quote, ResolvedModel, RouteTarget
from apps.core.errors import NOT_FOUND, ApplicationError
from apps.tasks.models import FINISHED_STATUSES, Task
from tests.workers import running_worker

QUOTE_MICROS = 50_000
CHARGE_MICROS = 20_000
FUNDS_MICROS = 1_000_000


def _model(pk: int, model_id: str, kind: str, modality: str = "text") -> ResolvedModel:
    return ResolvedModel(pk=pk, id=model_id, display_name=model_id, modality=modality, task_kind=kind,
                         owned_by=model_id.split("/")[0], created=0)


def _sim(route_pk=None, **options) -> RouteTarget:
    return RouteTarget(route_pk=route_pk, family="simulated", upstream_model="sim", base_url=None,
                       options={"token_delay_ms": 0, **options})


MODELS = {
    "test/chat": (_model(1, "test/chat", "chat"), [_sim()]),
    "test/image": (_model(2, "test/image", "image_generation", "image"), [_sim()]),
    "test/video": (_model(3, "test/video", "video_generation", "video"), [_sim(render_seconds=0.6)]),
    "test/failing": (_model(4, "test/failing", "chat"), [_sim(failure_rate=1, fail_mode="final")]),
    "test/failover": (_model(5, "test/failover", "chat"),
                      [_sim(101, failure_rate=1, fail_mode="retryable"), _sim(102)]),
    "test/flaky": (_model(6, "test/flaky", "chat"), [_sim(103, failure_rate=1, fail_mode="retryable")]),
    "test/edit": (_model(7, "test/edit", "image_edit", "image"), [_sim()]),
    "test/slow": (_model(8, "test/slow", "chat"), [_sim(latency_ms=1500)]),
}
FILE_PARAMS = {"test/edit": {"image_url": "single"}}


class CatalogDouble:
    def __init__(self):
        self.health: list[tuple] = []

    def model_resolve(self, *, name):
        if name not in MODELS:
            raise ApplicationError(f"Unsupported model: {name}", code="unsupported_model", type=NOT_FOUND, status=404,
                                   param="model")
        return MODELS[name][0]

    def params_validate(self, *, model, params):
        if not params.get("prompt") and not params.get("messages"):
            raise ApplicationError("prompt: This field is required.", code="missing_parameter", param="prompt")
        return dict(params)

    def file_params(self, *, model):
        return FILE_PARAMS.get(model.id, {})

    def price_quote(self, *, model, params):
        line = PriceLine(item="request", quantity="1", unit="request", unit_price_micros=str(QUOTE_MICROS), per=1,
                         amount_micros=QUOTE_MICROS)
        return Quote(model_id=model.id, price_version_id=model.pk, amount_micros=QUOTE_MICROS, currency="USD",
                     lines=[line], assumptions={"max_tokens": 100}, formula_inputs={})

    def price_charge(self, *, price_version_id, params, usage):
        return Charge(amount_micros=CHARGE_MICROS, lines=[], quantities=dict(usage))

    def route_targets(self, *, model):
        return MODELS[model.id][1]

    def route_health_record(self, *, family, route_pk, ok, latency_ms, error_code=None):
        self.health.append((route_pk, ok, error_code))


@pytest.fixture(autouse=True)
def catalog(monkeypatch, settings, tmp_path):
    from apps.catalog import selectors, services

    double = CatalogDouble()
    for module, names in ((selectors, ["model_resolve", "file_params", "route_targets"]),
                          (services, ["params_validate", "price_quote", "price_charge", "route_health_record"])):
        for name in names:
            monkeypatch.setattr(module, name, getattr(double, name))
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.TOLLGATE_RATE_LIMIT_ENABLED = False
    settings.TOLLGATE_TASK_RETRY_MIN_BACKOFF_MS = 10
    settings.TOLLGATE_TASK_RETRY_MAX_BACKOFF_MS = 50
    settings.TOLLGATE_TASK_MAX_RETRIES = 1
    return double


@pytest.fixture
def adapter_as(monkeypatch):
    """``adapter_as(obj)``: every route is served by ``obj`` (its ``run`` and ``poll``)."""
    from apps.tasks.services import running

    def use(adapter) -> None:
        monkeypatch.setattr(running, "get_adapter", lambda family: adapter)

    return use


@pytest.fixture
def funded(organization, api_key):
    from apps.billing.services import credit_grant

    credit_grant(organization=organization, amount_micros=FUNDS_MICROS, kind="promotional",
                 idempotency_key="test-funds", reason="test funds")
    return organization


@pytest.fixture
def broker():
    broker = dramatiq.get_broker()
    broker.flush_all()
    yield broker
    broker.flush_all()


@pytest.fixture
def worker(broker):
    with running_worker(broker, worker_timeout=100, worker_threads=4) as worker:
        yield worker


def wait_finished(task_id: str, timeout: float = 20.0) -> Task:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = Task.objects.get(public_id=task_id)
        if task.status in FINISHED_STATUSES:
            return task
        time.sleep(0.05)
    raise AssertionError(f"{task_id} still {Task.objects.get(public_id=task_id).status}")


def balance(organization):
    from apps.billing.selectors import balance_get

    return balance_get(organization=organization)


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _reply(self):
        server = self.server
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
        status, headers, payload = server.responder(self.path, len(server.requests))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _reply


@pytest.fixture
def local_server():
    """An HTTP server on 127.0.0.1; set ``.responder(path, n) -> (status, headers, body)``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.requests = []
    server.responder = lambda path, n: (200, {"content-type": "text/plain"}, b"ok")
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
