"""Topaz Labs Enhance API (providers.md §11.1; facts from third-party clients, partly UNVERIFIED).

- image upscale: sync multipart ``POST /image/v1/enhance``; the response body is the image.
- image generative: ``POST /image/v1/enhance-gen/async`` -> ``GET /image/v1/status/{id}`` ->
  ``GET /image/v1/download/{id}`` -> presigned URL.
- video upscale: ``POST /video/`` -> ``PATCH accept`` -> PUT the file to presigned URL(s) ->
  ``PATCH complete-upload`` (all in ``run``), then ``poll`` reads ``GET /video/{id}/status``.
The input arrives in ``request.files`` ("image_url" / "video_url"). Presigned upload and
download hosts never receive the API key.
"""
from __future__ import annotations

import os
import tempfile
from decimal import Decimal
from typing import Any

import httpx

from apps.providers.base import InputFile, Output, ProviderError, ProviderRequest, ProviderResult, ResultState
from apps.providers.http import check, download, join, json_object, send
from apps.providers.registry import register

PROVIDER = "Topaz Labs"
DEFAULT_BASE_URL = "https://api.topazlabs.com"
POLL_AFTER_SECONDS = 10.0
IMAGE_FORM_FIELDS = ("output_width", "output_height", "output_format", "face_enhancement", "face_enhancement_strength",
                     "sharpen", "denoise", "fix_compression", "crop_to_fill", "creativity", "texture", "prompt", "autoprompt")
FAILED_STATUSES = frozenset({"failed", "cancelled", "canceled", "error"})
IMAGE_MIME = {"jpeg": "image/jpeg", "jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def _message_of(body: Any) -> str | None:
    if isinstance(body, dict):
        error = body.get("error")
        return body.get("message") or (error.get("message") if isinstance(error, dict) else error) or body.get("detail")
    return None


def _headers(request: ProviderRequest) -> dict[str, str]:
    api_key = request.credentials.get("api_key")
    if not api_key:
        raise ProviderError("Topaz credentials need api_key", code="provider_misconfigured")
    return {"X-API-Key": api_key}


def _input(request: ProviderRequest, *names: str) -> InputFile:
    for name in names:
        if name in request.files:
            return request.files[name]
    raise ProviderError(f"Topaz needs an input file ({' or '.join(names)})", code="invalid_input", status=400)


def _json(response: httpx.Response) -> dict[str, Any]:
    return json_object(check(response, provider=PROVIDER, message_of=_message_of), provider=PROVIDER)


def _image_form(request: ProviderRequest) -> dict[str, str]:
    form = {"model": str(request.params.get("model") or request.upstream_model or "Standard V2")}
    for name in IMAGE_FORM_FIELDS:
        value = request.params.get(name)
        if value is not None:
            form[name] = str(value).lower() if isinstance(value, bool) else str(value)
    return form


def _image_output(content: bytes, mime: str) -> Output:
    extension = {"image/jpeg": "jpg", "image/webp": "webp"}.get(mime, "png")
    return Output(kind="image", mime_type=mime, data=content, filename=f"image.{extension}")


def probe_video(file: InputFile) -> dict[str, Any]:
    """The ``source`` block Topaz quotes from: container, size, duration, frames, rate, resolution."""
    import imageio_ffmpeg

    with tempfile.NamedTemporaryFile(suffix=os.path.splitext(file.filename)[1] or ".mp4", delete=False) as handle:
        handle.write(file.content)
    try:
        reader = imageio_ffmpeg.read_frames(handle.name)
        meta = next(reader)
        reader.close()
        frame_count, duration = imageio_ffmpeg.count_frames_and_secs(handle.name)
    except (RuntimeError, OSError, StopIteration):
        raise ProviderError("the input video could not be read", code="invalid_input", status=400) from None
    finally:
        os.unlink(handle.name)
    width, height = meta["size"]
    return {"container": (os.path.splitext(file.filename)[1].lstrip(".") or "mp4").lower(), "size": len(file.content),
            "duration": duration, "frameCount": frame_count, "frameRate": meta["fps"],
            "resolution": {"width": width, "height": height}}


def video_create_body(request: ProviderRequest, source: dict[str, Any]) -> dict[str, Any]:
    params = request.params
    scale = float(params.get("scale") or 2)
    width = int(params.get("output_width") or source["resolution"]["width"] * scale)
    height = int(params.get("output_height") or source["resolution"]["height"] * scale)
    output = {"resolution": {"width": width, "height": height}, "frameRate": params.get("frame_rate") or source["frameRate"],
              "container": params.get("output_container") or "mp4", "audioTransfer": "Copy", "audioCodec": "AAC"}
    filter_model = params.get("model") or request.upstream_model or "prob-4"
    return {"source": source, "output": output, "filters": [{"model": filter_model}]}


def upload_parts(http: httpx.Client, urls: list[str], content: bytes) -> list[dict[str, Any]]:
    """PUT the file split evenly across the presigned URLs; S3 returns each part's ETag."""
    part_size = -(-len(content) // len(urls))
    results = []
    for number, url in enumerate(urls, start=1):
        part = content[(number - 1) * part_size : number * part_size]
        response = check(send(http, "PUT", url, provider=PROVIDER, content=part), provider=PROVIDER)
        results.append({"partNum": number, "eTag": response.headers.get("etag", "").strip('"')})
    return results


@register
class TopazAdapter:
    family = "topaz"

    def run(self, request: ProviderRequest, http: httpx.Client, on_chunk=None) -> ProviderResult:
        if request.task_kind == "video_upscale" or "video" in request.model:
            return self._submit_video(request, http)
        if "generative" in request.model or request.options.get("generative"):
            return self._submit_generative_image(request, http)
        return self._enhance_image(request, http)

    def poll(self, request: ProviderRequest, job: dict[str, Any], http: httpx.Client) -> ProviderResult:
        base_url = request.base_url or DEFAULT_BASE_URL
        if job["kind"] == "video":
            body = _json(send(http, "GET", join(base_url, f"/video/{job['id']}/status"), provider=PROVIDER,
                              headers=_headers(request), timeout=request.timeout_seconds))
        else:
            body = _json(send(http, "GET", join(base_url, f"/image/v1/status/{job['id']}"), provider=PROVIDER,
                              headers=_headers(request), timeout=request.timeout_seconds))
        status = str(body.get("status") or "").lower()
        if status in FAILED_STATUSES:
            raise ProviderError(f"Topaz job {status}", code="provider_job_failed")
        progress = _progress(body.get("progress"))
        if status not in ("complete", "completed"):
            return ProviderResult(state=ResultState.PENDING, job=job, progress=progress, poll_after_seconds=POLL_AFTER_SECONDS,
                                  provider_request_id=job["id"])
        if job["kind"] == "video":
            return self._video_result(request, job, body, http)
        url = _json(send(http, "GET", join(base_url, f"/image/v1/download/{job['id']}"), provider=PROVIDER,
                         headers=_headers(request), timeout=request.timeout_seconds)).get("download_url")
        if not url:
            raise ProviderError("Topaz download has no URL", code="provider_bad_response")
        content, mime = download(http, url, provider=PROVIDER)  # presigned: no API key
        output = _image_output(content, mime if mime.startswith("image/") else "image/png")
        return ProviderResult(state=ResultState.SUCCEEDED, outputs=[output], usage={"requests": 1, "images": 1},
                              provider_request_id=job["id"])

    def _enhance_image(self, request: ProviderRequest, http: httpx.Client) -> ProviderResult:
        image = _input(request, "image_url", "image")
        form = _image_form(request)
        accept = IMAGE_MIME.get(str(form.get("output_format") or "").lower(), "image/png")
        response = send(http, "POST", join(request.base_url or DEFAULT_BASE_URL, "/image/v1/enhance"), provider=PROVIDER,
                        data=form, files={"image": (image.filename, image.content, image.content_type)},
                        headers={**_headers(request), "Accept": accept}, timeout=request.timeout_seconds)
        check(response, provider=PROVIDER, message_of=_message_of)
        mime = response.headers.get("content-type", "").split(";")[0]
        if not mime.startswith("image/") or not response.content:
            raise ProviderError("Topaz returned no image", code="provider_bad_response")
        return ProviderResult(state=ResultState.SUCCEEDED, outputs=[_image_output(response.content, mime)],
                              usage={"requests": 1, "images": 1}, provider_request_id=response.headers.get("x-request-id"))

    def _submit_generative_image(self, request: ProviderRequest, http: httpx.Client) -> ProviderResult:
        image = _input(request, "image_url", "image")
        form = _image_form(request)
        if form["model"] == "Standard V2":
            form["model"] = "Redefine"
        body = _json(send(http, "POST", join(request.base_url or DEFAULT_BASE_URL, "/image/v1/enhance-gen/async"),
                          provider=PROVIDER, data=form, files={"image": (image.filename, image.content, image.content_type)},
                          headers=_headers(request), timeout=request.timeout_seconds))
        process_id = body.get("process_id")
        if not process_id:
            raise ProviderError("Topaz response has no process_id", code="provider_bad_response")
        return ProviderResult(state=ResultState.PENDING, job={"kind": "image", "id": str(process_id)},
                              poll_after_seconds=_float(body.get("eta")) or POLL_AFTER_SECONDS, provider_request_id=str(process_id))

    def _submit_video(self, request: ProviderRequest, http: httpx.Client) -> ProviderResult:
        video = _input(request, "video_url", "video")
        source = probe_video(video)
        base_url, headers = request.base_url or DEFAULT_BASE_URL, _headers(request)
        created = _json(send(http, "POST", join(base_url, "/video/"), provider=PROVIDER, json=video_create_body(request, source),
                             headers=headers, timeout=request.timeout_seconds))
        video_id = created.get("requestId")
        if not video_id:
            raise ProviderError("Topaz response has no requestId", code="provider_bad_response")
        accepted = _json(send(http, "PATCH", join(base_url, f"/video/{video_id}/accept"), provider=PROVIDER,
                              headers=headers, timeout=request.timeout_seconds))
        urls = accepted.get("urls") or []
        if not urls:
            raise ProviderError("Topaz accept returned no upload URL", code="provider_bad_response")
        parts = upload_parts(http, urls, video.content)
        _json(send(http, "PATCH", join(base_url, f"/video/{video_id}/complete-upload"), provider=PROVIDER,
                   json={"uploadResults": parts}, headers=headers, timeout=request.timeout_seconds))
        job = {"kind": "video", "id": str(video_id), "seconds": str(Decimal(str(round(float(source["duration"]), 3))))}
        return ProviderResult(state=ResultState.PENDING, job=job, poll_after_seconds=POLL_AFTER_SECONDS, provider_request_id=str(video_id))

    def _video_result(self, request: ProviderRequest, job: dict[str, Any], body: dict[str, Any], http: httpx.Client) -> ProviderResult:
        url = (body.get("download") or {}).get("url")
        if not url:
            raise ProviderError("Topaz video has no download URL", code="provider_bad_response")
        content, mime = download(http, url, provider=PROVIDER)  # presigned: no API key
        output = Output(kind="video", mime_type=mime if mime.startswith("video/") else "video/mp4", data=content,
                        filename="video.mp4", meta={"duration": job["seconds"]})
        return ProviderResult(state=ResultState.SUCCEEDED, outputs=[output], usage={"requests": 1, "seconds": job["seconds"]},
                              provider_request_id=job["id"])


def _float(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _progress(value: Any) -> int | None:
    number = _float(value)
    return None if number is None else max(0, min(100, int(number)))
