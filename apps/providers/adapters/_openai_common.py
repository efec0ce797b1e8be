"""Pieces every OpenAI-shaped upstream shares: auth, error bodies, request ids."""
from __future__ import annotations

from typing import Any

import httpx

from apps.providers.base import ProviderError, ProviderRequest
from apps.providers.http import check, json_or_none

NOT_CONFIGURED_MESSAGE = "{provider} is not configured on this platform"


def required_api_key(request: ProviderRequest, provider: str) -> str:
    api_key = request.credentials.get("api_key")
    if not api_key:
        raise ProviderError(NOT_CONFIGURED_MESSAGE.format(provider=provider), code="provider_not_configured")
    return api_key


def bearer_headers(api_key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


def error_message(body: Any) -> str | None:
    """The human message of an error body, in the shapes OpenAI, Mistral and
    OpenAI-compatible servers use: {"error": {"message"}}, {"error": "..."},
    {"message"}, or a validation list under "detail"."""
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    if isinstance(error, str):
        return error
    if body.get("message"):
        return str(body["message"])
    detail = body.get("detail")
    if isinstance(detail, list):
        return "; ".join(_validation_item(item) for item in detail)
    if isinstance(detail, str):
        return detail
    return None


def _validation_item(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    location = ".".join(str(part) for part in item.get("loc") or [])
    return f"{location}: {item.get('msg', '')}" if location else str(item.get("msg", ""))


def raise_for_status(response: httpx.Response, *, provider: str) -> httpx.Response:
    """``check`` plus OpenAI's one exception: a 429 ``insufficient_quota`` is our billing
    problem with the provider, so retrying cannot help and the caller is not at fault."""
    if response.status_code == 429:
        body = json_or_none(response)
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict) and "insufficient_quota" in (error.get("code"), error.get("type")):
            raise ProviderError(
                f"{provider} account has no remaining quota",
                code="provider_quota_exceeded",
                status=502,
                upstream_status=429,
            )
    return check(response, provider=provider, message_of=error_message)


def request_id(response: httpx.Response) -> str | None:
    return response.headers.get("x-request-id") or response.headers.get("request-id")


def timeout(request: ProviderRequest) -> httpx.Timeout:
    return httpx.Timeout(request.timeout_seconds)
