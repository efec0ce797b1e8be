"""A request's own thread is let go without starting another one (apps/core/asgi.py,
``RequestThreadContext``), and still ends once the request is done."""
from __future__ import annotations

import asyncio
import threading

import pytest
from asgiref.sync import SyncToAsync, sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.http import JsonResponse
from django.urls import path

from apps.core.asgi import RequestThreadContext, TollgateASGIHandler
from tests.asgi_call import asgi_status

_ran_on: list[threading.Thread] = []


def _sync_view(request):
    _ran_on.append(threading.current_thread())
    return JsonResponse({"ok": True})


urlpatterns = [path("sync", _sync_view)]  # this module is the URLconf of these tests


@pytest.fixture
def started_threads(monkeypatch):
    """Every thread started while the test runs."""
    started: list[threading.Thread] = []
    original = threading.Thread.start

    def start(self):
        started.append(self)
        return original(self)

    monkeypatch.setattr(threading.Thread, "start", start)
    _ran_on.clear()
    return started


@pytest.mark.urls(__name__)
def test_a_request_starts_one_thread_and_it_ends(started_threads):
    assert asgi_status(TollgateASGIHandler(), "GET", "/sync") == 200
    assert started_threads == _ran_on  # the view's thread, and no thread to join it
    started_threads[0].join(timeout=5)
    assert not started_threads[0].is_alive()
    assert not SyncToAsync.context_to_thread_executor  # nothing kept per request


@pytest.mark.urls(__name__)
def test_django_s_own_handler_starts_a_second_thread_to_join_the_first(started_threads):
    """The control: if asgiref stops doing this, ``RequestThreadContext`` can go."""
    assert asgi_status(ASGIHandler(), "GET", "/sync") == 200
    assert len(started_threads) == 2 and started_threads[0] is _ran_on[0]


def test_an_inner_context_leaves_the_outer_executor_alone():
    async def scenario():
        async with RequestThreadContext():
            first = await sync_to_async(threading.get_ident)()
            async with RequestThreadContext():
                inner = await sync_to_async(threading.get_ident)()
            after = await sync_to_async(threading.get_ident)()
        return first, inner, after

    first, inner, after = asyncio.run(scenario())
    assert first == inner == after != threading.get_ident()
