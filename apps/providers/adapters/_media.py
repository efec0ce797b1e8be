"""Small media helpers for adapters: sniffing file types and image sizes from bytes."""
from __future__ import annotations

import io
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


def image_meta(data: bytes) -> dict[str, Any]:
    """Width and height when Pillow can read the header; nothing otherwise."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return {"width": image.width, "height": image.height}
    except Exception:  # an unreadable image is still the provider's output; sizes are optional
        return {}


def extension_for(mime_type: str, fallback: str = "bin") -> str:
    return EXTENSIONS.get(mime_type, fallback)
