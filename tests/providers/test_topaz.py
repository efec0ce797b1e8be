import httpx
import pytest

from apps.providers.adapters.topaz import TopazAdapter
from apps.providers.base import InputFile, ProviderError, ProviderRequest, ResultState
from tests.providers.fakes.server import Reply
from tests.providers.fakes.media import mp4_bytes
from tests.providers.fakes.topaz_fake import INPUT_PNG, OUTPUT_PNG, VIDEO_OUT, TopazFake
from tests.providers.polling import poll_to_end

API_KEY = "topaz-secret-key"
MP4 = mp4_bytes()


@pytest.fixture
def fake():
    with TopazFake(API_KEY) as server:
        yield server


def make_request(fake, *, model="topaz-labs/image-upscale", task_kind="image_upscale", params=None, files=None,
                 api_key=API_KEY, timeout=5.0, upstream=""):
    return ProviderRequest(
        task_id="t1", task_kind=task_kind, model=model, upstream_model=upstream, params=params or {},
        files=files if files is not None else {"image_url": InputFile("in.png", INPUT_PNG, "image/png")},
        credentials={"api_key": api_key}, base_url=fake.api.url, timeout_seconds=timeout,
    )


def video_request(fake, **kwargs):
    return make_request(fake, model="topaz-labs/video-upscale", task_kind="video_upscale",
                        files={"video_url": InputFile("clip.mp4", MP4, "video/mp4")}, **kwargs)


def run_to_end(request, http):
    run = poll_to_end(TopazAdapter(), request, http)
    return run.result, run.polls, run.progress


def test_sync_enhance_returns_image_bytes(fake):
    params = {"output_format": "png", "output_width": 8, "face_enhancement": True}
    with httpx.Client() as http:
        result = TopazAdapter().run(make_request(fake, params=params, upstream="High Fidelity V2"), http)

    assert result.state is ResultState.SUCCEEDED
    image = result.outputs[0]
    assert image.kind == "image" and image.mime_type == "image/png" and image.data.startswith(b"\x89PNG")
    body = fake.api.requests[0].body
    assert b"High Fidelity V2" in body and b"true" in body
    assert result.usage == {"requests": 1, "images": 1}


def test_generative_image_polls_case_insensitively_and_downloads(fake):
    with httpx.Client() as http:
        result, polls, progress = run_to_end(make_request(fake, model="topaz-labs/image-generative"), http)

    assert polls == 3 and progress[:2] == [40, 40]
    assert result.outputs[0].data == OUTPUT_PNG
    assert b"Redefine" in fake.api.requests[0].body
    assert all("x-api-key" not in r.headers for r in fake.storage.requests)


def test_video_upscale_multi_step_protocol(fake):
    with httpx.Client() as http:
        result, polls, progress = run_to_end(video_request(fake, params={"scale": 2}), http)

    created = fake.video_created[0]
    assert created["source"]["resolution"] == {"width": 16, "height": 16}
    assert created["source"]["frameCount"] == 5 and created["source"]["size"] == len(MP4)
    assert created["output"]["resolution"] == {"width": 32, "height": 32}
    assert fake.uploaded[1] + fake.uploaded[2] == MP4
    assert fake.completed_uploads == [{"uploadResults": [{"partNum": 1, "eTag": "etag-1"}, {"partNum": 2, "eTag": "etag-2"}]}]
    assert polls == 3 and progress == [55, 55, None]
    assert result.outputs[0].data == VIDEO_OUT and result.outputs[0].mime_type == "video/mp4"
    assert result.usage == {"requests": 1, "seconds": "0.5"}


def test_presigned_hosts_never_see_api_key(fake):
    with httpx.Client() as http:
        run_to_end(video_request(fake), http)

    assert [r.method for r in fake.storage.requests] == ["PUT", "PUT", "GET"]
    assert all("x-api-key" not in r.headers for r in fake.storage.requests)


def test_unreadable_video_is_400(fake):
    request = make_request(fake, model="topaz-labs/video-upscale", task_kind="video_upscale",
                           files={"video_url": InputFile("clip.mp4", b"not a video", "video/mp4")})
    with httpx.Client() as http, pytest.raises(ProviderError) as caught:
        TopazAdapter().run(request, http)

    assert caught.value.status == 400 and fake.api.requests == []


def test_video_failed_status_is_final(fake):
    fake.video_statuses = ["processing", "Failed"]
    with httpx.Client() as http, pytest.raises(ProviderError) as caught:
        run_to_end(video_request(fake), http)

    assert caught.value.status == 502 and not caught.value.retryable


def test_4xx_is_400_with_clean_message(fake):
    fake.enhance_reply = Reply.json({"message": "Image  too\nlarge"}, status=422)
    with httpx.Client() as http, pytest.raises(ProviderError) as caught:
        TopazAdapter().run(make_request(fake), http)

    assert caught.value.status == 400 and caught.value.message == "Image too large"


def test_auth_error_does_not_leak_key(fake):
    with httpx.Client() as http, pytest.raises(ProviderError) as caught:
        TopazAdapter().run(video_request(fake, api_key="wrong-topaz-key"), http)

    assert caught.value.status == 502 and caught.value.code == "provider_auth_error"
    assert "wrong-topaz-key" not in caught.value.message


def test_429_is_retryable_with_hint(fake):
    fake.create_reply = Reply.json({"message": "slow down"}, status=429, headers={"Retry-After": "12"})
    with httpx.Client() as http, pytest.raises(ProviderError) as caught:
        TopazAdapter().run(video_request(fake), http)

    assert caught.value.retryable and caught.value.retry_after_seconds == 12.0


def test_malformed_json_is_502(fake):
    fake.create_reply = Reply(200, b"[1,2", {"Content-Type": "application/json"})
    with httpx.Client() as http, pytest.raises(ProviderError) as caught:
        TopazAdapter().run(video_request(fake), http)

    assert caught.value.status == 502 and caught.value.code == "provider_bad_response"


def test_timeout_is_retryable_504(fake):
    fake.enhance_reply = Reply(200, INPUT_PNG, {"Content-Type": "image/png"}, delay_seconds=1.0)
    with httpx.Client() as http, pytest.raises(ProviderError) as caught:
        TopazAdapter().run(make_request(fake, timeout=0.2), http)

    assert caught.value.status == 504 and caught.value.retryable
