"""Mistral chat completions (Mixtral and friends): OpenAI's shape with Mistral's names.

``request.base_url`` has no version prefix (default ``https://api.mistral.ai``)."""
from __future__ import annotations

from typing import Any

import httpx

from apps.providers.base import ChunkCallback, ProviderRequest, ProviderResult, TaskKind
from apps.providers.http import join
from apps.providers.registry import register
from apps.providers.adapters._openai_chat import ChatDialect, run_chat
from apps.providers.adapters._openai_common import bearer_headers, required_api_key
from apps.providers.adapters.openai import unsupported_task_error

PROVIDER = "Mistral"
DEFAULT_BASE_URL = "https://api.mistral.ai"
# Mistral refuses fields it does not know (OpenAI's stream_options included), so only these go out.
MISTRAL_PARAMS = frozenset({
    "model", "messages", "temperature", "top_p", "max_tokens", "stop", "random_seed", "response_format",
    "tools", "tool_choice", "parallel_tool_calls", "presence_penalty", "frequency_penalty", "safe_prompt",
    "prediction", "prompt_mode",
})
MISTRAL_CHAT = ChatDialect(
    provider=PROVIDER,
    seed_param="random_seed",
    sends_stream_options=False,  # usage comes on the final chunk without asking
    allowed_params=MISTRAL_PARAMS,
    failed_finish_reasons=frozenset({"error"}),
)


@register
class MistralAdapter:
    family = "mistral"

    def run(self, request: ProviderRequest, http: httpx.Client, on_chunk: ChunkCallback | None = None) -> ProviderResult:
        if request.task_kind not in (TaskKind.CHAT.value, TaskKind.VISION.value):
            raise unsupported_task_error(PROVIDER, request.task_kind)
        url = join(request.base_url or DEFAULT_BASE_URL, "v1/chat/completions")
        headers = bearer_headers(required_api_key(request, PROVIDER))
        return run_chat(request, http, on_chunk, dialect=MISTRAL_CHAT, url=url, headers=headers)

    def poll(self, request: ProviderRequest, job: dict[str, Any], http: httpx.Client) -> ProviderResult:
        raise unsupported_task_error(PROVIDER, "poll")
