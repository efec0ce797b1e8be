"""Image generation, edit and upscale: real PNG/JPEG/WEBP files drawn from the seed."""
from __future__ import annotations

import io
import random
from typing import Any

from PIL import Image, ImageDraw, ImageFont, ImageOps

from apps.providers.base import Output, ProviderRequest, ProviderResult, ResultState, TaskKind
from apps.providers.simulated.seeding import prompt_of, request_rng
from apps.providers.simulated.sizing import capped, requested_image_size

MAX_LONG_SIDE = 1024  # real pixels; the requested size is reported in meta
MAX_UPSCALE_LONG_SIDE = 2048
MAX_IMAGES = 8
COUNT_KEYS = ("n", "num_images", "count", "num_outputs", "batch_size")
FORMATS = {"png": ("PNG", "image/png", "png"), "jpeg": ("JPEG", "image/jpeg", "jpg"),
           "jpg": ("JPEG", "image/jpeg", "jpg"), "webp": ("WEBP", "image/webp", "webp")}


def image_count(params: dict[str, Any]) -> int:
    for key in COUNT_KEYS:
        value = params.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return min(value, MAX_IMAGES)
    return 1


def seed_color(rng: random.Random) -> tuple[int, int, int]:
    return rng.randrange(256), rng.randrange(256), rng.randrange(256)


def pattern(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """A rotated two-colour gradient with translucent shapes: cheap, varied, deterministic."""
    gradient = Image.linear_gradient("L").rotate(rng.randrange(360), expand=False).resize(size)
    image = ImageOps.colorize(gradient, black=seed_color(rng), white=seed_color(rng)).convert("RGBA")
    overlay = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    width, height = size
    for _ in range(rng.randint(3, 7)):
        x, y = rng.randrange(width), rng.randrange(height)
        radius = rng.randint(max(2, min(size) // 12), max(3, min(size) // 3))
        box = (x - radius, y - radius, x + radius, y + radius)
        fill = (*seed_color(rng), rng.randint(60, 160))
        (draw.ellipse if rng.random() < 0.6 else draw.rectangle)(box, fill=fill)
    return Image.alpha_composite(image, overlay)


def caption(image: Image.Image, text: str) -> Image.Image:
    """Draw the prompt's first words, so the picture visibly belongs to its prompt."""
    words = " ".join(text.split()[:6]) or "simulated image"
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=max(8, image.width // 20))
    left, top, right, bottom = draw.textbbox((0, 0), words, font=font)
    x, y = max(4, (image.width - (right - left)) // 2), max(4, image.height - (bottom - top) * 2 - 8)
    draw.rectangle((x - 6, y - 4, x + right - left + 6, y + bottom - top + 8), fill=(0, 0, 0, 150))
    draw.text((x - left, y - top), words, fill=(255, 255, 255, 255), font=font)
    return image


def input_image(request: ProviderRequest) -> Image.Image | None:
    for upload in request.files.values():
        try:
            image = Image.open(io.BytesIO(upload.content))
            image.load()
            return image.convert("RGBA")
        except Exception:  # not an image (e.g. a mask in another format): try the next file
            continue
    return None


def render(request: ProviderRequest, index: int) -> tuple[Image.Image, tuple[int, int]]:
    """One image and the size the caller asked for."""
    rng = request_rng(request, f"image:{index}")
    params, source = request.params, input_image(request)
    prompt = prompt_of(params)
    if request.task_kind == TaskKind.IMAGE_UPSCALE.value and source is not None:
        factor = params.get("upscale_factor") or params.get("scale") or params.get("factor") or 2
        factor = float(factor) if isinstance(factor, (int, float)) and not isinstance(factor, bool) else 2.0
        requested = (round(source.width * factor), round(source.height * factor))
        return source.resize(capped(requested, MAX_UPSCALE_LONG_SIDE), Image.LANCZOS), requested
    if request.task_kind == TaskKind.IMAGE_EDIT.value and source is not None:
        has_size = any(params.get(key) for key in ("width", "size", "aspect_ratio"))
        requested = requested_image_size(params) if has_size else source.size
        real = capped(requested, MAX_LONG_SIDE)
        blended = Image.blend(source.resize(real), pattern(real, rng), 0.35)
        return caption(blended, prompt), requested
    requested = requested_image_size(params)
    return caption(pattern(capped(requested, MAX_LONG_SIDE), rng), prompt), requested


def encode(image: Image.Image, output_format: str) -> tuple[bytes, str, str]:
    pil_format, mime_type, extension = FORMATS.get(output_format.lower(), FORMATS["png"])
    buffer = io.BytesIO()
    converted = image.convert("RGB") if pil_format == "JPEG" else image
    converted.save(buffer, format=pil_format, **({"quality": 90} if pil_format != "PNG" else {}))
    return buffer.getvalue(), mime_type, extension


def generate_images(request: ProviderRequest) -> ProviderResult:
    output_format = str(request.params.get("output_format") or "png")
    outputs = []
    for index in range(image_count(request.params)):
        image, (requested_width, requested_height) = render(request, index)
        data, mime_type, extension = encode(image, output_format)
        meta = {"width": image.width, "height": image.height,
                "requested_width": requested_width, "requested_height": requested_height}
        outputs.append(Output(kind="image", mime_type=mime_type, data=data,
                              filename=f"image-{index + 1}.{extension}", meta=meta))
    return ProviderResult(state=ResultState.SUCCEEDED, outputs=outputs, usage={"images": len(outputs)})
