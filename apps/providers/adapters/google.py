"""Google Gemini API adapter: Gemini image models ("Nano Banana", sync ``generateContent``)
and Veo 3.1 video (long-running operation polled by name).

The route's ``upstream_model`` is Google's model id (``gemini-2.5-flash-image``,
``veo-3.1-generate-preview``...). ``base_url`` is the API root without ``/v1beta``.
"""
from __future__ import annotations

import base64
import binascii
import re
from decimal import Decimal
from typing import Any
from urllib.parse import urlparse

import httpx

from apps.providers.base import InputFile, Output, ProviderError, ProviderRequest, ProviderResult, ResultState
from apps.providers.http import download, error_from_response, join, json_or_none, send
from apps.providers.registry import register
from apps.providers.adapters._media import image_meta

PROVIDER = "Google"
DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com"
VIDEO_POLL_AFTER_SECONDS = 10.0
VEO_DEFAULT_DURATION_SECONDS = 8
MAX_REFERENCE_IMAGES = 14
SAFETY_FINISH_REASONS = frozenset({"SAFETY", "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "PROHIBITED_CONTENT",
                                   "BLOCKLIST", "SPII", "RECITATION"})
# google.rpc codes of a finished-but-failed operation that mean the request itself was refused.
REQUEST_REFUSED_RPC_CODES = frozenset({3, 9, 11})  # INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE
OPERATION_NAME = re.compile(r"[A-Za-z0-9][\w.-]*(/[\w.-]+)*")
MODERATED_MESSAGE = "the request was blocked by the provider's safety filters"
NO_IMAGE_MESSAGE = "the model returned no image"


def duration_seconds(text: Any) -> float | None:
    """protobuf Duration JSON ("30s", "1.5s") -> seconds."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)s", str(text or ""))
    return float(match.group(1)) if match else None


def raise_for_error(response: httpx.Response) -> None:
    """Google's ``{"error": {"code", "message", "status", "details"}}``; RetryInfo gives the retry delay."""
    if response.is_success:
        return
    body = json_or_none(response)
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    failure = error_from_response(response, provider=PROVIDER, message=error.get("message"))
    if failure.retry_after_seconds is None:
        for detail in error.get("details") or []:
            if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
                failure.retry_after_seconds = duration_seconds(detail.get("retryDelay"))
    raise failure


def inline_part(image: InputFile) -> dict[str, Any]:
    return {"inlineData": {"mimeType": image.content_type, "data": base64.b64encode(image.content).decode()}}


def reference_images(request: ProviderRequest) -> list[InputFile]:
    names = [f"image_urls[{index}]" for index in range(MAX_REFERENCE_IMAGES)]
    return [request.files[name] for name in names if name in request.files]


def decode_base64(data: Any) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, TypeError, ValueError):
        raise ProviderError(f"{PROVIDER} returned undecodable media", code="provider_bad_response") from None


def same_origin(url: str, base_url: str) -> bool:
    left, right = urlparse(url), urlparse(base_url)
    return (left.scheme, left.hostname, left.port) == (right.scheme, right.hostname, right.port)


@register
class GoogleAdapter:
    family = "google"

    def _call(self, request: ProviderRequest, http: httpx.Client, method: str, path: str,
              **kwargs: Any) -> dict[str, Any]:
        url = join(request.base_url or DEFAULT_BASE_URL, path)
        headers = {"x-goog-api-key": request.credentials["api_key"]}
        response = send(http, method, url, provider=PROVIDER, headers=headers,
                        timeout=request.timeout_seconds, **kwargs)
        raise_for_error(response)
        body = json_or_none(response)
        if not isinstance(body, dict):
            raise ProviderError(f"{PROVIDER} returned an unreadable response", code="provider_bad_response")
        return body

    def run(self, request: ProviderRequest, http: httpx.Client, on_chunk: Any = None) -> ProviderResult:
        if request.task_kind in ("image_generation", "image_edit"):
            return self._generate_image(request, http)
        if request.task_kind == "video_generation":
            return self._submit_video(request, http)
        raise ProviderError(f"{PROVIDER} adapter does not support {request.task_kind}", code="unsupported_task")

    # --- Gemini image -------------------------------------------------------------------------

    def _generate_image(self, request: ProviderRequest, http: httpx.Client) -> ProviderResult:
        params = request.params
        parts = [{"text": params["prompt"]}, *map(inline_part, reference_images(request))]
        image_config = {}
        if params.get("aspect_ratio"):
            image_config["aspectRatio"] = params["aspect_ratio"]
        if params.get("resolution"):
            image_config["imageSize"] = str(params["resolution"]).upper()
        config: dict[str, Any] = {"responseModalities": ["TEXT", "IMAGE"]}
        if image_config:
            config["imageConfig"] = image_config
        body = self._call(request, http, "POST", f"/v1beta/models/{request.upstream_model}:generateContent",
                          json={"contents": [{"role": "user", "parts": parts}], "generationConfig": config})
        return image_result(body)

    # --- Veo ----------------------------------------------------------------------------------

    def _submit_video(self, request: ProviderRequest, http: httpx.Client) -> ProviderResult:
        params = request.params
        instance: dict[str, Any] = {"prompt": params["prompt"]}
        for param, field in (("start_image_url", "image"), ("end_image_url", "lastFrame")):
            if param in request.files:
                image = request.files[param]
                instance[field] = {"bytesBase64Encoded": base64.b64encode(image.content).decode(),
                                   "mimeType": image.content_type}
        parameters: dict[str, Any] = {"sampleCount": 1}
        for param, field in (("aspect_ratio", "aspectRatio"), ("resolution", "resolution"),
                             ("duration", "durationSeconds"), ("negative_prompt", "negativePrompt"),
                             ("person_generation", "personGeneration")):
            if params.get(param) is not None:
                parameters[field] = params[param]
        # ``seed`` is Vertex-only for Veo: the Gemini API refuses it, so it is not sent.
        body = self._call(request, http, "POST", f"/v1beta/models/{request.upstream_model}:predictLongRunning",
                          json={"instances": [instance], "parameters": parameters})
        name = body.get("name")
        if not isinstance(name, str) or not OPERATION_NAME.fullmatch(name) or ".." in name:
            raise ProviderError(f"{PROVIDER} returned no usable operation name", code="provider_bad_response")
        job = {"name": name, "duration_seconds": params.get("duration") or VEO_DEFAULT_DURATION_SECONDS}
        return ProviderResult(ResultState.PENDING, job=job, progress=0,
                              poll_after_seconds=VIDEO_POLL_AFTER_SECONDS, provider_request_id=name)

    def poll(self, request: ProviderRequest, job: dict[str, Any], http: httpx.Client) -> ProviderResult:
        operation = self._call(request, http, "GET", f"/v1beta/{job['name']}")
        if not operation.get("done"):
            return ProviderResult(ResultState.PENDING, job=job, poll_after_seconds=VIDEO_POLL_AFTER_SECONDS,
                                  provider_request_id=job["name"])
        if isinstance(operation.get("error"), dict):
            raise operation_error(operation["error"])
        response = (operation.get("response") or {}).get("generateVideoResponse") or {}
        samples = [s["video"] for s in response.get("generatedSamples") or []
                   if isinstance(s, dict) and isinstance(s.get("video"), dict)]
        if not samples:
            if response.get("raiMediaFilteredCount"):
                reasons = "; ".join(map(str, response.get("raiMediaFilteredReasons") or []))
                raise ProviderError(reasons or MODERATED_MESSAGE, code="content_moderated", status=400)
            raise ProviderError(f"{PROVIDER} finished without a video", code="provider_bad_response")
        seconds = job.get("duration_seconds") or VEO_DEFAULT_DURATION_SECONDS
        outputs = [self._video_output(request, video, http, seconds) for video in samples]
        return ProviderResult(ResultState.SUCCEEDED, outputs=outputs, progress=100,
                              usage={"seconds": str(Decimal(str(seconds)) * len(outputs)), "requests": 1},
                              provider_request_id=job["name"])

    def _video_output(self, request: ProviderRequest, video: dict[str, Any], http: httpx.Client,
                      seconds: float) -> Output:
        if video.get("encodedVideo"):
            data = decode_base64(video["encodedVideo"])
            mime_type = video.get("encoding") or video.get("mimeType") or "video/mp4"
        elif isinstance(video.get("uri"), str):
            base_url = request.base_url or DEFAULT_BASE_URL
            # Veo file URIs live on the API host and need the key; anything else must not see it.
            on_api_host = same_origin(video["uri"], base_url)
            headers = {"x-goog-api-key": request.credentials["api_key"]} if on_api_host else None
            data, mime_type = download(http, video["uri"], provider=PROVIDER, headers=headers)
            if not mime_type.startswith("video/"):
                mime_type = "video/mp4"
        else:
            raise ProviderError(f"{PROVIDER} returned a video without content", code="provider_bad_response")
        return Output(kind="video", mime_type=mime_type, data=data, filename=f"{request.task_id}.mp4",
                      meta={"duration": seconds})


def operation_error(error: dict[str, Any]) -> ProviderError:
    message = " ".join(str(error.get("message") or "").split())[:500]
    if error.get("code") in REQUEST_REFUSED_RPC_CODES:
        return ProviderError(message or f"{PROVIDER} refused the request", code="provider_invalid_request", status=400)
    return ProviderError(f"{PROVIDER} video generation failed" + (f": {message}" if message else ""),
                         code="provider_job_failed")


def image_result(body: dict[str, Any]) -> ProviderResult:
    """Images from the first candidate; a 200 with no image is a failure (blocked or refused)."""
    candidates = body.get("candidates") or []
    candidate = candidates[0] if candidates and isinstance(candidates[0], dict) else {}
    parts = (candidate.get("content") or {}).get("parts") or []
    outputs: list[Output] = []
    texts: list[str] = []
    for part in parts:
        inline = part.get("inlineData") or part.get("inline_data") if isinstance(part, dict) else None
        if isinstance(inline, dict) and str(inline.get("mimeType", inline.get("mime_type", ""))).startswith("image/"):
            mime_type = inline.get("mimeType") or inline.get("mime_type")
            outputs.append(Output(kind="image", mime_type=mime_type, data=decode_base64(inline.get("data"))))
        elif isinstance(part, dict) and isinstance(part.get("text"), str) and not part.get("thought"):
            texts.append(part["text"])
    if not outputs:
        block_reason = (body.get("promptFeedback") or {}).get("blockReason")
        finish_reason = candidate.get("finishReason")
        if block_reason or finish_reason in SAFETY_FINISH_REASONS:
            raise ProviderError(MODERATED_MESSAGE, code="content_moderated", status=400)
        detail = " ".join(" ".join(texts).split())[:300]
        raise ProviderError(NO_IMAGE_MESSAGE + (f": {detail}" if detail else ""), code="no_image", status=400)
    for output in outputs:
        output.meta.update(image_meta(output.data or b""))
    if texts:
        outputs[0].meta["text"] = "".join(texts)
    return ProviderResult(ResultState.SUCCEEDED, outputs=outputs, usage=token_usage(body, len(outputs)),
                          provider_request_id=body.get("responseId"))


def token_usage(body: dict[str, Any], images: int) -> dict[str, Any]:
    usage: dict[str, Any] = {"images": images, "requests": 1}
    metadata = body.get("usageMetadata") or {}
    if "promptTokenCount" in metadata:
        usage["input_tokens"] = int(metadata["promptTokenCount"])
    if "candidatesTokenCount" in metadata:
        # Thinking tokens are billed as output.
        usage["output_tokens"] = int(metadata["candidatesTokenCount"]) + int(metadata.get("thoughtsTokenCount", 0))
    return usage

