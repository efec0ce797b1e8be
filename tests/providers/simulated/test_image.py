import io

from PIL import Image

from apps.providers.base import InputFile

from tests.providers.simulated.helpers import make_request, run


def decoded(output) -> Image.Image:
    image = Image.open(io.BytesIO(output.data))
    image.load()
    return image


def test_generation_returns_a_png_of_the_requested_size():
    result = run(make_request("image_generation", {"prompt": "A sunset over a lake", "width": 640, "height": 384}))

    output = result.outputs[0]
    assert output.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert output.mime_type == "image/png"
    assert decoded(output).size == (640, 384)
    assert result.usage == {"images": 1, "requests": 1}
    assert result.simulated is True


def test_large_sizes_are_capped_but_reported_as_requested():
    result = run(make_request("image_generation", {"prompt": "city", "aspect_ratio": "16:9", "resolution": "4k"}))

    meta = result.outputs[0].meta
    assert max(decoded(result.outputs[0]).size) == 1024
    assert (meta["requested_width"], meta["requested_height"]) == (5464, 3072)
    assert abs(meta["width"] / meta["height"] - 16 / 9) < 0.01


def test_openai_size_string_n_images_and_jpeg():
    params = {"prompt": "robot", "size": "1024x1536", "n": 2, "output_format": "jpeg"}

    result = run(make_request("image_generation", params))

    assert len(result.outputs) == 2
    assert result.usage["images"] == 2
    assert all(output.data[:3] == b"\xff\xd8\xff" for output in result.outputs)
    assert decoded(result.outputs[0]).size == (683, 1024)
    assert result.outputs[0].data != result.outputs[1].data


def test_webp_output():
    result = run(make_request("image_generation", {"prompt": "tree", "width": 64, "height": 64, "output_format": "webp"}))

    assert result.outputs[0].data[8:12] == b"WEBP"
    assert decoded(result.outputs[0]).format == "WEBP"


def test_same_seed_same_bytes_other_seed_other_bytes():
    params = {"prompt": "A red fox", "width": 256, "height": 256}

    first = run(make_request("image_generation", {**params, "seed": 7})).outputs[0].data
    again = run(make_request("image_generation", {**params, "seed": 7})).outputs[0].data
    other = run(make_request("image_generation", {**params, "seed": 8})).outputs[0].data

    assert first == again
    assert first != other


def test_upscale_multiplies_the_uploaded_image():
    buffer = io.BytesIO()
    Image.new("RGB", (100, 60), (200, 10, 10)).save(buffer, format="PNG")
    upload = InputFile("in.png", buffer.getvalue(), "image/png")

    result = run(make_request("image_upscale", {"upscale_factor": 4}, files={"image": upload}))

    assert decoded(result.outputs[0]).size == (400, 240)
    assert decoded(result.outputs[0]).getpixel((200, 120))[:3] == (200, 10, 10)


def test_edit_keeps_the_uploaded_size():
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), (0, 0, 255)).save(buffer, format="PNG")
    upload = InputFile("in.png", buffer.getvalue(), "image/png")

    result = run(make_request("image_edit", {"prompt": "add a hat"}, files={"image": upload}))

    assert decoded(result.outputs[0]).size == (300, 200)
