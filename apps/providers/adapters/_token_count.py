"""Local token estimates for streams that ended without the provider's usage numbers.

cl100k_base is exact for older OpenAI models and a close estimate for the rest; callers
mark such usage ``estimated`` so billing and reports can tell."""
from __future__ import annotations

import functools
import json
from typing import Any

import bpe_openai

# OpenAI's published accounting: each message costs a few framing tokens, and the reply is primed with 3.
TOKENS_PER_MESSAGE = 4
TOKENS_REPLY_PRIMING = 3


@functools.cache
def _encoding() -> Any:
    return bpe_openai.get_encoding("cl100k_base")


def count_text_tokens(text: str) -> int:
    return len(_encoding().encode(text)) if text else 0


def message_text(content: Any) -> str:
    """The text of a message content: a string, or the text parts of a content list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text") or "" for part in content if isinstance(part, dict))
    return ""


def count_message_tokens(messages: list[dict[str, Any]], *, system: str = "") -> int:
    total = TOKENS_REPLY_PRIMING + (count_text_tokens(system) + TOKENS_PER_MESSAGE if system else 0)
    for message in messages:
        total += TOKENS_PER_MESSAGE + count_text_tokens(message_text(message.get("content")))
        for call in message.get("tool_calls") or []:
            total += count_text_tokens(json.dumps(call.get("function") or {}))
    return total


def count_output_tokens(text: str, tool_calls: list[dict[str, Any]]) -> int:
    return count_text_tokens(text) + sum(
        count_text_tokens((call.get("function") or {}).get("name") or "")
        + count_text_tokens((call.get("function") or {}).get("arguments") or "")
        for call in tool_calls
    )
