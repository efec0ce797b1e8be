"""DRF authentication by API key: ``Authorization: Bearer <key>`` (also ``x-api-key``)."""
from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from rest_framework import authentication, exceptions

from apps.accounts.models import ApiKey, Organization
from apps.accounts.selectors import api_key_from_secret
from apps.accounts.services import api_key_touch

from apps.core.errors import MISSING_API_KEY as MISSING_KEY  # noqa: E402
MALFORMED_KEY = "Malformed Authorization header. Expected 'Bearer YOUR_API_KEY'."
INVALID_KEY = "Invalid API key."
REVOKED_KEY = "This API key has been revoked."
EXPIRED_KEY = "This API key has expired."


@dataclass(frozen=True)
class ApiKeyPrincipal:
    """``request.user`` for key-authenticated calls: the organization acting through a key."""

    api_key: ApiKey
    is_authenticated: bool = True
    is_anonymous: bool = False
    is_active: bool = True

    @property
    def organization(self) -> Organization:
        return self.api_key.organization

    @property
    def pk(self) -> int:
        return self.api_key.pk


def presented_key(request) -> str | None:
    """The raw key from the request headers; raises for a malformed header."""
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip() or " " in value.strip():
            raise exceptions.AuthenticationFailed(MALFORMED_KEY)
        return value.strip()
    return request.headers.get("x-api-key") or None


def api_key_for_request(request, secret: str) -> ApiKey | None:
    """The key row behind ``secret``, looked up once per request: the rate-limit middleware and
    the authentication of the view both need it."""
    request = getattr(request, "_request", request)  # DRF's Request wraps the HttpRequest
    memo = getattr(request, "_tollgate_api_key", None)
    if memo is None or memo[0] != secret:
        memo = (secret, api_key_from_secret(secret=secret) if secret.startswith(settings.API_KEY_PREFIX) else None)
        request._tollgate_api_key = memo
    return memo[1]


def authenticate_secret(secret: str, request=None) -> ApiKey:
    """Validates a raw key (from a header or seed 004's ``?key=``) and records its use."""
    if not secret.startswith(settings.API_KEY_PREFIX):
        raise exceptions.AuthenticationFailed(INVALID_KEY)
    api_key = api_key_for_request(request, secret) if request is not None else api_key_from_secret(secret=secret)
    if api_key is None:
        raise exceptions.AuthenticationFailed(INVALID_KEY)
    if api_key.revoked_at is not None:
        raise exceptions.AuthenticationFailed(REVOKED_KEY)
    if not api_key.is_active:
        raise exceptions.AuthenticationFailed(EXPIRED_KEY)
    api_key_touch(api_key=api_key)
    return api_key


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        secret = presented_key(request)
        if secret is None:
            return None  # → NotAuthenticated (401, missing_api_key) from the permission check
        api_key = authenticate_secret(secret, request)
        return ApiKeyPrincipal(api_key=api_key), api_key

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'  # makes DRF answer 401 (not 403) for a missing key
