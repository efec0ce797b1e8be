"""Fault injection: a reproducible fraction of tasks fail, chosen by ``task_id``."""
from __future__ import annotations

import time

from apps.providers.base import ProviderError, ProviderRequest
from apps.providers.simulated.options import SimulationOptions
from apps.providers.simulated.seeding import stable_hash

MAX_TIMEOUT_WAIT_SECONDS = 120.0


def is_failing(task_id: str, failure_rate: float) -> bool:
    """True for about ``failure_rate`` of all task ids, always the same ones."""
    if failure_rate <= 0:
        return False
    return stable_hash("fault", task_id) / 2**64 < failure_rate


def raise_injected_fault(request: ProviderRequest, options: SimulationOptions) -> None:
    if not is_failing(request.task_id, options.failure_rate):
        return
    if options.fail_mode == "final":
        raise ProviderError("simulated provider failure (injected)", code="provider_bad_response", status=502)
    if options.fail_mode == "timeout":
        # A hung upstream: hold the caller until its own timeout, as a real one would.
        time.sleep(min(max(request.timeout_seconds, 0.0), MAX_TIMEOUT_WAIT_SECONDS))
        raise ProviderError("simulated provider timed out (injected)", code="provider_timeout",
                            retryable=True, status=504)
    raise ProviderError("simulated provider is unavailable (injected)", code="provider_unavailable",
                        retryable=True, status=502, upstream_status=503)
