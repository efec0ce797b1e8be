"""Video task kinds: a moving pattern rendered to H.264 MP4, delivered through an async job.

``run`` submits (PENDING with a JSON job); ``poll`` reports progress from elapsed time and
renders the file on the poll after ``render_seconds`` have passed, like a real render farm."""
from __future__ import annotations

import math
import os
import tempfile
import time
from typing import Any

from PIL import Image, ImageDraw

from apps.providers.base import Output, ProviderRequest, ProviderResult, ResultState, TaskKind
from apps.providers.simulated.audio_codec import probe_audio
from apps.providers.simulated.ffmpeg import BITEXACT, run_ffmpeg
from apps.providers.simulated.image import caption, pattern, seed_color
from apps.providers.simulated.options import SimulationOptions
from apps.providers.simulated.pcm import wav_bytes
from apps.providers.simulated.seeding import prompt_of, request_rng, short_id
from apps.providers.simulated.sizing import video_frame_size

FRAMES_PER_SECOND = 24
DEFAULT_VIDEO_SECONDS = 5.0
MAX_VIDEO_SECONDS = 30.0
MAX_POLL_INTERVAL_SECONDS = 2.0


def duration_of(request: ProviderRequest) -> float:
    """The ``duration`` param ("5", 5, "5s"); for lip sync the uploaded audio's length."""
    if request.task_kind == TaskKind.LIP_SYNC.value and request.files:
        audio = next((f for f in request.files.values() if f.content_type.startswith("audio/")), None)
        if audio is not None:
            return min(max(probe_audio(audio.content).duration_seconds, 1.0), MAX_VIDEO_SECONDS)
    value = str(request.params.get("duration") or "").strip().rstrip("s")
    try:
        return min(max(float(value), 1.0), MAX_VIDEO_SECONDS)
    except ValueError:
        return DEFAULT_VIDEO_SECONDS


def submit(request: ProviderRequest, options: SimulationOptions) -> ProviderResult:
    job = {"job_id": short_id(request), "started_at": time.time(), "render_seconds": options.render_seconds,
           "duration_seconds": duration_of(request)}
    return ProviderResult(state=ResultState.PENDING, job=job, progress=0, provider_request_id=job["job_id"],
                          poll_after_seconds=min(max(options.render_seconds / 5, 0.05), MAX_POLL_INTERVAL_SECONDS))


def poll(request: ProviderRequest, job: dict[str, Any]) -> ProviderResult:
    render_seconds = float(job.get("render_seconds", 0))
    elapsed = time.time() - float(job.get("started_at", 0))
    if elapsed < render_seconds:
        remaining = render_seconds - elapsed
        return ProviderResult(state=ResultState.PENDING, job=job, progress=min(99, int(100 * elapsed / render_seconds)),
                              poll_after_seconds=min(max(remaining, 0.05), MAX_POLL_INTERVAL_SECONDS),
                              provider_request_id=job.get("job_id"))
    seconds = float(job.get("duration_seconds") or DEFAULT_VIDEO_SECONDS)
    output = render(request, seconds)
    return ProviderResult(state=ResultState.SUCCEEDED, outputs=[output], usage={"seconds": f"{seconds:.3f}"},
                          progress=100, provider_request_id=job.get("job_id"))


def frames(request: ProviderRequest, size: tuple[int, int], frame_count: int):
    """A seeded backdrop with three circles on Lissajous paths and the prompt as a caption."""
    rng = request_rng(request, "video")
    backdrop = pattern(size, rng).convert("RGB")
    movers = [(seed_color(rng), rng.uniform(0.2, 1.2), rng.uniform(0.2, 1.2), rng.uniform(0, 6.28)) for _ in range(3)]
    radius = min(size) // 8
    text = prompt_of(request.params)
    for index in range(frame_count):
        moment = index / FRAMES_PER_SECOND
        frame = backdrop.copy()
        draw = ImageDraw.Draw(frame)
        for color, speed_x, speed_y, phase in movers:
            x = size[0] / 2 + (size[0] / 2 - radius) * math.sin(speed_x * moment * 2 + phase)
            y = size[1] / 2 + (size[1] / 2 - radius) * math.sin(speed_y * moment * 2)
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=color)
        draw.rectangle((0, size[1] - 4, int(size[0] * (index + 1) / frame_count), size[1]), fill=(255, 255, 255))
        yield caption(frame.convert("RGBA"), text).convert("RGB").tobytes()


def _soundtrack(request: ProviderRequest, directory: str) -> str | None:
    """Lip sync keeps the uploaded speech; other kinds are silent unless audio is asked for."""
    params = request.params
    audio = next((f for f in request.files.values() if f.content_type.startswith("audio/")), None)
    path = os.path.join(directory, "audio.wav")
    if request.task_kind == TaskKind.LIP_SYNC.value and audio is not None:
        probed = probe_audio(audio.content, decode=True)
        if probed.pcm is not None and len(probed.pcm.samples):
            with open(path, "wb") as handle:
                handle.write(wav_bytes(probed.pcm))
            return path
    if any(params.get(key) for key in ("enable_audio", "sound", "generate_audio", "audio")):
        from apps.providers.simulated import synth  # only needed for the rare soundtrack

        tracks = synth.melody_tracks(request_rng(request, "soundtrack"), duration_of(request))
        with open(path, "wb") as handle:
            handle.write(wav_bytes(synth.to_pcm(synth.mix(list(tracks.values())))))
        return path
    return None


def render(request: ProviderRequest, seconds: float) -> Output:
    size = video_frame_size(request.params)
    frame_count = max(1, round(seconds * FRAMES_PER_SECOND))
    with tempfile.TemporaryDirectory(prefix="tollgate-sim-") as directory:
        path = os.path.join(directory, "video.mp4")
        audio_path = _soundtrack(request, directory)
        audio_args = ["-i", audio_path, "-c:a", "aac", "-b:a", "96k", "-shortest"] if audio_path else []
        raw = b"".join(frames(request, size, frame_count))
        run_ffmpeg(["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{size[0]}x{size[1]}",
                    "-r", str(FRAMES_PER_SECOND), "-i", "pipe:0", *audio_args,
                    "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-threads", "1",
                    "-map_metadata", "-1", *BITEXACT, "-movflags", "+faststart", path], raw)
        with open(path, "rb") as handle:
            data = handle.read()
    meta = {"width": size[0], "height": size[1], "duration_seconds": round(frame_count / FRAMES_PER_SECOND, 3),
            "fps": FRAMES_PER_SECOND, "has_audio": audio_path is not None,
            "requested_resolution": request.params.get("resolution")}
    return Output(kind="video", mime_type="video/mp4", data=data, filename="video.mp4", meta=meta)
