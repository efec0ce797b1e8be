"""A served request is freed when its response is sent, not by the cyclic garbage collector
(apps/core/asgi.py, the weak proxies in apps/core/middleware.py and apps/accounts/middleware.py),
and server processes set the collector up once they have started (apps/core/gc_tuning.py)."""
from __future__ import annotations

import asyncio
import gc
import time

import dramatiq
import pytest
from django.core.handlers.asgi import ASGIHandler, ASGIRequest
from django.http import JsonResponse
from django.test import Client
from django.urls import path
from dramatiq.brokers.stub import StubBroker

from apps.core import gc_tuning
from apps.core.asgi import TollgateASGIHandler
from apps.core.dramatiq_middleware import GcSettleMiddleware


async def _awaiting_view(request):
    await asyncio.sleep(0.02)  # as the API's views do (a task, a wait): the disconnect listener then finishes first
    return JsonResponse({"ok": True})


urlpatterns = [path("awaits", _awaiting_view)]  # this module is the URLconf of the cycle tests


@pytest.fixture
def gc_state():
    """Leaves the collector as the test found it (thresholds, frozen objects, debug flags)."""
    threshold, was_enabled = gc.get_threshold(), gc.isenabled()
    yield
    gc.set_debug(0)
    gc.garbage.clear()
    gc.unfreeze()
    gc.set_threshold(*threshold)
    if was_enabled:
        gc.enable()


def _served_by_uvicorn(app, paths: list[str]) -> list[int]:
    """GETs over one kept-alive connection to uvicorn running ``app`` in a thread of this
    process (``tests.surfaces.live.LiveServer``). Returns the statuses."""
    import http.client

    from tests.surfaces.live import LiveServer

    server = LiveServer(app).start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        statuses = []
        for path in paths:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
        connection.close()
        time.sleep(0.2)  # the server sees the close and finishes its side
        return statuses
    finally:
        server.stop()


def _requests_left_in_cycles(app, path: str) -> int:
    """How many of three served requests (``ASGIRequest`` objects) only the cyclic collector
    would have freed."""
    _served_by_uvicorn(app, [path])  # the first request of a process imports and caches things
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        assert _served_by_uvicorn(app, [path] * 3) == [200] * 3
        gc.collect()
        return sum(type(item) is ASGIRequest for item in gc.garbage)  # not isinstance: dead weak proxies raise
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


@pytest.mark.urls(__name__)
def test_a_served_request_is_freed_without_the_cyclic_collector(gc_state):
    # Every middleware (auth, messages, organization) and the handler's disconnect listener
    # see the request: none of them may leave it in a cycle.
    assert _requests_left_in_cycles(TollgateASGIHandler(), "/awaits") == 0


@pytest.mark.urls(__name__)
def test_django_s_own_handler_leaves_each_request_in_a_cycle(gc_state):
    # The control: with Django's handler the same three requests wait for the collector. If
    # a Django upgrade fixes this, TollgateASGIHandler is no longer needed.
    assert _requests_left_in_cycles(ASGIHandler(), "/awaits") == 3


def test_the_handler_still_serves_and_still_reports_a_bad_message():
    assert _served_by_uvicorn(TollgateASGIHandler(), ["/healthz", "/healthz"]) == [200, 200]

    async def listen():
        async def receive():
            return {"type": "http.request", "body": b"late"}

        await TollgateASGIHandler().listen_for_disconnect(receive)

    with pytest.raises(AssertionError, match="Invalid ASGI message after request body: http.request"):
        asyncio.run(listen())


def test_signed_in_dashboard_requests_still_have_their_user_and_messages(db):
    from apps.accounts.models import User
    from apps.accounts.services import organization_create

    user = User.objects.create_user(email="cycles@example.com", password="pw-cycles-1")
    organization_create(name="Cycles", owner=user)
    client = Client()
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    request = response.wsgi_request
    assert request.user.email == "cycles@example.com"
    assert request.organization.name == "Cycles"
    assert list(request._messages) == []


def test_gc_threshold_default_is_a_larger_first_generation():
    assert gc_tuning.gc_threshold() == (10000, 10, 10)


@pytest.mark.parametrize("raw, expected", [("50000,20,10", (50000, 20, 10)), (" 2000 ", (2000,))])
def test_gc_threshold_from_the_setting(settings, raw, expected):
    settings.TOLLGATE_GC_THRESHOLD = raw
    assert gc_tuning.gc_threshold() == expected


def test_gc_threshold_off_keeps_python_s(settings):
    settings.TOLLGATE_GC_THRESHOLD = "off"
    assert gc_tuning.gc_threshold() == gc.get_threshold()


@pytest.mark.parametrize("raw", ["a,b", "1,2,3,4", "-5", ""])
def test_gc_threshold_refuses_nonsense(settings, raw):
    settings.TOLLGATE_GC_THRESHOLD = raw
    with pytest.raises(ValueError, match="TOLLGATE_GC_THRESHOLD"):
        gc_tuning.gc_threshold()


def test_settling_freezes_startup_objects_and_sets_the_threshold(gc_state, settings):
    settings.TOLLGATE_GC_THRESHOLD = "12345,11,9"
    gc.unfreeze()
    gc_tuning.gc_settle_after_startup()
    assert gc.get_freeze_count() > 10_000  # Django, the apps and the test run's modules
    assert gc.get_threshold() == (12345, 11, 9)


def test_a_worker_process_settles_the_collector_when_it_boots(gc_state, settings):
    settings.TOLLGATE_GC_THRESHOLD = "23456,10,10"
    gc.unfreeze()
    broker = StubBroker(middleware=[GcSettleMiddleware()])
    worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=50)
    worker.start()
    try:
        assert gc.get_freeze_count() > 10_000
        assert gc.get_threshold() == (23456, 10, 10)
    finally:
        worker.stop()
