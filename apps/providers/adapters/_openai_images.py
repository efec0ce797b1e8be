"""OpenAI-shaped image generation and edits (GPT Image, DALL·E, compatible servers)."""
from __future__ import annotations

import base64
import binascii
import re
from typing import Any
from urllib.parse import urlparse

import httpx

from apps.providers.base import InputFile, Output, ProviderError, ProviderRequest, ProviderResult, ResultState
from apps.providers.http import download, join, json_object, same_site, send
from apps.providers.adapters._media import extension_for, image_meta, sniff_image_type
from apps.providers.adapters._openai_common import raise_for_status, request_id, timeout

ASPECT_RATIO_SIZES = {"1:1": "1024x1024", "3:2": "1536x1024", "2:3": "1024x1536"}
# A ``size`` given as a ratio (seed 004's /v1/imagine: "16:9"...) becomes the pixel size the images
# API takes: about one megapixel in multiples of 64, as open-model servers (SDXL, FLUX) expect.
RATIO_SIZES = {**ASPECT_RATIO_SIZES, "16:9": "1344x768", "9:16": "768x1344", "21:9": "1536x640", "9:21": "640x1536",
               "2:1": "1408x704", "1:2": "704x1408", "4:3": "1152x896", "3:4": "896x1152"}
_RATIO = re.compile(r"^\d+:\d+$")
# Sent as given when present (seed 002 names plus OpenAI's own).
PASSTHROUGH_PARAMS = ("n", "quality", "background", "output_format", "output_compression", "moderation", "user", "style")
OUTPUT_FORMAT_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "jpg": "image/jpeg", "webp": "image/webp"}
_REFERENCE_KEY = re.compile(r"^(image|images|image_url|image_urls|input_image|reference_image)s?(\[\d+\])?$")


def image_fields(request: ProviderRequest) -> dict[str, Any]:
    params = request.params
    fields: dict[str, Any] = {"model": request.upstream_model, "prompt": params.get("prompt", "")}
    size = _pixel_size(params)
    if size:
        fields["size"] = size
    for name in PASSTHROUGH_PARAMS:
        if params.get(name) is not None:
            fields[name] = params[name]
    if request.upstream_model.startswith("dall-e"):
        fields["response_format"] = "b64_json"  # GPT Image models always answer base64
    return fields


def _pixel_size(params: dict[str, Any]) -> str | None:
    """The images API's ``WxH``: from ``size`` (pixels or a ratio), ``width``/``height``, or ``aspect_ratio``."""
    size = params.get("size")
    if isinstance(size, str) and _RATIO.match(size):
        return RATIO_SIZES.get(size)
    if size:
        return str(size)
    if params.get("width") and params.get("height"):
        return f"{int(params['width'])}x{int(params['height'])}"
    return ASPECT_RATIO_SIZES.get(str(params.get("aspect_ratio")))


def reference_images(request: ProviderRequest) -> list[InputFile]:
    """Files the engine fetched for image_urls[i] / image_url, in index order."""
    keys = sorted((key for key in request.files if _REFERENCE_KEY.match(key)), key=_index_of)
    return [request.files[key] for key in keys]


def _index_of(key: str) -> tuple[int, str]:
    match = re.search(r"\[(\d+)\]$", key)
    return (int(match.group(1)) if match else -1, key)


def run_images(
    request: ProviderRequest, http: httpx.Client, *, provider: str, base_url: str, headers: dict[str, str]
) -> ProviderResult:
    """Generate, or edit when reference images were given (multipart ``/images/edits``)."""
    fields = image_fields(request)
    references = reference_images(request)
    if references:
        files = [
            ("image" if len(references) == 1 else "image[]", (f.filename, f.content, f.content_type))
            for f in references
        ]
        mask = request.files.get("mask") or request.files.get("mask_url")
        if mask is not None:
            files.append(("mask", (mask.filename, mask.content, mask.content_type)))
        response = send(
            http, "POST", join(base_url, "images/edits"), provider=provider, headers=headers,
            data={k: str(v) for k, v in fields.items()}, files=files, timeout=timeout(request),
        )
    else:
        response = send(
            http, "POST", join(base_url, "images/generations"), provider=provider, headers=headers,
            json=fields, timeout=timeout(request),
        )
    raise_for_status(response, provider=provider)
    payload = json_object(response, provider=provider)
    items = payload.get("data")
    if not isinstance(items, list) or not items:
        raise ProviderError(f"{provider} returned no images", code="provider_bad_response")
    fallback_type = OUTPUT_FORMAT_TYPES.get(str(payload.get("output_format") or fields.get("output_format") or "png"), "image/png")
    outputs = [
        _image_output(item, index, http, provider=provider, base_url=base_url, headers=headers, fallback_type=fallback_type)
        for index, item in enumerate(items)
    ]
    usage: dict[str, Any] = {"images": len(outputs), "requests": 1}
    token_usage = payload.get("usage") or {}
    for key in ("input_tokens", "output_tokens"):
        if isinstance(token_usage.get(key), int):
            usage[key] = token_usage[key]
    return ProviderResult(ResultState.SUCCEEDED, outputs=outputs, usage=usage, provider_request_id=request_id(response))


def _image_output(
    item: Any, index: int, http: httpx.Client, *, provider: str, base_url: str, headers: dict[str, str], fallback_type: str
) -> Output:
    if not isinstance(item, dict):
        raise ProviderError(f"{provider} returned a malformed image", code="provider_bad_response")
    if item.get("b64_json"):
        try:
            data = base64.b64decode(item["b64_json"], validate=True)
        except (binascii.Error, ValueError):
            raise ProviderError(f"{provider} returned an undecodable image", code="provider_bad_response") from None
        mime_type = sniff_image_type(data, fallback_type)
    elif item.get("url"):
        # Only the provider's own host may see the key; CDN links get a bare GET.
        own_host = urlparse(base_url).hostname or ""
        auth = headers if same_site(item["url"], own_host) else None
        data, content_type = download(http, item["url"], provider=provider, headers=auth)
        mime_type = sniff_image_type(data, content_type if content_type.startswith("image/") else fallback_type)
    else:
        raise ProviderError(f"{provider} returned an image without data", code="provider_bad_response")
    meta = image_meta(data)
    if item.get("revised_prompt"):
        meta["revised_prompt"] = item["revised_prompt"]
    return Output(kind="image", mime_type=mime_type, data=data, filename=f"image-{index}.{extension_for(mime_type, 'png')}", meta=meta)
