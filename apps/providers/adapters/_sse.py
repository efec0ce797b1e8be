"""Server-sent events over a streamed httpx response, shared by the chat adapters."""
from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import httpx

from apps.providers.base import ProviderError
from apps.providers.http import api_transport_errors


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
    with api_transport_errors(provider):
        response = http.send(http.build_request(method, url, **kwargs), stream=True)
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


@contextmanager
def tolerate_drop_after_reply(provider: str, is_reply_complete: Callable[[], bool]) -> Iterator[None]:
    """Around reading a stream: a timeout or dropped connection fails the call only while the
    reply is still incomplete; once it is complete, the lost tail (usage, stop events) is ignored."""
    try:
        yield
    except httpx.TimeoutException:
        if not is_reply_complete():
            raise ProviderError(f"{provider} timed out mid-stream", code="provider_timeout", retryable=True, status=504) from None
    except httpx.TransportError:
        if not is_reply_complete():
            raise interrupted_error(provider) from None


def event_json(data: str, provider: str) -> dict[str, Any]:
    """One event's data as a JSON object; anything else is a malformed stream."""
    try:
        payload = json.loads(data)
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        raise ProviderError(f"{provider} sent a malformed stream event", code="provider_bad_response")
    return payload


def interrupted_error(provider: str) -> ProviderError:
    return ProviderError(
        f"{provider} stream ended before the reply was complete", code="provider_stream_interrupted", retryable=True
    )
