"""The one error shape of every API surface (seed 000):
``{"error": {"message", "type", "code", "param"}}`` with the right HTTP status."""
from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response

logger = logging.getLogger(__name__)

INVALID_REQUEST = "invalid_request_error"
AUTHENTICATION = "authentication_error"
PERMISSION = "permission_error"
NOT_FOUND = "not_found_error"
INSUFFICIENT_CREDITS = "insufficient_credits_error"
RATE_LIMIT = "rate_limit_error"
CONFLICT = "conflict_error"
API_ERROR = "api_error"
PROVIDER_ERROR = "provider_error"

MISSING_API_KEY = "Missing API key. Send it as 'Authorization: Bearer YOUR_API_KEY'."


class ApplicationError(Exception):
    """A business failure with its public error shape. Raise it from services; every surface
    renders it the same way."""

    def __init__(
        self,
        message: str,
        *,
        code: str,
        type: str = INVALID_REQUEST,  # noqa: A002 - the wire name
        status: int = 400,
        param: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.type = type
        self.status = status
        self.param = param
        self.headers = headers or {}
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        return error_body(self.message, type=self.type, code=self.code, param=self.param, **self.extra)


def error_body(message: str, *, type: str, code: str | None, param: str | None = None, **extra: Any) -> dict:  # noqa: A002
    return {"error": {"message": message, "type": type, "code": code, "param": param, **extra}}


def error_response(exc: ApplicationError) -> JsonResponse:
    response = JsonResponse(exc.body(), status=exc.status)
    for name, value in exc.headers.items():
        response[name] = value
    return response


_DRF_MAP: dict[type, tuple[int, str, str]] = {
    drf_exceptions.NotAuthenticated: (401, AUTHENTICATION, "missing_api_key"),
    drf_exceptions.AuthenticationFailed: (401, AUTHENTICATION, "invalid_api_key"),
    drf_exceptions.PermissionDenied: (403, PERMISSION, "permission_denied"),
    drf_exceptions.NotFound: (404, NOT_FOUND, "not_found"),
    drf_exceptions.MethodNotAllowed: (405, INVALID_REQUEST, "method_not_allowed"),
    drf_exceptions.NotAcceptable: (406, INVALID_REQUEST, "not_acceptable"),
    drf_exceptions.UnsupportedMediaType: (415, INVALID_REQUEST, "unsupported_media_type"),
    drf_exceptions.ParseError: (400, INVALID_REQUEST, "invalid_json"),
    drf_exceptions.Throttled: (429, RATE_LIMIT, "rate_limit_exceeded"),
}


def _first_validation_error(detail: Any, prefix: str = "") -> tuple[str | None, str]:
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "non_field_errors":
                name = prefix or None
            return _first_validation_error(value, name or "") if isinstance(value, (dict, list)) else (name, str(value))
    if isinstance(detail, list) and detail:
        return _first_validation_error(detail[0], prefix)
    return (prefix or None, str(detail))


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF exception handler: everything becomes the seed-000 error shape."""
    if isinstance(exc, ApplicationError):
        return Response(exc.body(), status=exc.status, headers=exc.headers)
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    if isinstance(exc, drf_exceptions.ValidationError):
        param, message = _first_validation_error(exc.detail)
        code = "missing_parameter" if "required" in message.lower() else "invalid_value"
        text = f"{param}: {message}" if param else message
        return Response(error_body(text, type=INVALID_REQUEST, code=code, param=param), status=400)
    if isinstance(exc, drf_exceptions.APIException):
        status, type_, code = _DRF_MAP.get(type(exc), (exc.status_code, INVALID_REQUEST, exc.default_code))
        headers = {}
        if isinstance(exc, drf_exceptions.NotAuthenticated | drf_exceptions.AuthenticationFailed):
            headers["WWW-Authenticate"] = 'Bearer realm="api"'
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if isinstance(exc, drf_exceptions.NotAuthenticated):
            detail = MISSING_API_KEY
        return Response(error_body(detail, type=type_, code=code), status=status, headers=headers)
    refusal = request_refusal(exc)
    if refusal is not None:
        return Response(refusal.body(), status=refusal.status)
    logger.exception("unhandled API error")
    return Response(error_body("Internal server error", type=API_ERROR, code="internal_error"), status=500)


REQUEST_TOO_LARGE = "The request body is larger than the limit of {limit} bytes (files are counted apart)."


def request_refusal(exc: Exception) -> ApplicationError | None:
    """Django's refusals of a request body as API errors: too large → 413, too many form
    fields or files → 400. None for any other exception."""
    if isinstance(exc, RequestDataTooBig):
        return ApplicationError(REQUEST_TOO_LARGE.format(limit=settings.DATA_UPLOAD_MAX_MEMORY_SIZE),
                                code="request_too_large", status=413)
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return ApplicationError(str(exc), code="too_many_fields", status=400)
    return None


# Paths served by the APIs: never answer them with an HTML page.
API_PATH_PREFIXES = (
    "/v1/", "/api/", "/chat/", "/models", "/images/", "/imagine", "/get-audio", "/suno", "/check",
    "/tts", "/stt", "/webhooks/", "/ask", "/audio/",
)


def is_api_path(path: str) -> bool:
    return path.startswith(API_PATH_PREFIXES)


def ratelimited_view(request: HttpRequest, exception: Exception) -> JsonResponse:
    return error_response(ApplicationError("Rate limit exceeded", type=RATE_LIMIT, code="rate_limit_exceeded", status=429))
