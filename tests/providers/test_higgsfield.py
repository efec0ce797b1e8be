import base64

import httpx
import pytest

from apps.providers.adapters.higgsfield import HiggsfieldAdapter
from apps.providers.base import InputFile, ProviderError, ProviderRequest
from tests.providers.fakes.higgsfield_fake import IMAGE_PNG, VIDEO_BYTES, HiggsfieldFake
from tests.providers.fakes.server import Reply
from tests.providers.polling import poll_to_end

KEY_ID, KEY_SECRET = "kid-1", "ksecret-very-private"


@pytest.fixture
def fake():
    with HiggsfieldFake(KEY_ID, KEY_SECRET) as server:
        yield server


def make_request(fake, *, upstream="higgsfield-ai/dop/standard", params=None, files=None, secret=KEY_SECRET,
                 options=None, timeout=5.0, task_kind="video_generation"):
    return ProviderRequest(
        task_id="t1", task_kind=task_kind, model="higgsfield-ai/standard", upstream_model=upstream,
        params=params if params is not None else {"prompt": "run", "start_image_url": "https://example.com/a.png", "motion_id": "m-1"},
        files=files or {}, credentials={"key_id": KEY_ID, "key_secret": secret}, base_url=fake.api.url,
        timeout_seconds=timeout, options=options or {},
    )


def run_to_end(request, http):
    run = poll_to_end(HiggsfieldAdapter(), request, http)
    return run.result, run.polls


def test_video_success_through_every_status(fake):
    with httpx.Client() as http:
        result, polls = run_to_end(make_request(fake, params={"prompt": "run", "motion_id": "m-1", "duration": 5}), http)

    assert polls == 3
    assert fake.submitted[0] == ("/higgsfield-ai/dop/standard", {"prompt": "run", "motion_id": "m-1", "duration": 5})
    assert result.outputs[0].kind == "video" and result.outputs[0].data == VIDEO_BYTES
    assert result.usage == {"requests": 1, "seconds": "5"}


def test_images_are_downloaded_without_credentials(fake):
    fake.result_kind = "images"
    with httpx.Client() as http:
        result, _ = run_to_end(make_request(fake, upstream="higgsfield-ai/cinematic-studio/image", task_kind="image_generation",
                                            params={"prompt": "a city"}), http)

    assert [o.mime_type for o in result.outputs] == ["image/png", "image/png"]
    assert result.outputs[0].data == IMAGE_PNG
    assert result.usage == {"requests": 1, "images": 2}
    assert all("authorization" not in r.headers for r in fake.cdn.requests)


def test_inline_files_become_data_urls(fake):
    files = {"start_image_url": InputFile("a.png", b"abc", "image/png")}
    with httpx.Client() as http:
        HiggsfieldAdapter().run(make_request(fake, files=files, options={"inline_files": True}), http)

    assert fake.submitted[0][1]["start_image_url"] == "data:image/png;base64," + base64.b64encode(b"abc").decode()


def test_nsfw_is_content_moderated(fake):
    fake.statuses = ["queued", "nsfw"]
    with httpx.Client() as http, pytest.raises(ProviderError) as caught:
        run_to_end(make_request(fake), http)

    assert caught.value.status == 400 and caught.value.code == "content_moderated"


def test_failed_is_final_502(fake):
    fake.statuses = ["failed"]
    with httpx.Client() as http, pytest.raises(ProviderError) as caught:
        run_to_end(make_request(fake), http)

    assert caught.value.status == 502 and not caught.value.retryable


def test_auth_error_does_not_leak(fake):
    with httpx.Client() as http, pytest.raises(ProviderError) as caught:
        HiggsfieldAdapter().run(make_request(fake, secret="leaked-secret"), http)

    assert caught.value.status == 502 and caught.value.code == "provider_auth_error"
    assert "leaked-secret" not in caught.value.message


def test_validation_error_is_400_with_clean_message(fake):
    fake.submit_reply = Reply.json({"detail": [{"msg": "motion_id  is\nrequired"}]}, status=422)
    with httpx.Client() as http, pytest.raises(ProviderError) as caught:
        HiggsfieldAdapter().run(make_request(fake), http)

    assert caught.value.status == 400 and caught.value.message == "motion_id is required"


def test_5xx_is_retryable(fake):
    fake.submit_reply = Reply.json({"detail": "oops"}, status=502, headers={"Retry-After": "4"})
    with httpx.Client() as http, pytest.raises(ProviderError) as caught:
        HiggsfieldAdapter().run(make_request(fake), http)

    assert caught.value.retryable and caught.value.retry_after_seconds == 4.0


def test_malformed_body_is_502(fake):
    fake.submit_reply = Reply(200, b"<html>", {"Content-Type": "text/html"})
    with httpx.Client() as http, pytest.raises(ProviderError) as caught:
        HiggsfieldAdapter().run(make_request(fake), http)

    assert caught.value.status == 502 and caught.value.code == "provider_bad_response"


def test_timeout_is_retryable_504(fake):
    fake.submit_reply = Reply.json({"request_id": "x"}, headers={})
    fake.submit_reply.delay_seconds = 1.0
    with httpx.Client() as http, pytest.raises(ProviderError) as caught:
        HiggsfieldAdapter().run(make_request(fake, timeout=0.2), http)

    assert caught.value.status == 504 and caught.value.retryable
