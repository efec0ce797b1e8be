"""Drive an adapter the way the engine does: ``run``, then ``poll`` while the result is pending."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from apps.providers.base import ProviderRequest, ProviderResult, ResultState


@dataclass
class PolledRun:
    result: ProviderResult  # the final (non-pending) result
    states: list[ResultState]  # the state after ``run``, then after each poll
    progress: list[Any]  # ``progress`` after each poll

    @property
    def polls(self) -> int:
        return len(self.states) - 1


def poll_to_end(adapter: Any, request: ProviderRequest, http: httpx.Client, *, max_polls: int = 10) -> PolledRun:
    """Fails the test if a pending result has no job or the job is still pending after ``max_polls``."""
    result = adapter.run(request, http)
    states, progress = [result.state], []
    while result.state is ResultState.PENDING:
        assert result.job is not None
        assert len(states) <= max_polls
        result = adapter.poll(request, result.job, http)
        states.append(result.state)
        progress.append(result.progress)
    return PolledRun(result, states, progress)


def poll_to_end_with_own_client(adapter: Any, request: ProviderRequest) -> PolledRun:
    with httpx.Client() as http:
        return poll_to_end(adapter, request, http)
