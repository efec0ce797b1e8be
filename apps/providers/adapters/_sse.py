"""Server-sent events over a streamed httpx response, shared by the chat adapters."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import httpx

from apps.providers.base import ProviderError


@dataclass(frozen=True)
class SseEvent:
    event: str  # "message" when the stream names no event (OpenAI, Mistral)
    data: str


def iter_sse_events(response: httpx.Response) -> Iterator[SseEvent]:
    """Parse the SSE framing: ``event:``/``data:`` fields, a blank line ends an event,
    ``:`` lines are comments. A last event without its blank line still counts."""
    event_name = "message"
    data_lines: list[str] = []
    for line in response.iter_lines():
        if not line:
            if data_lines:
                yield SseEvent(event_name, "\n".join(data_lines))
            event_name, data_lines = "message", []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "event":
            event_name = value
        elif name == "data":
            data_lines.append(value)
    if data_lines:
        yield SseEvent(event_name, "\n".join(data_lines))


@contextmanager
def open_stream(
    http: httpx.Client,
    method: str,
    url: str,
    *,
    provider: str,
    raise_for_status: Callable[[httpx.Response], Any],
    **kwargs: Any,
) -> Iterator[httpx.Response]:
    """Like ``http.send`` with ``stream=True``: transport failures become retryable
    ProviderErrors; a non-2xx answer is read, then handed to ``raise_for_status``."""
    try:
        response = http.send(http.build_request(method, url, **kwargs), stream=True)
    except httpx.TimeoutException:
        raise ProviderError(f"{provider} timed out", code="provider_timeout", retryable=True, status=504) from None
    except httpx.TransportError as exc:
        raise ProviderError(
            f"could not reach {provider} ({type(exc).__name__})", code="provider_unreachable", retryable=True
        ) from None
    try:
        if not response.is_success:
            try:
                response.read()
            except httpx.HTTPError:
                pass
            raise_for_status(response)
        yield response
    finally:
        response.close()
