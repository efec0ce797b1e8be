import base64

import httpx
import pytest

from apps.providers.adapters.kling import KlingAdapter
from apps.providers.base import InputFile, ProviderError, ProviderRequest, ResultState
from tests.providers.fakes.kling_fake import IMAGE_PNG, VIDEO_BYTES, KlingFake, envelope
from tests.providers.fakes.server import Reply
from tests.providers.polling import poll_to_end

ACCESS_KEY, SECRET_KEY = "ak-public-123", "sk-very-secret-456-padded-to-32-bytes-or-more"


@pytest.fixture
def fake():
    with KlingFake(ACCESS_KEY, SECRET_KEY) as server:
        yield server


def make_request(fake, *, model="kuaishou/kling-2.6", upstream="kling-v2-6", params=None, files=None,
                 task_kind="video_generation", secret=SECRET_KEY, timeout=5.0, options=None):
    return ProviderRequest(
        task_id="t1", task_kind=task_kind, model=model, upstream_model=upstream,
        params=params if params is not None else {"prompt": "a fox", "duration": 5, "aspect_ratio": "16:9", "mode": "pro"},
        files=files or {}, credentials={"access_key": ACCESS_KEY, "secret_key": secret},
        base_url=fake.api.url, timeout_seconds=timeout, options=options or {},
    )


def run_to_end(request, http, max_polls=10):
    run = poll_to_end(KlingAdapter(), request, http, max_polls=max_polls)
    return run.result, run.polls


def test_text2video_polls_every_status_and_downloads_video(fake):
    with httpx.Client() as http:
        result, polls = run_to_end(make_request(fake), http)

    assert polls == 3  # submitted, processing, succeed
    path, body = fake.submitted[0]
    assert path == "/v1/videos/text2video"
    assert body == {"model_name": "kling-v2-6", "prompt": "a fox", "duration": "5", "aspect_ratio": "16:9", "mode": "pro"}
    assert [o.kind for o in result.outputs] == ["video"]
    assert result.outputs[0].data == VIDEO_BYTES
    assert result.outputs[0].mime_type == "video/mp4"
    assert result.usage == {"requests": 1, "seconds": "5.1"}


def test_jwt_claims_are_verified_by_fake(fake):
    with httpx.Client() as http:
        run_to_end(make_request(fake), http)

    assert fake.token_claims and all(c["iss"] == ACCESS_KEY for c in fake.token_claims)


def test_wrong_secret_is_auth_error_without_leaking(fake):
    with httpx.Client() as http, pytest.raises(ProviderError) as caught:
        KlingAdapter().run(make_request(fake, secret="wrong-secret-also-padded-to-32-bytes-long"), http)

    assert caught.value.status == 502 and not caught.value.retryable
    assert caught.value.code == "provider_auth_error"
    assert "wrong-secret-also-padded-to-32-bytes-long" not in caught.value.message and ACCESS_KEY not in caught.value.message


def test_image2video_sends_raw_base64_frames_and_polls_same_family(fake):
    files = {
        "start_image_url": InputFile("a.png", IMAGE_PNG, "image/png"),
        "end_image_url": InputFile("b.png", b"tail", "image/png"),
    }
    params = {"prompt": "move", "duration": 10, "aspect_ratio": "16:9", "enable_audio": True}
    with httpx.Client() as http:
        result, _ = run_to_end(make_request(fake, params=params, files=files), http)

    path, body = fake.submitted[0]
    assert path == "/v1/videos/image2video"
    assert body["image"] == base64.b64encode(IMAGE_PNG).decode()
    assert body["image_tail"] == base64.b64encode(b"tail").decode()
    assert body["sound"] == "on" and body["duration"] == "10"
    assert "aspect_ratio" not in body
    assert all(r.path.startswith("/v1/videos/image2video") for r in fake.api.requests)
    assert result.state is ResultState.SUCCEEDED


def test_result_download_never_sees_credentials(fake):
    with httpx.Client() as http:
        run_to_end(make_request(fake), http)

    assert fake.cdn.requests
    assert all("authorization" not in r.headers for r in fake.cdn.requests)


def test_omni_image_counts_images(fake):
    fake.image_count = 2
    files = {"image_urls[0]": InputFile("r.png", IMAGE_PNG, "image/png")}
    request = make_request(fake, model="kuaishou/kling-o1-image", upstream="kling-image-o1", task_kind="image_generation",
                           params={"prompt": "a cat", "aspect_ratio": "1:1"}, files=files)
    with httpx.Client() as http:
        result, _ = run_to_end(request, http)

    path, body = fake.submitted[0]
    assert path == "/v1/images/omni-image"
    assert body["image_list"] == [{"image": base64.b64encode(IMAGE_PNG).decode()}]
    assert [o.kind for o in result.outputs] == ["image", "image"]
    assert result.outputs[0].data == IMAGE_PNG and result.outputs[0].mime_type == "image/png"
    assert result.usage == {"requests": 1, "images": 2}


def test_video_edit_uses_omni_video_with_base_reference(fake):
    request = make_request(fake, model="kuaishou/kling-3.0-omni-video-edit", upstream="kling-v3-omni",
                           params={"prompt": "make it snow", "video_url": "https://example.com/in.mp4", "keep_audio": False, "duration": 5})
    with httpx.Client() as http:
        run_to_end(request, http)

    path, body = fake.submitted[0]
    assert path == "/v1/videos/omni-video"
    assert body["video_list"] == [{"video_url": "https://example.com/in.mp4", "refer_type": "base", "keep_original_sound": "no"}]
    assert "duration" not in body


def test_motion_control_body_and_configurable_path(fake):
    files = {"image_url": InputFile("p.png", IMAGE_PNG, "image/png")}
    params = {"video_url": "https://example.com/dance.mp4", "character_orientation": "video", "mode": "pro"}
    request = make_request(fake, model="kuaishou/kling-2.6-motion-control", upstream="", params=params, files=files,
                           options={"path": "/v1/videos/motion-control-v2"})
    with httpx.Client() as http:
        run_to_end(request, http)

    path, body = fake.submitted[0]
    assert path == "/v1/videos/motion-control-v2"
    assert body == {"image_url": base64.b64encode(IMAGE_PNG).decode(), "video_url": "https://example.com/dance.mp4",
                    "character_orientation": "video", "mode": "pro", "keep_original_sound": "yes"}


@pytest.mark.parametrize(
    ("http_status", "code", "status", "retryable", "error_code"),
    [
        (400, 1201, 400, False, "provider_invalid_request"),
        (400, 1301, 400, False, "content_moderated"),
        (429, 1101, 502, False, "provider_account_error"),
        (429, 1303, 502, True, "provider_rate_limited"),
        (503, 5001, 502, True, "provider_unavailable"),
    ],
)
def test_envelope_error_codes(fake, http_status, code, status, retryable, error_code):
    fake.submit_reply = Reply.json(envelope(None, code, "  bad\n  thing "), status=http_status, headers={"Retry-After": "7"})
    with httpx.Client() as http, pytest.raises(ProviderError) as caught:
        KlingAdapter().run(make_request(fake), http)

    error = caught.value
    assert (error.status, error.retryable, error.code) == (status, retryable, error_code)
    if status == 400:
        assert error.message == "bad thing"
    if retryable:
        assert error.retry_after_seconds == 7.0


def test_failed_task_for_safety_is_moderation(fake):
    fake.statuses = ["processing", "failed"]
    fake.failure_message = "Failure to pass the risk control system"
    with httpx.Client() as http, pytest.raises(ProviderError) as caught:
        run_to_end(make_request(fake), http)

    assert caught.value.status == 400 and caught.value.code == "content_moderated"


def test_failed_task_other_reason_is_final_502(fake):
    fake.statuses = ["failed"]
    fake.failure_message = "internal render error"
    with httpx.Client() as http, pytest.raises(ProviderError) as caught:
        run_to_end(make_request(fake), http)

    assert caught.value.status == 502 and not caught.value.retryable


def test_malformed_body_is_502(fake):
    fake.submit_reply = Reply(200, b"<html>oops</html>", {"Content-Type": "text/html"})
    with httpx.Client() as http, pytest.raises(ProviderError) as caught:
        KlingAdapter().run(make_request(fake), http)

    assert caught.value.status == 502 and caught.value.code == "provider_bad_response"


def test_timeout_is_retryable_504(fake):
    fake.submit_reply = Reply.json(envelope({"task_id": "x"}))
    fake.submit_reply.delay_seconds = 1.0
    with httpx.Client() as http, pytest.raises(ProviderError) as caught:
        KlingAdapter().run(make_request(fake, timeout=0.2), http)

    assert caught.value.status == 504 and caught.value.retryable


def test_job_is_json_serializable(fake):
    import json

    with httpx.Client() as http:
        result = KlingAdapter().run(make_request(fake), http)

    assert json.loads(json.dumps(result.job)) == {"path": "/v1/videos/text2video", "task_id": "task-1"}
