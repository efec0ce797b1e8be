"""Small media helpers for adapters: sniffing file types and image sizes from bytes."""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from PIL import Image

_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
)
EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "image/gif": "gif",
    "audio/mpeg": "mp3",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/flac": "flac",
    "audio/aac": "aac",
    "audio/opus": "opus",
    "audio/ogg": "ogg",
    "audio/pcm": "pcm",
    "video/mp4": "mp4",
}


def sniff_image_type(data: bytes, fallback: str = "image/png") -> str:
    for magic, mime_type in _MAGIC:
        if data.startswith(magic):
            return mime_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return fallback


@dataclass(frozen=True)
class ImageHeader:
    mime_type: str | None  # None when Pillow reads the format but knows no MIME type for it
    width: int
    height: int


def read_image_header(data: bytes) -> ImageHeader | None:
    """Format and size as Pillow reads them from the header; None when it cannot open the bytes."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return ImageHeader(Image.MIME.get(image.format or ""), image.width, image.height)
    except Exception:  # an unreadable image is still the provider's output; callers decide
        return None


def image_meta(data: bytes) -> dict[str, Any]:
    """Width and height when Pillow can read the header; nothing otherwise."""
    header = read_image_header(data)
    return {"width": header.width, "height": header.height} if header else {}


def extension_for(mime_type: str, fallback: str = "bin") -> str:
    return EXTENSIONS.get(mime_type, fallback)


def image_filename(stem: str, mime_type: str) -> str:
    """``stem.png``, ``stem.jpg``...; an unlisted type keeps its subtype as the extension."""
    return f"{stem}.{extension_for(mime_type, fallback=mime_type.rsplit('/', 1)[-1])}"
