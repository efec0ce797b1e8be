"""Stability AI adapter (v1 REST generation API), for ``stabilityai/stable-diffusion-2-1``.

UNVERIFIED: providers.md has no Stability section. This follows Stability's public v1 API as
remembered, not checked against their SDK: ``POST /v1/generation/{engine_id}/text-to-image``,
``Authorization: Bearer``, JSON ``text_prompts``/``cfg_scale``/``width``/``height``/``samples``/
``steps``/``seed``, answering ``{"artifacts": [{"base64", "seed", "finishReason"}]}``. Unknown
fields are ignored. The route's ``upstream_model`` is the engine id.
"""
from __future__ import annotations

import base64
import binascii
from typing import Any

import httpx

from apps.providers.base import Output, ProviderError, ProviderRequest, ProviderResult, ResultState
from apps.providers.http import error_from_response, join, json_or_none, send
from apps.providers.registry import register
from apps.providers.adapters._media import image_filename, read_image_header

PROVIDER = "Stability AI"
DEFAULT_BASE_URL = "https://api.stability.ai"
# Our parameter name -> Stability's (seed 000/003 use diffusers-style names).
PARAM_ALIASES = {
    "width": "width", "height": "height", "seed": "seed", "steps": "steps", "num_inference_steps": "steps",
    "cfg_scale": "cfg_scale", "guidance_scale": "cfg_scale", "samples": "samples", "n": "samples",
    "sampler": "sampler", "style_preset": "style_preset", "clip_guidance_preset": "clip_guidance_preset",
}
MODERATED_MESSAGE = "the image request was blocked by the provider's content filter"


def error_message(body: Any) -> str | None:
    """v1 errors: ``{"id", "name", "message"}``."""
    return body.get("message") if isinstance(body, dict) else None


def request_body(request: ProviderRequest) -> dict[str, Any]:
    params = request.params
    prompts = [{"text": params["prompt"], "weight": 1}]
    if params.get("negative_prompt"):
        prompts.append({"text": params["negative_prompt"], "weight": -1})
    body: dict[str, Any] = {"text_prompts": prompts}
    body.update({wire: params[name] for name, wire in PARAM_ALIASES.items() if params.get(name) is not None})
    return body


def artifact_output(artifact: dict[str, Any], task_id: str, index: int) -> Output:
    try:
        data = base64.b64decode(artifact["base64"], validate=True)
    except (KeyError, TypeError, ValueError, binascii.Error):
        data = b""
    header = read_image_header(data)
    if header is None:
        raise ProviderError(f"{PROVIDER} returned an unreadable image", code="provider_bad_response")
    mime_type = header.mime_type or "image/png"
    meta: dict[str, Any] = {"width": header.width, "height": header.height}
    if "seed" in artifact:
        meta["seed"] = artifact["seed"]
    return Output(kind="image", mime_type=mime_type, data=data, meta=meta, filename=image_filename(f"{task_id}-{index}", mime_type))


@register
class StabilityAdapter:
    family = "stability"

    def run(self, request: ProviderRequest, http: httpx.Client, on_chunk: Any = None) -> ProviderResult:
        url = join(request.base_url or DEFAULT_BASE_URL, f"/v1/generation/{request.upstream_model}/text-to-image")
        headers = {"Authorization": f"Bearer {request.credentials['api_key']}", "Accept": "application/json"}
        response = send(http, "POST", url, provider=PROVIDER, json=request_body(request), headers=headers,
                        timeout=request.timeout_seconds)
        if not response.is_success:
            raise error_from_response(response, provider=PROVIDER, message=error_message(json_or_none(response)))
        body = json_or_none(response)
        artifacts = body.get("artifacts") if isinstance(body, dict) else None
        if not isinstance(artifacts, list) or not all(isinstance(item, dict) for item in artifacts):
            raise ProviderError(f"{PROVIDER} returned an unreadable response", code="provider_bad_response")
        # Filtered artifacts come back blurred: never hand them out as results.
        usable = [item for item in artifacts if item.get("finishReason", "SUCCESS") == "SUCCESS"]
        if not usable:
            if any(item.get("finishReason") == "CONTENT_FILTERED" for item in artifacts):
                raise ProviderError(MODERATED_MESSAGE, code="content_moderated", status=400)
            raise ProviderError(f"{PROVIDER} returned no image", code="provider_bad_response")
        outputs = [artifact_output(item, request.task_id, index) for index, item in enumerate(usable)]
        return ProviderResult(ResultState.SUCCEEDED, outputs=outputs, usage={"images": len(outputs), "requests": 1})

    def poll(self, request: ProviderRequest, job: dict[str, Any], http: httpx.Client) -> ProviderResult:
        raise ProviderError(f"{PROVIDER} calls are synchronous; there is nothing to poll", code="unsupported_task")
