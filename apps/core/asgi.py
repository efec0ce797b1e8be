"""The ASGI application: Django's handler, without the reference cycle it leaves per request.

Django's ``ASGIHandler.handle`` runs the view beside a task that waits for the client's
disconnect, and that task *raises* ``RequestAborted`` when the disconnect comes (after every
response, uvicorn reports one). ``handle`` ignores the exception, but the task keeps it, its
traceback keeps ``handle``'s frame, and that frame keeps the task list and the request: the
whole request (about a hundred objects) then waits for the cyclic garbage collector instead of
being freed when the response is sent. Measured at 256 clients: the web processes spent about
10 % of their CPU in the collector, with pauses of over 100 ms (docs/benchmarks.md, round 12).
Here the waiting task *returns* on a disconnect; ``handle`` treats a finished waiting task the
same either way (it cancels the view if the view is still running)."""
from __future__ import annotations

import django
from django.core.handlers.asgi import ASGIHandler
from django.urls import get_resolver


class TollgateASGIHandler(ASGIHandler):
    async def listen_for_disconnect(self, receive):
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        raise AssertionError(f"Invalid ASGI message after request body: {message['type']}")  # as Django's


def get_asgi_application() -> TollgateASGIHandler:
    """``django.core.asgi.get_asgi_application`` with this handler; then loads the URLconf
    (the views and everything they import) and freezes what startup made (``gc_tuning``)."""
    from apps.core.gc_tuning import gc_settle_after_startup

    django.setup(set_prefix=False)
    handler = TollgateASGIHandler()
    get_resolver().url_patterns  # noqa: B018 - imports every view now, not on the first request
    gc_settle_after_startup()
    return handler
