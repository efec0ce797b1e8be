"""The ffmpeg binary shipped by imageio-ffmpeg: the one encoder/decoder the simulator uses."""
from __future__ import annotations

import functools
import subprocess

import imageio_ffmpeg

from apps.providers.base import ProviderError

TIMEOUT_SECONDS = 120.0
# Bit-exact muxing keeps outputs byte-identical across runs (no random Ogg serials, no
# encoder-version tags).
BITEXACT = ["-fflags", "+bitexact", "-flags", "+bitexact"]


@functools.cache
def ffmpeg_exe() -> str:
    return imageio_ffmpeg.get_ffmpeg_exe()


def run_ffmpeg(args: list[str], input_bytes: bytes | None = None, *, check: bool = True) -> tuple[bytes, str]:
    """Run ffmpeg; returns (stdout, stderr text). A failure is the simulator's own bug: final 502."""
    stdin_flag = ["-nostdin"] if input_bytes is None else []
    command = [ffmpeg_exe(), "-hide_banner", "-y", *stdin_flag, *args]
    try:
        completed = subprocess.run(command, input=input_bytes, capture_output=True, timeout=TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        raise ProviderError("simulated media encoder timed out", code="provider_timeout",
                            retryable=True, status=504) from None
    stderr = completed.stderr.decode("utf-8", "replace")
    if check and completed.returncode != 0:
        last_line = stderr.strip().splitlines()[-1:] or ["no output"]
        raise ProviderError(f"simulated media encoder failed: {last_line[0][:200]}",
                            code="provider_bad_response", status=502)
    return completed.stdout, stderr
