"""OpenAI: chat completions, GPT Image, speech, transcription and Sora 2 video.

``request.base_url`` includes the version prefix, as in the official SDK
(default ``https://api.openai.com/v1``)."""
from __future__ import annotations

from typing import Any

import httpx

from apps.providers.base import ChunkCallback, ProviderError, ProviderRequest, ProviderResult, TaskKind
from apps.providers.http import join
from apps.providers.registry import register
from apps.providers.adapters._openai_audio import run_speech, run_transcription
from apps.providers.adapters._openai_chat import ChatDialect, run_chat
from apps.providers.adapters._openai_common import bearer_headers, required_api_key
from apps.providers.adapters._openai_images import run_images
from apps.providers.adapters._openai_video import poll_video, submit_video

PROVIDER = "OpenAI"
DEFAULT_BASE_URL = "https://api.openai.com/v1"
# max_tokens is deprecated upstream and refused by reasoning models; its successor works everywhere.
OPENAI_CHAT = ChatDialect(provider=PROVIDER, max_tokens_param="max_completion_tokens")
CHAT_KINDS = frozenset({TaskKind.CHAT.value, TaskKind.VISION.value})
IMAGE_KINDS = frozenset({TaskKind.IMAGE_GENERATION.value, TaskKind.IMAGE_EDIT.value})


def unsupported_task_error(provider: str, task_kind: str) -> ProviderError:
    return ProviderError(f"{provider} adapter cannot run {task_kind!r} tasks", code="provider_not_configured")


@register
class OpenAIAdapter:
    family = "openai"

    def run(self, request: ProviderRequest, http: httpx.Client, on_chunk: ChunkCallback | None = None) -> ProviderResult:
        base_url, headers = self._endpoint(request)
        kind = request.task_kind
        if kind in CHAT_KINDS:
            return run_chat(
                request, http, on_chunk, dialect=OPENAI_CHAT, url=join(base_url, "chat/completions"), headers=headers
            )
        media = {"provider": PROVIDER, "base_url": base_url, "headers": headers}
        if kind in IMAGE_KINDS:
            return run_images(request, http, **media)
        if kind == TaskKind.TEXT_TO_SPEECH.value:
            return run_speech(request, http, **media)
        if kind == TaskKind.SPEECH_TO_TEXT.value:
            return run_transcription(request, http, **media)
        if kind == TaskKind.VIDEO_GENERATION.value:
            return submit_video(request, http, **media)
        raise unsupported_task_error(PROVIDER, kind)

    def poll(self, request: ProviderRequest, job: dict[str, Any], http: httpx.Client) -> ProviderResult:
        base_url, headers = self._endpoint(request)
        return poll_video(request, job, http, provider=PROVIDER, base_url=base_url, headers=headers)

    def _endpoint(self, request: ProviderRequest) -> tuple[str, dict[str, str]]:
        headers = bearer_headers(required_api_key(request, PROVIDER))
        for option, header in (("organization", "OpenAI-Organization"), ("project", "OpenAI-Project")):
            if request.options.get(option):
                headers[header] = str(request.options[option])
        return request.base_url or DEFAULT_BASE_URL, headers
