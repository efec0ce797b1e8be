"""Route options that tune the simulated provider (documented in the package docstring)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FAIL_MODES = ("retryable", "final", "timeout")


@dataclass(frozen=True)
class SimulationOptions:
    latency_ms: float = 0.0
    token_delay_ms: float = 15.0
    render_seconds: float = 3.0
    failure_rate: float = 0.0
    fail_mode: str = "retryable"


def _number(options: dict[str, Any], key: str, default: float, low: float, high: float) -> float:
    try:
        value = float(options.get(key, default))
    except (TypeError, ValueError):
        return default
    return min(max(value, low), high)


def simulation_options(options: dict[str, Any] | None) -> SimulationOptions:
    options = options or {}
    fail_mode = str(options.get("fail_mode") or "retryable")
    return SimulationOptions(
        latency_ms=_number(options, "latency_ms", 0.0, 0.0, 600_000.0),
        token_delay_ms=_number(options, "token_delay_ms", 15.0, 0.0, 10_000.0),
        render_seconds=_number(options, "render_seconds", 3.0, 0.0, 3600.0),
        failure_rate=_number(options, "failure_rate", 0.0, 0.0, 1.0),
        fail_mode=fail_mode if fail_mode in FAIL_MODES else "retryable",
    )
