"""Speech: espeak-ng when installed, else syllable-like tones whose length follows the text."""
from __future__ import annotations

import os
import random
import shutil
import subprocess
import tempfile

from apps.providers.simulated.pcm import Pcm, read_wav
from apps.providers.simulated.seeding import stable_hash
from apps.providers.simulated.synth import speech_like

ESPEAK_VARIANTS = ("m3", "f2", "m1", "f4", "m7", "f1", "m5", "f3")
MAX_SPOKEN_CHARACTERS = 5000
ESPEAK_TIMEOUT_SECONDS = 60


def voice_variant(voice: str) -> int:
    return stable_hash("voice", voice) % len(ESPEAK_VARIANTS)


def _espeak(text: str, variant: int, speed: float) -> Pcm | None:
    executable = shutil.which("espeak-ng")
    if executable is None:
        return None
    words_per_minute = str(int(min(max(175 * speed, 80), 450)))
    with tempfile.TemporaryDirectory(prefix="tollgate-sim-") as directory:
        path = os.path.join(directory, "speech.wav")
        try:
            subprocess.run([executable, "-v", f"en+{ESPEAK_VARIANTS[variant]}", "-s", words_per_minute, "-w", path],
                           input=text.encode("utf-8"), capture_output=True, timeout=ESPEAK_TIMEOUT_SECONDS, check=True)
            with open(path, "rb") as handle:
                return read_wav(handle.read())
        except (OSError, subprocess.SubprocessError):
            return None  # a broken espeak install must not break the simulator


def speak(text: str, voice: str = "", speed: float = 1.0) -> Pcm:
    text = " ".join(text.split())[:MAX_SPOKEN_CHARACTERS] or "..."
    speed = min(max(speed, 0.25), 4.0)
    variant = voice_variant(voice)
    pcm = _espeak(text, variant, speed)
    if pcm is not None and len(pcm.samples):
        return pcm
    rng = random.Random(stable_hash("speech", text, voice))
    return speech_like(text, rng, pitch_hz=100.0 + 15 * variant, speed=speed)
