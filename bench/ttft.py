"""Sequential httpx loops: time to first token of streamed chat, and the same client's floor.

One client, one request at a time, a kept-alive connection (as an SDK would use). TTFT is the
time from sending the request to reading the first SSE ``data:`` event whose delta carries
content; the rest of the stream is then read to the end so every request completes."""
from __future__ import annotations

import json
import statistics
import time
from typing import Any

import httpx


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), -(-len(ordered) * p // 100)))
    return ordered[int(rank) - 1]


def summarize(seconds: list[float], failures: int) -> dict[str, Any]:
    if not seconds:
        return {"n": 0, "failures": failures}
    ms = [s * 1000 for s in seconds]
    return {"n": len(ms), "failures": failures, "p50_ms": statistics.median(ms), "p90_ms": percentile(ms, 90),
            "p99_ms": percentile(ms, 99), "mean_ms": statistics.fmean(ms), "max_ms": max(ms)}


def _has_content(data: str) -> bool:
    if data.strip() == "[DONE]":
        return False
    try:
        chunk = json.loads(data)
    except ValueError:
        return False
    for choice in chunk.get("choices") or []:
        if (choice.get("delta") or {}).get("content"):
            return True
    return False


def ttft_loop(url: str, *, headers: dict[str, str], body: dict[str, Any], count: int,
              deadline_seconds: float) -> dict[str, Any]:
    """``count`` sequential streamed requests (stopping early at the deadline)."""
    ttfts, totals, failures, first_error = [], [], 0, None
    stop_at = time.monotonic() + deadline_seconds
    with httpx.Client(headers=headers, timeout=30.0) as client:
        for _ in range(count):
            if time.monotonic() > stop_at:
                break
            started = time.perf_counter()
            first = None
            try:
                with client.stream("POST", url, json=body) as response:
                    if response.status_code != 200:
                        failures += 1
                        first_error = first_error or f"HTTP {response.status_code}: {response.read()[:300]!r}"
                        continue
                    for line in response.iter_lines():
                        if first is None and line.startswith("data:") and _has_content(line[5:].strip()):
                            first = time.perf_counter() - started
            except httpx.HTTPError as exc:
                failures += 1
                first_error = first_error or f"{type(exc).__name__}: {exc}"
                continue
            if first is None:
                failures += 1
                first_error = first_error or "stream carried no content chunk"
                continue
            ttfts.append(first)
            totals.append(time.perf_counter() - started)
    result = summarize(ttfts, failures)
    result["total"] = summarize(totals, failures)
    if first_error:
        result["first_error"] = first_error
    return result


def floor_loop(url: str, *, count: int, deadline_seconds: float) -> dict[str, Any]:
    """The same client, ``count`` sequential GETs of the floor view (time to the full body)."""
    seconds, failures = [], 0
    stop_at = time.monotonic() + deadline_seconds
    with httpx.Client(timeout=30.0) as client:
        for _ in range(count):
            if time.monotonic() > stop_at:
                break
            started = time.perf_counter()
            try:
                response = client.get(url)
                response.read()
            except httpx.HTTPError:
                failures += 1
                continue
            if response.status_code != 200:
                failures += 1
                continue
            seconds.append(time.perf_counter() - started)
    return summarize(seconds, failures)
