"""Requested output sizes from the many ways providers spell them, and the capped real size."""
from __future__ import annotations

import math
import re
from typing import Any

RESOLUTION_LONG_SIDES = {"1k": 1024, "2k": 2048, "4k": 4096, "8k": 8192}
RESOLUTION_SHORT_SIDES = {"360p": 360, "480p": 480, "512p": 512, "540p": 540, "720p": 720, "768p": 768,
                          "1080p": 1080, "1440p": 1440, "2160p": 2160}


def aspect_ratio_of(params: dict[str, Any], default: float = 1.0) -> float:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*[:x/]\s*(\d+(?:\.\d+)?)\s*", str(params.get("aspect_ratio") or ""))
    if not match or float(match.group(2)) == 0:
        return default
    return float(match.group(1)) / float(match.group(2))


def _even(value: float, multiple: int = 8) -> int:
    return max(multiple, int(round(value / multiple)) * multiple)


def requested_image_size(params: dict[str, Any], default_side: int = 1024) -> tuple[int, int]:
    """width/height, else OpenAI ``size`` "WxH", else aspect_ratio over a 1k/2k/4k area."""
    width, height = params.get("width"), params.get("height")
    if isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0:
        return width, height
    size = re.fullmatch(r"\s*(\d+)\s*[xX*]\s*(\d+)\s*", str(params.get("size") or ""))
    if size and int(size.group(1)) > 0 and int(size.group(2)) > 0:
        return int(size.group(1)), int(size.group(2))
    label = str(params.get("resolution") or params.get("quality") or params.get("image_size") or "").lower()
    side = RESOLUTION_LONG_SIDES.get(label, default_side)
    ratio = aspect_ratio_of(params)
    return _even(side * math.sqrt(ratio)), _even(side / math.sqrt(ratio))


def capped(size: tuple[int, int], max_long_side: int) -> tuple[int, int]:
    """Scale down (never up) so the long side fits; keeps the aspect ratio."""
    width, height = size
    scale = min(1.0, max_long_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def video_frame_size(params: dict[str, Any], long_side: int = 320) -> tuple[int, int]:
    """A small even frame size (H.264 yuv420p needs even sides) with the asked aspect ratio."""
    ratio = aspect_ratio_of(params, default=16 / 9)
    if ratio >= 1:
        return long_side, _even(long_side / ratio, 2)
    return _even(long_side * ratio, 2), long_side
