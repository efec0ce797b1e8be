"""bench/cpu.py: the benchmark's CPU accounting per part of the stack (no Django needed)."""
import os
import subprocess
import sys
import time

from bench import cpu


def _burn(seconds: float) -> None:
    deadline = time.process_time() + seconds
    while time.process_time() < deadline:
        pass


def test_a_part_counts_the_processes_below_its_root():
    child = subprocess.Popen([sys.executable, "-c", "import time\nt=time.process_time()+0.3\nwhile time.process_time()<t: pass\ntime.sleep(30)"])
    try:
        roots = {"me": os.getpid()}
        before = cpu.snapshot(roots)
        assert child.pid in before["me"]  # a child is part of its parent's part
        _burn(0.2)
        time.sleep(0.5)  # the child has burnt its 0.3 s by now
        figures = cpu.per_request_ms(before, cpu.snapshot(roots), requests=10)
    finally:
        child.kill()
        child.wait()
    # 0.2 s here plus whatever of the child's 0.3 s fell after the first snapshot, over 10 requests
    assert 19 <= figures["me"] <= 80 and figures["total"] == figures["me"]


def test_exited_children_are_counted_by_rusage_and_no_requests_give_nothing():
    before = cpu.children_ticks()
    subprocess.run([sys.executable, "-c", "import time\nt=time.process_time()+0.2\nwhile time.process_time()<t: pass"],
                   check=True)
    assert cpu.children_ticks() - before >= 0.15 * cpu.TICKS_PER_SECOND
    assert cpu.per_request_ms({}, {"x": {1: 100}}, requests=0) == {}


def test_the_busy_sampler_sees_the_box_busy_while_this_process_burns_a_core():
    with cpu.BusySampler(interval=0.05) as sampler:
        _burn(0.6)
    summary = sampler.summary()
    # One of the box's cores (at least half of a 2-core box) was busy the whole time.
    assert summary["samples"] >= 8
    assert summary["mean_pct"] >= 100 / (os.cpu_count() or 1) - 10
    assert 0 <= summary["below_70_share_pct"] <= 100 and 0 <= summary["saturated_share_pct"] <= 100


def test_an_idle_sampler_reports_nothing():
    sampler = cpu.BusySampler()
    assert sampler.summary() == {}
