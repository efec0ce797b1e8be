import base64

import httpx
import pytest

from apps.providers.adapters.minimax import MiniMaxAdapter
from apps.providers.base import InputFile, ProviderError, ProviderRequest
from tests.providers.fakes.minimax_fake import VIDEO_BYTES, MiniMaxFake
from tests.providers.fakes.server import Reply
from tests.providers.polling import poll_to_end

API_KEY = "mm-secret-key-123"


@pytest.fixture
def fake():
    with MiniMaxFake(API_KEY) as server:
        yield server


def make_request(fake, *, model="hailuo/minimax-2.3", upstream="", params=None, files=None, api_key=API_KEY, timeout=5.0):
    return ProviderRequest(
        task_id="t1", task_kind="video_generation", model=model, upstream_model=upstream,
        params=params if params is not None else {"prompt": "waves", "duration": 6, "resolution": "768p", "prompt_optimization": False},
        files=files or {}, credentials={"api_key": api_key}, base_url=fake.api.url, timeout_seconds=timeout,
    )


def run_to_end(request, http):
    run = poll_to_end(MiniMaxAdapter(), request, http)
    return run.result, run.polls


def test_success_walks_every_status_then_retrieves_file(fake):
    with httpx.Client() as http:
        result, polls = run_to_end(make_request(fake), http)

    assert polls == 4  # Preparing, Queueing, Processing, Success
    assert fake.submitted[0] == {"model": "MiniMax-Hailuo-2.3", "prompt": "waves", "duration": 6, "resolution": "768P",
                                 "prompt_optimizer": False}
    video = result.outputs[0]
    assert (video.kind, video.mime_type, video.data) == ("video", "video/mp4", VIDEO_BYTES)
    assert video.meta == {"duration": "6", "width": 1366, "height": 768}
    assert result.usage == {"requests": 1, "seconds": "6"}


def test_route_upstream_model_wins_and_frames_are_data_urls(fake):
    files = {"start_image_url": InputFile("a.png", b"png-a", "image/png"), "end_image_url": InputFile("b.jpg", b"jpg-b", "image/jpeg")}
    with httpx.Client() as http:
        run_to_end(make_request(fake, model="hailuo/minimax-2.0", upstream="MiniMax-Hailuo-02-custom", params={"prompt": "x"}, files=files), http)

    body = fake.submitted[0]
    assert body["model"] == "MiniMax-Hailuo-02-custom"
    assert body["first_frame_image"] == "data:image/png;base64," + base64.b64encode(b"png-a").decode()
    assert body["last_frame_image"] == "data:image/jpeg;base64," + base64.b64encode(b"jpg-b").decode()


def test_model_map_for_fast(fake):
    with httpx.Client() as http:
        MiniMaxAdapter().run(make_request(fake, model="hailuo/minimax-2.3-fast"), http)

    assert fake.submitted[0]["model"] == "MiniMax-Hailuo-2.3-Fast"


def test_download_host_never_sees_api_key(fake):
    with httpx.Client() as http:
        run_to_end(make_request(fake), http)

    assert len(fake.storage.requests) == 1
    assert "authorization" not in fake.storage.requests[0].headers


@pytest.mark.parametrize(
    ("code", "status", "retryable", "error_code"),
    [
        (1002, 502, True, "provider_rate_limited"),
        (1004, 502, False, "provider_auth_error"),
        (1008, 502, False, "provider_account_error"),
        (1026, 400, False, "content_moderated"),
        (2013, 400, False, "provider_invalid_request"),
    ],
)
def test_base_resp_errors_under_http_200(fake, code, status, retryable, error_code):
    fake.submit_reply = Reply.json({"task_id": "", "base_resp": {"status_code": code, "status_msg": "invalid  params:\n duration"}},
                                   headers={"Retry-After": "3"})
    with httpx.Client() as http, pytest.raises(ProviderError) as caught:
        MiniMaxAdapter().run(make_request(fake), http)

    error = caught.value
    assert (error.status, error.retryable, error.code) == (status, retryable, error_code)
    if error_code == "provider_invalid_request":
        assert error.message == "invalid params: duration"
    if retryable:
        assert error.retry_after_seconds == 3.0


def test_wrong_key_is_auth_error_without_leaking(fake):
    with httpx.Client() as http, pytest.raises(ProviderError) as caught:
        MiniMaxAdapter().run(make_request(fake, api_key="leaky-wrong-key"), http)

    assert caught.value.code == "provider_auth_error" and caught.value.status == 502
    assert "leaky-wrong-key" not in caught.value.message


def test_http_503_is_retryable(fake):
    fake.submit_reply = Reply(503, b"upstream down", {"Retry-After": "2"})
    with httpx.Client() as http, pytest.raises(ProviderError) as caught:
        MiniMaxAdapter().run(make_request(fake), http)

    assert caught.value.retryable and caught.value.retry_after_seconds == 2.0


def test_fail_status_is_final(fake):
    fake.statuses = ["Queueing", "Fail"]
    with httpx.Client() as http, pytest.raises(ProviderError) as caught:
        run_to_end(make_request(fake), http)

    assert caught.value.status == 502 and not caught.value.retryable


def test_moderation_during_query(fake):
    fake.query_reply = Reply.json({"task_id": "mm-1", "status": "", "base_resp": {"status_code": 1026, "status_msg": "sensitive content"}})
    with httpx.Client() as http, pytest.raises(ProviderError) as caught:
        run_to_end(make_request(fake), http)

    assert caught.value.status == 400 and caught.value.code == "content_moderated"


def test_malformed_body_is_502(fake):
    fake.submit_reply = Reply(200, b"not json")
    with httpx.Client() as http, pytest.raises(ProviderError) as caught:
        MiniMaxAdapter().run(make_request(fake), http)

    assert caught.value.status == 502 and caught.value.code == "provider_bad_response"


def test_timeout_is_retryable_504(fake):
    fake.submit_reply = Reply.json({"task_id": "x", "base_resp": {"status_code": 0}})
    fake.submit_reply.delay_seconds = 1.0
    with httpx.Client() as http, pytest.raises(ProviderError) as caught:
        MiniMaxAdapter().run(make_request(fake, timeout=0.2), http)

    assert caught.value.status == 504 and caught.value.retryable
