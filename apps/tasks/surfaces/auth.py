"""API-key authentication for the async (non-DRF) surface views: same keys, same 401s."""
from __future__ import annotations

from asgiref.sync import sync_to_async
from django.http import HttpRequest
from rest_framework import exceptions as drf_exceptions

from apps.accounts.authentication import authenticate_secret, presented_key
from apps.accounts.models import ApiKey
from apps.core.errors import MISSING_API_KEY


async def key_authenticate(request: HttpRequest) -> ApiKey:
    """The key from ``Authorization: Bearer`` or ``x-api-key``; raises DRF auth errors that
    ``api_endpoint`` renders as 401 missing_api_key / invalid_api_key."""
    secret = presented_key(request)
    if secret is None:
        raise drf_exceptions.NotAuthenticated(MISSING_API_KEY)
    return await secret_authenticate(secret, request)


def _authenticate_with_organization(secret: str, request: HttpRequest | None) -> ApiKey:
    api_key = authenticate_secret(secret, request)
    api_key.organization  # noqa: B018 - callers read it in async code: load it here, in the thread
    return api_key


def authentication_prime(request: HttpRequest) -> None:
    """Authenticates the request's key ahead of the view, in a thread the request already runs
    in (the rate-limit check's): the view then needs no thread of its own for it. The outcome,
    key or refusal, is kept on the request for ``secret_authenticate``."""
    try:
        secret = presented_key(request)
    except drf_exceptions.AuthenticationFailed:
        return
    if secret is None:
        return
    try:
        request._tollgate_authenticated = (secret, _authenticate_with_organization(secret, request), None)
    except drf_exceptions.AuthenticationFailed as exc:
        request._tollgate_authenticated = (secret, None, exc)


async def secret_authenticate(secret: str, request: HttpRequest | None = None) -> ApiKey:
    primed = getattr(request, "_tollgate_authenticated", None)
    if primed is not None and primed[0] == secret:
        if primed[2] is not None:
            raise primed[2]
        return primed[1]
    return await sync_to_async(_authenticate_with_organization)(secret, request)
