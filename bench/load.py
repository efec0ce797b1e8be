"""wrk runs: one Lua script for every phase (bench/wrk/request.lua), its JSON line parsed."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from bench.stack import ROOT, BenchError

LUA = ROOT / "bench" / "wrk" / "request.lua"

def wrk(url: str, *, clients: int, seconds: int, method: str = "GET", body_file: Path | None = None,
        api_key: str = "", timeout_seconds: int = 10) -> dict[str, Any]:
    threads = max(1, min(clients, os.cpu_count() or 1))
    env = {**os.environ, "BENCH_METHOD": method, "BENCH_BODY_FILE": str(body_file or ""), "BENCH_API_KEY": api_key}
    argv = ["wrk", f"-t{threads}", f"-c{clients}", f"-d{seconds}s", f"--timeout={timeout_seconds}s", "-s", str(LUA), url]
    result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=seconds + timeout_seconds + 30)
    for line in result.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            parsed = json.loads(line[len("BENCH_RESULT "):])
            break
    else:
        raise BenchError(f"wrk printed no result (exit {result.returncode}):\n{result.stdout}\n{result.stderr}")
    duration = parsed["duration_us"] / 1e6
    errors = parsed["errors"]
    non_2xx = sum(n for code, n in parsed["statuses"].items() if not code.startswith("2"))
    parsed.update({
        "url": url, "clients": clients, "threads": threads, "seconds": seconds,
        "rps": parsed["requests"] / duration if duration else 0.0,
        "socket_errors": errors["connect"] + errors["read"] + errors["write"] + errors["timeout"],
        "non_2xx": non_2xx,
        "latency_ms": {k: v / 1000.0 for k, v in parsed.pop("latency_us").items()},
    })
    parsed["steady_rps"] = steady_rate(parsed["per_second"])
    parsed.pop("per_second")
    return parsed


def steady_rate(per_second: dict[str, int], skip_first: int = 4, skip_last: int = 1) -> float | None:
    """Completions per second over the middle of the run (start-up and the cut-off end left out)."""
    if not per_second:
        return None
    seconds = sorted(int(s) for s in per_second)
    window = [s for s in range(seconds[0] + skip_first, seconds[-1] + 1 - skip_last)]
    if len(window) < 4:
        return None
    return sum(per_second.get(str(s), 0) for s in window) / len(window)


# --- the run -----------------------------------------------------------------------------------
