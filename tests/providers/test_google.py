import base64

import httpx
import pytest

from apps.providers.adapters.google import MODERATED_MESSAGE, GoogleAdapter
from apps.providers.base import InputFile, ProviderError, ProviderRequest, ResultState
from apps.providers.registry import get_adapter
from tests.providers.fakes.google_fake import API_KEY, OPERATION, VIDEO, GoogleFake
from tests.providers.fakes.server import FakeServer, Reply
from tests.providers.polling import poll_to_end_with_own_client

ADAPTER = GoogleAdapter()
PNG_FILE = InputFile("ref.png", b"reference-bytes", "image/png")


@pytest.fixture
def fake():
    with FakeServer() as server:
        yield GoogleFake(server)


def image_request(fake, params=None, files=None, timeout=5.0):
    return ProviderRequest(
        task_id="t1", task_kind="image_generation", model="google/nano-banana", upstream_model="gemini-2.5-flash-image",
        params=params or {"prompt": "a fox", "aspect_ratio": "16:9"}, files=files or {},
        credentials={"api_key": API_KEY}, base_url=fake.server.url, timeout_seconds=timeout,
    )


def video_request(fake, params=None, files=None):
    return ProviderRequest(
        task_id="t2", task_kind="video_generation", model="google/veo-3.1-fast",
        upstream_model="veo-3.1-fast-generate-preview", params=params or {"prompt": "a fox runs"},
        files=files or {}, credentials={"api_key": API_KEY}, base_url=fake.server.url, timeout_seconds=5.0,
    )


def call(request):
    with httpx.Client() as http:
        return ADAPTER.run(request, http)


def run_video(request):
    run = poll_to_end_with_own_client(ADAPTER, request)
    return run.result, run.states


def test_registered_under_google():
    assert isinstance(get_adapter("google"), GoogleAdapter)


def test_image_generation_returns_png_and_token_usage(fake):
    params = {"prompt": "a fox", "aspect_ratio": "16:9", "resolution": "2k"}
    result = call(image_request(fake, params, {"image_urls[0]": PNG_FILE}))
    [image] = result.outputs
    assert (image.kind, image.mime_type, image.data) == ("image", "image/png", fake.png)
    assert image.meta == {"width": 20, "height": 10, "text": "Here is your fox."}
    assert result.usage == {"images": 1, "requests": 1, "input_tokens": 12, "output_tokens": 1300}
    [sent] = fake.server.requests
    assert sent.path == "/v1beta/models/gemini-2.5-flash-image:generateContent"
    assert sent.json() == {
        "contents": [{"role": "user", "parts": [
            {"text": "a fox"},
            {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(b"reference-bytes").decode()}}]}],
        "generationConfig": {"responseModalities": ["TEXT", "IMAGE"],
                             "imageConfig": {"aspectRatio": "16:9", "imageSize": "2K"}},
    }


def test_blocked_prompt_is_moderated(fake):
    fake.image_body = {"promptFeedback": {"blockReason": "SAFETY"}}
    with pytest.raises(ProviderError) as error:
        call(image_request(fake))
    assert (error.value.status, error.value.code, error.value.message) == (400, "content_moderated", MODERATED_MESSAGE)


def test_image_safety_finish_is_moderated(fake):
    fake.image_body = {"candidates": [{"content": {"parts": []}, "finishReason": "IMAGE_SAFETY"}]}
    with pytest.raises(ProviderError) as error:
        call(image_request(fake))
    assert error.value.code == "content_moderated"


def test_text_only_answer_is_no_image(fake):
    fake.image_body = {"candidates": [{"content": {"parts": [{"text": "I can't draw that."}]},
                                       "finishReason": "STOP"}]}
    with pytest.raises(ProviderError) as error:
        call(image_request(fake))
    assert (error.value.status, error.value.code) == (400, "no_image")
    assert "I can't draw that." in error.value.message


def test_bad_base64_image_is_502(fake):
    fake.image_body = {"candidates": [{"content": {"parts": [{"inlineData": {"mimeType": "image/png",
                                                                            "data": "@@not base64@@"}}]}}]}
    with pytest.raises(ProviderError) as error:
        call(image_request(fake))
    assert (error.value.status, error.value.code) == (502, "provider_bad_response")


def test_invalid_argument_is_cleaned_400(fake):
    fake.next_reply = Reply.json({"error": {"code": 400, "status": "INVALID_ARGUMENT",
                                            "message": "Unsupported\naspect ratio"}}, 400)
    with pytest.raises(ProviderError) as error:
        call(image_request(fake))
    assert (error.value.status, error.value.message) == (400, "Unsupported aspect ratio")


def test_bad_key_is_502_without_leaking_it(fake):
    request = image_request(fake)
    request.credentials = {"api_key": "AIza-secret"}
    with pytest.raises(ProviderError) as error:
        call(request)
    assert (error.value.status, error.value.code) == (502, "provider_auth_error")
    assert "AIza-secret" not in error.value.message


def test_resource_exhausted_uses_retry_info_delay(fake):
    retry_info = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "30s"}
    fake.next_reply = Reply.json({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "quota",
                                            "details": [retry_info]}}, 429)
    with pytest.raises(ProviderError) as error:
        call(image_request(fake))
    assert (error.value.retryable, error.value.retry_after_seconds) == (True, 30.0)


def test_unavailable_is_retryable(fake):
    fake.next_reply = Reply.json({"error": {"code": 503, "status": "UNAVAILABLE", "message": "overloaded"}}, 503)
    with pytest.raises(ProviderError) as error:
        call(image_request(fake))
    assert error.value.retryable and error.value.status == 502


def test_timeout_is_retryable_504(fake):
    fake.next_reply = Reply.json({}, 200)
    fake.next_reply.delay_seconds = 1.0
    with pytest.raises(ProviderError) as error:
        call(image_request(fake, timeout=0.2))
    assert (error.value.status, error.value.retryable) == (504, True)


def test_malformed_body_is_502(fake):
    fake.next_reply = Reply(200, b"<html>", {"Content-Type": "text/html"})
    with pytest.raises(ProviderError) as error:
        call(image_request(fake))
    assert (error.value.status, error.value.code) == (502, "provider_bad_response")


def test_veo_submit_poll_and_download_with_key_on_api_host(fake):
    fake.operations = [{"name": OPERATION, "metadata": {}}, None]
    params = {"prompt": "a fox runs", "aspect_ratio": "9:16", "resolution": "1080p", "seed": 7}
    files = {"start_image_url": PNG_FILE, "end_image_url": InputFile("end.jpg", b"end", "image/jpeg")}
    result, states = run_video(video_request(fake, params, files))
    assert states == [ResultState.PENDING, ResultState.PENDING, ResultState.SUCCEEDED]
    [video] = result.outputs
    assert (video.kind, video.mime_type, video.data) == ("video", "video/mp4", VIDEO)
    assert video.meta == {"duration": 8}
    assert result.usage == {"seconds": "8", "requests": 1}
    submit = fake.server.requests[0]
    assert submit.path == "/v1beta/models/veo-3.1-fast-generate-preview:predictLongRunning"
    assert submit.json() == {
        "instances": [{"prompt": "a fox runs",
                       "image": {"bytesBase64Encoded": base64.b64encode(b"reference-bytes").decode(),
                                 "mimeType": "image/png"},
                       "lastFrame": {"bytesBase64Encoded": base64.b64encode(b"end").decode(),
                                     "mimeType": "image/jpeg"}}],
        "parameters": {"sampleCount": 1, "aspectRatio": "9:16", "resolution": "1080p"},
    }
    assert fake.server.requests[1].path == f"/v1beta/{OPERATION}"
    assert fake.server.requests[-1].headers["x-goog-api-key"] == API_KEY


def test_veo_video_on_foreign_host_gets_no_key(fake):
    with FakeServer() as foreign:
        foreign.route("GET", r"/v.+", lambda req: Reply(200, VIDEO, {"Content-Type": "video/mp4"}))
        fake.video_uri = f"{foreign.url}/v/video.mp4?sig=1"
        result, _ = run_video(video_request(fake, {"prompt": "p", "duration": 6}))
        [download] = foreign.requests
    assert result.outputs[0].data == VIDEO and result.usage["seconds"] == "6"
    assert "x-goog-api-key" not in download.headers
    assert all(API_KEY not in value for value in download.headers.values())


def test_veo_inline_encoded_video(fake):
    fake.operations = [{"name": OPERATION, "done": True, "response": {"generateVideoResponse": {
        "generatedSamples": [{"video": {"encodedVideo": base64.b64encode(VIDEO).decode(), "encoding": "video/mp4"}}]}}}]
    result, _ = run_video(video_request(fake))
    assert result.outputs[0].data == VIDEO


def test_veo_rai_filter_is_moderated(fake):
    fake.operations = [{"name": OPERATION, "done": True, "response": {"generateVideoResponse": {
        "raiMediaFilteredCount": 1, "raiMediaFilteredReasons": ["The prompt violates policy."]}}}]
    with pytest.raises(ProviderError) as error:
        run_video(video_request(fake))
    assert (error.value.status, error.value.code, error.value.message) == (
        400, "content_moderated", "The prompt violates policy.")


def test_veo_failed_operation(fake):
    fake.operations = [{"name": OPERATION, "done": True, "error": {"code": 13, "message": "internal failure"}}]
    with pytest.raises(ProviderError) as error:
        run_video(video_request(fake))
    assert (error.value.status, error.value.code, error.value.retryable) == (502, "provider_job_failed", False)
    assert "internal failure" in error.value.message


def test_veo_invalid_argument_operation_is_400(fake):
    fake.operations = [{"name": OPERATION, "done": True, "error": {"code": 3, "message": "bad duration"}}]
    with pytest.raises(ProviderError) as error:
        run_video(video_request(fake))
    assert (error.value.status, error.value.message) == (400, "bad duration")


def test_veo_done_without_samples_is_502(fake):
    fake.operations = [{"name": OPERATION, "done": True, "response": {"generateVideoResponse": {}}}]
    with pytest.raises(ProviderError) as error:
        run_video(video_request(fake))
    assert error.value.code == "provider_bad_response"


def test_veo_submit_without_name_is_502(fake):
    fake.next_reply = Reply.json({"done": False})
    with pytest.raises(ProviderError) as error:
        call(video_request(fake))
    assert error.value.status == 502
