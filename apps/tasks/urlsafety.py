"""User-supplied URLs: only http(s) to public addresses, checked again after DNS and on every
redirect, and the connection goes to the address that was checked (no DNS rebinding)."""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
from django.conf import settings

from apps.core.errors import ApplicationError

URL_NOT_ALLOWED = "URL not allowed: only http(s) URLs to public addresses can be used."
FETCH_FAILED = "Could not fetch {param}: {reason}."
FILE_TOO_LARGE = "The file in {param} is larger than {limit} bytes."
BLOCKED_HOSTNAMES = frozenset({"localhost", "metadata.google.internal", "metadata", "instance-data"})


def _refuse(param: str | None) -> ApplicationError:
    return ApplicationError(URL_NOT_ALLOWED, code="url_not_allowed", status=400, param=param)


def address_is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    # is_global excludes private, loopback, link-local (169.254.169.254), shared (100.64/10),
    # reserved and unspecified ranges; multicast needs its own test.
    return ip.is_global and not ip.is_multicast


def url_check(url: str, *, param: str | None = None) -> str:
    """Cheap submit-time checks (no DNS): scheme, host, literal addresses, known names."""
    if not isinstance(url, str) or len(url) > 2000:
        raise _refuse(param)
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        raise _refuse(param)
    if settings.TOLLGATE_ALLOW_PRIVATE_URLS:
        return url
    host = parts.hostname.lower().rstrip(".")
    if host in BLOCKED_HOSTNAMES or host.endswith((".localhost", ".internal", ".local")):
        raise _refuse(param)
    try:
        if not address_is_public(host):
            raise _refuse(param)
    except ValueError:
        pass  # a name: resolved and checked when fetched
    return url


def resolve_public(host: str, port: int, *, param: str | None) -> str:
    """Resolve ``host`` and check every address; returns one to connect to."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise ApplicationError(FETCH_FAILED.format(param=param or "url", reason="unknown host"),
                               code="fetch_failed", status=400, param=param) from None
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise _refuse(param)
    if not settings.TOLLGATE_ALLOW_PRIVATE_URLS and not all(address_is_public(a) for a in addresses):
        raise _refuse(param)
    return addresses[0]


@dataclass(frozen=True)
class FetchedFile:
    content: bytes
    content_type: str
    filename: str


def _pinned_request(client: httpx.Client, method: str, url: str, *, param: str | None, **kwargs) -> httpx.Response:
    """Sends to the checked address with the original Host header and TLS server name."""
    url_check(url, param=param)
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = resolve_public(parts.hostname, port, param=param)
    literal = f"[{address}]" if ":" in address else address
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    headers = dict(kwargs.pop("headers", None) or {})
    headers["Host"] = parts.netloc
    extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
    request = client.build_request(method, pinned, headers=headers, extensions=extensions, **kwargs)
    return client.send(request, stream=True)


def safe_request(method: str, url: str, *, param: str | None = None, max_bytes: int | None = None,
                 timeout_seconds: float | None = None, **kwargs) -> tuple[httpx.Response, bytes]:
    """One request to a user URL following redirects by hand (each hop re-checked).
    Returns the final response (closed) and its body, bounded by ``max_bytes``."""
    max_bytes = max_bytes or settings.TOLLGATE_FETCH_MAX_BYTES
    timeout = timeout_seconds or settings.TOLLGATE_FETCH_TIMEOUT_SECONDS
    label = param or "url"
    with httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)), follow_redirects=False) as client:
        for _ in range(settings.TOLLGATE_FETCH_MAX_REDIRECTS + 1):
            try:
                response = _pinned_request(client, method, url, param=param, **kwargs)
                try:
                    if response.is_redirect and "location" in response.headers:
                        url = urljoin(url, response.headers["location"])
                        method, kwargs = "GET", {}
                        continue
                    declared = response.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > max_bytes:
                        raise _too_large(label, max_bytes, param)
                    chunks, size = [], 0
                    for chunk in response.iter_bytes():
                        size += len(chunk)
                        if size > max_bytes:
                            raise _too_large(label, max_bytes, param)
                        chunks.append(chunk)
                    return response, b"".join(chunks)
                finally:
                    response.close()
            except httpx.HTTPError as exc:
                raise ApplicationError(FETCH_FAILED.format(param=label, reason=type(exc).__name__),
                                       code="fetch_failed", status=400, param=param) from None
    raise ApplicationError(FETCH_FAILED.format(param=label, reason="too many redirects"),
                           code="fetch_failed", status=400, param=param)


def _too_large(label: str, limit: int, param: str | None) -> ApplicationError:
    return ApplicationError(FILE_TOO_LARGE.format(param=label, limit=limit), code="file_too_large", status=413, param=param)


def url_fetch(url: str, *, param: str | None = None) -> FetchedFile:
    response, body = safe_request("GET", url, param=param)
    if not response.is_success:
        raise ApplicationError(FETCH_FAILED.format(param=param or "url", reason=f"HTTP {response.status_code}"),
                               code="fetch_failed", status=400, param=param)
    name = urlsplit(str(url)).path.rsplit("/", 1)[-1] or "file"
    content_type = response.headers.get("content-type", "application/octet-stream").split(";")[0].strip()
    return FetchedFile(content=body, content_type=content_type, filename=name[:200])
