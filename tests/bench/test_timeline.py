"""bench/configure.py timeline: where the 256-client phase's time went, from its tasks' rows."""
from datetime import datetime, timedelta, timezone

import pytest

from bench.configure import timeline
from bench.report import _timeline_lines

T0 = datetime(2026, 11, 22, 11, 0, tzinfo=timezone.utc)


@pytest.mark.django_db
def test_it_reads_the_tasks_created_in_the_window(organization, api_key):
    from apps.tasks.models import Task

    def task(created: float, started: float | None, finished: float | None) -> None:
        row = Task.objects.create(organization=organization, api_key=api_key[0], model_id="m", task_kind="chat",
                                  status="succeeded", deadline_at=T0 + timedelta(hours=1))
        at = lambda seconds: None if seconds is None else T0 + timedelta(seconds=seconds)  # noqa: E731
        Task.objects.filter(pk=row.pk).update(created_at=at(created), started_at=at(started), finished_at=at(finished))

    task(1.0, 1.010, 3.010)  # waited 10 ms, ran 2,000 ms
    task(2.0, 2.030, 4.130)  # waited 30 ms, ran 2,100 ms
    task(3.0, 3.050, 5.050)  # waited 50 ms, ran 2,000 ms
    task(4.0, None, None)  # still queued: no figures
    task(30.0, 30.001, 32.0)  # after the window

    figures = timeline(T0.timestamp(), T0.timestamp() + 10)

    assert figures["tasks"] == 3
    assert figures["row_to_claim_ms"]["mean"] == pytest.approx(30, abs=0.01)
    assert figures["row_to_claim_ms"]["p50"] == pytest.approx(30, abs=0.01)
    assert figures["claim_to_settled_ms"]["p90"] == pytest.approx(2100, abs=0.01)
    assert timeline(T0.timestamp() + 100, T0.timestamp() + 110) == {"tasks": 0, "row_to_claim_ms": {},
                                                                     "claim_to_settled_ms": {}}


def test_the_report_gives_the_rest_of_the_latency_to_the_web():
    t = {"tasks": 10, "row_to_claim_ms": {"mean": 30.0, "p50": 25.0, "p90": 80.0},
         "claim_to_settled_ms": {"mean": 2020.0, "p50": 2010.0, "p90": 2040.0}}
    # 256 clients at 100/s: 2,560 ms each on average, 2,050 of them from the task row to its settle
    [line] = _timeline_lines(t, {"steady_rps_littles_law": 100.0}, {"slow_clients": 256})
    assert "row to claim mean 30 ms (p50 25, p90 80)" in line
    assert "mean latency 2560 ms, so 510 ms per request in the web" in line
    assert _timeline_lines(None, {"steady_rps_littles_law": 100.0}, {"slow_clients": 256}) == []


def test_the_report_names_the_waves_and_the_ceiling_the_cpu_per_completion_sets():
    from bench.report import _busy_lines

    r = {"box_busy": {"interval_s": 0.1, "mean_pct": 81.0, "saturated_share_pct": 39.0, "below_70_share_pct": 21.0},
         "cpu_ms_per_request": {"total": 16.0}}
    [line] = _busy_lines(r, {"ideal_rps": 128.0})
    assert "busy 81 % on average, 39 % of the samples at 95 % or more and 21 % below 70 %" in line
    # 2,000 ms of CPU per second / 16 ms = 125/s; 121.6/s is 97 % of it
    assert "top out near 125/s" in line and "(121.6/s) is 97 % of that" in line
    assert _busy_lines({"cpu_ms_per_request": {"total": 16.0}}, {"ideal_rps": 128.0}) == []
