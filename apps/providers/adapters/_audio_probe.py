"""Audio duration from the bytes themselves, for when a provider reports no duration."""
from __future__ import annotations

import re
import subprocess
import tempfile
from decimal import Decimal

import imageio_ffmpeg

_DURATION = re.compile(rb"Duration:\s*(\d+):(\d{2}):(\d{2}(?:\.\d+)?)")
PROBE_TIMEOUT_SECONDS = 30


def audio_duration_seconds(data: bytes) -> Decimal | None:
    """The container's duration as ffmpeg reads it, or None when it cannot tell."""
    with tempfile.NamedTemporaryFile(suffix=".media") as handle:
        handle.write(data)
        handle.flush()
        try:
            completed = subprocess.run(
                [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", handle.name],
                capture_output=True,
                timeout=PROBE_TIMEOUT_SECONDS,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
    match = _DURATION.search(completed.stderr)  # ffmpeg prints the header to stderr, exit code 1
    if not match:
        return None
    hours, minutes, seconds = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + Decimal(seconds.decode())
