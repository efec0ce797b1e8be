"""Any OpenAI-compatible server (vLLM, Ollama, llama.cpp, hosted open-model endpoints).

``request.base_url`` is required and includes the version prefix, as the OpenAI SDK's
``base_url`` does (``http://host:8000/v1``). The API key is optional (local servers need
none). Route options: ``stream_usage`` (default true) asks for the usage chunk with
``stream_options``; set it false for servers that refuse the field."""
from __future__ import annotations

import dataclasses
from typing import Any

import httpx

from apps.providers.base import ChunkCallback, ProviderError, ProviderRequest, ProviderResult, TaskKind
from apps.providers.http import join
from apps.providers.registry import register
from apps.providers.adapters._openai_chat import ChatDialect, run_chat
from apps.providers.adapters._openai_common import NOT_CONFIGURED_MESSAGE, bearer_headers
from apps.providers.adapters._openai_images import run_images
from apps.providers.adapters.openai import CHAT_KINDS, IMAGE_KINDS, unsupported_task_error

PROVIDER = "The model server"
COMPATIBLE_CHAT = ChatDialect(provider=PROVIDER)


@register
class OpenAICompatibleAdapter:
    family = "openai_compatible"

    def run(self, request: ProviderRequest, http: httpx.Client, on_chunk: ChunkCallback | None = None) -> ProviderResult:
        if not request.base_url:
            raise ProviderError(NOT_CONFIGURED_MESSAGE.format(provider=PROVIDER), code="provider_not_configured")
        headers = bearer_headers(request.credentials.get("api_key"))
        if request.task_kind in CHAT_KINDS:
            dialect = dataclasses.replace(
                COMPATIBLE_CHAT, sends_stream_options=bool(request.options.get("stream_usage", True))
            )
            url = join(request.base_url, "chat/completions")
            return run_chat(request, http, on_chunk, dialect=dialect, url=url, headers=headers)
        if request.task_kind in IMAGE_KINDS:
            return run_images(request, http, provider=PROVIDER, base_url=request.base_url, headers=headers)
        raise unsupported_task_error(PROVIDER, request.task_kind)

    def poll(self, request: ProviderRequest, job: dict[str, Any], http: httpx.Client) -> ProviderResult:
        raise unsupported_task_error(PROVIDER, "poll")
