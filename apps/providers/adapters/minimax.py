"""MiniMax Hailuo video (providers.md §8): submit -> query -> file retrieve -> download.

Errors mostly arrive as HTTP 200 with ``base_resp.status_code != 0``. The job remembers the
``file_id`` once the task succeeds, so a failed retrieve/download re-polls from there."""
from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

import httpx

from apps.providers.base import InputFile, Output, ProviderError, ProviderRequest, ProviderResult, ResultState
from apps.providers.http import clean_message, download, error_from_response, join, json_or_none, retry_after_seconds, send
from apps.providers.registry import register

PROVIDER = "MiniMax"
DEFAULT_BASE_URL = "https://api.minimax.io"
POLL_AFTER_SECONDS = 10.0
DEFAULT_DURATION_SECONDS = 6

# Our canonical ids -> MiniMax model names, used only when the route names no upstream model.
MODEL_NAMES = {
    "hailuo/minimax-2.0": "MiniMax-Hailuo-02",
    "hailuo/minimax-2.3": "MiniMax-Hailuo-2.3",
    "hailuo/minimax-2.3-fast": "MiniMax-Hailuo-2.3-Fast",
}
RUNNING_STATUSES = frozenset({"preparing", "queueing", "processing"})


def _data_url(file: InputFile) -> str:
    return f"data:{file.content_type or 'image/png'};base64,{base64.b64encode(file.content).decode()}"


def build_body(request: ProviderRequest) -> dict[str, Any]:
    params = request.params
    body: dict[str, Any] = {"model": request.upstream_model or MODEL_NAMES.get(request.model, request.model)}
    if params.get("prompt"):
        body["prompt"] = params["prompt"]
    if params.get("duration") is not None:
        body["duration"] = int(params["duration"])
    if params.get("resolution"):
        body["resolution"] = str(params["resolution"]).upper()  # "768p" -> "768P"
    if params.get("prompt_optimization") is not None:
        body["prompt_optimizer"] = bool(params["prompt_optimization"])
    if "start_image_url" in request.files:
        body["first_frame_image"] = _data_url(request.files["start_image_url"])
    if "end_image_url" in request.files:
        body["last_frame_image"] = _data_url(request.files["end_image_url"])
    if request.options.get("callback_url"):
        body["callback_url"] = request.options["callback_url"]
    return body


def error_from_base_resp(code: int, message: str, response: httpx.Response) -> ProviderError:
    if code == 1002:
        return ProviderError("MiniMax is rate limited (code 1002)", code="provider_rate_limited", retryable=True,
                             retry_after_seconds=retry_after_seconds(response), upstream_status=response.status_code)
    if code in (1004, 2049):
        return ProviderError("MiniMax rejected the platform's credentials", code="provider_auth_error", upstream_status=response.status_code)
    if code == 1008:
        return ProviderError("the MiniMax account has insufficient balance", code="provider_account_error", upstream_status=response.status_code)
    if code == 1026:
        return ProviderError(clean_message(message or "the input was flagged as sensitive"), code="content_moderated", status=400)
    if code == 2013:
        return ProviderError(clean_message(message), code="provider_invalid_request", status=400)
    if 1000 <= code < 1100 and code not in (1004, 1008):  # 1000/1001/1013...: MiniMax-side trouble
        return ProviderError(f"MiniMax is unavailable (code {code})", code="provider_unavailable", retryable=True,
                             retry_after_seconds=retry_after_seconds(response))
    return ProviderError(f"MiniMax returned error code {code}: {clean_message(message)}", code="provider_bad_response")


def read_body(response: httpx.Response) -> dict[str, Any]:
    body = json_or_none(response)
    if not response.is_success and not (isinstance(body, dict) and _status_code(body)):
        raise error_from_response(response, provider=PROVIDER)
    if not isinstance(body, dict):
        raise ProviderError("MiniMax returned a malformed response", code="provider_bad_response", upstream_status=response.status_code)
    code = _status_code(body)
    if code:
        raise error_from_base_resp(code, str((body.get("base_resp") or {}).get("status_msg") or ""), response)
    return body


def _status_code(body: dict[str, Any]) -> int:
    try:
        return int((body.get("base_resp") or {}).get("status_code") or 0)
    except (TypeError, ValueError):
        return -1


def _headers(request: ProviderRequest) -> dict[str, str]:
    api_key = request.credentials.get("api_key")
    if not api_key:
        raise ProviderError("MiniMax credentials need api_key", code="provider_misconfigured")
    return {"Authorization": f"Bearer {api_key}"}


@register
class MiniMaxAdapter:
    family = "minimax"

    def run(self, request: ProviderRequest, http: httpx.Client, on_chunk=None) -> ProviderResult:
        url = join(request.base_url or DEFAULT_BASE_URL, "/v1/video_generation")
        response = send(http, "POST", url, provider=PROVIDER, json=build_body(request), headers=_headers(request),
                        timeout=request.timeout_seconds)
        task_id = read_body(response).get("task_id")
        if not task_id:
            raise ProviderError("MiniMax response has no task_id", code="provider_bad_response")
        return ProviderResult(state=ResultState.PENDING, job={"task_id": str(task_id)},
                              poll_after_seconds=POLL_AFTER_SECONDS, provider_request_id=str(task_id))

    def poll(self, request: ProviderRequest, job: dict[str, Any], http: httpx.Client) -> ProviderResult:
        base_url = request.base_url or DEFAULT_BASE_URL
        job = dict(job)
        if not job.get("file_id"):
            response = send(http, "GET", join(base_url, "/v1/query/video_generation"), provider=PROVIDER,
                            params={"task_id": job["task_id"]}, headers=_headers(request), timeout=request.timeout_seconds)
            body = read_body(response)
            status = str(body.get("status") or "").lower()
            if status == "fail":
                raise ProviderError("MiniMax could not generate the video", code="provider_job_failed")
            if status != "success" or not body.get("file_id"):  # Preparing/Queueing/Processing/unknown
                return ProviderResult(state=ResultState.PENDING, job=job, poll_after_seconds=POLL_AFTER_SECONDS,
                                      provider_request_id=job["task_id"])
            job.update(file_id=str(body["file_id"]), width=body.get("video_width"), height=body.get("video_height"))
        return self._fetch_result(request, job, http)

    def _fetch_result(self, request: ProviderRequest, job: dict[str, Any], http: httpx.Client) -> ProviderResult:
        response = send(http, "GET", join(request.base_url or DEFAULT_BASE_URL, "/v1/files/retrieve"), provider=PROVIDER,
                        params={"file_id": job["file_id"]}, headers=_headers(request), timeout=request.timeout_seconds)
        download_url = (read_body(response).get("file") or {}).get("download_url")
        if not download_url:
            raise ProviderError("MiniMax file has no download_url", code="provider_bad_response")
        # download_url is a temporary link on a storage host: no API key there.
        content, mime = download(http, download_url, provider=PROVIDER)
        seconds = Decimal(int(request.params.get("duration") or DEFAULT_DURATION_SECONDS))
        meta = {"duration": str(seconds), "width": job.get("width"), "height": job.get("height")}
        output = Output(kind="video", mime_type=mime if mime.startswith("video/") else "video/mp4", data=content,
                        filename="video.mp4", meta={k: v for k, v in meta.items() if v is not None})
        return ProviderResult(state=ResultState.SUCCEEDED, outputs=[output], usage={"requests": 1, "seconds": str(seconds)},
                              provider_request_id=job["task_id"])
