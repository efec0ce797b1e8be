"""Pure-Python synthesis: tones, a stand-in for speech, melodies with stems, sound effects."""
from __future__ import annotations

import math
import random
import zlib
from array import array

from apps.providers.simulated.pcm import Pcm

SAMPLE_RATE = 22050
PENTATONIC = (0, 2, 4, 7, 9)


def _tone(samples: list[float], start: int, seconds: float, frequency: float, amplitude: float,
          harmonics: tuple[float, ...] = (1.0,)) -> None:
    """Add a tone with a short attack/release (no clicks) into ``samples`` at ``start``."""
    length = int(seconds * SAMPLE_RATE)
    ramp = max(1, min(length // 4, int(0.01 * SAMPLE_RATE)))
    step = 2 * math.pi * frequency / SAMPLE_RATE
    for index in range(min(length, len(samples) - start)):
        envelope = min(1.0, index / ramp, (length - index) / ramp)
        value = sum(weight * math.sin(step * (number + 1) * index) for number, weight in enumerate(harmonics))
        samples[start + index] += amplitude * envelope * value


def _noise(samples: list[float], start: int, seconds: float, amplitude: float, rng: random.Random,
           decay: float = 30.0) -> None:
    for index in range(min(int(seconds * SAMPLE_RATE), len(samples) - start)):
        samples[start + index] += amplitude * math.exp(-decay * index / SAMPLE_RATE) * rng.uniform(-1, 1)


def to_pcm(samples: list[float]) -> Pcm:
    return Pcm(array("h", (max(-32767, min(32767, int(value * 32767))) for value in samples)), SAMPLE_RATE)


def speech_like(text: str, rng: random.Random, pitch_hz: float = 140.0, speed: float = 1.0) -> Pcm:
    """Syllable-like voiced tones, one group per word: the length follows the text."""
    words = text.split() or ["..."]
    syllable_seconds, gap_seconds = 0.14 / speed, 0.05 / speed
    plan: list[tuple[float, float]] = []  # (frequency, seconds); frequency 0 is silence
    for word in words:
        for syllable in range(max(1, len(word) // 3)):
            contour = zlib.crc32(word[syllable * 3:].encode()) % 7 + rng.random()
            plan.append((pitch_hz * (1 + 0.25 * math.sin(contour)), syllable_seconds))
            plan.append((0.0, gap_seconds))
        plan.append((0.0, (0.35 if word[-1] in ".!?;:," else 0.1) / speed))
    samples = [0.0] * int(sum(seconds for _, seconds in plan) * SAMPLE_RATE + 1)
    position = 0
    for frequency, seconds in plan:
        if frequency:
            _tone(samples, position, seconds, frequency, 0.35, harmonics=(1.0, 0.5, 0.25))
        position += int(seconds * SAMPLE_RATE)
    return to_pcm(samples)


def melody_tracks(rng: random.Random, seconds: float) -> dict[str, list[float]]:
    """Lead, bass and drums of a short pentatonic tune; stems are these tracks alone."""
    length = int(seconds * SAMPLE_RATE)
    tracks = {name: [0.0] * length for name in ("lead", "bass", "drums")}
    root = 220.0 * 2 ** (rng.randrange(12) / 12)
    beat = 60.0 / rng.randint(84, 132)
    position, beat_index = 0.0, 0
    while position < seconds:
        start = int(position * SAMPLE_RATE)
        degree = rng.choice(PENTATONIC) + 12 * rng.randint(0, 1)
        note_beats = rng.choice((0.5, 1.0, 1.0, 2.0))
        _tone(tracks["lead"], start, beat * note_beats * 0.9, root * 2 ** (degree / 12), 0.25, (1.0, 0.3))
        position += beat * note_beats
    for beat_index in range(int(seconds / beat) + 1):
        start = int(beat_index * beat * SAMPLE_RATE)
        if beat_index % 4 == 0:
            _tone(tracks["bass"], start, beat * 3.8, root / 2 * 2 ** (rng.choice((0, 5, 7)) / 12), 0.3)
        _noise(tracks["drums"], start, 0.12, 0.3 if beat_index % 2 == 0 else 0.15, rng, 40.0 if beat_index % 2 else 25.0)
    return tracks


def mix(tracks: list[list[float]]) -> list[float]:
    return [sum(values) for values in zip(*tracks)]


def sound_effect(rng: random.Random, seconds: float) -> Pcm:
    """Sweeps over decaying noise bursts."""
    samples = [0.0] * int(seconds * SAMPLE_RATE)
    time_position = 0.0
    while time_position < seconds:
        start = int(time_position * SAMPLE_RATE)
        _noise(samples, start, rng.uniform(0.2, 0.8), rng.uniform(0.1, 0.35), rng, rng.uniform(3, 20))
        _tone(samples, start, rng.uniform(0.1, 0.5), rng.uniform(200, 1800), 0.2, (1.0, 0.4))
        time_position += rng.uniform(0.15, 0.6)
    return to_pcm(samples)
