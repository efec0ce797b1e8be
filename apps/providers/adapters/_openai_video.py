"""Sora 2 through OpenAI's asynchronous /videos API.

Duration: our catalog offers 5-25 s (seed 002) but the API renders only 4, 8 or 12 s. We
ask for the longest length that does not exceed the requested duration (at least 4 s), so
a caller never receives, or pays for, more than asked; ``usage["seconds"]`` is what the
provider reports it rendered. Aspect ratio 16:9 / 9:16 maps to 1280x720 / 720x1280."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from apps.providers.base import Output, ProviderError, ProviderRequest, ProviderResult, ResultState
from apps.providers.http import download, join, json_object, send
from apps.providers.adapters._openai_common import error_message, raise_for_status, request_id, timeout

SORA_SECONDS = (4, 8, 12)
ASPECT_RATIO_SIZES = {"16:9": "1280x720", "9:16": "720x1280"}
REFERENCE_FILE_KEYS = ("input_reference", "image_url", "start_image_url")
RUNNING_STATUSES = frozenset({"queued", "in_progress"})
REFUSAL_MARKERS = ("moderation", "policy", "safety", "content")


def sora_seconds(duration: Any) -> str | None:
    if duration is None:
        return None
    allowed = [seconds for seconds in SORA_SECONDS if seconds <= float(duration)]
    return str(max(allowed) if allowed else SORA_SECONDS[0])


def submit_video(
    request: ProviderRequest, http: httpx.Client, *, provider: str, base_url: str, headers: dict[str, str]
) -> ProviderResult:
    params = request.params
    fields = {"prompt": params.get("prompt", ""), "model": request.upstream_model}
    seconds = str(params["seconds"]) if params.get("seconds") else sora_seconds(params.get("duration"))
    size = params.get("size") or ASPECT_RATIO_SIZES.get(str(params.get("aspect_ratio")))
    fields.update({name: value for name, value in (("seconds", seconds), ("size", size)) if value})
    # The SDK always sends multipart; (None, value) parts are plain form fields.
    parts: list[tuple[str, tuple[Any, ...]]] = [(name, (None, str(value))) for name, value in fields.items()]
    reference = next((request.files[key] for key in REFERENCE_FILE_KEYS if key in request.files), None)
    if reference is not None:
        parts.append(("input_reference", (reference.filename, reference.content, reference.content_type)))
    response = send(
        http, "POST", join(base_url, "videos"), provider=provider, headers=headers, files=parts, timeout=timeout(request)
    )
    raise_for_status(response, provider=provider)
    video = json_object(response, provider=provider)
    if not video.get("id"):
        raise ProviderError(f"{provider} accepted the video without an id", code="provider_bad_response")
    return ProviderResult(
        ResultState.PENDING,
        job={"video_id": video["id"], "seconds": seconds},
        progress=_progress(video),
        poll_after_seconds=poll_after_seconds(response),
        provider_request_id=request_id(response),
    )


def poll_video(
    request: ProviderRequest, job: dict[str, Any], http: httpx.Client, *, provider: str, base_url: str, headers: dict[str, str]
) -> ProviderResult:
    video_url = join(base_url, f"videos/{job['video_id']}")
    response = send(http, "GET", video_url, provider=provider, headers=headers, timeout=timeout(request))
    if response.status_code == 404:
        # The job we created vanished: the provider's failure, not the caller's request.
        raise ProviderError(
            f"{provider} no longer knows video {job['video_id']}", code="provider_job_not_found", upstream_status=404
        )
    raise_for_status(response, provider=provider)
    video = json_object(response, provider=provider)
    status = video.get("status")
    if status == "failed":
        raise _failure(video, provider)
    if status != "completed":  # queued, in_progress, or a status we do not know yet
        return ProviderResult(
            ResultState.PENDING,
            job=job,
            progress=_progress(video),
            poll_after_seconds=poll_after_seconds(response),
            provider_request_id=request_id(response),
        )
    data, content_type = download(
        http, f"{video_url}/content", provider=provider, headers={**headers, "Accept": "application/binary"}
    )
    seconds = str(video.get("seconds") or job.get("seconds") or SORA_SECONDS[0])
    meta: dict[str, Any] = {"duration": seconds}
    if isinstance(video.get("size"), str) and "x" in video["size"]:
        width, _, height = video["size"].partition("x")
        meta.update(width=int(width), height=int(height))
    mime_type = content_type if content_type.startswith("video/") else "video/mp4"
    return ProviderResult(
        ResultState.SUCCEEDED,
        outputs=[Output(kind="video", mime_type=mime_type, data=data, filename="video.mp4", meta=meta)],
        usage={"seconds": str(Decimal(seconds)), "requests": 1},
        progress=100,
        provider_request_id=request_id(response),
    )


def poll_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("openai-poll-after-ms")
    try:
        return max(float(value), 0.0) / 1000.0 if value else None
    except ValueError:
        return None


def _progress(video: dict[str, Any]) -> int | None:
    progress = video.get("progress")
    return max(0, min(100, int(progress))) if isinstance(progress, (int, float)) else None


def _failure(video: dict[str, Any], provider: str) -> ProviderError:
    error = video.get("error") if isinstance(video.get("error"), dict) else {}
    code = str(error.get("code") or "")
    message = error_message({"error": error}) or f"{provider} could not generate the video"
    if any(marker in code.lower() for marker in REFUSAL_MARKERS):
        return ProviderError(" ".join(message.split())[:500], code="provider_content_refused", status=400)
    return ProviderError(f"{provider} could not generate the video: {' '.join(message.split())[:300]}", code="provider_job_failed")
