import httpx
import pytest

from apps.providers.adapters.suno import CALLBACK_PLACEHOLDER, SunoAdapter
from apps.providers.base import ProviderError, ProviderRequest
from tests.providers.fakes.server import Reply
from tests.providers.fakes.suno_fake import JPEG_BYTES, MP3_BYTES, SunoFake
from tests.providers.polling import poll_to_end

API_KEY = "suno-vendor-secret"
MUSIC = {"mv": "chirp-v4", "custom": True, "prompt": "[Verse] hi", "tags": "pop", "title": "Song", "negative_tags": "metal"}


@pytest.fixture
def fake():
    with SunoFake(API_KEY) as server:
        yield server


def make_request(fake, *, model="suno-ai/music", params=None, flavor="sunoapi", api_key=API_KEY, timeout=5.0):
    return ProviderRequest(task_id="t1", task_kind="music", model=model, upstream_model="", params=params or dict(MUSIC),
                           credentials={"api_key": api_key}, base_url=fake.api.url, timeout_seconds=timeout,
                           options={"flavor": flavor})


def run_to_end(request, http):
    run = poll_to_end(SunoAdapter(), request, http)
    return run.result, run.polls


def test_sunoapi_music_walks_statuses_and_downloads(fake):
    with httpx.Client() as http:
        result, polls = run_to_end(make_request(fake), http)

    assert polls == 4
    path, body = fake.submitted[0]
    assert path == "/api/v1/generate"
    assert body == {"customMode": True, "instrumental": False, "model": "V4", "prompt": "[Verse] hi", "style": "pop",
                    "title": "Song", "negativeTags": "metal", "callBackUrl": CALLBACK_PLACEHOLDER}
    assert [o.kind for o in result.outputs] == ["audio", "image", "audio", "image"]
    assert result.outputs[0].data == MP3_BYTES and result.outputs[0].mime_type == "audio/mpeg"
    assert result.outputs[1].data == JPEG_BYTES
    assert result.usage == {"requests": 1, "seconds": "242.0"}
    assert all("authorization" not in r.headers for r in fake.cdn.requests)


def test_sunoapi_extend_maps_clip(fake):
    params = {"mv": "chirp-v4", "custom": False, "gpt_description_prompt": "more", "clip_id": "c-9", "continue_at": 30}
    with httpx.Client() as http:
        SunoAdapter().run(make_request(fake, model="suno-ai/extend", params=params), http)

    path, body = fake.submitted[0]
    assert path == "/api/v1/generate/extend"
    assert body["audioId"] == "c-9" and body["continueAt"] == 30 and body["prompt"] == "more"


def test_proxy_music_and_progress(fake):
    adapter = SunoAdapter()
    request = make_request(fake, flavor="proxy")
    with httpx.Client() as http:
        pending = adapter.run(request, http)
        first = adapter.poll(request, pending.job, http)
        result, _ = run_to_end(request, http)

    assert fake.submitted[0] == ("/suno/submit/MUSIC", {k: v for k, v in MUSIC.items() if k != "custom"})
    assert first.progress == 50
    assert [o.kind for o in result.outputs].count("audio") == 2


def test_proxy_lyrics_is_text(fake):
    with httpx.Client() as http:
        result, _ = run_to_end(make_request(fake, model="suno-ai/lyrics", params={"prompt": "sea", "mv": "remi-v1"}, flavor="proxy"), http)

    assert fake.submitted[0] == ("/suno/submit/LYRICS", {"prompt": "sea"})
    assert result.outputs[0].kind == "text" and result.outputs[0].text == "la la la"


@pytest.mark.parametrize(("model", "flavor"), [("suno-ai/stems", "sunoapi"), ("suno-ai/wav", "sunoapi"), ("suno-ai/cover", "proxy")])
def test_unsupported_action_is_400(fake, model, flavor):
    with httpx.Client() as http, pytest.raises(ProviderError) as caught:
        SunoAdapter().run(make_request(fake, model=model, params={"clip_id": "c"}, flavor=flavor), http)

    assert caught.value.status == 400 and caught.value.code == "unsupported_by_provider"
    assert fake.api.requests == []


def test_sensitive_word_is_moderation(fake):
    fake.statuses = ["PENDING", "SENSITIVE_WORD_ERROR"]
    fake.error_message = "prompt  contains\nbanned words"
    with httpx.Client() as http, pytest.raises(ProviderError) as caught:
        run_to_end(make_request(fake), http)

    assert caught.value.status == 400 and caught.value.code == "content_moderated"
    assert caught.value.message == "prompt contains banned words"


def test_generation_failure_is_final(fake):
    fake.statuses = ["GENERATE_AUDIO_FAILED"]
    with httpx.Client() as http, pytest.raises(ProviderError) as caught:
        run_to_end(make_request(fake), http)

    assert caught.value.status == 502 and not caught.value.retryable


@pytest.mark.parametrize(("code", "status", "retryable"), [(400, 400, False), (429, 502, True), (455, 502, True), (402, 502, False)])
def test_body_codes_under_http_200(fake, code, status, retryable):
    fake.submit_reply = Reply.json({"code": code, "msg": "nope  here"})
    with httpx.Client() as http, pytest.raises(ProviderError) as caught:
        SunoAdapter().run(make_request(fake), http)

    assert (caught.value.status, caught.value.retryable) == (status, retryable)


def test_auth_error_does_not_leak(fake):
    with httpx.Client() as http, pytest.raises(ProviderError) as caught:
        SunoAdapter().run(make_request(fake, api_key="leak-me"), http)

    assert caught.value.code == "provider_auth_error" and "leak-me" not in caught.value.message


def test_malformed_body_is_502(fake):
    fake.submit_reply = Reply(200, b"oops")
    with httpx.Client() as http, pytest.raises(ProviderError) as caught:
        SunoAdapter().run(make_request(fake), http)

    assert caught.value.status == 502


def test_timeout_is_retryable_504(fake):
    fake.submit_reply = Reply(200, b"{}", delay_seconds=1.0)
    with httpx.Client() as http, pytest.raises(ProviderError) as caught:
        SunoAdapter().run(make_request(fake, timeout=0.2), http)

    assert caught.value.status == 504 and caught.value.retryable
