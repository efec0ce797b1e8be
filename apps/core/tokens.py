"""Counting the tokens of a text, as a provider counts a message's text: the quotes' prompt
tokens (apps.catalog.services.pricing) and the simulated provider's usage."""
from __future__ import annotations

import functools

import bpe_openai

DEFAULT_ENCODING = "cl100k_base"
# The tokenizer refuses a text of 1,000,000 characters or more, and more than 200,000 tokens per
# call (cl100k_base, o200k_base). A character is at most four bytes, so at most four tokens:
# pieces of this many characters stay below both limits.
PIECE_CHARACTERS = 40_000


@functools.lru_cache(maxsize=8)
def encoding(name: str = DEFAULT_ENCODING) -> "bpe_openai.Encoding":
    """bpe_openai builds the encoding's rank tables on every get_encoding call (20–45 ms of CPU
    here): each one is built once per process (it is read-only afterwards)."""
    return bpe_openai.get_encoding(name)


def count_tokens(text: str, encoding_name: str = DEFAULT_ENCODING) -> int:
    """Tokens in ``text``. A special token's marker ("<|endoftext|>") in a user's text is plain
    text to the provider, so it is counted as such (bpe_openai's ``encode`` refuses it). A long
    text is counted in pieces cut at a space, which may shift the count by a token per cut."""
    if not text:
        return 0
    encoder = encoding(encoding_name)
    total, start, size = 0, 0, len(text)
    while start < size:
        end = min(start + PIECE_CHARACTERS, size)
        if end < size:
            space = text.rfind(" ", start + 1, end)
            end = space if space > start else end
        total += len(encoder.encode_ordinary(text[start:end]))
        start = end
    return total
