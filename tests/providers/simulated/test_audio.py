import io
import wave
from array import array

import pytest

from apps.providers.base import InputFile, ProviderError
from apps.providers.simulated import speech

from tests.providers.simulated.helpers import ffmpeg_duration_seconds, make_request, run

TTS = {"text": "Hello, this is a test of the text to speech service.", "voice": "adam"}


def wav_peak_and_seconds(data: bytes) -> tuple[int, float]:
    with wave.open(io.BytesIO(data)) as reader:
        samples = array("h", reader.readframes(reader.getnframes()))
        return max(abs(value) for value in samples), reader.getnframes() / reader.getframerate()


def mp3_first_frame_offset(data: bytes) -> int:
    assert data[:3] == b"ID3"
    size = 0
    for byte in data[6:10]:
        size = (size << 7) | byte
    return 10 + size


def decoded_seconds(tmp_path, data: bytes, name: str) -> float:
    path = tmp_path / name
    path.write_bytes(data)
    return ffmpeg_duration_seconds(str(path))


def test_tts_default_is_a_decodable_mp3(tmp_path):
    result = run(make_request("text_to_speech", TTS))

    output = result.outputs[0]
    offset = mp3_first_frame_offset(output.data)
    assert output.data[offset] == 0xFF and output.data[offset + 1] & 0xE0 == 0xE0
    assert output.mime_type == "audio/mpeg"
    assert decoded_seconds(tmp_path, output.data, "speech.mp3") > 1.0
    assert result.usage["characters"] == len(TTS["text"])
    assert float(result.usage["seconds"]) == pytest.approx(output.meta["duration_seconds"], abs=0.01)


def test_tts_wav_is_non_silent_and_round_trips_through_stt():
    speech_result = run(make_request("text_to_speech", {**TTS, "response_format": "wav"}))
    wav_data = speech_result.outputs[0].data
    upload = InputFile("speech.wav", wav_data, "audio/wav")

    transcript = run(make_request("speech_to_text", {}, files={"file": upload}))

    peak, seconds = wav_peak_and_seconds(wav_data)
    assert peak > 1000
    assert transcript.outputs[0].text == TTS["text"]
    assert float(transcript.usage["audio_seconds"]) == pytest.approx(seconds, abs=0.01)


@pytest.mark.parametrize("output_format", ["mp3_44100_128", "flac", "opus_48000_64"])
def test_stt_reads_back_the_text_from_compressed_formats(output_format):
    speech_result = run(make_request("text_to_speech", {**TTS, "output_format": output_format}))
    upload = InputFile("speech", speech_result.outputs[0].data, speech_result.outputs[0].mime_type)

    transcript = run(make_request("speech_to_text", {}, files={"audio": upload}))

    assert transcript.outputs[0].text == TTS["text"]


def test_tts_without_espeak_still_speaks_and_length_follows_text(monkeypatch):
    monkeypatch.setattr(speech, "_espeak", lambda *args: None)

    short = run(make_request("text_to_speech", {"text": "Hi there.", "response_format": "wav"}))
    long = run(make_request("text_to_speech", {"text": "Hi there. " * 10, "response_format": "wav"}))

    short_peak, short_seconds = wav_peak_and_seconds(short.outputs[0].data)
    assert short_peak > 1000
    assert wav_peak_and_seconds(long.outputs[0].data)[1] > 5 * short_seconds


def test_tts_is_deterministic_and_voice_changes_it():
    first = run(make_request("text_to_speech", TTS)).outputs[0].data
    again = run(make_request("text_to_speech", TTS)).outputs[0].data
    other = run(make_request("text_to_speech", {**TTS, "voice": "rachel"})).outputs[0].data

    assert first == again
    assert first != other


def test_stt_of_audio_without_text_describes_its_duration():
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1), writer.setsampwidth(2), writer.setframerate(8000)
        writer.writeframes(bytes(2 * 8000 * 2))
    upload = InputFile("silence.wav", buffer.getvalue(), "audio/wav")

    result = run(make_request("speech_to_text", {}, files={"audio": upload}))

    assert "2.0 second" in result.outputs[0].text
    assert result.usage["audio_seconds"] == "2.000"


def test_stt_without_a_file_is_refused():
    with pytest.raises(ProviderError) as caught:
        run(make_request("speech_to_text", {}))

    assert caught.value.status == 400 and caught.value.retryable is False


def test_music_honours_duration_and_seed(tmp_path):
    params = {"mv": "chirp-v4", "custom": True, "prompt": "sunny day", "tags": "pop", "title": "Sun", "duration": 4}

    first = run(make_request("music", {**params, "seed": 1}))
    again = run(make_request("music", {**params, "seed": 1}))
    other = run(make_request("music", {**params, "seed": 2}))

    assert first.outputs[0].data == again.outputs[0].data != other.outputs[0].data
    assert decoded_seconds(tmp_path, first.outputs[0].data, "song.mp3") == pytest.approx(4.0, abs=0.1)
    assert first.outputs[0].meta["title"] == "Sun" and first.outputs[0].meta["tags"] == "pop"
    assert first.usage["seconds"] == "4.000"


def test_stems_all_returns_one_file_per_track():
    result = run(make_request("stems", {"clip_id": "abc"}, model="suno-ai/stems-all"))

    assert [output.meta["stem"] for output in result.outputs] == ["vocals", "bass", "drums"]
    assert len({output.data for output in result.outputs}) == 3


def test_dialogue_sound_effect_and_export_produce_audio(tmp_path):
    dialogue = run(make_request("dialogue", {"inputs": [{"text": "Hello Bob.", "voice_id": "a"},
                                                        {"text": "Hi Alice!", "voice_id": "b"}]}))
    effect = run(make_request("sound_effect", {"text": "door creak", "duration_seconds": 2, "output_format": "wav"}))
    export = run(make_request("audio_export", {"clip_id": "abc"}))

    assert dialogue.usage["characters"] == len("Hello Bob.") + len("Hi Alice!")
    assert decoded_seconds(tmp_path, dialogue.outputs[0].data, "dialogue.mp3") > 1.0
    effect_peak, effect_seconds = wav_peak_and_seconds(effect.outputs[0].data)
    assert effect_peak > 1000 and effect_seconds == pytest.approx(2.0, abs=0.01)
    assert export.outputs[0].data[:4] == b"RIFF" and export.outputs[0].mime_type == "audio/wav"


def test_voice_isolation_and_speech_to_speech_keep_the_words():
    speech_result = run(make_request("text_to_speech", {**TTS, "output_format": "wav"}))
    upload = InputFile("in.wav", speech_result.outputs[0].data, "audio/wav")

    isolated = run(make_request("voice_isolation", {}, files={"audio": upload}))
    converted = run(make_request("speech_to_speech", {"voice": "rachel"}, files={"audio": upload}))
    heard = run(make_request("speech_to_text", {}, files={
        "audio": InputFile("x.mp3", converted.outputs[0].data, "audio/mpeg")}))

    assert isolated.outputs[0].mime_type == "audio/mpeg"
    assert float(isolated.usage["audio_seconds"]) > 1.0
    assert heard.outputs[0].text == TTS["text"]
