import time

import pytest

from apps.providers.adapters.simulated import SimulatedAdapter
from apps.providers.base import InputFile, ProviderError, ResultState
from apps.providers.simulated.faults import is_failing

from tests.providers.simulated.helpers import ffmpeg_duration_seconds, make_request, run

VIDEO = {"prompt": "a cat on a skateboard", "duration": 2, "aspect_ratio": "9:16"}


def test_video_polls_through_progress_to_a_playable_mp4(tmp_path):
    request = make_request("video_generation", VIDEO, options={"render_seconds": 0.3})
    adapter = SimulatedAdapter()

    submitted = adapter.run(request, None)
    pending = adapter.poll(request, submitted.job, None)
    time.sleep(0.35)
    done = adapter.poll(request, submitted.job, None)

    assert submitted.state == ResultState.PENDING and submitted.progress == 0
    assert pending.state == ResultState.PENDING and 0 <= pending.progress < 100
    assert 0 < pending.poll_after_seconds <= 0.3
    assert done.state == ResultState.SUCCEEDED and done.progress == 100 and done.simulated is True
    video = done.outputs[0]
    assert video.data[4:8] == b"ftyp" and video.mime_type == "video/mp4"
    assert (video.meta["width"], video.meta["height"]) == (180, 320)
    path = tmp_path / "video.mp4"
    path.write_bytes(video.data)
    assert ffmpeg_duration_seconds(str(path)) == pytest.approx(2.0, abs=0.05)
    assert done.usage == {"seconds": "2.000", "requests": 1}


def test_video_job_is_json_and_the_render_is_deterministic():
    request = make_request("video_generation", {**VIDEO, "duration": 1})
    adapter = SimulatedAdapter()

    job = adapter.run(request, None).job
    first = adapter.poll(request, job, None).outputs[0].data
    again = adapter.poll(request, dict(job), None).outputs[0].data
    other = adapter.poll(make_request("video_generation", {**VIDEO, "duration": 1, "seed": 9}), job, None)

    assert set(job) == {"job_id", "started_at", "render_seconds", "duration_seconds"}
    assert first == again != other.outputs[0].data


def test_lip_sync_takes_its_length_and_soundtrack_from_the_audio(tmp_path):
    speech_result = run(make_request("text_to_speech", {"text": "Read my lips.", "output_format": "wav"}))
    upload = InputFile("voice.wav", speech_result.outputs[0].data, "audio/wav")
    request = make_request("lip_sync", {"prompt": "talking head"}, files={"audio": upload})
    adapter = SimulatedAdapter()

    done = adapter.poll(request, adapter.run(request, None).job, None)

    assert done.outputs[0].meta["has_audio"] is True
    assert float(done.usage["seconds"]) == pytest.approx(speech_result.outputs[0].meta["duration_seconds"], abs=0.05)


def test_failure_rate_fails_the_same_tasks_every_time():
    task_ids = [f"task_{number}" for number in range(400)]

    failing = [task_id for task_id in task_ids if is_failing(task_id, 0.25)]

    assert failing == [task_id for task_id in task_ids if is_failing(task_id, 0.25)]
    assert 70 <= len(failing) <= 130
    assert not any(is_failing(task_id, 0.0) for task_id in task_ids)
    assert all(is_failing(task_id, 1.0) for task_id in task_ids)


def test_injected_failure_is_a_retryable_provider_unavailable():
    with pytest.raises(ProviderError) as caught:
        run(make_request("chat", {"prompt": "hi"}, options={"failure_rate": 1}))

    assert (caught.value.code, caught.value.status, caught.value.retryable) == ("provider_unavailable", 502, True)


def test_fail_modes_final_and_timeout():
    request = make_request("image_generation", {"prompt": "x"}, options={"failure_rate": 1, "fail_mode": "final"})
    with pytest.raises(ProviderError) as final:
        run(request)
    request = make_request("chat", {"prompt": "x"}, options={"failure_rate": 1, "fail_mode": "timeout"})
    request.timeout_seconds = 0.05
    started = time.monotonic()
    with pytest.raises(ProviderError) as timeout:
        run(request)

    assert final.value.retryable is False and final.value.status == 502
    assert timeout.value.code == "provider_timeout" and timeout.value.retryable is True
    assert time.monotonic() - started >= 0.05


def test_latency_option_delays_a_sync_answer():
    started = time.monotonic()

    run(make_request("chat", {"prompt": "hi"}, options={"latency_ms": 120, "token_delay_ms": 0}))

    assert time.monotonic() - started >= 0.12


def test_unknown_task_kind_is_refused():
    with pytest.raises(ProviderError) as caught:
        run(make_request("telepathy", {"prompt": "hi"}))

    assert caught.value.status == 400
