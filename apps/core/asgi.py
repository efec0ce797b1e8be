"""The ASGI application: Django's handler, without the reference cycle it leaves per request and
without the second thread it starts per request.

Django's ``ASGIHandler.handle`` runs the view beside a task that waits for the client's
disconnect, and that task *raises* ``RequestAborted`` when the disconnect comes (after every
response, uvicorn reports one). ``handle`` ignores the exception, but the task keeps it, its
traceback keeps ``handle``'s frame, and that frame keeps the task list and the request: the
whole request (about a hundred objects) then waits for the cyclic garbage collector instead of
being freed when the response is sent. Measured at 256 clients: the web processes spent about
10 % of their CPU in the collector, with pauses of over 100 ms (docs/benchmarks.md, round 12).
Here the waiting task *returns* on a disconnect; ``handle`` treats a finished waiting task the
same either way (it cancels the view if the view is still running).

Each request's thread (asgiref runs a request's synchronous code on a thread of its own) is
also let go without a second thread: see ``RequestThreadContext``; and no request goes to it
only for Django's two ``request_started`` receivers: see ``request_started_receivers_apart``."""
from __future__ import annotations

import django
from asgiref.sync import SyncToAsync, ThreadSensitiveContext
from django.core.handlers.asgi import ASGIHandler
from django.urls import get_resolver


class RequestThreadContext(ThreadSensitiveContext):
    """asgiref's per-request context (Django enters one per request), ended without a thread.

    The first synchronous call of a request (a sync view, a rate-limit check, a submit) starts
    the request's own single-thread executor. On exit, asgiref 3.13 joins that executor by
    starting *another* thread whose only job is ``executor.shutdown()``, and awaits it. Starting
    a thread blocks the event loop until the new thread runs, so under load every finished
    request stalled every other request of its process. Here the executor is told to shut down
    without waiting: its thread ends by itself once the call in hand returns. Measured
    (docs/benchmarks.md, round 13): a bare Django view 1.36–1.45 → 1.02–1.03 ms of web CPU per
    request, and at 256 clients on a 2 s upstream the clients' mean latency 84 ms lower."""

    async def __aexit__(self, exc, value, tb):
        if not self.token:
            return  # an inner context: the outer one owns the executor
        executor = SyncToAsync.context_to_thread_executor.pop(self, None)
        SyncToAsync.thread_sensitive_context.reset(self.token)
        self.token = None
        if executor is not None:
            executor.shutdown(wait=False)


class TollgateASGIHandler(ASGIHandler):
    async def __call__(self, scope, receive, send):
        """As Django's, in a ``RequestThreadContext``."""
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        async with RequestThreadContext():
            await self.handle(scope, receive, send)

    async def listen_for_disconnect(self, receive):
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        raise AssertionError(f"Invalid ASGI message after request body: {message['type']}")  # as Django's


def request_started_receivers_apart() -> None:
    """Keeps Django's ``request_started`` receivers, ``close_old_connections`` and
    ``reset_queries``, off this handler's requests.

    ``Signal.asend`` runs synchronous receivers on the request's thread, so every request began
    with a hop to that thread and back for them alone (measured: 0.17 ms of a web process's CPU
    per request, round 14 of docs/benchmarks.md). Here both have nothing to do: they act on the
    calling thread's connections, and a request's thread is new (``RequestThreadContext``), with
    no connection yet. Its connections are still closed when the response ends: that is
    ``request_finished``, untouched. They stay connected for the WSGI handler; Django's test
    client connects ``close_old_connections`` again around its own requests."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.signals import request_started
    from django.db import close_old_connections, reset_queries

    for receiver in (close_old_connections, reset_queries):
        if request_started.disconnect(receiver):
            request_started.connect(receiver, sender=WSGIHandler)


def get_asgi_application() -> TollgateASGIHandler:
    """``django.core.asgi.get_asgi_application`` with this handler; then loads the URLconf
    (the views and everything they import) and freezes what startup made (``gc_tuning``)."""
    from apps.core.gc_tuning import gc_settle_after_startup

    django.setup(set_prefix=False)
    request_started_receivers_apart()
    handler = TollgateASGIHandler()
    get_resolver().url_patterns  # noqa: B018 - imports every view now, not on the first request
    gc_settle_after_startup()
    return handler
