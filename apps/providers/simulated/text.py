"""Chat, vision and lyrics: deterministic text, streamed token by token like a real model."""
from __future__ import annotations

import codecs
import io
import time
from typing import Any

from PIL import Image

from apps.core.tokens import count_tokens, encoding
from apps.providers.base import ChunkCallback, Output, ProviderRequest, ProviderResult, ResultState, TaskKind
from apps.providers.simulated import wording
from apps.providers.simulated.options import SimulationOptions
from apps.providers.simulated.seeding import content_text, prompt_of, request_rng

MAX_TOKEN_KEYS = ("max_tokens", "max_completion_tokens", "max_output_tokens", "max_new_tokens")
TOKENS_PER_MESSAGE = 3  # OpenAI's chat framing overhead, per message and once for the reply


def input_token_count(params: dict[str, Any]) -> int:
    messages = params.get("messages")
    if not isinstance(messages, list) or not messages:
        return count_tokens(prompt_of(params))
    total = TOKENS_PER_MESSAGE + count_tokens(content_text(params.get("system")))
    for message in messages:
        if isinstance(message, dict):
            total += TOKENS_PER_MESSAGE + count_tokens(str(message.get("role", "")))
            total += count_tokens(content_text(message.get("content")))
    return total


def max_tokens_of(params: dict[str, Any]) -> int | None:
    for key in MAX_TOKEN_KEYS:
        value = params.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def describe_images(request: ProviderRequest) -> str:
    sizes = []
    for upload in request.files.values():
        try:
            with Image.open(io.BytesIO(upload.content)) as image:
                sizes.append(f"{image.width}x{image.height}")
        except Exception:  # not an image: vision only describes what it can open
            continue
    image_parts = sum(
        1 for message in request.params.get("messages") or [] if isinstance(message, dict)
        for part in (message.get("content") if isinstance(message.get("content"), list) else [])
        if isinstance(part, dict) and part.get("type") in ("image_url", "image", "input_image")
    )
    count = len(sizes) + image_parts
    if not count:
        return "No image was attached, so this simulated description is about the text alone."
    detail = f" ({', '.join(sizes)} pixels)" if sizes else ""
    return f"I can see {count} image{'s' if count > 1 else ''}{detail}."


def compose(request: ProviderRequest) -> tuple[str, dict[str, Any]]:
    """The full reply (before any max_tokens cut) and extra output meta."""
    prompt = prompt_of(request.params)
    rng = request_rng(request, "text")
    if request.task_kind == TaskKind.LYRICS.value:
        title, body = wording.lyrics(prompt, rng)
        return body, {"title": title}
    text = wording.prose(prompt, rng)
    if request.task_kind == TaskKind.VISION.value:
        text = f"{describe_images(request)} {text}"
    return text, {}


def stream_tokens(tokens: list[int], on_chunk: ChunkCallback | None, token_delay_seconds: float) -> str:
    """Emit each token's text (multi-byte characters held back until complete); returns the
    concatenation, which is exactly what the chunks added up to."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pieces: list[str] = []
    for index, token in enumerate(tokens):
        if on_chunk is not None and index and token_delay_seconds:
            time.sleep(token_delay_seconds)
        piece = decoder.decode(encoding().decode_single_token_bytes(token))
        if piece:
            pieces.append(piece)
            if on_chunk is not None:
                on_chunk(piece)
    tail = decoder.decode(b"", final=True)
    if tail:
        pieces.append(tail)
        if on_chunk is not None:
            on_chunk(tail)
    return "".join(pieces)


def generate_text(request: ProviderRequest, options: SimulationOptions,
                  on_chunk: ChunkCallback | None = None) -> ProviderResult:
    full_text, meta = compose(request)
    tokens = encoding().encode_ordinary(full_text)  # an echoed "<|endoftext|>" is text, as in count_tokens
    limit = max_tokens_of(request.params)
    finish_reason = "stop"
    if limit is not None and len(tokens) > limit:
        tokens, finish_reason = tokens[:limit], "length"
    delay_seconds = options.token_delay_ms / 1000.0
    if on_chunk is None and delay_seconds:
        time.sleep(delay_seconds * max(len(tokens) - 1, 0))  # a non-streamed call takes as long
    text = stream_tokens(tokens, on_chunk, delay_seconds)
    usage = {"input_tokens": input_token_count(request.params), "output_tokens": len(tokens)}
    output = Output(kind="text", text=text, meta={"finish_reason": finish_reason, **meta})
    return ProviderResult(state=ResultState.SUCCEEDED, outputs=[output], usage=usage)
