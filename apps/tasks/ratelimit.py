"""API rate limits (seed 002): per API key and per organization, separate budgets for
generation (POST and other writes) and polling (GET), counted in the shared Redis cache by
django-ratelimit so they hold across web processes. Repeated violations start a ban.

Every API response carries X-RateLimit-Limit / -Remaining / -Reset (unix seconds); a 429
carries Retry-After."""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone as dt_timezone

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import cache
from django_ratelimit.core import get_usage
from rest_framework import exceptions

from apps.accounts.authentication import api_key_for_request, presented_key
from apps.core.errors import RATE_LIMIT, ApplicationError, error_response, is_api_path
from apps.core.middleware import HybridMiddleware
from apps.tasks.selectors import rate_limit_plan_for

RATE_LIMIT_EXCEEDED = "Rate limit exceeded. Reset at {reset}"
VIOLATION_WINDOW_SECONDS = 60


@dataclass
class Verdict:
    limit: int
    remaining: int
    reset_epoch: int
    retry_after: int | None = None  # set when the request is refused


def _group(request) -> str:
    return "polling" if request.method in ("GET", "HEAD", "OPTIONS") else "generation"


def _identity(request):
    try:
        secret = presented_key(request)
    except exceptions.AuthenticationFailed:
        return None
    if not secret:
        return None
    return api_key_for_request(request, secret)


def _ban_key(organization_id: int, group: str) -> str:
    return f"rl:ban:{group}:{organization_id}"


def _refused(reset_epoch: int, limit: int, retry_after: int) -> Verdict:
    return Verdict(limit=limit, remaining=0, reset_epoch=reset_epoch, retry_after=max(retry_after, 1))


def rate_limit_check(request) -> Verdict | None:
    """None when the request is not rate limited (not an API path, no valid key: auth answers)."""
    if not settings.TOLLGATE_RATE_LIMIT_ENABLED or not is_api_path(request.path):
        return None
    api_key = _identity(request)
    if api_key is None:
        return None
    group = _group(request)
    plan = rate_limit_plan_for(organization_id=api_key.organization_id)
    per_second = plan.generation_per_second if group == "generation" else plan.polling_per_second
    now = int(time.time())
    ban_key = _ban_key(api_key.organization_id, group)
    banned_until = cache.get(ban_key)
    if banned_until:
        return _refused(int(banned_until), per_second, int(banned_until) - now)
    rate = f"{per_second}/s"
    usages = [
        get_usage(request, group=f"tg-{group}-key", key=lambda g, r: str(api_key.pk), rate=rate, increment=True),
        get_usage(request, group=f"tg-{group}-org", key=lambda g, r: str(api_key.organization_id), rate=rate,
                  increment=True),
    ]
    usages = [u for u in usages if u is not None]
    if not usages:
        return None
    remaining = min(max(u["limit"] - u["count"], 0) for u in usages)
    reset_epoch = now + max(max(u["time_left"] for u in usages), 1)
    if not any(u["should_limit"] for u in usages):
        return Verdict(limit=per_second, remaining=remaining, reset_epoch=reset_epoch)
    violations_key = f"rl:violations:{group}:{api_key.organization_id}"
    cache.add(violations_key, 0, VIOLATION_WINDOW_SECONDS)
    try:
        violations = cache.incr(violations_key)
    except ValueError:
        violations = 1
    if violations >= settings.TOLLGATE_RATE_LIMIT_BAN_AFTER_VIOLATIONS:
        banned_until = now + plan.ban_seconds
        cache.set(ban_key, banned_until, plan.ban_seconds)
        cache.delete(violations_key)
        return _refused(banned_until, per_second, plan.ban_seconds)
    return _refused(reset_epoch, per_second, reset_epoch - now)


def _headers(response, verdict: Verdict):
    response["X-RateLimit-Limit"] = str(verdict.limit)
    response["X-RateLimit-Remaining"] = str(verdict.remaining)
    response["X-RateLimit-Reset"] = str(verdict.reset_epoch)
    return response


def _too_many(verdict: Verdict):
    reset = datetime.fromtimestamp(verdict.reset_epoch, tz=dt_timezone.utc).isoformat().replace("+00:00", "Z")
    exc = ApplicationError(RATE_LIMIT_EXCEEDED.format(reset=reset), type=RATE_LIMIT, code="rate_limit_exceeded",
                           status=429, headers={"Retry-After": str(verdict.retry_after)})
    return _headers(error_response(exc), verdict)


def _check_then_authenticate(request) -> Verdict | None:
    """Under ASGI: the rate-limit check, then (a request let through) the key's authentication
    in the same thread, so the async view does not hop to a thread again for it. A connection
    this took (a key or plan not cached yet) goes back to the pool at once: the request may
    now queue for a submit slot, and a burst on a cold process once held the whole pool there
    while the other requests timed out waiting for a connection (500s)."""
    from apps.core.db import connection_release
    from apps.tasks.surfaces.auth import authentication_prime

    try:
        verdict = rate_limit_check(request)
        if verdict is not None and verdict.retry_after is None:
            authentication_prime(request)
        return verdict
    finally:
        connection_release()


class RateLimitMiddleware(HybridMiddleware):
    """Under ASGI only the Redis check runs in a thread, never the wait of a long-polling view."""

    def call(self, request):
        verdict = rate_limit_check(request)
        if verdict is not None and verdict.retry_after is not None:
            return _too_many(verdict)
        response = self.get_response(request)
        return _headers(response, verdict) if verdict is not None else response

    async def acall(self, request):
        if not settings.TOLLGATE_RATE_LIMIT_ENABLED or not is_api_path(request.path):
            return await self.get_response(request)  # nothing to count: no thread for it
        verdict = await sync_to_async(_check_then_authenticate)(request)
        if verdict is not None and verdict.retry_after is not None:
            return _too_many(verdict)
        response = await self.get_response(request)
        return _headers(response, verdict) if verdict is not None else response
