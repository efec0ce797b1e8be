import re
import weakref

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.contrib.auth import middleware as _auth
from django.contrib.messages import middleware as _messages
from django.contrib.sessions import middleware as _sessions
from django.middleware import clickjacking as _clickjacking
from django.middleware import common as _common
from django.middleware import csrf as _csrf
from django.http import HttpResponseBadRequest
from django.middleware import security as _security

from apps.core.errors import ApplicationError, error_response, is_api_path
from apps.core.text import NUL_CHARACTER, holds_nul
from apps.core.request_context import new_request_id, request_id_var

_VALID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")  # RFC 9110, as CsrfViewMiddleware reads them


class HybridMiddleware:
    """Base of middlewares that serve sync and async views natively, so an async view (a
    long-polling wait, a stream) never gets a thread of its own. Subclasses define
    ``call(request)`` and ``acall(request)``."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.acall(request)
        return self.call(request)


class NulInUrlMiddleware(HybridMiddleware):
    """A URL whose path or query holds the NUL character (``%00``) is refused with 400 before
    any view runs: PostgreSQL refuses NUL in text, so a lookup or a task made from it failed
    with a 500 (SQLite let it through). Request bodies are checked as they are read
    (``apps.core.json_body``)."""

    def _refusal(self, request):
        if "\x00" not in request.path and ("%00" not in request.META.get("QUERY_STRING", "")
                                          or not holds_nul(dict(request.GET.lists()))):
            return None
        if is_api_path(request.path):
            return error_response(ApplicationError(NUL_CHARACTER, code="invalid_character"))
        return HttpResponseBadRequest(NUL_CHARACTER, content_type="text/plain")

    def call(self, request):
        return self._refusal(request) or self.get_response(request)

    async def acall(self, request):
        return self._refusal(request) or await self.get_response(request)


class RequestIdMiddleware(HybridMiddleware):
    """Takes ``X-Request-Id`` when it is sane, else makes one; echoes it on the response."""

    def _begin(self, request):
        incoming = request.headers.get("X-Request-Id", "")
        request.request_id = incoming if _VALID.match(incoming) else new_request_id()
        return request_id_var.set(request.request_id)

    def call(self, request):
        token = self._begin(request)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-Id"] = request.request_id
        return response

    async def acall(self, request):
        token = self._begin(request)
        try:
            response = await self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-Id"] = request.request_id
        return response


class StaticFilesMiddleware(HybridMiddleware):
    """WhiteNoise's static files, without making every request sync: WhiteNoiseMiddleware is
    sync-only, and one sync middleware puts each async API request (a wait, a stream) through
    a thread and back. A path that is not a static file passes straight on."""

    def __init__(self, get_response):
        super().__init__(get_response)
        from whitenoise.middleware import WhiteNoiseMiddleware

        self._whitenoise = WhiteNoiseMiddleware(lambda request: None)

    def _serve(self, request):
        whitenoise = self._whitenoise
        found = (whitenoise.find_file(request.path_info) if whitenoise.autorefresh
                 else whitenoise.files.get(request.path_info))
        return None if found is None else whitenoise.serve(found, request)

    def call(self, request):
        return self._serve(request) or self.get_response(request)

    async def acall(self, request):
        # Without autorefresh the lookup is a dict; only a hit (or a disk search) needs a thread.
        if self._whitenoise.autorefresh or request.path_info in self._whitenoise.files:
            response = await sync_to_async(self._serve)(request)
            if response is not None:
                return response
        return await self.get_response(request)


# --- Django's own middlewares, without thread hops in an async chain ---------------------------
# In an async chain, Django's MiddlewareMixin runs each process_request/process_response
# through sync_to_async: two thread hops per middleware per request (measured: a bare view
# answered ~15 % slower once the chain became async). These methods do no I/O (sessions and
# users are loaded lazily, by the view), so they run inline here; the one that can write, the
# session save, still goes to a thread.


class _InlineAsyncMixin:
    async def __acall__(self, request):
        response = self.process_request(request) if hasattr(self, "process_request") else None
        response = response or await self.get_response(request)
        if hasattr(self, "process_response"):
            response = self.process_response(request, response)
        return response


class SecurityMiddleware(_InlineAsyncMixin, _security.SecurityMiddleware):
    pass


class CommonMiddleware(_InlineAsyncMixin, _common.CommonMiddleware):
    pass


class CsrfViewMiddleware(_InlineAsyncMixin, _csrf.CsrfViewMiddleware):
    """In an async chain Django's handler runs ``process_view`` through a thread: one hop to the
    request's thread and back for every request (measured: 0.19 ms of a web process's CPU per
    request, round 14 of docs/benchmarks.md). For an exempt view (the API) or a safe method it
    only marks the request, so it runs inline; a form POST, which may parse an upload, still
    goes to the thread."""

    def __init__(self, get_response):
        super().__init__(get_response)
        if iscoroutinefunction(get_response):
            self.process_view = self._aprocess_view  # the handler reads it after __init__

    async def _aprocess_view(self, request, callback, callback_args, callback_kwargs):
        if getattr(callback, "csrf_exempt", False) or request.method in _SAFE_METHODS:
            return super().process_view(request, callback, callback_args, callback_kwargs)
        return await sync_to_async(super().process_view)(request, callback, callback_args, callback_kwargs)


# Django's AuthenticationMiddleware and MessageMiddleware store on the request things that refer
# back to it (``request.user``'s lambda, ``request.auser``, the message storage): reference
# cycles, so every request waited for the cyclic garbage collector instead of being freed when
# its response was sent. Given a weak proxy of the request they store the same things without
# the cycle (apps/core/asgi.py has the rest of the story).


class AuthenticationMiddleware(_InlineAsyncMixin, _auth.AuthenticationMiddleware):
    def process_request(self, request):
        super().process_request(weakref.proxy(request))


class MessageMiddleware(_InlineAsyncMixin, _messages.MessageMiddleware):
    def process_request(self, request):
        super().process_request(weakref.proxy(request))


class XFrameOptionsMiddleware(_InlineAsyncMixin, _clickjacking.XFrameOptionsMiddleware):
    pass


class SessionMiddleware(_InlineAsyncMixin, _sessions.SessionMiddleware):
    async def __acall__(self, request):
        self.process_request(request)
        response = await self.get_response(request)
        session = request.session
        if session.modified or settings.SESSION_SAVE_EVERY_REQUEST:
            return await sync_to_async(self.process_response)(request, response)  # the save: database I/O
        return self.process_response(request, response)
