"""Suno through third-party vendors (providers.md §10) — UNVERIFIED vendor APIs.

``request.options["flavor"]`` picks the vendor shape:
    "sunoapi" (default, sunoapi.org / kie.ai style): ``POST /api/v1/...`` + record-info polling;
        body ``code`` must be 200. ``callBackUrl`` is mandatory there: we send
        ``options["callback_url"]`` or CALLBACK_PLACEHOLDER and never rely on it (we poll).
    "proxy" (Suno-API proxy): ``POST /suno/submit/{MUSIC|LYRICS}`` + ``POST /suno/fetch``.
Our model is the action: suno-ai/music, lyrics, extend, cover, add-vocals, add-instrumental,
stems, stems-all, wav. An action a flavour cannot do fails with 400 unsupported_by_provider
(stems/wav need the vendor's original task id, which our API does not carry).
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from apps.providers.base import Output, ProviderError, ProviderRequest, ProviderResult, ResultState
from apps.providers.http import check, clean_message, download, join, json_object, retry_after_seconds, send
from apps.providers.registry import register

PROVIDER = "Suno"
CALLBACK_PLACEHOLDER = "https://callback.invalid/suno"  # .invalid never resolves (RFC 2606)
POLL_AFTER_SECONDS = 8.0
# Our ``mv`` names -> sunoapi model enum (UNVERIFIED pairing; options["model"] overrides).
SUNOAPI_MODELS = {"chirp-v3-5": "V3_5", "chirp-v4": "V4", "chirp-auk": "V4_5", "chirp-bluejay": "V4_5PLUS", "chirp-crow": "V5"}
SUNOAPI_PATHS = {
    "music": "/api/v1/generate",
    "extend": "/api/v1/generate/extend",
    "cover": "/api/v1/generate/upload-cover",
    "add-vocals": "/api/v1/generate/add-vocals",
    "add-instrumental": "/api/v1/generate/add-instrumental",
    "lyrics": "/api/v1/lyrics",
}
PROXY_ACTIONS = {"music": "MUSIC", "extend": "MUSIC", "lyrics": "LYRICS"}
SUNOAPI_FAILED = frozenset({"CREATE_TASK_FAILED", "GENERATE_AUDIO_FAILED", "GENERATE_LYRICS_FAILED", "FAILED"})
UNSUPPORTED = "unsupported_by_provider"


def action_of(request: ProviderRequest) -> str:
    return request.model.split("/", 1)[-1]


def _unsupported(action: str, flavor: str) -> ProviderError:
    return ProviderError(f"suno-ai/{action} is not available through this Suno vendor ({flavor})", code=UNSUPPORTED, status=400)


def _headers(request: ProviderRequest) -> dict[str, str]:
    api_key = request.credentials.get("api_key")
    if not api_key:
        raise ProviderError("Suno credentials need api_key", code="provider_misconfigured")
    return {"Authorization": f"Bearer {api_key}"}


def _message_of(body: Any) -> str | None:
    return (body.get("msg") or body.get("message") or body.get("error")) if isinstance(body, dict) else None


def error_from_body_code(code: int, message: str, response: httpx.Response) -> ProviderError:
    if code in (401, 403):
        return ProviderError("Suno vendor rejected the platform's credentials", code="provider_auth_error", upstream_status=code)
    if code == 402:
        return ProviderError("the Suno vendor account has insufficient credits", code="provider_account_error", upstream_status=code)
    if code in (405, 429, 430, 455) or code >= 500:
        return ProviderError(f"Suno vendor is busy or unavailable (code {code})", code="provider_unavailable", retryable=True,
                             retry_after_seconds=retry_after_seconds(response), upstream_status=code)
    if 400 <= code < 500:
        return ProviderError(clean_message(message), code="provider_invalid_request", status=400, upstream_status=code)
    return ProviderError(f"Suno vendor returned code {code}", code="provider_bad_response", upstream_status=code)


def read_json(response: httpx.Response) -> dict[str, Any]:
    return json_object(check(response, provider=PROVIDER, message_of=_message_of), provider=f"{PROVIDER} vendor")


def sunoapi_body(request: ProviderRequest, action: str) -> dict[str, Any]:
    params = request.params
    callback = request.options.get("callback_url") or CALLBACK_PLACEHOLDER
    if action == "lyrics":
        return {"prompt": params.get("prompt"), "callBackUrl": callback}
    custom = bool(params.get("custom"))
    body: dict[str, Any] = {
        "customMode": custom,
        "instrumental": bool(params.get("make_instrumental")),
        "model": request.options.get("model") or SUNOAPI_MODELS.get(params.get("mv") or "", request.upstream_model or "V4_5"),
        "prompt": params.get("prompt") if custom else params.get("gpt_description_prompt") or params.get("prompt"),
        "style": params.get("tags"),
        "title": params.get("title"),
        "negativeTags": params.get("negative_tags"),
        "callBackUrl": callback,
    }
    if action == "extend":
        if not params.get("clip_id"):
            raise ProviderError("this Suno vendor extends clips by clip_id only", code=UNSUPPORTED, status=400)
        body.update(audioId=params["clip_id"], defaultParamFlag=custom, continueAt=params.get("continue_at"))
    elif action in ("cover", "add-vocals", "add-instrumental"):
        if not params.get("audio_url"):  # the vendor fetches the upload itself
            raise ProviderError(f"this Suno vendor needs audio_url for {action}", code=UNSUPPORTED, status=400)
        body["uploadUrl"] = params["audio_url"]
    return {key: value for key, value in body.items() if value is not None}


def proxy_body(request: ProviderRequest, action: str) -> dict[str, Any]:
    params = request.params
    if action == "lyrics":
        return {"prompt": params.get("prompt")}
    body = {name: params.get(name) for name in ("prompt", "mv", "title", "tags", "negative_tags", "gpt_description_prompt",
                                                 "make_instrumental", "continue_at")}
    if action == "extend":
        body["continue_clip_id"] = params.get("clip_id")
    return {key: value for key, value in body.items() if value is not None}


def _seconds(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except ArithmeticError:
        return None


def audio_outputs(clips: list[dict[str, Any]], http: httpx.Client) -> tuple[list[Output], dict[str, Any]]:
    """Download each clip's audio (and cover image); vendor CDNs never get the key."""
    outputs, total = [], Decimal(0)
    for index, clip in enumerate(clips):
        audio_url = clip.get("audioUrl") or clip.get("audio_url")
        if not audio_url:
            continue
        content, mime = download(http, audio_url, provider=PROVIDER)
        seconds = _seconds(clip.get("duration") or (clip.get("metadata") or {}).get("duration"))
        total += seconds or 0
        meta = {"clip_id": clip.get("id"), "title": clip.get("title"), "tags": clip.get("tags")}
        if seconds is not None:
            meta["duration"] = str(seconds)
        outputs.append(Output(kind="audio", mime_type=mime if mime.startswith("audio/") else "audio/mpeg", data=content,
                              filename=f"clip-{index}.mp3", meta={k: v for k, v in meta.items() if v is not None}))
        image_url = clip.get("imageUrl") or clip.get("image_url")
        if image_url:
            image, image_mime = download(http, image_url, provider=PROVIDER)
            outputs.append(Output(kind="image", mime_type=image_mime if image_mime.startswith("image/") else "image/jpeg",
                                  data=image, filename=f"cover-{index}.jpg", meta={"clip_id": clip.get("id")}))
    if not outputs:
        raise ProviderError("Suno vendor reported success without audio", code="provider_bad_response")
    usage: dict[str, Any] = {"requests": 1}
    if total:
        usage["seconds"] = str(total)
    return outputs, usage


def lyrics_outputs(items: list[dict[str, Any]]) -> tuple[list[Output], dict[str, Any]]:
    outputs = [Output(kind="text", mime_type="text/plain", text=item.get("text"), meta={"title": item.get("title")})
               for item in items if item.get("text")]
    if not outputs:
        raise ProviderError("Suno vendor reported success without lyrics", code="provider_bad_response")
    return outputs, {"requests": 1}


def _pending(job: dict[str, Any], progress: int | None = None) -> ProviderResult:
    return ProviderResult(state=ResultState.PENDING, job=job, progress=progress, poll_after_seconds=POLL_AFTER_SECONDS,
                          provider_request_id=job["task_id"])


@register
class SunoAdapter:
    family = "suno"

    def run(self, request: ProviderRequest, http: httpx.Client, on_chunk=None) -> ProviderResult:
        flavor, action = request.options.get("flavor", "sunoapi"), action_of(request)
        base_url = request.base_url or request.options.get("default_base_url")
        if not base_url:
            raise ProviderError("Suno routes need a base_url (the vendor)", code="provider_misconfigured")
        if flavor == "sunoapi":
            if action not in SUNOAPI_PATHS:
                raise _unsupported(action, flavor)
            response = send(http, "POST", join(base_url, SUNOAPI_PATHS[action]), provider=PROVIDER,
                            json=sunoapi_body(request, action), headers=_headers(request), timeout=request.timeout_seconds)
            body = read_json(response)
            if _body_code(body) != 200:
                raise error_from_body_code(_body_code(body), str(_message_of(body) or ""), response)
            task_id = (body.get("data") or {}).get("taskId")
        elif flavor == "proxy":
            if action not in PROXY_ACTIONS:
                raise _unsupported(action, flavor)
            body = read_json(send(http, "POST", join(base_url, f"/suno/submit/{PROXY_ACTIONS[action]}"), provider=PROVIDER,
                                  json=proxy_body(request, action), headers=_headers(request), timeout=request.timeout_seconds))
            if body.get("code") != "success":
                raise ProviderError(clean_message(body.get("message") or "the Suno vendor refused the request"),
                                    code="provider_invalid_request", status=400)
            task_id = body.get("data")
        else:
            raise ProviderError(f"unknown Suno flavor {flavor!r}", code="provider_misconfigured")
        if not task_id:
            raise ProviderError("Suno vendor response has no task id", code="provider_bad_response")
        return _pending({"flavor": flavor, "action": action, "task_id": str(task_id)})

    def poll(self, request: ProviderRequest, job: dict[str, Any], http: httpx.Client) -> ProviderResult:
        base_url = request.base_url or request.options.get("default_base_url") or ""
        if job["flavor"] == "proxy":
            return self._poll_proxy(request, job, http, base_url)
        path = "/api/v1/lyrics/record-info" if job["action"] == "lyrics" else "/api/v1/generate/record-info"
        response = send(http, "GET", join(base_url, path), provider=PROVIDER, params={"taskId": job["task_id"]},
                        headers=_headers(request), timeout=request.timeout_seconds)
        body = read_json(response)
        if _body_code(body) != 200:
            raise error_from_body_code(_body_code(body), str(_message_of(body) or ""), response)
        data = body.get("data") or {}
        status = str(data.get("status") or "").upper()
        if status == "SENSITIVE_WORD_ERROR":
            raise ProviderError(clean_message(data.get("errorMessage") or "the prompt contains sensitive words"),
                                code="content_moderated", status=400)
        if status in SUNOAPI_FAILED:
            raise ProviderError(f"Suno generation failed: {clean_message(data.get('errorMessage') or status)}", code="provider_job_failed")
        if status not in ("SUCCESS", "CALLBACK_EXCEPTION"):  # CALLBACK_EXCEPTION: our placeholder callback failed, not the song
            return _pending(job)
        response_data = data.get("response") or {}
        if job["action"] == "lyrics":
            outputs, usage = lyrics_outputs(response_data.get("data") or [])
        else:
            outputs, usage = audio_outputs(response_data.get("sunoData") or [], http)
        return ProviderResult(state=ResultState.SUCCEEDED, outputs=outputs, usage=usage, provider_request_id=job["task_id"])

    def _poll_proxy(self, request: ProviderRequest, job: dict[str, Any], http: httpx.Client, base_url: str) -> ProviderResult:
        body = read_json(send(http, "POST", join(base_url, "/suno/fetch"), provider=PROVIDER,
                              json={"ids": [job["task_id"]], "action": PROXY_ACTIONS[job["action"]]},
                              headers=_headers(request), timeout=request.timeout_seconds))
        tasks = body.get("data") if body.get("code") == "success" else None
        if not isinstance(tasks, list) or not tasks:
            raise ProviderError("Suno vendor returned a malformed task list", code="provider_bad_response")
        task = tasks[0]
        status = str(task.get("status") or "").upper()
        if status == "FAILURE":
            reason = clean_message(task.get("fail_reason") or "generation failed")
            if any(word in reason.lower() for word in ("sensitive", "moderat", "policy", "banned")):
                raise ProviderError(reason, code="content_moderated", status=400)
            raise ProviderError(f"Suno generation failed: {reason}", code="provider_job_failed")
        if status != "SUCCESS":
            return _pending(job, _percent(task.get("progress")))
        result = task.get("data")
        if job["action"] == "lyrics":
            items = result if isinstance(result, list) else [result or {}]
            outputs, usage = lyrics_outputs(items)
        else:
            outputs, usage = audio_outputs(result if isinstance(result, list) else [], http)
        return ProviderResult(state=ResultState.SUCCEEDED, outputs=outputs, usage=usage, provider_request_id=job["task_id"])


def _percent(value: Any) -> int | None:
    try:
        return max(0, min(100, int(str(value).rstrip("%"))))
    except (TypeError, ValueError):
        return None



def _body_code(body: dict[str, Any]) -> int:
    try:
        return int(body.get("code") or 0)
    except (TypeError, ValueError):
        return 0  # not a number: reported as a malformed (502) response
