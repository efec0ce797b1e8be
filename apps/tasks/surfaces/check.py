"""Seed 004's ``GET /check?key=<KEY>`` (and ``/v1/check``): one key's usage and its
organization's credit, money as decimal USD strings."""
from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse, JsonResponse

from apps.core.money import micros_to_usd
from apps.tasks.surfaces.auth import key_authenticate, secret_authenticate
from apps.tasks.surfaces.endpoint import api_endpoint


def check_body(summary: dict[str, Any]) -> dict[str, Any]:
    def usd(name: str) -> str | None:
        value = summary.get(name)
        return micros_to_usd(value) if value is not None else None

    return {
        "object": "key.usage",
        "key": {"prefix": summary.get("key_prefix"), "name": summary.get("key_name"), "spend_cap": usd("spend_cap_micros")},
        "usage": {"requests": summary.get("requests", 0), "cost": usd("cost_micros"),
                  "input_tokens": summary.get("input_tokens", 0), "output_tokens": summary.get("output_tokens", 0)},
        "balance": {"amount": usd("balance_micros"), "held": usd("held_micros"), "available": usd("available_micros"),
                    "currency": "usd"},
    }


@api_endpoint("GET")
async def key_check(request: HttpRequest) -> HttpResponse:
    from apps.usage.selectors import key_usage_summary

    secret = (request.GET.get("key") or "").strip()
    api_key = await (secret_authenticate(secret) if secret else key_authenticate(request))
    summary = await sync_to_async(key_usage_summary)(api_key=api_key)
    return JsonResponse(check_body(summary))
