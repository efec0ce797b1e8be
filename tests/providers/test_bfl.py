import base64

import httpx
import pytest

from apps.providers.adapters.bfl import BlackForestLabsAdapter, flux2_size
from apps.providers.base import InputFile, ProviderError, ProviderRequest, ResultState
from apps.providers.registry import get_adapter
from tests.providers.fakes.bfl_fake import API_KEY, BflFake
from tests.providers.fakes.server import FakeServer, Reply
from tests.providers.polling import poll_to_end

ADAPTER = BlackForestLabsAdapter()


@pytest.fixture
def fake():
    with FakeServer() as api, FakeServer() as delivery:
        yield BflFake(api, delivery)


def make_request(fake, upstream="flux-pro-1.1", params=None, files=None, timeout=5.0):
    return ProviderRequest(
        task_id="t1", task_kind="image_generation", model="black-forest-labs/x", upstream_model=upstream,
        params=params or {"prompt": "a fox"}, files=files or {}, credentials={"api_key": API_KEY},
        base_url=fake.api.url, timeout_seconds=timeout,
    )


def run_to_end(request, http):
    return poll_to_end(ADAPTER, request, http).result


def test_registered_under_bfl():
    assert isinstance(get_adapter("bfl"), BlackForestLabsAdapter)


def test_flux1_submit_poll_and_download(fake):
    request = make_request(fake, "flux-dev", {"prompt": "a fox", "width": 512, "height": 256,
                                              "num_inference_steps": 28, "guidance_scale": 3.5, "seed": 42})
    with httpx.Client() as http:
        submitted = ADAPTER.run(request, http)
        assert submitted.state is ResultState.PENDING
        assert submitted.job == {"id": "job-1", "polling_url": f"{fake.api.url}/v1/get_result?id=job-1"}
        running = ADAPTER.poll(request, submitted.job, http)
        assert running.state is ResultState.PENDING and running.progress == 40
        done = ADAPTER.poll(request, running.job, http)
    assert done.state is ResultState.SUCCEEDED
    assert done.usage == {"images": 1, "requests": 1}
    [image] = done.outputs
    assert (image.kind, image.mime_type, image.data) == ("image", "image/png", fake.image)
    assert image.meta == {"width": 32, "height": 16, "seed": 42}
    submit = fake.api.requests[0]
    assert submit.path == "/v1/flux-dev"
    assert submit.json() == {"prompt": "a fox", "width": 512, "height": 256, "steps": 28, "guidance": 3.5, "seed": 42}


def test_flux_pro_1_1_drops_steps_and_guidance(fake):
    request = make_request(fake, "flux-pro-1.1", {"prompt": "p", "num_inference_steps": 28, "guidance_scale": 3})
    with httpx.Client() as http:
        ADAPTER.run(request, http)
    assert fake.api.requests[0].json() == {"prompt": "p"}


def test_sample_download_never_gets_the_key(fake):
    with httpx.Client() as http:
        run_to_end(make_request(fake), http)
    [download] = fake.delivery.requests
    assert "x-key" not in download.headers
    assert all(API_KEY not in value for value in download.headers.values())


def test_flux2_maps_reference_images_size_and_flex_controls(fake):
    files = {f"image_urls[{i}]": InputFile(f"{i}.png", f"img{i}".encode(), "image/png") for i in range(3)}
    params = {"prompt": "p", "image_urls": ["a", "b", "c"], "aspect_ratio": "16:9", "quality": "2K",
              "steps": 30, "cfg": 4.5}
    with httpx.Client() as http:
        ADAPTER.run(make_request(fake, "flux-2-flex", params, files), http)
    body = fake.api.requests[0].json()
    assert fake.api.requests[0].path == "/v1/flux-2-flex"
    assert body["input_image"] == base64.b64encode(b"img0").decode()
    assert body["input_image_2"] == base64.b64encode(b"img1").decode()
    assert body["input_image_3"] == base64.b64encode(b"img2").decode()
    assert "input_image_4" not in body and "image_urls" not in body
    assert (body["steps"], body["guidance"]) == (30, 4.5)
    assert (body["width"], body["height"]) == (2720, 1536)
    assert body["width"] * body["height"] <= 4 * 1024 * 1024


def test_flux2_auto_aspect_with_reference_keeps_input_shape(fake):
    files = {"image_urls[0]": InputFile("a.png", b"x", "image/png")}
    with httpx.Client() as http:
        ADAPTER.run(make_request(fake, "flux-2-pro", {"prompt": "p", "aspect_ratio": "auto"}, files), http)
    assert "width" not in fake.api.requests[0].json()


def test_flux2_size_is_multiple_of_16():
    assert flux2_size("1:1", "1K") == {"width": 1024, "height": 1024}
    size = flux2_size("9:16", "1K")
    assert size["width"] % 16 == 0 and size["height"] % 16 == 0 and size["height"] > size["width"]


@pytest.mark.parametrize("status", ["Request Moderated", "Content Moderated"])
def test_moderation_is_a_400(fake, status):
    fake.statuses = [status]
    with httpx.Client() as http, pytest.raises(ProviderError) as error:
        run_to_end(make_request(fake), http)
    assert (error.value.status, error.value.code, error.value.retryable) == (400, "content_moderated", False)


def test_error_status_fails_with_details(fake):
    fake.statuses = [{"id": "job-1", "status": "Error", "details": {"message": "GPU fell over"}}]
    with httpx.Client() as http, pytest.raises(ProviderError) as error:
        run_to_end(make_request(fake), http)
    assert error.value.status == 502 and "GPU fell over" in error.value.message


def test_task_not_found_fails(fake):
    fake.statuses = ["Task not found"]
    with httpx.Client() as http, pytest.raises(ProviderError) as error:
        run_to_end(make_request(fake), http)
    assert error.value.code == "provider_job_lost" and not error.value.retryable


def test_unknown_status_keeps_polling(fake):
    fake.statuses = ["Warming Up", "Ready"]
    with httpx.Client() as http:
        result = ADAPTER.run(make_request(fake), http)
        assert ADAPTER.poll(make_request(fake), result.job, http).state is ResultState.PENDING
        assert ADAPTER.poll(make_request(fake), result.job, http).state is ResultState.SUCCEEDED


def test_foreign_polling_url_never_receives_the_key(fake):
    fake.polling_url = f"{fake.delivery.url}/v1/get_result?id=job-1"
    with httpx.Client() as http:
        result = ADAPTER.run(make_request(fake), http)
        with pytest.raises(ProviderError) as error:
            ADAPTER.poll(make_request(fake), result.job, http)
    assert error.value.code == "provider_bad_response"
    assert fake.delivery.requests == []


def test_may_receive_key_only_on_bfl_hosts(fake):
    request = make_request(fake)
    assert ADAPTER._may_receive_key(request, "https://api.eu.bfl.ai/v1/get_result?id=1")
    assert not ADAPTER._may_receive_key(request, "https://bfl.ai.evil.com/v1/get_result")
    assert not ADAPTER._may_receive_key(request, "http://api.bfl.ai/v1/get_result")


def test_validation_error_is_a_cleaned_400(fake):
    fake.submit_reply = Reply.json({"detail": [{"loc": ["body", "width"], "msg": "must be\n a multiple of 16"}]},
                                   status=422)
    with httpx.Client() as http, pytest.raises(ProviderError) as error:
        ADAPTER.run(make_request(fake), http)
    assert (error.value.status, error.value.message) == (400, "must be a multiple of 16")


def test_bad_key_is_502_without_leaking_it(fake):
    request = make_request(fake)
    request.credentials = {"api_key": "wrong-secret"}
    with httpx.Client() as http, pytest.raises(ProviderError) as error:
        ADAPTER.run(request, http)
    assert error.value.status == 502 and error.value.code == "provider_auth_error"
    assert "wrong-secret" not in error.value.message


def test_insufficient_credits_is_not_the_callers_fault(fake):
    fake.submit_reply = Reply.json({"detail": "Insufficient credits"}, status=402)
    with httpx.Client() as http, pytest.raises(ProviderError) as error:
        ADAPTER.run(make_request(fake), http)
    assert (error.value.status, error.value.code, error.value.retryable) == (502, "provider_quota_exceeded", False)


@pytest.mark.parametrize("status", [429, 503])
def test_busy_is_retryable_with_hint(fake, status):
    fake.submit_reply = Reply.json({"detail": "Too many active tasks"}, status=status, headers={"retry-after": "7"})
    with httpx.Client() as http, pytest.raises(ProviderError) as error:
        ADAPTER.run(make_request(fake), http)
    assert error.value.retryable and error.value.retry_after_seconds == 7.0


def test_timeout_is_retryable_504(fake):
    fake.submit_reply = Reply(200, b"{}", delay_seconds=1.0)
    with httpx.Client() as http, pytest.raises(ProviderError) as error:
        ADAPTER.run(make_request(fake, timeout=0.2), http)
    assert (error.value.status, error.value.retryable, error.value.code) == (504, True, "provider_timeout")


@pytest.mark.parametrize("reply", [Reply(200, b"<html>oops</html>"), Reply.json({"polling_url": "x"})])
def test_malformed_submit_is_502(fake, reply):
    fake.submit_reply = reply
    with httpx.Client() as http, pytest.raises(ProviderError) as error:
        ADAPTER.run(make_request(fake), http)
    assert (error.value.status, error.value.retryable) == (502, False)


def test_ready_without_sample_is_502(fake):
    fake.statuses = [{"id": "job-1", "status": "Ready", "result": {}}]
    with httpx.Client() as http, pytest.raises(ProviderError) as error:
        run_to_end(make_request(fake), http)
    assert error.value.code == "provider_bad_response"


def test_non_image_sample_is_502(fake):
    fake.image = b"not an image"
    with httpx.Client() as http, pytest.raises(ProviderError) as error:
        run_to_end(make_request(fake), http)
    assert error.value.status == 502
