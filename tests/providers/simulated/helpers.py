"""Shared builders for the simulated provider tests."""
from __future__ import annotations

import re
import subprocess
from typing import Any

import imageio_ffmpeg

from apps.providers.adapters.simulated import SimulatedAdapter
from apps.providers.base import ProviderRequest

FAST = {"token_delay_ms": 0, "render_seconds": 0}


def make_request(task_kind: str, params: dict[str, Any], *, task_id: str = "task_1", files=None,
                 options: dict[str, Any] | None = None, model: str = "sim/model") -> ProviderRequest:
    return ProviderRequest(task_id=task_id, task_kind=task_kind, model=model, upstream_model=model.split("/")[-1],
                           params=params, files=files or {}, options=FAST if options is None else options)


def run(request: ProviderRequest, on_chunk=None):
    return SimulatedAdapter().run(request, None, on_chunk)  # type: ignore[arg-type]


def ffmpeg_duration_seconds(path: str) -> float:
    """Decode the whole file with ffmpeg and read back the duration it reports."""
    completed = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", path, "-f", "null", "-"],
                               capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr[-500:]
    hours, minutes, seconds = re.search(r"Duration: (\d+):(\d+):([\d.]+)", completed.stderr).groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
