"""HTTP helpers shared by every adapter: one place for error mapping and retry hints."""
from __future__ import annotations

import email.utils
import ssl
import threading
import time
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Callable, Iterator
from urllib.parse import urlparse

import certifi
import httpx

from apps.providers.base import ProviderError

RETRYABLE_STATUSES = frozenset({408, 409, 429}) | frozenset(range(500, 600))
MAX_DOWNLOAD_BYTES = 512 * 1024 * 1024


def retry_after_seconds(response: httpx.Response) -> float | None:
    """Provider hint for when to retry: ``retry-after-ms``, then ``retry-after`` (seconds or
    HTTP date), as the official OpenAI/Anthropic SDKs read them."""
    ms = response.headers.get("retry-after-ms")
    if ms:
        try:
            return max(float(ms) / 1000.0, 0.0)
        except ValueError:
            pass
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        if parsed is None:
            return None
        return max(parsed.timestamp() - time.time(), 0.0)


def is_retryable(response: httpx.Response) -> bool:
    hint = response.headers.get("x-should-retry")
    if hint in ("true", "false"):
        return hint == "true"
    return response.status_code in RETRYABLE_STATUSES


def json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def json_object(response: httpx.Response, *, provider: str) -> dict[str, Any]:
    """The response's JSON object; any other body is a malformed response (502)."""
    body = json_or_none(response)
    if not isinstance(body, dict):
        raise ProviderError(
            f"{provider} returned a malformed response", code="provider_bad_response", upstream_status=response.status_code
        )
    return body


def clean_message(message: Any, *, limit: int = 500) -> str:
    """A provider message made safe to show: a single line, bounded length."""
    text = " ".join(str(message or "").split())
    return text[:limit] or "the provider returned an error"


def error_from_response(
    response: httpx.Response,
    *,
    provider: str,
    message: str | None = None,
    code: str | None = None,
    retryable: bool | None = None,
) -> ProviderError:
    """Map a failed HTTP response to a ProviderError.

    4xx (other than 408/409/429) is the caller's request being refused: status 400 with the
    provider's cleaned message. 401/403 mean *our* credentials are wrong: 502, never the
    provider's text (it may echo the key). 429/5xx are retryable, ending as 502.
    """
    status = response.status_code
    retry = is_retryable(response) if retryable is None else retryable
    if status in (401, 403):
        return ProviderError(
            f"{provider} rejected the platform's credentials",
            code="provider_auth_error",
            status=502,
            upstream_status=status,
        )
    if retry:
        return ProviderError(
            f"{provider} is unavailable or rate limited (HTTP {status})"
            + (f": {clean_message(message)}" if message else ""),
            code=code or ("provider_rate_limited" if status == 429 else "provider_unavailable"),
            retryable=True,
            status=502,
            retry_after_seconds=retry_after_seconds(response),
            upstream_status=status,
        )
    if 400 <= status < 500:
        return ProviderError(
            clean_message(message or f"{provider} refused the request (HTTP {status})"),
            code=code or "provider_invalid_request",
            status=400,
            upstream_status=status,
        )
    return ProviderError(
        f"{provider} returned an unexpected response (HTTP {status})",
        code=code or "provider_bad_response",
        status=502,
        upstream_status=status,
    )


@contextmanager
def transport_errors_as_provider_errors(*, timed_out: str, unreachable: str) -> Iterator[None]:
    """Map httpx timeouts (504) and connection failures (502) to retryable ProviderErrors."""
    try:
        yield
    except httpx.TimeoutException:
        raise ProviderError(timed_out, code="provider_timeout", retryable=True, status=504) from None
    except httpx.TransportError as exc:
        raise ProviderError(
            f"{unreachable} ({type(exc).__name__})", code="provider_unreachable", retryable=True, status=502
        ) from None


def api_transport_errors(provider: str) -> AbstractContextManager[None]:
    """``transport_errors_as_provider_errors`` worded for a call to the provider's API."""
    return transport_errors_as_provider_errors(timed_out=f"{provider} timed out", unreachable=f"could not reach {provider}")


def send(http: httpx.Client, method: str, url: str, *, provider: str, **kwargs: Any) -> httpx.Response:
    """``http.request`` with transport failures mapped to retryable ProviderErrors."""
    with api_transport_errors(provider):
        return http.request(method, url, **kwargs)


def check(
    response: httpx.Response,
    *,
    provider: str,
    message_of: Callable[[Any], str | None] = lambda body: None,
) -> httpx.Response:
    """Raise the mapped ProviderError unless the response is 2xx."""
    if response.is_success:
        return response
    body = json_or_none(response)
    raise error_from_response(response, provider=provider, message=message_of(body) if body is not None else None)


def download(
    http: httpx.Client,
    url: str,
    *,
    provider: str,
    headers: dict[str, str] | None = None,
    max_bytes: int = MAX_DOWNLOAD_BYTES,
) -> tuple[bytes, str]:
    """Fetch a result file (bounded size). Returns (bytes, content type).

    Pass ``headers`` (credentials) only for URLs on the provider's own host: result URLs
    are often presigned links on other hosts that must not see the API key."""
    failures = transport_errors_as_provider_errors(
        timed_out=f"{provider} result download timed out", unreachable=f"could not download the {provider} result"
    )
    with failures, http.stream("GET", url, headers=headers or {}) as response:
        if not response.is_success:
            raise error_from_response(response, provider=provider, code="provider_download_failed")
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise ProviderError(f"{provider} result is larger than {max_bytes} bytes", code="output_too_large")
            chunks.append(chunk)
        return b"".join(chunks), response.headers.get("content-type", "application/octet-stream").split(";")[0]


def same_site(url: str, allowed_suffix: str) -> bool:
    """True when ``url``'s host is ``allowed_suffix`` or a subdomain of it (e.g. "bfl.ai")."""
    host = (urlparse(url).hostname or "").lower()
    suffix = allowed_suffix.lower().lstrip(".")
    return host == suffix or host.endswith("." + suffix)


def join(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + "/" + path.lstrip("/")


# --- the provider client ------------------------------------------------------------------------
# Building an httpx.Client loads the CA bundle (~40 ms of CPU here, measured: a third of a
# worker's CPU per task when a client was built per call). One SSL context per process, and one
# client per worker thread, which also keeps connections to a provider alive between tasks.
_ssl_context: ssl.SSLContext | None = None
_ssl_lock = threading.Lock()
_local = threading.local()


def _shared_ssl_context() -> ssl.SSLContext:
    global _ssl_context
    with _ssl_lock:
        if _ssl_context is None:
            _ssl_context = ssl.create_default_context(cafile=certifi.where())
        return _ssl_context


def provider_client(*, timeout_seconds: float, connect_timeout_seconds: float) -> httpx.Client:
    """This thread's client for provider calls (adapters get it as ``http``; they must not
    change its state). Rebuilt when the timeouts change or after it was closed."""
    timeout = httpx.Timeout(timeout_seconds, connect=connect_timeout_seconds)
    client = getattr(_local, "client", None)
    if client is None or client.is_closed or client.timeout != timeout:
        if client is not None and not client.is_closed:
            client.close()
        client = httpx.Client(timeout=timeout, verify=_shared_ssl_context())
        _local.client = client
    return client
