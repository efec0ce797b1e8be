"""Determinism: every generator draws from a seed derived from the request, never the clock."""
from __future__ import annotations

import hashlib
import json
import random
from typing import Any

from apps.providers.base import ProviderRequest

PROMPT_KEYS = ("prompt", "text", "input", "gpt_description_prompt", "description", "lyrics", "title")


def stable_hash(*parts: Any) -> int:
    blob = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False).encode()
    return int.from_bytes(hashlib.sha256(blob).digest()[:8], "big")


def prompt_of(params: dict[str, Any]) -> str:
    """The request's main text: the first prompt-like parameter, else the chat messages."""
    for key in PROMPT_KEYS:
        value = params.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return messages_text(params.get("messages") or [])


def content_text(content: Any) -> str:
    """Text of a chat message's content: a string, or OpenAI/Anthropic content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [part.get("text", "") for part in content if isinstance(part, dict)]
        return " ".join(part for part in parts if isinstance(part, str) and part)
    return ""


def messages_text(messages: list[Any]) -> str:
    """The last user message (what a reply should answer), else all text joined."""
    texts = [content_text(m.get("content")) for m in messages if isinstance(m, dict)]
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            text = content_text(message.get("content")).strip()
            if text:
                return text
    return " ".join(t for t in texts if t).strip()


def request_seed(request: ProviderRequest) -> int:
    """Same seed and prompt (and model) give the same output; ``seed`` alone varies it."""
    params = request.params
    return stable_hash(request.model, request.task_kind, params.get("seed"), prompt_of(params),
                       params.get("voice") or params.get("voice_id"), params.get("clip_id"))


def request_rng(request: ProviderRequest, purpose: str = "") -> random.Random:
    return random.Random(stable_hash(request_seed(request), purpose))


def short_id(request: ProviderRequest) -> str:
    return f"sim_{stable_hash(request.task_id, request_seed(request)):016x}"
