import json

import httpx
import pytest

from apps.providers.adapters.elevenlabs import MISSING_AUDIO_MESSAGE, PREMADE_VOICE_IDS, ElevenLabsAdapter
from apps.providers.base import InputFile, ProviderError, ProviderRequest, ResultState
from apps.providers.registry import get_adapter
from tests.providers.fakes.elevenlabs_fake import API_KEY, AUDIO, ElevenLabsFake
from tests.providers.fakes.media import multipart_fields, wav_bytes
from tests.providers.fakes.server import FakeServer, Reply

ADAPTER = ElevenLabsAdapter()
SPEECH = InputFile("in.mp3", b"input-audio-bytes", "audio/mpeg")


@pytest.fixture
def fake():
    with FakeServer() as server:
        yield ElevenLabsFake(server)


def make_request(fake, kind, params, upstream="eleven_multilingual_v2", files=None, timeout=5.0):
    return ProviderRequest(
        task_id="t1", task_kind=kind, model="elevenlabs/x", upstream_model=upstream, params=params,
        files=files or {}, credentials={"api_key": API_KEY}, base_url=fake.server.url, timeout_seconds=timeout,
    )


def call(request):
    with httpx.Client() as http:
        return ADAPTER.run(request, http)


def test_registered_under_elevenlabs():
    assert isinstance(get_adapter("elevenlabs"), ElevenLabsAdapter)


def test_tts_maps_voice_name_and_output_format(fake):
    params = {"text": "Hello there", "voice": "adam", "voice_settings": {"stability": 0.5, "similarity_boost": 0.5},
              "output_format": "mp3_44100_128"}
    result = call(make_request(fake, "text_to_speech", params))
    assert result.state is ResultState.SUCCEEDED
    [audio] = result.outputs
    assert (audio.kind, audio.mime_type, audio.data) == ("audio", "audio/mpeg", AUDIO)
    assert result.usage == {"characters": 11, "requests": 1}
    [sent] = fake.server.requests
    assert sent.path == f"/v1/text-to-speech/{PREMADE_VOICE_IDS['adam']}"
    assert sent.query == {"output_format": ["mp3_44100_128"]}
    assert sent.json() == {"text": "Hello there", "model_id": "eleven_multilingual_v2",
                           "voice_settings": {"stability": 0.5, "similarity_boost": 0.5}}


def test_tts_passes_unknown_voice_through_as_id_and_parses_string_settings(fake):
    call(make_request(fake, "text_to_speech", {"text": "hi", "voice": "MyClonedVoice123",
                                               "voice_settings": '{"stability": 0.2}'}))
    [sent] = fake.server.requests
    assert sent.path == "/v1/text-to-speech/MyClonedVoice123"
    assert sent.json()["voice_settings"] == {"stability": 0.2}


def test_speech_to_speech_sends_multipart_audio(fake):
    params = {"voice": "rachel", "voice_settings": {"stability": 0.5}, "remove_background_noise": True}
    result = call(make_request(fake, "speech_to_speech", params, "eleven_multilingual_sts_v2", {"audio": SPEECH}))
    assert result.outputs[0].data == AUDIO
    [sent] = fake.server.requests
    assert sent.path == "/v1/speech-to-speech/21m00Tcm4TlvDq8ikWAM"
    fields = multipart_fields(sent)
    assert fields["audio"] == ("in.mp3", b"input-audio-bytes", "audio/mpeg")
    assert fields["model_id"] == "eleven_multilingual_sts_v2"
    assert json.loads(fields["voice_settings"]) == {"stability": 0.5}
    assert fields["remove_background_noise"] == "true"


def test_speech_to_text_returns_text_and_audio_seconds(fake):
    request = make_request(fake, "speech_to_text", {"diarize": True}, "scribe_v1", {"audio": SPEECH})
    result = call(request)
    [text] = result.outputs
    assert (text.kind, text.text) == ("text", "Hello world")
    assert text.meta["language_code"] == "en"
    assert result.usage == {"requests": 1, "audio_seconds": "12.3"}
    fields = multipart_fields(fake.server.requests[0])
    assert fields["file"][1] == b"input-audio-bytes"
    assert (fields["model_id"], fields["diarize"]) == ("scribe_v1", "true")


def test_speech_to_text_multichannel(fake):
    fake.transcript = {"transcripts": [{"text": "left"}, {"text": "right"}], "audio_duration_secs": 2}
    result = call(make_request(fake, "speech_to_text", {}, "scribe_v1", {"audio": SPEECH}))
    assert result.outputs[0].text == "left\nright"
    assert result.usage["audio_seconds"] == "2"


def test_speech_to_text_malformed_json_is_502(fake):
    fake.next_reply = Reply(200, b"not json", {"Content-Type": "application/json"})
    with pytest.raises(ProviderError) as error:
        call(make_request(fake, "speech_to_text", {}, "scribe_v1", {"audio": SPEECH}))
    assert (error.value.status, error.value.code) == (502, "provider_bad_response")


def test_missing_audio_is_400_without_a_call(fake):
    with pytest.raises(ProviderError) as error:
        call(make_request(fake, "voice_isolation", {}, files={}))
    assert (error.value.status, error.value.message) == (400, MISSING_AUDIO_MESSAGE)
    assert fake.server.requests == []


def test_sound_effect_reports_requested_seconds(fake):
    result = call(make_request(fake, "sound_effect", {"text": "door creak", "duration_seconds": 2.5},
                               "eleven_text_to_sound_v2"))
    assert result.usage == {"seconds": "2.5", "requests": 1}
    assert result.outputs[0].meta["duration"] == 2.5
    assert fake.server.requests[0].json() == {"text": "door creak", "model_id": "eleven_text_to_sound_v2",
                                              "duration_seconds": 2.5}


def test_sound_effect_without_duration_reports_measured_seconds(fake):
    fake.next_reply = Reply(200, wav_bytes(1.5), {"Content-Type": "audio/wav"})
    result = call(make_request(fake, "sound_effect", {"text": "door creak"}, "eleven_text_to_sound_v2"))
    assert result.usage == {"seconds": "1.50", "requests": 1}
    assert result.outputs[0].meta["duration"] == 1.5


def test_voice_isolation_reports_measured_seconds(fake):
    fake.next_reply = Reply(200, wav_bytes(2.0), {"Content-Type": "audio/wav"})
    result = call(make_request(fake, "voice_isolation", {}, "", {"audio": SPEECH}))
    assert result.usage == {"seconds": "2.00", "requests": 1}


def test_dialogue_maps_voices_and_counts_characters(fake):
    inputs = [{"text": "Hi!", "voice": "adam"}, {"text": "Hello.", "voice_id": "customVoice1"}]
    result = call(make_request(fake, "dialogue", {"inputs": inputs}, "eleven_v3"))
    assert result.usage == {"characters": 9, "requests": 1}
    assert fake.server.requests[0].json()["inputs"] == [
        {"text": "Hi!", "voice_id": PREMADE_VOICE_IDS["adam"]}, {"text": "Hello.", "voice_id": "customVoice1"}]


def test_voice_isolation_posts_audio(fake):
    result = call(make_request(fake, "voice_isolation", {}, "", {"audio": SPEECH}))
    assert result.outputs[0].data == AUDIO
    assert fake.server.requests[0].path == "/v1/audio-isolation"


def test_quota_exceeded_401_is_final_and_not_retried(fake):
    fake.next_reply = Reply.json({"detail": {"status": "quota_exceeded", "message": "You have 3 credits left"}}, 401)
    with pytest.raises(ProviderError) as error:
        call(make_request(fake, "text_to_speech", {"text": "hi"}))
    assert (error.value.status, error.value.code, error.value.retryable) == (502, "provider_quota_exceeded", False)


def test_bad_key_is_502_without_leaking_it(fake):
    request = make_request(fake, "text_to_speech", {"text": "hi"})
    request.credentials = {"api_key": "secret-wrong-key"}
    with pytest.raises(ProviderError) as error:
        call(request)
    assert (error.value.status, error.value.code) == (502, "provider_auth_error")
    assert "secret-wrong-key" not in error.value.message


def test_voice_not_found_is_a_cleaned_400(fake):
    fake.next_reply = Reply.json({"detail": {"status": "voice_not_found", "message": "A voice with\nthat id "
                                             "was not found."}}, 400)
    with pytest.raises(ProviderError) as error:
        call(make_request(fake, "text_to_speech", {"text": "hi", "voice": "nope"}))
    assert (error.value.status, error.value.message) == (400, "A voice with that id was not found.")


def test_validation_422_lists_messages(fake):
    fake.next_reply = Reply.json({"detail": [{"loc": ["body", "text"], "msg": "field required", "type": "missing"}]},
                                 422)
    with pytest.raises(ProviderError) as error:
        call(make_request(fake, "text_to_speech", {"text": ""}))
    assert (error.value.status, error.value.message) == (400, "field required")


def test_too_many_concurrent_requests_is_retryable(fake):
    fake.next_reply = Reply.json({"detail": {"status": "too_many_concurrent_requests", "message": "busy"}}, 429,
                                 {"retry-after": "3"})
    with pytest.raises(ProviderError) as error:
        call(make_request(fake, "text_to_speech", {"text": "hi"}))
    assert (error.value.retryable, error.value.retry_after_seconds) == (True, 3.0)


def test_server_error_is_retryable(fake):
    fake.next_reply = Reply(500, b"Internal Server Error")
    with pytest.raises(ProviderError) as error:
        call(make_request(fake, "text_to_speech", {"text": "hi"}))
    assert error.value.retryable and error.value.status == 502


def test_timeout_is_retryable_504(fake):
    fake.next_reply = Reply(200, AUDIO, {"Content-Type": "audio/mpeg"}, delay_seconds=1.0)
    with pytest.raises(ProviderError) as error:
        call(make_request(fake, "text_to_speech", {"text": "hi"}, timeout=0.2))
    assert (error.value.status, error.value.retryable) == (504, True)


def test_json_instead_of_audio_is_502(fake):
    fake.next_reply = Reply.json({"unexpected": True})
    with pytest.raises(ProviderError) as error:
        call(make_request(fake, "text_to_speech", {"text": "hi"}))
    assert (error.value.status, error.value.code) == (502, "provider_bad_response")
