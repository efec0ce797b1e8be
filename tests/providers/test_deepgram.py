import pytest

from apps.providers.adapters.deepgram import MISSING_AUDIO_MESSAGE, AimlApiAdapter, DeepgramAdapter
from apps.providers.base import InputFile, ProviderError, ProviderRequest, ResultState
from apps.providers.registry import get_adapter
from tests.providers.fakes.deepgram_fake import (AIMLAPI_KEY, DEEPGRAM_KEY, MP3, WAV, AimlApiFake,
                                                 DeepgramFake)
from tests.providers.fakes.media import multipart_fields
from tests.providers.fakes.server import FakeServer, Reply
from tests.providers.polling import poll_to_end_with_own_client

DEEPGRAM = DeepgramAdapter()
AIMLAPI = AimlApiAdapter()
SAMPLE = InputFile("sample.wav", b"RIFF-input-audio", "audio/wav")
TRANSCRIPT = "Yeah, as much as it's worth celebrating."


@pytest.fixture
def deepgram():
    with FakeServer() as server:
        yield DeepgramFake(server)


@pytest.fixture
def aiml():
    with FakeServer() as server:
        yield AimlApiFake(server)


def make_request(server, kind, params, upstream, key, files=None, timeout=5.0):
    return ProviderRequest(
        task_id="t1", task_kind=kind, model="deepgram/x", upstream_model=upstream, params=params, files=files or {},
        credentials={"api_key": key}, base_url=server.url, timeout_seconds=timeout,
    )


def dg_request(fake, kind="speech_to_text", params=None, files=None, **kwargs):
    upstream = "nova-2-general" if kind == "speech_to_text" else "aura-asteria-en"
    files = {"url": SAMPLE} if files is None else files
    return make_request(fake.server, kind, params or {}, upstream, DEEPGRAM_KEY, files, **kwargs)


def aiml_request(fake, kind="speech_to_text", params=None, files=None):
    upstream = "#g1_nova-2-general" if kind == "speech_to_text" else "#g1_aura-asteria-en"
    return make_request(fake.server, kind, params or {}, upstream, AIMLAPI_KEY, files)


def run_to_end(adapter, request):
    run = poll_to_end_with_own_client(adapter, request)
    return run.result, run.states


def test_registered_families():
    assert isinstance(get_adapter("deepgram"), DeepgramAdapter)
    assert isinstance(get_adapter("aimlapi"), AimlApiAdapter)


def test_deepgram_listen_sends_raw_audio_and_query_options(deepgram):
    result, _ = run_to_end(DEEPGRAM, dg_request(deepgram, params={"url": "https://x/a.wav", "language": "en",
                                                                  "diarize": True}))
    [text] = result.outputs
    assert (text.kind, text.text, text.meta["confidence"]) == ("text", TRANSCRIPT, 0.99)
    assert result.usage == {"requests": 1, "audio_seconds": "25.933313"}
    assert result.provider_request_id == "dg-req-1"
    [sent] = deepgram.server.requests
    assert sent.body == b"RIFF-input-audio" and sent.headers["content-type"] == "audio/wav"
    assert sent.query == {"model": ["nova-2-general"], "smart_format": ["true"], "language": ["en"],
                          "diarize": ["true"]}


def test_deepgram_listen_without_audio_is_400_and_never_fetches_url(deepgram):
    with pytest.raises(ProviderError) as error:
        run_to_end(DEEPGRAM, dg_request(deepgram, params={"url": "https://x/a.wav"}, files={}))
    assert (error.value.status, error.value.message) == (400, MISSING_AUDIO_MESSAGE)
    assert deepgram.server.requests == []


def test_deepgram_speak_sets_explicit_encoding(deepgram):
    result, _ = run_to_end(DEEPGRAM, dg_request(deepgram, "text_to_speech", {"text": "Hello!"}, {}))
    [audio] = result.outputs
    assert (audio.kind, audio.mime_type, audio.data) == ("audio", "audio/mpeg", MP3)
    assert result.usage == {"characters": 6, "requests": 1}
    [sent] = deepgram.server.requests
    assert sent.query == {"model": ["aura-asteria-en"], "encoding": ["mp3"]}
    assert sent.json() == {"text": "Hello!"}


def test_deepgram_malformed_transcript_is_502(deepgram):
    deepgram.listen_body = {"results": {"channels": []}}
    with pytest.raises(ProviderError) as error:
        run_to_end(DEEPGRAM, dg_request(deepgram))
    assert (error.value.status, error.value.code) == (502, "provider_bad_response")


def test_deepgram_bad_request_is_cleaned_400(deepgram):
    deepgram.next_reply = Reply.json({"err_code": "Bad Request", "err_msg": "Bad Request:\n unsupported media",
                                      "request_id": "r"}, 400)
    with pytest.raises(ProviderError) as error:
        run_to_end(DEEPGRAM, dg_request(deepgram))
    assert (error.value.status, error.value.message) == (400, "Bad Request: unsupported media")


def test_deepgram_bad_key_is_502_without_leaking_it(deepgram):
    request = dg_request(deepgram)
    request.credentials = {"api_key": "dg-secret-wrong"}
    with pytest.raises(ProviderError) as error:
        run_to_end(DEEPGRAM, request)
    assert (error.value.status, error.value.code) == (502, "provider_auth_error")
    assert "dg-secret-wrong" not in error.value.message


def test_deepgram_rate_limit_is_retryable(deepgram):
    deepgram.next_reply = Reply.json({"category": "TOO_MANY_REQUESTS", "message": "slow down"}, 429,
                                     {"retry-after": "2"})
    with pytest.raises(ProviderError) as error:
        run_to_end(DEEPGRAM, dg_request(deepgram))
    assert (error.value.retryable, error.value.retry_after_seconds) == (True, 2.0)


def test_deepgram_timeout_is_retryable_504(deepgram):
    deepgram.next_reply = Reply(200, b"{}", delay_seconds=1.0)
    with pytest.raises(ProviderError) as error:
        run_to_end(DEEPGRAM, dg_request(deepgram, timeout=0.2))
    assert (error.value.status, error.value.retryable) == (504, True)


def test_aiml_tts_returns_audio(aiml):
    result, _ = run_to_end(AIMLAPI, aiml_request(aiml, "text_to_speech", {"text": "Hi there", "encoding": "linear16"}))
    [audio] = result.outputs
    assert (audio.mime_type, audio.data) == ("audio/wav", WAV)
    assert result.usage == {"characters": 8, "requests": 1}
    assert aiml.server.requests[0].json() == {"model": "#g1_aura-asteria-en", "text": "Hi there",
                                              "encoding": "linear16"}


def test_aiml_stt_polls_until_result(aiml):
    result, states = run_to_end(AIMLAPI, aiml_request(aiml, files={"url": SAMPLE}, params={"url": "https://x/a.wav"}))
    assert states == [ResultState.PENDING] * 3 + [ResultState.SUCCEEDED]
    assert result.outputs[0].text == TRANSCRIPT
    assert result.usage == {"requests": 1, "audio_seconds": "25.933313"}
    create = aiml.server.requests[0]
    fields = multipart_fields(create)
    assert fields["audio"] == ("sample.wav", b"RIFF-input-audio", "audio/wav")
    assert fields["model"] == "#g1_nova-2-general"
    assert "url" not in fields
    assert [r.path for r in aiml.server.requests[1:]] == ["/v1/stt/gen-1"] * 3


def test_aiml_stt_passes_url_only_without_file(aiml):
    run_to_end(AIMLAPI, aiml_request(aiml, params={"url": "https://example.com/a.mp3"}))
    assert aiml.server.requests[0].json() == {"model": "#g1_nova-2-general", "url": "https://example.com/a.mp3"}


def test_aiml_stt_failed_job(aiml):
    aiml.statuses = [{"status": "failed", "error": {"message": "audio could not be decoded"}}]
    with pytest.raises(ProviderError) as error:
        run_to_end(AIMLAPI, aiml_request(aiml, files={"url": SAMPLE}))
    assert error.value.code == "provider_job_failed" and "could not be decoded" in error.value.message


def test_aiml_unknown_status_keeps_polling(aiml):
    aiml.statuses = ["transcoding", None]
    _, states = run_to_end(AIMLAPI, aiml_request(aiml, files={"url": SAMPLE}))
    assert states == [ResultState.PENDING, ResultState.PENDING, ResultState.SUCCEEDED]


def test_aiml_create_without_id_is_502(aiml):
    aiml.next_reply = Reply.json({"status": "ok"})
    with pytest.raises(ProviderError) as error:
        run_to_end(AIMLAPI, aiml_request(aiml, files={"url": SAMPLE}))
    assert (error.value.status, error.value.code) == (502, "provider_bad_response")


def test_aiml_bad_key_is_502_without_leaking_it(aiml):
    request = aiml_request(aiml, files={"url": SAMPLE})
    request.credentials = {"api_key": "aiml-secret-wrong"}
    with pytest.raises(ProviderError) as error:
        run_to_end(AIMLAPI, request)
    assert error.value.status == 502 and "aiml-secret-wrong" not in error.value.message


def test_aiml_server_error_is_retryable(aiml):
    aiml.next_reply = Reply.json({"message": "upstream down"}, 502)
    with pytest.raises(ProviderError) as error:
        run_to_end(AIMLAPI, aiml_request(aiml, "text_to_speech", {"text": "x"}))
    assert error.value.retryable
