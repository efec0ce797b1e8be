"""Black Forest Labs (FLUX) adapter: submit a job, then poll its ``polling_url``.

The route's ``upstream_model`` is BFL's endpoint name (``flux-pro-1.1``, ``flux-2-flex``...),
so the submit path is ``/v1/<upstream_model>``. FLUX.1 [schnell] is not on the BFL API.
"""
from __future__ import annotations

import base64
import math
import re
from typing import Any

import httpx

from apps.providers.base import Output, ProviderError, ProviderRequest, ProviderResult, ResultState
from apps.providers.http import check, clean_message, download, join, json_or_none, same_site, send
from apps.providers.registry import register
from apps.providers.adapters._media import image_filename, read_image_header

PROVIDER = "Black Forest Labs"
DEFAULT_BASE_URL = "https://api.bfl.ai"
API_SITE = "bfl.ai"
POLL_AFTER_SECONDS = 1.5
MAX_INPUT_IMAGES = 8
# FLUX.1 [pro] and [dev] take steps/guidance; FLUX1.1 [pro] rejects or ignores them.
FLUX1_TUNABLE_MODELS = frozenset({"flux-pro", "flux-dev"})
# Our tuning parameter names -> BFL's, per model generation.
FLUX1_TUNING = {"num_inference_steps": "steps", "guidance_scale": "guidance"}
FLUX2_TUNING = {"steps": "steps", "cfg": "guidance"}
# Pixel area per FLUX.2 "quality" (BFL caps outputs at 4 megapixels).
QUALITY_AREAS = {"1K": 1024 * 1024, "2K": 2048 * 2048}
PASSTHROUGH_PARAMS = ("seed", "safety_tolerance", "output_format", "prompt_upsampling")
MODERATED_STATUSES = frozenset({"Request Moderated", "Content Moderated"})
FAILED_STATUSES = frozenset({"Error", "Failed"})
MODERATED_MESSAGE = "the image request was blocked by the provider's content moderation"


def error_message(body: Any) -> str | None:
    """FastAPI bodies: ``{"detail": "..."}`` or ``{"detail": [{"loc", "msg"}...]}``."""
    if not isinstance(body, dict):
        return None
    detail = body.get("detail", body.get("message"))
    if isinstance(detail, list):
        return "; ".join(str(item.get("msg", item)) if isinstance(item, dict) else str(item) for item in detail)
    if isinstance(detail, dict):
        return detail.get("message") or detail.get("msg")
    return str(detail) if detail else None


def flux2_size(aspect_ratio: str | None, quality: str | None) -> dict[str, int]:
    """Width/height (multiples of 16) for an aspect ratio at the quality's pixel area.
    "auto" with no reference image means square; with one, BFL keeps the input's shape."""
    if not aspect_ratio and not quality:
        return {}
    area = QUALITY_AREAS.get((quality or "1K").upper(), QUALITY_AREAS["1K"])
    match = re.fullmatch(r"\s*(\d+)\s*:\s*(\d+)\s*", aspect_ratio or "1:1")
    ratio_w, ratio_h = (int(match.group(1)), int(match.group(2))) if match else (1, 1)
    width = math.sqrt(area * ratio_w / ratio_h)
    height = width * ratio_h / ratio_w
    return {"width": int(width // 16) * 16, "height": int(height // 16) * 16}


def flux2_body(request: ProviderRequest) -> dict[str, Any]:
    params = request.params
    body: dict[str, Any] = {"prompt": params["prompt"]}
    images = [request.files[f"image_urls[{index}]"] for index in range(MAX_INPUT_IMAGES)
              if f"image_urls[{index}]" in request.files]
    for position, image in enumerate(images):
        name = "input_image" if position == 0 else f"input_image_{position + 1}"
        body[name] = base64.b64encode(image.content).decode()
    aspect_ratio = params.get("aspect_ratio")
    if not (aspect_ratio == "auto" and images):
        body.update(flux2_size(None if aspect_ratio == "auto" else aspect_ratio, params.get("quality")))
    body.update(renamed(params, FLUX2_TUNING))
    return body


def flux1_body(request: ProviderRequest) -> dict[str, Any]:
    params = request.params
    body: dict[str, Any] = {"prompt": params["prompt"]}
    for name in ("width", "height", "aspect_ratio"):
        if name in params:
            body[name] = params[name]
    if request.upstream_model in FLUX1_TUNABLE_MODELS:
        body.update(renamed(params, FLUX1_TUNING))
    return body


def renamed(params: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """The given params under BFL's names (``names`` maps ours to theirs)."""
    return {upstream: params[ours] for ours, upstream in names.items() if ours in params}


def submit_body(request: ProviderRequest) -> dict[str, Any]:
    is_flux2 = request.upstream_model.startswith("flux-2")
    body = flux2_body(request) if is_flux2 else flux1_body(request)
    body.update({name: request.params[name] for name in PASSTHROUGH_PARAMS if name in request.params})
    return body


def progress_percent(value: Any) -> int | None:
    """BFL reports progress as a 0-1 fraction; tolerate 0-100 too."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    percent = value * 100 if isinstance(value, float) and value <= 1 else value
    return max(0, min(100, int(percent)))


@register
class BlackForestLabsAdapter:
    family = "bfl"

    def _base_url(self, request: ProviderRequest) -> str:
        return request.base_url or DEFAULT_BASE_URL

    def _headers(self, request: ProviderRequest) -> dict[str, str]:
        return {"x-key": request.credentials["api_key"], "Accept": "application/json"}

    def run(self, request: ProviderRequest, http: httpx.Client, on_chunk: Any = None) -> ProviderResult:
        url = join(self._base_url(request), f"/v1/{request.upstream_model}")
        response = send(http, "POST", url, provider=PROVIDER, json=submit_body(request),
                        headers=self._headers(request), timeout=request.timeout_seconds)
        if response.status_code == 402:
            # Our BFL account is out of credits: not the caller's fault.
            raise ProviderError(f"{PROVIDER} account has insufficient credits", code="provider_quota_exceeded",
                                upstream_status=402)
        body = json_or_none(check(response, provider=PROVIDER, message_of=error_message))
        job_id = body.get("id") if isinstance(body, dict) else None
        if not job_id:
            raise ProviderError(f"{PROVIDER} returned no job id", code="provider_bad_response")
        polling_url = body.get("polling_url") or join(self._base_url(request), f"/v1/get_result?id={job_id}")
        return ProviderResult(ResultState.PENDING, job={"id": job_id, "polling_url": polling_url},
                              progress=0, poll_after_seconds=POLL_AFTER_SECONDS, provider_request_id=job_id)

    def _may_receive_key(self, request: ProviderRequest, url: str) -> bool:
        """The key goes only to BFL's own hosts (or the configured base URL, e.g. a test fake)."""
        if same_site(url, API_SITE) and url.startswith("https://"):
            return True
        return bool(request.base_url) and url.startswith(request.base_url.rstrip("/") + "/")

    def poll(self, request: ProviderRequest, job: dict[str, Any], http: httpx.Client) -> ProviderResult:
        polling_url = job["polling_url"]
        if not self._may_receive_key(request, polling_url):
            raise ProviderError(f"{PROVIDER} returned a polling URL on an unexpected host",
                                code="provider_bad_response")
        response = send(http, "GET", polling_url, provider=PROVIDER, headers=self._headers(request),
                        timeout=request.timeout_seconds)
        body = json_or_none(check(response, provider=PROVIDER, message_of=error_message))
        if not isinstance(body, dict):
            raise ProviderError(f"{PROVIDER} returned an unreadable job status", code="provider_bad_response")
        status = body.get("status")
        if status == "Ready":
            return self._finished(request, job, body, http)
        if status in MODERATED_STATUSES:
            raise ProviderError(MODERATED_MESSAGE, code="content_moderated", status=400)
        if status in FAILED_STATUSES:
            detail = error_message({"detail": body.get("details") or body.get("error")})
            raise ProviderError(f"{PROVIDER} generation failed" + (f": {clean_message(detail)}" if detail else ""),
                                code="provider_job_failed")
        if status == "Task not found":
            raise ProviderError(f"{PROVIDER} lost the job", code="provider_job_lost")
        # Pending, or a status we do not know yet: still running.
        return ProviderResult(ResultState.PENDING, job=job, progress=progress_percent(body.get("progress")),
                              poll_after_seconds=POLL_AFTER_SECONDS, provider_request_id=job.get("id"))

    def _finished(self, request: ProviderRequest, job: dict[str, Any], body: dict[str, Any],
                  http: httpx.Client) -> ProviderResult:
        result = body.get("result")
        sample_url = result.get("sample") if isinstance(result, dict) else None
        if not isinstance(sample_url, str) or not sample_url.startswith(("https://", "http://")):
            raise ProviderError(f"{PROVIDER} finished without an image URL", code="provider_bad_response")
        # A presigned URL on a delivery host: never send the key there.
        data, _content_type = download(http, sample_url, provider=PROVIDER)
        header = read_image_header(data)
        if header is None or header.mime_type is None:
            raise ProviderError(f"{PROVIDER} result is not a readable image", code="provider_bad_response")
        meta: dict[str, Any] = {"width": header.width, "height": header.height}
        if isinstance(result, dict) and "seed" in result:
            meta["seed"] = result["seed"]
        image = Output(kind="image", mime_type=header.mime_type, data=data,
                       filename=image_filename(job["id"], header.mime_type), meta=meta)
        return ProviderResult(ResultState.SUCCEEDED, outputs=[image], usage={"images": 1, "requests": 1},
                              progress=100, provider_request_id=job.get("id"))
