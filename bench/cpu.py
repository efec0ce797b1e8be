"""CPU time per request of each part of the stack during a phase, from /proc.

Each part is a process the run started (web, workers, fake upstream, Redis) or PostgreSQL's
postmaster, with every process below it (uvicorn's and Dramatiq's children, PostgreSQL's
backends). A phase's CPU seconds divided by the requests it completed tells where the box's
two cores went: the figure the throughput targets come down to. Backends that exited during
the phase are missed (the benchmark's pools keep theirs), so PostgreSQL is a lower bound."""
from __future__ import annotations

import os
import resource
import threading
from pathlib import Path

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, user + system ticks) of a live process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()  # after "pid (comm) "
    return int(fields[1]), int(fields[11]) + int(fields[12])


def _processes() -> dict[int, tuple[int, int]]:
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat is not None:
                found[int(entry)] = stat
    return found


def snapshot(roots: dict[str, int]) -> dict[str, dict[int, int]]:
    """Ticks of every process under each root pid, by part name."""
    processes = _processes()
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in processes.items():
        children.setdefault(parent, []).append(pid)
    parts: dict[str, dict[int, int]] = {}
    for name, root in roots.items():
        ticks, pending = {}, [root]
        while pending:
            pid = pending.pop()
            if pid in processes and pid not in ticks:
                ticks[pid] = processes[pid][1]
                pending.extend(children.get(pid, ()))
        parts[name] = ticks
    return parts


def children_ticks() -> int:
    """Ticks of this process's exited and waited-for children (wrk)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return round((usage.ru_utime + usage.ru_stime) * TICKS_PER_SECOND)


def per_request_ms(before: dict[str, dict[int, int]], after: dict[str, dict[int, int]],
                   requests: int) -> dict[str, float]:
    """Milliseconds of CPU per completed request, by part, and their total."""
    if requests <= 0:
        return {}
    figures = {}
    for name, ticks in after.items():
        spent = sum(now - before.get(name, {}).get(pid, 0) for pid, now in ticks.items())
        figures[name] = round(spent / TICKS_PER_SECOND * 1000 / requests, 2)
    figures["total"] = round(sum(figures.values()), 2)
    return figures


def _box_ticks() -> tuple[int, int]:
    """(all, idle) ticks of the whole box since boot (/proc/stat; idle counts I/O wait too)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields), fields[3] + fields[4]


class BusySampler:
    """The whole box's busy share every ``interval`` seconds while a run lasts. The 256-client
    phase runs in waves (every client waits on the upstream at about the same time): its mean
    hides that the box is saturated for part of each wave and nearly idle for the rest."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="busy-sampler", daemon=True)

    def __enter__(self) -> "BusySampler":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        previous = _box_ticks()
        while not self._stop.wait(self.interval):
            current = _box_ticks()
            spent, idle = current[0] - previous[0], current[1] - previous[1]
            if spent > 0:
                self.samples.append(100.0 * (spent - idle) / spent)
            previous = current

    def summary(self) -> dict[str, float]:
        """Mean busy %, and the shares (%) of samples at 95 % busy or more and below 70 %."""
        if not self.samples:
            return {}
        n = len(self.samples)
        return {
            "samples": n,
            "interval_s": self.interval,
            "mean_pct": round(sum(self.samples) / n, 1),
            "saturated_share_pct": round(100.0 * sum(value >= 95 for value in self.samples) / n, 1),
            "below_70_share_pct": round(100.0 * sum(value < 70 for value in self.samples) / n, 1),
        }
