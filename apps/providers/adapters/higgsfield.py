"""Higgsfield v2 API (providers.md §11.2; thin facts from the official JS SDK, UNVERIFIED beyond it).

Submit ``POST /{model_path}`` (model_path = the route's upstream model, e.g.
``higgsfield-ai/dop/standard``) with the model's input object, then poll
``GET /requests/{request_id}/status``. Parameters go through under their catalog names; URL
parameters stay URLs (Higgsfield fetches them) unless ``options["inline_files"]`` asks for
data URLs built from ``request.files``. Parsing is tolerant: results may sit at the top level
or under ``result``/``output``, as ``images[]``, ``video`` or ``audio`` objects with a ``url``.
"""
from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

import httpx

from apps.providers.base import Output, ProviderError, ProviderRequest, ProviderResult, ResultState
from apps.providers.http import check, clean_message, download, join, json_object, send
from apps.providers.registry import register

PROVIDER = "Higgsfield"
DEFAULT_BASE_URL = "https://platform.higgsfield.ai"
POLL_AFTER_SECONDS = 5.0
RUNNING_STATUSES = frozenset({"queued", "in_progress", "pending", "processing"})
DEFAULT_MIME = {"image": "image/png", "video": "video/mp4", "audio": "audio/mpeg"}
EXTENSIONS = {"image": "png", "video": "mp4", "audio": "mp3"}


def _message_of(body: Any) -> str | None:
    if isinstance(body, dict):
        detail = body.get("detail")
        if isinstance(detail, list):  # FastAPI-style validation errors
            return "; ".join(str(item.get("msg", item)) if isinstance(item, dict) else str(item) for item in detail)
        return body.get("message") or body.get("error") or detail
    return None


def _headers(request: ProviderRequest) -> dict[str, str]:
    key_id, key_secret = request.credentials.get("key_id"), request.credentials.get("key_secret")
    if not key_id or not key_secret:
        raise ProviderError("Higgsfield credentials need key_id and key_secret", code="provider_misconfigured")
    return {"Authorization": f"Key {key_id}:{key_secret}"}


def build_body(request: ProviderRequest) -> dict[str, Any]:
    body = dict(request.params)
    if request.options.get("inline_files"):
        for name, file in request.files.items():
            data_url = f"data:{file.content_type};base64,{base64.b64encode(file.content).decode()}"
            if "[" in name:  # "image_urls[0]" -> body["image_urls"][0]
                field, index = name[:-1].split("[")
                items = list(body.get(field) or [])
                items[int(index)] = data_url
                body[field] = items
            else:
                body[name] = data_url
    return body


def _json(response: httpx.Response) -> dict[str, Any]:
    return json_object(check(response, provider=PROVIDER, message_of=_message_of), provider=PROVIDER)


def result_urls(body: dict[str, Any]) -> list[tuple[str, str]]:
    """(kind, url) pairs wherever the tolerant reading finds them."""
    found: list[tuple[str, str]] = []
    for holder in (body, body.get("result") or {}, body.get("output") or {}):
        if not isinstance(holder, dict):
            continue
        for image in holder.get("images") or []:
            if isinstance(image, dict) and image.get("url"):
                found.append(("image", image["url"]))
        for kind in ("video", "audio"):
            item = holder.get(kind)
            if isinstance(item, dict) and item.get("url"):
                found.append((kind, item["url"]))
        if found:
            break
    return found


def _usage(request: ProviderRequest, outputs: list[Output]) -> dict[str, Any]:
    usage: dict[str, Any] = {"requests": 1}
    images = sum(1 for output in outputs if output.kind == "image")
    if images:
        usage["images"] = images
    if any(output.kind in ("video", "audio") for output in outputs) and request.params.get("duration") is not None:
        usage["seconds"] = str(Decimal(str(request.params["duration"])))
    if request.task_kind == "text_to_speech" and request.params.get("prompt"):
        usage["characters"] = len(request.params["prompt"])
    return usage


@register
class HiggsfieldAdapter:
    family = "higgsfield"

    def run(self, request: ProviderRequest, http: httpx.Client, on_chunk=None) -> ProviderResult:
        if not request.upstream_model:
            raise ProviderError("Higgsfield route needs upstream_model (the model path)", code="provider_misconfigured")
        params = {"hf_webhook": request.options["callback_url"]} if request.options.get("callback_url") else None
        body = _json(send(http, "POST", join(request.base_url or DEFAULT_BASE_URL, request.upstream_model.strip("/")),
                          provider=PROVIDER, json=build_body(request), params=params, headers=_headers(request),
                          timeout=request.timeout_seconds))
        request_id = body.get("request_id") or body.get("id")
        if not request_id:
            raise ProviderError("Higgsfield response has no request_id", code="provider_bad_response")
        job = {"request_id": str(request_id)}
        if str(body.get("status") or "").lower() in RUNNING_STATUSES or not body.get("status"):
            return ProviderResult(state=ResultState.PENDING, job=job, poll_after_seconds=POLL_AFTER_SECONDS,
                                  provider_request_id=job["request_id"])
        return self._settle(request, job, body, http)

    def poll(self, request: ProviderRequest, job: dict[str, Any], http: httpx.Client) -> ProviderResult:
        url = join(request.base_url or DEFAULT_BASE_URL, f"/requests/{job['request_id']}/status")
        body = _json(send(http, "GET", url, provider=PROVIDER, headers=_headers(request), timeout=request.timeout_seconds))
        return self._settle(request, job, body, http)

    def _settle(self, request: ProviderRequest, job: dict[str, Any], body: dict[str, Any], http: httpx.Client) -> ProviderResult:
        status = str(body.get("status") or "").lower()
        if status == "nsfw":
            raise ProviderError("Higgsfield flagged the content as not safe for work", code="content_moderated", status=400)
        if status in ("failed", "canceled", "cancelled"):
            reason = body.get("error") or body.get("message") or status
            raise ProviderError(f"Higgsfield job failed: {clean_message(reason)}", code="provider_job_failed")
        if status != "completed":  # queued, in_progress, or unknown: keep polling
            return ProviderResult(state=ResultState.PENDING, job=job, poll_after_seconds=POLL_AFTER_SECONDS,
                                  provider_request_id=job["request_id"])
        outputs = []
        for index, (kind, url) in enumerate(result_urls(body)):
            content, mime = download(http, url, provider=PROVIDER)  # CDN host: never the key
            if not mime.startswith(kind + "/"):
                mime = DEFAULT_MIME[kind]
            outputs.append(Output(kind=kind, mime_type=mime, data=content, filename=f"{kind}-{index}.{EXTENSIONS[kind]}"))
        if not outputs:
            raise ProviderError("Higgsfield reported completion without results", code="provider_bad_response")
        return ProviderResult(state=ResultState.SUCCEEDED, outputs=outputs, usage=_usage(request, outputs),
                              provider_request_id=job["request_id"])
