"""Mono 16-bit PCM, the simulator's in-memory audio, and WAV files that carry a comment."""
from __future__ import annotations

import io
import struct
import wave
from array import array
from dataclasses import dataclass


@dataclass
class Pcm:
    samples: array  # array("h"), mono
    sample_rate: int

    @property
    def duration_seconds(self) -> float:
        return len(self.samples) / self.sample_rate if self.sample_rate else 0.0

    def raw(self) -> bytes:
        return self.samples.tobytes()  # little-endian on every platform we run on


def concatenate(parts: list[Pcm], gap_seconds: float = 0.0) -> Pcm:
    rate = parts[0].sample_rate if parts else 22050
    samples = array("h")
    gap = array("h", bytes(2 * int(rate * gap_seconds)))
    for index, part in enumerate(parts):
        if index:
            samples.extend(gap)
        samples.extend(part.samples)
    return Pcm(samples, rate)


def _info_chunk(comment: str) -> bytes:
    """A RIFF LIST/INFO chunk with an ICMT (comment) entry, NUL-terminated and word-aligned."""
    text = comment.replace("\0", " ").encode("utf-8") + b"\0"
    if len(text) % 2:
        text += b"\0"
    body = b"INFO" + b"ICMT" + struct.pack("<I", len(text)) + text
    return b"LIST" + struct.pack("<I", len(body)) + body


def wav_bytes(pcm: Pcm, comment: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(pcm.sample_rate)
        writer.writeframes(pcm.raw())
    data = buffer.getvalue()
    if comment:
        data += _info_chunk(comment)
        data = data[:4] + struct.pack("<I", len(data) - 8) + data[8:]
    return data


def wav_comment(data: bytes) -> str | None:
    """The ICMT comment of a RIFF/WAVE file, if any."""
    position = 12
    while position + 8 <= len(data):
        chunk_id, size = data[position:position + 4], struct.unpack("<I", data[position + 4:position + 8])[0]
        body = data[position + 8:position + 8 + size]
        if chunk_id == b"LIST" and body[:4] == b"INFO":
            inner = 4
            while inner + 8 <= len(body):
                key, length = body[inner:inner + 4], struct.unpack("<I", body[inner + 4:inner + 8])[0]
                if key == b"ICMT":
                    return body[inner + 8:inner + 8 + length].rstrip(b"\0").decode("utf-8", "replace")
                inner += 8 + length + (length % 2)
        position += 8 + size + (size % 2)
    return None


def read_wav(data: bytes) -> Pcm | None:
    """Decode a 16-bit mono WAV in Python (no subprocess); None for anything else."""
    try:
        with wave.open(io.BytesIO(data), "rb") as reader:
            if reader.getsampwidth() != 2 or reader.getnchannels() != 1:
                return None
            return Pcm(array("h", reader.readframes(reader.getnframes())), reader.getframerate())
    except (wave.Error, EOFError, struct.error):
        return None
