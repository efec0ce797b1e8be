"""The plumbing every surface view shares: async, CSRF-exempt, method-checked, and every
failure rendered in seed 000's error shape (an API path never answers HTML)."""
from __future__ import annotations

import functools
import logging
from typing import Awaitable, Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions as drf_exceptions

from apps.core.errors import (API_ERROR, AUTHENTICATION, INVALID_REQUEST, ApplicationError, error_body, error_response,
                              request_refusal)

logger = logging.getLogger(__name__)

View = Callable[..., Awaitable[HttpResponse]]


def _auth_error(exc: drf_exceptions.APIException) -> ApplicationError:
    code = "missing_api_key" if isinstance(exc, drf_exceptions.NotAuthenticated) else "invalid_api_key"
    return ApplicationError(str(exc.detail), code=code, type=AUTHENTICATION, status=401,
                            headers={"WWW-Authenticate": 'Bearer realm="api"'})


def api_endpoint(*methods: str) -> Callable[[View], View]:
    """Decorates an async view: allowed methods, errors → ``{"error": {...}}`` JSON."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        async def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method not in methods:
                response = JsonResponse(error_body(f"Method {request.method} not allowed on {request.path}",
                                                   type=INVALID_REQUEST, code="method_not_allowed"), status=405)
                response["Allow"] = ", ".join(methods)
                return response
            try:
                return await view(request, *args, **kwargs)
            except ApplicationError as exc:
                return error_response(exc)
            except (drf_exceptions.AuthenticationFailed, drf_exceptions.NotAuthenticated) as exc:
                return error_response(_auth_error(exc))
            except Exception as exc:  # noqa: BLE001 - the last line: JSON, never Django's HTML page
                refusal = request_refusal(exc)
                if refusal is not None:
                    return error_response(refusal)
                logger.exception("unhandled error on %s", request.path)
                return JsonResponse(error_body("Internal server error", type=API_ERROR, code="internal_error"), status=500)

        return csrf_exempt(wrapper)

    return decorate
