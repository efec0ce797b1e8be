import httpx
import pytest

from apps.providers.adapters.stability import MODERATED_MESSAGE, StabilityAdapter
from apps.providers.base import ProviderError, ProviderRequest, ResultState
from apps.providers.registry import get_adapter
from tests.providers.fakes.server import FakeServer, Reply
from tests.providers.fakes.stability_fake import API_KEY, StabilityFake

ADAPTER = StabilityAdapter()


@pytest.fixture
def fake():
    with FakeServer() as server:
        yield StabilityFake(server)


def call(fake, params=None, key=API_KEY, timeout=5.0):
    request = ProviderRequest(
        task_id="t1", task_kind="image_generation", model="stabilityai/stable-diffusion-2-1",
        upstream_model="stable-diffusion-512-v2-1", params=params or {"prompt": "a cat in costume"},
        credentials={"api_key": key}, base_url=fake.server.url, timeout_seconds=timeout,
    )
    with httpx.Client() as http:
        return ADAPTER.run(request, http)


def test_registered_under_stability():
    assert isinstance(get_adapter("stability"), StabilityAdapter)


def test_text_to_image_maps_params_and_decodes_artifacts(fake):
    fake.finish_reasons = ["SUCCESS", "SUCCESS"]
    params = {"prompt": "a cat", "negative_prompt": "blurry", "width": 512, "height": 512,
              "num_inference_steps": 30, "guidance_scale": 7.5, "seed": 42, "samples": 2}
    result = call(fake, params)
    assert result.state is ResultState.SUCCEEDED
    assert result.usage == {"images": 2, "requests": 1}
    first = result.outputs[0]
    assert (first.kind, first.mime_type, first.data) == ("image", "image/png", fake.png)
    assert first.meta == {"width": 24, "height": 24, "seed": 1000}
    [sent] = fake.server.requests
    assert sent.path == "/v1/generation/stable-diffusion-512-v2-1/text-to-image"
    assert sent.json() == {"text_prompts": [{"text": "a cat", "weight": 1}, {"text": "blurry", "weight": -1}],
                           "width": 512, "height": 512, "seed": 42, "steps": 30, "cfg_scale": 7.5, "samples": 2}


def test_filtered_artifacts_are_dropped(fake):
    fake.finish_reasons = ["CONTENT_FILTERED", "SUCCESS"]
    result = call(fake)
    assert [output.meta["seed"] for output in result.outputs] == [1001]
    assert result.usage["images"] == 1


def test_all_filtered_is_moderated(fake):
    fake.finish_reasons = ["CONTENT_FILTERED"]
    with pytest.raises(ProviderError) as error:
        call(fake)
    assert (error.value.status, error.value.code, error.value.message) == (400, "content_moderated", MODERATED_MESSAGE)


def test_invalid_prompt_is_cleaned_400(fake):
    fake.next_reply = Reply.json({"id": "e", "name": "invalid_prompts", "message": "Invalid prompts\ndetected"}, 400)
    with pytest.raises(ProviderError) as error:
        call(fake)
    assert (error.value.status, error.value.message) == (400, "Invalid prompts detected")


def test_bad_key_is_502_without_leaking_it(fake):
    with pytest.raises(ProviderError) as error:
        call(fake, key="sk-secret-wrong")
    assert (error.value.status, error.value.code) == (502, "provider_auth_error")
    assert "sk-secret-wrong" not in error.value.message


def test_rate_limit_is_retryable(fake):
    fake.next_reply = Reply.json({"message": "rate limited"}, 429, {"retry-after": "10"})
    with pytest.raises(ProviderError) as error:
        call(fake)
    assert (error.value.retryable, error.value.retry_after_seconds) == (True, 10.0)


def test_timeout_is_retryable_504(fake):
    fake.next_reply = Reply(200, b"{}", delay_seconds=1.0)
    with pytest.raises(ProviderError) as error:
        call(fake, timeout=0.2)
    assert (error.value.status, error.value.retryable) == (504, True)


@pytest.mark.parametrize("reply", [
    Reply(200, b"<html>", {"Content-Type": "text/html"}),
    Reply.json({"artifacts": "nope"}),
    Reply.json({"artifacts": [{"base64": "!!!", "finishReason": "SUCCESS"}]}),
    Reply.json({"artifacts": [{"finishReason": "ERROR"}]}),
])
def test_malformed_response_is_502(fake, reply):
    fake.next_reply = reply
    with pytest.raises(ProviderError) as error:
        call(fake)
    assert (error.value.status, error.value.code, error.value.retryable) == (502, "provider_bad_response", False)
