"""What a run reports: the machine, the ratios against the targets, the printed summary."""
from __future__ import annotations

import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

from bench.stack import Config


def machine_facts() -> dict[str, Any]:
    mem_kb = 0
    cpu_model = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    return {
        "nproc": os.cpu_count(), "memory_gib": round(mem_kb / 1024 / 1024, 1), "cpu": cpu_model,
        "kernel": platform.release(), "python": platform.python_version(),
        "wrk": (wrk_version.stdout + wrk_version.stderr).strip().splitlines()[0] if wrk_version else "",
    }



def loadavg() -> list[float]:
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return []


def log_errors(work: Path) -> dict[str, Any]:
    """ERROR lines and tracebacks in the web and worker logs (first one kept as a sample)."""
    found: dict[str, Any] = {}
    for name in ("web", "workers", "fake_upstream"):
        path = work / f"{name}.log"
        if not path.exists():
            continue
        lines = [line for line in path.read_text(errors="replace").splitlines()
                 if '"level": "ERROR"' in line or "Traceback" in line or " ERROR " in line]
        found[name] = {"count": len(lines), "first": _error_summary(lines[0]) if lines else ""}
    return found


def _error_summary(line: str) -> str:
    """A JSON log line's message plus the last line of its traceback (the exception itself)."""
    try:
        record = json.loads(line)
    except ValueError:
        return line[:500]
    exc = (record.get("exc") or "").strip().splitlines()
    return f"{record.get('message', '')} -- {exc[-1] if exc else ''}"[:500]


def floor_figures(results: dict[str, Any], name: str) -> dict[str, float]:
    """The floor of a phase: the mean of its runs before and after the chat run (one run in
    results saved before the floor was measured twice)."""
    runs = [results[key] for key in (name, f"{name}_after") if key in results]
    mean = lambda values: sum(values) / len(values)  # noqa: E731
    return {"p50": mean([r["latency_ms"]["p50"] for r in runs]), "p99": mean([r["latency_ms"]["p99"] for r in runs]),
            "rps": mean([r["rps"] for r in runs]), "runs": len(runs)}


def ratios(results: dict[str, Any], config: Config) -> dict[str, Any]:
    floor1, chat1 = floor_figures(results, "floor_c1"), results["chat_c1"]["latency_ms"]
    floor32 = floor_figures(results, "floor_c32")
    slow = results["chat_slow"]
    ideal = config.slow_clients / (config.slow_upstream_ms / 1000.0)
    little = config.slow_clients / (slow["latency_ms"]["mean"] / 1000.0) if slow["latency_ms"]["mean"] else 0.0
    slow_errors = slow["socket_errors"] + slow["non_2xx"]
    httpx_floor = results["httpx_floor"].get("p50_ms")
    out = {
        "added_latency_c1": {
            "floor_p50_ms": floor1["p50"], "floor_p99_ms": floor1["p99"],
            "chat_p50_ms": chat1["p50"], "chat_p99_ms": chat1["p99"],
            "added_p50_ms": chat1["p50"] - floor1["p50"], "added_p99_ms": chat1["p99"] - floor1["p99"],
            "ratio_p50": chat1["p50"] / floor1["p50"] if floor1["p50"] else None,
            "target": "chat p50 <= 15 x floor p50",
        },
        "ttft": {
            "p50_ms": results["ttft"].get("p50_ms"), "p99_ms": results["ttft"].get("p99_ms"),
            "httpx_floor_p50_ms": httpx_floor, "upstream_direct_p50_ms": results["ttft_upstream_direct"].get("p50_ms"),
            "ratio_p50_vs_floor": (results["ttft"]["p50_ms"] / httpx_floor) if httpx_floor and results["ttft"].get("p50_ms") else None,
        },
        "throughput_c32": {
            "floor_rps": floor32["rps"], "chat_rps": results["chat_c32"]["rps"],
            "ratio": results["chat_c32"]["rps"] / floor32["rps"] if floor32["rps"] else None,
            "target": "chat >= 10 % of floor",
        },
        "tasks_c32": {"accepted_rps": results["tasks_c32"]["rps"], "floor_rps": floor32["rps"],
                      "ratio": results["tasks_c32"]["rps"] / floor32["rps"] if floor32["rps"] else None},
        "slow_upstream": {
            "ideal_rps": ideal, "steady_rps_littles_law": little, "steady_rps_window": slow["steady_rps"],
            "raw_rps": slow["rps"], "errors": slow_errors, "ratio": little / ideal,
            "target": f">= 95 % of {ideal:.0f}/s with zero errors",
        },
    }
    out["verdicts"] = {
        "added_latency_p50_within_15x": bool(out["added_latency_c1"]["ratio_p50"] is not None
                                             and out["added_latency_c1"]["ratio_p50"] <= 15),
        "throughput_c32_at_least_10pct": bool(out["throughput_c32"]["ratio"] is not None
                                              and out["throughput_c32"]["ratio"] >= 0.10),
        "slow_upstream_at_least_95pct_zero_errors": bool(little / ideal >= 0.95 and slow_errors == 0),
    }
    return out


def _wrk_line(name: str, r: dict[str, Any]) -> str:
    lat = r["latency_ms"]
    extra = f" non-2xx {r['non_2xx']} socket-errors {r['socket_errors']}"
    if r.get("first_error"):
        extra += f"\n      first non-2xx: {r['first_error'][:200]}"
    return (f"  {name:<34} {r['rps']:9.1f} req/s  p50 {lat['p50']:8.2f} ms  p90 {lat['p90']:8.2f}  "
            f"p99 {lat['p99']:8.2f}  ({r['requests']} req, c={r['clients']}){extra}")


def render(report: dict[str, Any]) -> str:
    results, r, config = report["results"], report["ratios"], report["config"]
    ok = lambda flag: "PASS" if flag else "FAIL"  # noqa: E731
    v = r["verdicts"]
    a, t, th, tk, s = r["added_latency_c1"], r["ttft"], r["throughput_c32"], r["tasks_c32"], r["slow_upstream"]
    m, pg, rd = report["machine"], report["stack"]["postgresql"], report["stack"]["redis"]
    lines = [
        "",
        "=== Tollgate benchmark ===",
        f"machine: {m['nproc']} CPU ({m['cpu']}), {m['memory_gib']} GiB, Linux {m['kernel']}, Python {m['python']}",
        f"stack: PostgreSQL {pg['version']} fsync={pg['fsync']} synchronous_commit={pg['synchronous_commit']}; "
        f"Redis {rd['source']} ({rd['persistence']}); {report['stack'].get('web_launcher')} --workers {config['web_workers']}; "
        f"rundramatiq --processes {config['worker_processes']} --threads {config['worker_threads']}; "
        f"all on this box with wrk and the fake upstream",
        "",
        "raw wrk figures:",
        _wrk_line("floor, 1 client", results["floor_c1"]),
        _wrk_line("chat, 1 client, upstream 0 ms", results["chat_c1"]),
        *([_wrk_line("floor, 1 client, after", results["floor_c1_after"])] if "floor_c1_after" in results else []),
        _wrk_line(f"floor, {config['clients']} clients", results["floor_c32"]),
        _wrk_line(f"chat, {config['clients']} clients, upstream 0 ms", results["chat_c32"]),
        *([_wrk_line(f"floor, {config['clients']} clients, after", results["floor_c32_after"])]
          if "floor_c32_after" in results else []),
        _wrk_line(f"POST /v1/tasks, {config['clients']} clients", results["tasks_c32"]),
        _wrk_line(f"chat, {config['slow_clients']} clients, upstream {config['slow_upstream_ms']} ms", results["chat_slow"]),
        "",
        "1. added latency of the billed path, 1 client, non-streamed chat, upstream 0 ms "
        "(floor: mean of its runs before and after the chat run):",
        f"   floor p50 {a['floor_p50_ms']:.2f} ms, p99 {a['floor_p99_ms']:.2f} ms; chat p50 {a['chat_p50_ms']:.2f} ms, "
        f"p99 {a['chat_p99_ms']:.2f} ms",
        f"   added p50 {a['added_p50_ms']:.2f} ms, added p99 {a['added_p99_ms']:.2f} ms; "
        f"chat p50 / floor p50 = {a['ratio_p50']:.1f}x (target <= 15x) {ok(v['added_latency_p50_within_15x'])}",
        f"   streamed chat time to first token ({results['ttft']['n']} sequential, httpx): p50 "
        f"{_fmt(t['p50_ms'])} ms, p99 {_fmt(t['p99_ms'])} ms (failures {results['ttft']['failures']}); same client on the "
        f"floor p50 {_fmt(t['httpx_floor_p50_ms'])} ms; upstream alone p50 {_fmt(t['upstream_direct_p50_ms'])} ms",
        f"2. throughput, {config['clients']} clients: chat {th['chat_rps']:.1f}/s vs floor {th['floor_rps']:.1f}/s "
        f"(mean before/after) = "
        f"{th['ratio'] * 100:.1f} % (target >= 10 %) {ok(v['throughput_c32_at_least_10pct'])}",
        f"3. POST /v1/tasks accepted, {config['clients']} clients: {tk['accepted_rps']:.1f}/s "
        f"({tk['ratio'] * 100:.1f} % of the floor)",
        f"4. {config['slow_clients']} clients, upstream {config['slow_upstream_ms']} ms: "
        f"{s['steady_rps_littles_law']:.1f} completions/s steady state (clients / mean latency; "
        f"window count {_fmt(s['steady_rps_window'])}/s, raw wrk count/duration {s['raw_rps']:.1f}/s), "
        f"ideal {s['ideal_rps']:.0f}/s = {s['ratio'] * 100:.1f} %, errors+non-2xx {s['errors']} "
        f"(target >= 95 %, zero errors) {ok(v['slow_upstream_at_least_95pct_zero_errors'])}",
        *_timeline_lines(results.get("chat_slow_timeline"), s, config),
        *_busy_lines(results["chat_slow"], s),
        "",
        "CPU per completed request, ms (bench/cpu.py; two cores give 2000 ms per second):",
        *[_cpu_line(label, results[key]) for key, label in (
            ("floor_c32", f"floor, {config['clients']} clients"),
            ("chat_c32", f"chat, {config['clients']} clients"),
            ("chat_slow", f"chat, {config['slow_clients']} clients, upstream {config['slow_upstream_ms']} ms"),
            ("tasks_c32", f"POST /v1/tasks, {config['clients']} clients"),
        ) if results.get(key, {}).get("cpu_ms_per_request")],
        "",
        f"load average before {m.get('loadavg_before')}, after {m.get('loadavg_after')} (other work on the box competes)",
        f"error lines in logs: {json.dumps({k: v['count'] for k, v in report.get('log_errors', {}).items()})}",
        *[f"  first in {k}: {v['first']}" for k, v in report.get("log_errors", {}).items() if v["first"]],
        f"database after the run: {json.dumps(report.get('database', {}))}",
        f"elapsed {report['elapsed_seconds']:.0f} s; JSON: {report['output']}",
    ]
    return "\n".join(lines)


def _timeline_lines(t: dict[str, Any] | None, s: dict[str, Any], config: dict[str, Any]) -> list[str]:
    """Phase 4's time from its tasks' rows: waiting for a worker, then the run itself; the rest of
    the clients' mean latency (clients / steady rate) was spent in the web, before the task row
    (rate limit, submit) and after the settle (completion message, response)."""
    if not t or not t.get("tasks"):
        return []
    wait, run = t["row_to_claim_ms"], t["claim_to_settled_ms"]
    mean_latency_ms = 1000 * config["slow_clients"] / s["steady_rps_littles_law"] if s["steady_rps_littles_law"] else None
    web = f"; clients' mean latency {mean_latency_ms:.0f} ms, so {mean_latency_ms - wait['mean'] - run['mean']:.0f} ms " \
          "per request in the web (before the task row, after the settle)" if mean_latency_ms else ""
    return [f"   where the time went ({t['tasks']} tasks, from their rows): row to claim mean {wait['mean']:.0f} ms "
            f"(p50 {wait['p50']:.0f}, p90 {wait['p90']:.0f}); claim to settled mean {run['mean']:.0f} ms "
            f"(p50 {run['p50']:.0f}, p90 {run['p90']:.0f}){web}"]


def _busy_lines(r: dict[str, Any], s: dict[str, Any]) -> list[str]:
    """Phase 4's waves, and the ceiling its CPU per completion sets: the two cores give 2,000 ms
    of CPU per second, so C ms per completion caps the box at 2,000 / C completions/s."""
    busy, total = r.get("box_busy") or {}, (r.get("cpu_ms_per_request") or {}).get("total")
    if not busy or not total:
        return []
    ceiling = 2000.0 / total
    return [f"   box CPU during the phase (every {busy['interval_s'] * 1000:.0f} ms): busy {busy['mean_pct']:.0f} % "
            f"on average, {busy['saturated_share_pct']:.0f} % of the samples at 95 % or more and "
            f"{busy['below_70_share_pct']:.0f} % below 70 % (the waves); at {total:.2f} ms of CPU per completion the "
            f"two cores top out near {ceiling:.0f}/s, and 95 % of the ideal ({0.95 * s['ideal_rps']:.1f}/s) is "
            f"{100 * 0.95 * s['ideal_rps'] / ceiling:.0f} % of that"]


def _cpu_line(label: str, r: dict[str, Any]) -> str:
    figures = r["cpu_ms_per_request"]
    parts = "  ".join(f"{name} {ms:.2f}" for name, ms in figures.items() if name != "total")
    return f"  {label:<34} total {figures['total']:6.2f}  ({parts})"


def _fmt(value: Any) -> str:
    return f"{value:.2f}" if isinstance(value, (int, float)) else str(value)
