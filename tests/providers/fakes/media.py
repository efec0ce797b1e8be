"""Tiny real media payloads and a multipart parser, shared by the provider fakes and their tests."""
from __future__ import annotations

import email.parser
import email.policy
import io
import os
import tempfile
import wave
from dataclasses import dataclass
from typing import Any

from PIL import Image

from tests.providers.fakes.server import Request

FAKE_MP3 = b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 32
FAKE_MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64


def png_bytes(width: int = 8, height: int = 8, color: str | tuple[int, int, int] = (200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


def wav_bytes(seconds: float, sample_rate: int = 8000) -> bytes:
    """Silent mono 16-bit PCM, so a duration probe has a real header to read."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(sample_rate)
        writer.writeframes(b"\x00\x00" * int(seconds * sample_rate))
    return buffer.getvalue()


def mp4_bytes() -> bytes:
    """A real 5-frame 16x16 H.264 clip (0.5 s at 10 fps) so an adapter can probe it."""
    import imageio_ffmpeg

    path = tempfile.mktemp(suffix=".mp4")
    writer = imageio_ffmpeg.write_frames(path, (16, 16), fps=10, macro_block_size=1, ffmpeg_log_level="error")
    writer.send(None)
    for shade in range(5):
        writer.send(bytes([shade * 40]) * 16 * 16 * 3)
    writer.close()
    try:
        with open(path, "rb") as handle:
            return handle.read()
    finally:
        os.unlink(path)


@dataclass(frozen=True)
class Part:
    name: str
    filename: str | None
    content: bytes
    content_type: str | None


def multipart_parts(request: Request) -> list[Part]:
    """The parts of a multipart/form-data body, in order (repeated names kept)."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise AssertionError(f"expected multipart/form-data, got {content_type!r}")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + request.body
    )
    parts = []
    for part in message.iter_parts():
        parts.append(Part(
            name=part.get_param("name", header="content-disposition"),
            filename=part.get_filename(),
            content=part.get_payload(decode=True) or b"",
            content_type=part.get_content_type() if part.get("content-type") else None,
        ))
    return parts


def form_fields(request: Request) -> dict[str, str]:
    """Plain (non-file) multipart fields; the last value wins for repeated names."""
    return {part.name: part.content.decode() for part in multipart_parts(request) if part.filename is None}


def multipart_fields(request: Request) -> dict[str, Any]:
    """Every multipart field by name: plain fields as str, files as (filename, bytes, content type)."""
    return {part.name: (part.filename, part.content, part.content_type) if part.filename else part.content.decode()
            for part in multipart_parts(request)}
