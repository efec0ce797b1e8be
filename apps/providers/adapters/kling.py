"""Kling (Kuaishou) official API: async submit -> GET the task on the same family path.

Auth is a short-lived HS256 JWT signed with the secret key (credentials ``access_key``,
``secret_key``); every response is a ``{"code","message","request_id","data"}`` envelope.

Endpoint families (``request.options["endpoint"]`` picks one, ``request.options["path"]``
overrides the path outright):
    text2video / image2video / image     providers.md §7
    omni_video  /v1/videos/omni-video    UNVERIFIED (third-party copies of Kling's docs):
                                         kling-o1-video, kling-3.0-omni-video(-edit)
    motion_control /v1/videos/motion-control   UNVERIFIED: kling-*-motion-control
    omni_image  /v1/images/omni-image    UNVERIFIED: kling-o1-image, kling-3.0-omni-image
Not mapped yet: omni-video ``count``, ``multi_shot`` and non-id ``elements``.
"""
from __future__ import annotations

import base64
import re
import time
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx
import jwt

from apps.providers.base import InputFile, Output, ProviderError, ProviderRequest, ProviderResult, ResultState
from apps.providers.http import clean_message, download, error_from_response, join, json_or_none, retry_after_seconds, send
from apps.providers.registry import register

PROVIDER = "Kling"
DEFAULT_BASE_URL = "https://api-singapore.klingai.com"
TOKEN_LIFETIME_SECONDS = 1800
POLL_AFTER_SECONDS = 5.0

ENDPOINT_PATHS = {
    "text2video": "/v1/videos/text2video",
    "image2video": "/v1/videos/image2video",
    "image": "/v1/images/generations",
    "omni_video": "/v1/videos/omni-video",
    "motion_control": "/v1/videos/motion-control",
    "omni_image": "/v1/images/omni-image",
}
IMAGE_ENDPOINTS = frozenset({"image", "omni_image"})
MODERATION_HINT = re.compile(r"risk|safety|sensitive|moderat|policy|violat|inappropriate", re.IGNORECASE)


def sign_token(access_key: str, secret_key: str, now: float | None = None) -> str:
    issued = int(now if now is not None else time.time())
    claims = {"iss": access_key, "exp": issued + TOKEN_LIFETIME_SECONDS, "nbf": issued - 5}
    return jwt.encode(claims, secret_key, algorithm="HS256", headers={"typ": "JWT"})


def _auth_headers(request: ProviderRequest) -> dict[str, str]:
    access_key, secret_key = request.credentials.get("access_key"), request.credentials.get("secret_key")
    if not access_key or not secret_key:
        raise ProviderError("Kling credentials need access_key and secret_key", code="provider_misconfigured")
    return {"Authorization": f"Bearer {sign_token(access_key, secret_key)}"}


def _endpoint(request: ProviderRequest) -> str:
    chosen = request.options.get("endpoint")
    if chosen:
        return chosen
    model = request.model.lower()
    if "motion-control" in model:
        return "motion_control"
    if "omni-video" in model or "o1-video" in model:
        return "omni_video"
    if "omni-image" in model or "o1-image" in model:
        return "omni_image"
    if request.task_kind in ("image_generation", "image_edit"):
        return "image"
    return "image2video" if "start_image_url" in request.files else "text2video"


def _raw_base64(file: InputFile) -> str:
    # Kling wants bare base64: a ``data:`` prefix is rejected.
    return base64.b64encode(file.content).decode()


def _yes_no(value: Any) -> str:
    return "yes" if value else "no"


def _indexed_files(request: ProviderRequest, name: str) -> list[InputFile]:
    found, index = [], 0
    while f"{name}[{index}]" in request.files:
        found.append(request.files[f"{name}[{index}]"])
        index += 1
    return found


def _classic_video_body(request: ProviderRequest, endpoint: str) -> dict[str, Any]:
    params = request.params
    body: dict[str, Any] = {"model_name": request.upstream_model, "prompt": params.get("prompt")}
    for name in ("negative_prompt", "mode", "cfg_scale", "camera_control"):
        if params.get(name) is not None:
            body[name] = params[name]
    if params.get("duration") is not None:
        body["duration"] = str(params["duration"])
    if "enable_audio" in params:
        body["sound"] = "on" if params["enable_audio"] else "off"
    if endpoint == "image2video":
        body["image"] = _raw_base64(request.files["start_image_url"])
        if "end_image_url" in request.files:
            body["image_tail"] = _raw_base64(request.files["end_image_url"])
    elif params.get("aspect_ratio"):
        body["aspect_ratio"] = params["aspect_ratio"]
    return body


def _omni_video_body(request: ProviderRequest) -> dict[str, Any]:
    params = request.params
    body: dict[str, Any] = {"model_name": request.upstream_model, "prompt": params.get("prompt")}
    for name in ("mode", "aspect_ratio"):
        if params.get(name):
            body[name] = params[name]
    images = [{"image_url": _raw_base64(file)} for file in _indexed_files(request, "image_urls")]
    for name, frame in (("start_image_url", "first_frame"), ("end_image_url", "end_frame")):
        if name in request.files:
            images.append({"image_url": _raw_base64(request.files[name]), "type": frame})
    if images:
        body["image_list"] = images
    elements = [{"element_id": e["element_id"]} for e in params.get("elements") or [] if isinstance(e, dict) and "element_id" in e]
    if elements:
        body["element_list"] = elements
    is_edit = "edit" in request.model.lower()
    refer_type = None
    if params.get("video_url"):
        # Kling takes reference videos by URL only; the provider fetches it, we do not.
        mode = params.get("video_mode") or ("transform" if is_edit else "reference")
        refer_type = "base" if mode == "transform" else "feature"
        body["video_list"] = [
            {"video_url": params["video_url"], "refer_type": refer_type, "keep_original_sound": _yes_no(params.get("keep_audio", True))}
        ]
    if params.get("duration") is not None and refer_type != "base":  # an edited video keeps its own length
        body["duration"] = str(params["duration"])
    return body


def _motion_control_body(request: ProviderRequest) -> dict[str, Any]:
    params = request.params
    body: dict[str, Any] = {
        "image_url": _raw_base64(request.files["image_url"]),
        "video_url": params["video_url"],
        "character_orientation": params.get("character_orientation") or "image",
        "mode": params.get("mode") or "std",
        "keep_original_sound": _yes_no(params.get("keep_audio", True)),
    }
    if request.upstream_model:
        body["model_name"] = request.upstream_model
    if params.get("prompt"):
        body["prompt"] = params["prompt"]
    return body


def _image_body(request: ProviderRequest, endpoint: str) -> dict[str, Any]:
    params = request.params
    body: dict[str, Any] = {"model_name": request.upstream_model, "prompt": params.get("prompt")}
    for name in ("aspect_ratio", "resolution", "negative_prompt"):
        if params.get(name):
            body[name] = params[name]
    count = params.get("n") or params.get("num_images")
    if count:
        body["n"] = int(count)
    references = _indexed_files(request, "image_urls")
    if endpoint == "omni_image" and references:
        body["image_list"] = [{"image": _raw_base64(file)} for file in references]
    elif references or "image_url" in request.files:
        body["image"] = _raw_base64(references[0] if references else request.files["image_url"])
    return body


def build_body(request: ProviderRequest, endpoint: str) -> dict[str, Any]:
    if endpoint in ("text2video", "image2video"):
        body = _classic_video_body(request, endpoint)
    elif endpoint == "omni_video":
        body = _omni_video_body(request)
    elif endpoint == "motion_control":
        body = _motion_control_body(request)
    elif endpoint in IMAGE_ENDPOINTS:
        body = _image_body(request, endpoint)
    else:
        raise ProviderError(f"unknown Kling endpoint {endpoint!r}", code="provider_misconfigured")
    if request.options.get("callback_url"):
        body["callback_url"] = request.options["callback_url"]
    return {key: value for key, value in body.items() if value is not None}


def error_from_code(code: int, message: str, response: httpx.Response) -> ProviderError:
    """Kling's envelope codes, which are more precise than the HTTP status they ride on."""
    if 1000 <= code <= 1004 or code in (1103, 1304):
        return ProviderError("Kling rejected the platform's credentials", code="provider_auth_error", upstream_status=response.status_code)
    if 1100 <= code <= 1102:
        return ProviderError("the Kling account cannot run tasks (balance or resource pack)", code="provider_account_error", upstream_status=response.status_code)
    if 1200 <= code <= 1203:
        return ProviderError(clean_message(message), code="provider_invalid_request", status=400, upstream_status=response.status_code)
    if code in (1300, 1301):
        return ProviderError(clean_message(message), code="content_moderated", status=400, upstream_status=response.status_code)
    if code in (1302, 1303) or 5000 <= code <= 5002:
        return ProviderError(
            f"Kling is busy or rate limited (code {code})",
            code="provider_rate_limited" if code in (1302, 1303) else "provider_unavailable",
            retryable=True,
            retry_after_seconds=retry_after_seconds(response),
            upstream_status=response.status_code,
        )
    if not response.is_success:
        return error_from_response(response, provider=PROVIDER, message=message)
    return ProviderError(f"Kling returned error code {code}", code="provider_bad_response", upstream_status=response.status_code)


def read_envelope(response: httpx.Response) -> dict[str, Any]:
    body = json_or_none(response)
    if not isinstance(body, dict) or "code" not in body:
        if not response.is_success:
            raise error_from_response(response, provider=PROVIDER)
        raise ProviderError("Kling returned a malformed response", code="provider_bad_response", upstream_status=response.status_code)
    try:
        code = int(body["code"])
    except (TypeError, ValueError):
        raise ProviderError("Kling returned a malformed response", code="provider_bad_response") from None
    if code != 0:
        raise error_from_code(code, str(body.get("message") or ""), response)
    if not response.is_success:
        raise error_from_response(response, provider=PROVIDER, message=body.get("message"))
    data = body.get("data")
    if not isinstance(data, dict) or not data.get("task_id"):
        raise ProviderError("Kling response has no task", code="provider_bad_response")
    return body


def _seconds(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def collect_outputs(data: dict[str, Any], request: ProviderRequest, http: httpx.Client) -> tuple[list[Output], dict[str, Any]]:
    result = data.get("task_result") or {}
    outputs: list[Output] = []
    total_seconds = Decimal(0)
    for index, video in enumerate(result.get("videos") or []):
        # Result URLs live on Kling's CDN: never send the JWT there.
        content, mime = download(http, video["url"], provider=PROVIDER)
        seconds = _seconds(video.get("duration")) or _seconds(request.params.get("duration")) or Decimal(0)
        total_seconds += seconds
        outputs.append(Output(kind="video", mime_type=mime if mime.startswith("video/") else "video/mp4", data=content,
                              filename=f"video-{index}.mp4", meta={"duration": str(seconds), "id": video.get("id")}))
    images = result.get("images") or []
    for index, image in enumerate(images):
        content, mime = download(http, image["url"], provider=PROVIDER)
        outputs.append(Output(kind="image", mime_type=mime if mime.startswith("image/") else "image/png", data=content,
                              filename=f"image-{index}.png", meta={"index": image.get("index", index)}))
    if not outputs:
        raise ProviderError("Kling reported success without results", code="provider_bad_response")
    usage: dict[str, Any] = {"requests": 1}
    if images:
        usage["images"] = len(images)
    else:
        usage["seconds"] = str(total_seconds)
    return outputs, usage


def failure(data: dict[str, Any]) -> ProviderError:
    reason = str(data.get("task_status_msg") or "Kling could not generate the result")
    if MODERATION_HINT.search(reason):
        return ProviderError(clean_message(reason), code="content_moderated", status=400)
    return ProviderError(f"Kling task failed: {clean_message(reason)}", code="provider_job_failed")


@register
class KlingAdapter:
    family = "kling"

    def run(self, request: ProviderRequest, http: httpx.Client, on_chunk=None) -> ProviderResult:
        endpoint = _endpoint(request)
        path = request.options.get("path") or ENDPOINT_PATHS.get(endpoint, "")
        body = build_body(request, endpoint)
        response = send(http, "POST", join(request.base_url or DEFAULT_BASE_URL, path), provider=PROVIDER,
                        json=body, headers=_auth_headers(request), timeout=request.timeout_seconds)
        envelope = read_envelope(response)
        task_id = str(envelope["data"]["task_id"])
        return ProviderResult(
            state=ResultState.PENDING,
            job={"path": path, "task_id": task_id},
            poll_after_seconds=POLL_AFTER_SECONDS,
            provider_request_id=envelope.get("request_id"),
        )

    def poll(self, request: ProviderRequest, job: dict[str, Any], http: httpx.Client) -> ProviderResult:
        url = join(request.base_url or DEFAULT_BASE_URL, f"{job['path'].rstrip('/')}/{job['task_id']}")
        response = send(http, "GET", url, provider=PROVIDER, headers=_auth_headers(request), timeout=request.timeout_seconds)
        data = read_envelope(response)["data"]
        status = str(data.get("task_status") or "").lower()
        if status == "failed":
            raise failure(data)
        if status != "succeed":  # submitted, processing, or a status we do not know yet
            return ProviderResult(state=ResultState.PENDING, job=job, poll_after_seconds=POLL_AFTER_SECONDS,
                                  provider_request_id=job["task_id"])
        outputs, usage = collect_outputs(data, request, http)
        return ProviderResult(state=ResultState.SUCCEEDED, outputs=outputs, usage=usage, provider_request_id=job["task_id"])
