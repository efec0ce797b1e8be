"""What a request sends to its thread under ``TollgateASGIHandler`` (apps/core/asgi.py): an async
API view goes there only for the response's close, not for Django's ``request_started``
receivers or the CSRF check (apps/core/middleware.py); a form POST is still checked there."""
from __future__ import annotations

import pytest
from asgiref.sync import SyncToAsync
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_started
from django.db import close_old_connections, reset_queries
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from apps.core.asgi import TollgateASGIHandler, request_started_receivers_apart
from tests.asgi_call import asgi_status


async def _api_view(request):
    return JsonResponse({"ok": True})


async def _form_view(request):
    return JsonResponse({"posted": True})


urlpatterns = [path("api", csrf_exempt(_api_view)), path("form", _form_view)]  # the URLconf of these tests


def _serve(method: str, path_: str) -> int:
    return asgi_status(TollgateASGIHandler(), method, path_, body=b"a=1",
                       headers=((b"content-type", b"application/x-www-form-urlencoded"),))


@pytest.fixture
def hops(monkeypatch):
    """The synchronous functions each request sent to a thread, by name."""
    names: list[str] = []
    original = SyncToAsync.__call__

    async def counted(self, *args, **kwargs):
        names.append(getattr(self.func, "__qualname__", repr(self.func)))
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(SyncToAsync, "__call__", counted)
    return names


@pytest.fixture
def wiring():
    """Django's wiring of ``request_started`` as a process starts; put back afterwards."""
    saved = list(request_started.receivers)
    request_started.disconnect(close_old_connections)
    request_started.disconnect(reset_queries)
    request_started.connect(close_old_connections)
    request_started.connect(reset_queries)
    yield
    with request_started.lock:
        request_started.receivers = saved
        request_started.sender_receivers_cache.clear()


@pytest.mark.urls(__name__)
def test_an_api_request_goes_to_its_thread_only_to_close_the_response(wiring, hops):
    request_started_receivers_apart()
    assert _serve("POST", "/api") == 200
    assert hops == ["HttpResponseBase.close"]


@pytest.mark.urls(__name__)
def test_django_s_wiring_sends_every_request_to_its_thread_for_request_started(wiring, hops):
    """The control: what ``request_started_receivers_apart`` saves."""
    assert _serve("POST", "/api") == 200
    assert hops == ["Signal.asend.<locals>.sync_send", "HttpResponseBase.close"]


def test_the_wsgi_handler_keeps_both_receivers(wiring):
    request_started_receivers_apart()
    sync_receivers, _ = request_started._live_receivers(WSGIHandler)
    assert close_old_connections in sync_receivers and reset_queries in sync_receivers
    assert not request_started.has_listeners(TollgateASGIHandler)


@pytest.mark.urls(__name__)
def test_a_form_post_is_still_checked_for_its_csrf_token_on_the_thread(wiring, hops):
    request_started_receivers_apart()
    assert _serve("POST", "/form") == 403  # no CSRF cookie or token
    assert "CsrfViewMiddleware.process_view" in hops


@pytest.mark.urls(__name__)
def test_a_safe_method_passes_the_csrf_check_inline(wiring, hops):
    request_started_receivers_apart()
    assert _serve("GET", "/form") == 200
    assert hops == ["HttpResponseBase.close"]
