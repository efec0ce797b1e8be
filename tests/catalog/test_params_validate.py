"""Seed 002's parameter rules: one valid and one invalid request per rule."""
import pytest

from apps.catalog.selectors import model_resolve
from apps.catalog.services import params_validate
from apps.catalog.services.catalog_io import _entry_schema
from apps.catalog.services.params import params_validate_schema
from apps.core.errors import ApplicationError
from tests.catalog.conftest import import_models, shipped_data


def shipped_schema(model_id: str) -> tuple[dict, int | None]:
    """The stored schema of a shipped model, built as catalog_import builds it (no database)."""
    data = shipped_data()
    entry = next(e for e in data["models"] if e["id"] == model_id)
    return _entry_schema(entry, data["schemas"]), entry.get("max_output_tokens")

IMG = "https://example.com/a.png"
VID = "https://example.com/a.mp4"
UUID = "123e4567-e89b-12d3-a456-426614174000"

# (model, params, expected error code or None, expected param)
CASES = [
    ("google/veo-3.1-fast", {"prompt": "x"}, None, None),
    ("google/veo-3.1-fast", {}, "missing_parameter", "prompt"),
    ("google/veo-3.1-quality", {"prompt": "x", "resolution": "8k"}, "invalid_value", "resolution"),
    ("google/veo-3.1-quality", {"prompt": "x", "aspect_ratio": "1:1"}, "invalid_value", "aspect_ratio"),
    ("google/veo-3.1-fast", {"prompt": "x", "seed": "abc"}, "invalid_type", "seed"),
    ("google/veo-3.1-fast", {"prompt": "x", "start_image_url": "ftp://x"}, "invalid_value", "start_image_url"),
    ("openai/sora-2", {"prompt": "x", "duration": 20}, None, None),
    ("openai/sora-2", {"prompt": "x", "duration": 25}, "invalid_value", "duration"),
    ("openai/sora-2-pro", {"prompt": "x", "duration": 25}, None, None),
    ("openai/sora-2-pro", {"prompt": "x", "duration": 5}, "invalid_value", "duration"),
    ("openai/sora-2", {"prompt": "x", "bogus": 1}, "unknown_parameter", "bogus"),
    ("hailuo/minimax-2.0", {"start_image_url": IMG}, None, None),
    ("hailuo/minimax-2.0", {"duration": 6}, "missing_parameter", "prompt"),
    ("hailuo/minimax-2.0", {"prompt": "x" * 2001}, "invalid_value", "prompt"),
    ("hailuo/minimax-2.3", {"prompt": "x", "resolution": "1080p", "duration": 6}, None, None),
    ("hailuo/minimax-2.3", {"prompt": "x", "resolution": "1080p", "duration": 10}, "invalid_value", "duration"),
    ("hailuo/minimax-2.3-fast", {"start_image_url": IMG, "prompt": "x"}, None, None),
    ("hailuo/minimax-2.3-fast", {"prompt": "x"}, "missing_parameter", "start_image_url"),
    ("hailuo/minimax-2.0", {"prompt": "x", "start_image_url": IMG, "end_image_url": IMG}, None, None),
    ("hailuo/minimax-2.3", {"prompt": "x", "end_image_url": IMG}, "unknown_parameter", "end_image_url"),
    ("hailuo/minimax-2.0", {"prompt": "x", "resolution": "512p"}, "invalid_value", "resolution"),
    ("hailuo/minimax-2.0", {"start_image_url": IMG, "end_image_url": IMG, "resolution": "512p"}, "invalid_value", "end_image_url"),
    ("higgsfield-ai/lite", {"prompt": "x", "start_image_url": IMG, "motion_id": UUID}, None, None),
    ("higgsfield-ai/turbo", {"prompt": "x", "start_image_url": IMG}, "missing_parameter", "motion_id"),
    ("higgsfield-ai/standard", {"prompt": "x", "start_image_url": IMG, "motion_id": "nope"}, "invalid_value", "motion_id"),
    ("higgsfield-ai/cinematic-studio-video", {"start_image_url": IMG, "preset_id": "p", "seed": 999999}, None, None),
    ("higgsfield-ai/cinematic-studio-video", {"start_image_url": IMG, "seed": 1000000}, "invalid_value", "seed"),
    ("higgsfield-ai/cinematic-studio-video", {"start_image_url": IMG, "end_image_url": IMG, "sound": True}, "invalid_value", "end_image_url"),
    ("higgsfield-ai/cinematic-studio-video", {"start_image_url": IMG, "aspect_ratio": "5:4"}, "invalid_value", "aspect_ratio"),
    ("kuaishou/kling-2.6", {"prompt": "x", "aspect_ratio": "1:1", "mode": "pro"}, None, None),
    ("kuaishou/kling-2.6", {"mode": "pro"}, "missing_parameter", "prompt"),
    ("kuaishou/kling-2.6", {"start_image_url": IMG, "aspect_ratio": "1:1"}, "invalid_value", "aspect_ratio"),
    ("kuaishou/kling-2.6", {"prompt": "x", "duration": 7}, "invalid_value", "duration"),
    ("kuaishou/kling-2.5", {"prompt": "x", "mode": "std"}, "invalid_value", "mode"),
    ("kuaishou/kling-2.5", {"prompt": "x", "end_image_url": IMG, "start_image_url": IMG}, None, None),
    ("kuaishou/kling-2.1", {"start_image_url": IMG}, None, None),
    ("kuaishou/kling-2.1", {"prompt": "x"}, "missing_parameter", "start_image_url"),
    ("kuaishou/kling-2.1", {"start_image_url": IMG, "aspect_ratio": "1:1"}, "unknown_parameter", "aspect_ratio"),
    ("kuaishou/kling-2.1-master", {"prompt": "x", "end_image_url": IMG}, "unknown_parameter", "end_image_url"),
    ("kuaishou/kling-o1-video", {"prompt": "x", "duration": 10, "count": 4, "image_urls": [IMG] * 7}, None, None),
    ("kuaishou/kling-o1-video", {"prompt": "x", "duration": 11}, "invalid_value", "duration"),
    ("kuaishou/kling-o1-video", {"prompt": "x", "count": 5}, "invalid_value", "count"),
    ("kuaishou/kling-o1-video", {"prompt": "x", "image_urls": [IMG] * 8}, "invalid_value", "image_urls"),
    ("kuaishou/kling-o1-video", {"prompt": "x", "elements": [{"type": "VIDEO", "url": VID}]}, "invalid_value", "elements.0.type"),
    ("kuaishou/kling-o1-video", {"prompt": "x", "video_mode": "remix"}, "invalid_value", "video_mode"),
    ("kuaishou/kling-3.0-omni-video", {"prompt": "x", "duration": 15, "aspect_ratio": "auto", "elements": [{"type": "VIDEO", "url": VID}]}, None, None),
    ("kuaishou/kling-3.0-omni-video", {"prompt": "x", "duration": 16}, "invalid_value", "duration"),
    ("kuaishou/kling-3.0-omni-video", {"prompt": "x", "multi_shot": [{"prompt": "a", "duration": 5}, {"prompt": "b", "duration": 10}]}, None, None),
    ("kuaishou/kling-3.0-omni-video", {"prompt": "x", "multi_shot": [{"prompt": "a", "duration": 10}, {"prompt": "b", "duration": 10}]}, "invalid_value", "multi_shot"),
    ("kuaishou/kling-3.0-omni-video", {"prompt": "x", "multi_shot": [{"prompt": "a", "duration": 5}]}, "invalid_value", "multi_shot"),
    ("kuaishou/kling-3.0-omni-video-edit", {"video_url": VID, "prompt": "x", "image_urls": [IMG] * 4}, None, None),
    ("kuaishou/kling-3.0-omni-video-edit", {"prompt": "x"}, "missing_parameter", "video_url"),
    ("kuaishou/kling-3.0-omni-video-edit", {"video_url": VID, "prompt": "x", "image_urls": [IMG] * 5}, "invalid_value", "image_urls"),
    ("kuaishou/kling-2.6-motion-control", {"image_url": IMG, "video_url": VID, "character_orientation": "image"}, None, None),
    ("kuaishou/kling-2.6-motion-control", {"image_url": IMG}, "missing_parameter", "video_url"),
    ("kuaishou/kling-2.6-motion-control", {"image_url": IMG, "video_url": VID, "character_orientation": "up"}, "invalid_value", "character_orientation"),
    ("openai/gpt-image-1", {"prompt": "x", "quality": "high", "aspect_ratio": "3:2"}, None, None),
    ("openai/gpt-image-1.5", {"prompt": "x", "quality": "ultra"}, "invalid_value", "quality"),
    ("google/nano-banana", {"prompt": "x", "aspect_ratio": "21:9"}, None, None),
    ("google/nano-banana", {"prompt": "x"}, "missing_parameter", "aspect_ratio"),
    ("google/nano-banana", {"prompt": "x", "aspect_ratio": "1:1", "resolution": "2k"}, "unknown_parameter", "resolution"),
    ("google/nano-banana-pro", {"prompt": "x", "aspect_ratio": "1:1", "resolution": "4k"}, None, None),
    ("google/nano-banana-pro", {"prompt": "x", "aspect_ratio": "1:1", "resolution": "8k"}, "invalid_value", "resolution"),
    ("black-forest-labs/flux.2-flex", {"prompt": "x", "steps": 50, "cfg": 1.5, "image_urls": [IMG] * 10}, None, None),
    ("black-forest-labs/flux.2-flex", {"prompt": "x", "steps": 51}, "invalid_value", "steps"),
    ("black-forest-labs/flux.2-flex", {"prompt": "x", "cfg": 10.5}, "invalid_value", "cfg"),
    ("black-forest-labs/flux.2-pro", {"prompt": "x", "steps": 10}, "unknown_parameter", "steps"),
    ("black-forest-labs/flux.2-max", {"prompt": "x", "cfg": 2}, "unknown_parameter", "cfg"),
    ("black-forest-labs/flux.2-pro", {"prompt": "x", "image_urls": [IMG] * 9}, "invalid_value", "image_urls"),
    ("black-forest-labs/flux.2-max", {"prompt": "x", "aspect_ratio": "21:9"}, None, None),
    ("black-forest-labs/flux.2-pro", {"prompt": "x", "aspect_ratio": "21:9"}, "invalid_value", "aspect_ratio"),
    ("black-forest-labs/flux.2-pro", {"prompt": "x", "quality": "4K"}, "invalid_value", "quality"),
    ("higgsfield-ai/cinematic-studio-image", {"prompt": "x", "image_urls": [IMG] * 4}, None, None),
    ("higgsfield-ai/cinematic-studio-image", {"prompt": "x", "image_urls": [IMG] * 5}, "invalid_value", "image_urls"),
    ("higgsfield-ai/cinematic-studio-image", {"prompt": "x", "resolution": "3k"}, "invalid_value", "resolution"),
    ("suno-ai/music", {"mv": "chirp-v4", "custom": False, "gpt_description_prompt": "a song"}, None, None),
    ("suno-ai/music", {"mv": "chirp-v4"}, "missing_parameter", "custom"),
    ("suno-ai/music", {"mv": "chirp-v9", "custom": True}, "invalid_value", "mv"),
    ("suno-ai/extend", {"mv": "chirp-v4", "custom": False, "audio_url": "https://example.com/a.mp3", "continue_at": 30}, None, None),
    ("suno-ai/cover", {"mv": "chirp-v4", "custom": False}, "missing_parameter", "clip_id"),
    ("suno-ai/add-vocals", {"mv": "chirp-v4", "custom": True, "clip_id": "c", "start_s": -1}, "invalid_value", "start_s"),
    ("suno-ai/stems", {"clip_id": "c"}, None, None),
    ("suno-ai/stems-all", {"title": "t"}, "missing_parameter", "clip_id"),
    ("suno-ai/lyrics", {"prompt": "x", "mv": "remi-v1"}, None, None),
    ("suno-ai/lyrics", {"prompt": "x", "mv": "remi-v2"}, "invalid_value", "mv"),
    ("higgsfield-ai/tts", {"voice_id": "v", "prompt": "hi", "speed": 1.2, "similarity_boost": 100}, None, None),
    ("higgsfield-ai/tts", {"voice_id": "v", "prompt": "hi", "speed": 1.3}, "invalid_value", "speed"),
    ("higgsfield-ai/tts", {"voice_id": "v", "prompt": "hi", "style": 101}, "invalid_value", "style"),
    ("higgsfield-ai/tts", {"prompt": "hi"}, "missing_parameter", "voice_id"),
    ("higgsfield-ai/speak", {"image_url": IMG, "audio_task_id": "t", "prompt": "x"}, None, None),
    ("higgsfield-ai/speak", {"image_url": IMG, "prompt": "x"}, "missing_parameter", "audio_url"),
    ("higgsfield-ai/speak", {"image_url": IMG, "audio_url": IMG, "prompt": "x", "quality": "ultra"}, "invalid_value", "quality"),
    # seed 000 / 003 / 004 models
    ("openai/gpt-4", {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 100, "temperature": 0.7}, None, None),
    ("openai/gpt-4", {"messages": []}, "invalid_value", "messages"),
    ("openai/gpt-4", {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 9000}, "invalid_value", "max_tokens"),
    ("openai/gpt-4", {"messages": [{"role": "user", "content": "hi"}], "temperature": 3}, "invalid_value", "temperature"),
    ("black-forest-labs/flux-1-pro", {"prompt": "x", "width": 1024, "height": 1024, "num_inference_steps": 50, "guidance_scale": 7.5, "seed": 42}, None, None),
    ("black-forest-labs/flux-1-pro", {"prompt": "x", "width": 1000}, "invalid_value", "width"),
    ("elevenlabs/text-to-speech", {"text": "hi", "voice": "adam", "voice_settings": {"stability": 0.5, "similarity_boost": 0.5}, "output_format": "mp3_44100_128"}, None, None),
    ("elevenlabs/text-to-speech", {"text": "hi", "voice_settings": {"stability": 2}}, "invalid_value", "voice_settings.stability"),
    ("elevenlabs/speech-to-text", {}, "missing_parameter", "audio"),
    ("airforce/flux", {"prompt": "x", "size": "21:9", "seed": 123456}, None, None),
    ("airforce/flux", {"prompt": "x", "size": "4:3"}, "invalid_value", "size"),
    ("suno-ai/chirp-v3-5", {"prompt": "x" * 201}, "invalid_value", "prompt"),
    ("suno-ai/chirp-v3-5", {"prompt": "x" * 201, "custom": True, "style": "pop"}, None, None),
    ("suno-ai/chirp-v3-5", {"prompt": "x", "custom": True}, "missing_parameter", "style"),
    ("deepgram/nova-2-general", {"url": "https://example.com/a.mp3"}, None, None),
    ("deepgram/nova-2-general", {}, "missing_parameter", "url"),
]


@pytest.fixture
def models(db):
    import_models("suno-ai/chirp-v3-5", "openai/gpt-4", "elevenlabs/text-to-speech", "elevenlabs/speech-to-text")


@pytest.mark.parametrize("model_id, params, code, param", CASES)
def test_params_rule(model_id, params, code, param):
    schema, max_output_tokens = shipped_schema(model_id)
    if code is None:
        validated = params_validate_schema(schema=schema, params=params, max_output_tokens=max_output_tokens)
        assert {k: v for k, v in validated.items() if k in params} == params
        return
    with pytest.raises(ApplicationError) as raised:
        params_validate_schema(schema=schema, params=params, max_output_tokens=max_output_tokens)
    assert (raised.value.code, raised.value.param, raised.value.status) == (code, param, 400)
    assert raised.value.type == "invalid_request_error"
    assert "Traceback" not in raised.value.message and raised.value.message


def test_defaults_applied_and_form_strings_coerced(models):
    validated = params_validate(model=model_resolve(name="suno-ai/chirp-v3-5"), params={"prompt": "x", "instrumental": "true", "model": "chirp-v3-5"})
    assert validated == {"prompt": "x", "instrumental": True, "custom": False}
    chat = params_validate(model=model_resolve(name="gpt-4"), params={"messages": [{"role": "user", "content": "hi"}]})
    assert chat["max_tokens"] == 4096 and chat["stream"] is False
    tts = params_validate(model=model_resolve(name="eleven-labs-tts"), params={"text": "hi", "voice_settings": '{"stability": 0.5}'})
    assert tts["voice_settings"] == {"stability": 0.5} and tts["output_format"] == "mp3_44100_128"


def test_uploaded_file_object_is_accepted_for_file_params(models):
    upload = object()
    validated = params_validate(model=model_resolve(name="eleven-labs-stt"), params={"audio": upload})
    assert validated["audio"] is upload
    with pytest.raises(ApplicationError) as raised:
        params_validate(model=model_resolve(name="eleven-labs-stt"), params={"audio": "x", "nope": 1})
    assert raised.value.code == "unknown_parameter"

