"""The benchmark of issue 5 (`make bench`, via scripts/bench).

Starts the production stack on this box in a temporary directory (PostgreSQL 15, Redis,
uvicorn web processes, Dramatiq workers, all with config.settings.bench), a fake
OpenAI-compatible upstream the catalog routes one chat model to, then drives load with wrk
against the billed endpoints and, with the same load in the same run, against the floor
(``GET /bench/floor``, a bare Django view). Prints the figures and the ratios against the
targets, writes them as JSON, and tears everything down, on failure too.

Every knob is an environment variable (BENCH_*); docs/benchmarks.md lists them.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench import cpu, ttft
from bench.load import wrk
from bench.report import log_errors, loadavg, machine_facts, ratios, render
from bench.stack import PY, BenchError, Config, Stack, free_port, http_ok, log, wait_for


def bring_up(stack: Stack) -> dict[str, Any]:
    config = stack.config
    log(f"work dir {stack.work}")
    database_url = stack.start_postgres()
    pg = stack.facts["postgresql"]
    log(f"PostgreSQL {pg['version']} up: fsync={pg['fsync']} synchronous_commit={pg['synchronous_commit']}")
    redis_url = stack.start_redis()
    log(f"Redis up ({stack.facts['redis']['source']}: {stack.facts['redis']['version'][:40]})")
    stack.env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.bench",
        "DJANGO_SECRET_KEY": "bench-" + os.urandom(16).hex(),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "TOLLGATE_VAR_DIR": str(stack.work / "var"),
        "TOLLGATE_MEDIA_ROOT": str(stack.work / "media"),
        "TOLLGATE_LOG_LEVEL": config.log_level,
        "PYTHONUNBUFFERED": "1",
    }
    manage = [PY, "manage.py"]
    log("migrate")
    stack.run("migrate", manage + ["migrate", "--noinput"])
    log("catalog_import")
    stack.run("catalog_import", manage + ["catalog_import"])
    created = json.loads(stack.run("create_org", manage + ["create_org", "Bench", "--owner", "bench@example.com",
                                                            "--credits", "100000", "--json"]).strip().splitlines()[-1])
    api_key = created["api_key"]

    fake_port, web_port = free_port(), free_port()
    fake_url = f"http://127.0.0.1:{fake_port}"
    stack.spawn("fake_upstream", [PY, "-m", "bench.fake_upstream", "--port", str(fake_port), "--latency-ms", "0"])
    routed = json.loads(stack.run("route", [PY, "-m", "bench.configure", "route", "--model", config.model,
                                            "--base-url", f"{fake_url}/v1"]).strip().splitlines()[-1])
    log(f"model {routed['model']} routed to the fake upstream ({routed['base_url']}, family openai_compatible)")

    # bench.web is the uvicorn CLI plus TCP_NODELAY on the listening socket (see its docstring);
    # BENCH_WEB_NODELAY=0 runs the plain CLI.
    launcher = "bench.web" if os.environ.get("BENCH_WEB_NODELAY", "1") != "0" else "uvicorn"
    stack.facts["web_launcher"] = launcher
    # A web process runs at most 3/4 of its pool's submits at once (engine._submit_slot); with 16
    # (12 slots) each 256-client wave queued there: 32 gave 5.5-6.3 points more of target 3 in
    # three alternating pairs of runs (docs/benchmarks.md, round 8).
    web_pool = os.environ.get("BENCH_WEB_POOL_MAX", "32")
    stack.spawn("web", [PY, "-m", launcher, "config.asgi:application", "--host", "127.0.0.1", "--port", str(web_port),
                        "--workers", str(config.web_workers), "--no-access-log", "--log-level", "warning",
                        "--backlog", "4096", "--timeout-keep-alive", "60"],
                env={**stack.env, "DATABASE_POOL_MAX": web_pool})
    # A worker thread holds a pooled connection only for its statements (it gives it back before the
    # provider call, and Dramatiq's middleware after each message), so a few connections serve all
    # the threads. A pool sized to the threads grew to hundreds of mostly idle server processes
    # after the 256-client phase, which the pool hands out in turn: every statement then met a cold
    # process (measured: 32 clients fell from 92 to 50-62 completions/s after a 256-client run).
    worker_pool = os.environ.get("BENCH_WORKER_POOL_MAX", "24")
    stack.spawn("workers", manage + ["rundramatiq", "--processes", str(config.worker_processes),
                                     "--threads", str(config.worker_threads)],
                env={**stack.env, "DATABASE_POOL_MAX": worker_pool})
    base = f"http://127.0.0.1:{web_port}"
    wait_for(lambda: http_ok(f"{fake_url}/v1/models"), "fake upstream", 30, stack)
    wait_for(lambda: http_ok(f"{base}/readyz") and http_ok(f"{base}/bench/floor"), "web (/readyz)", 60, stack)
    log(f"web up at {base} ({config.web_workers} uvicorn workers); workers: rundramatiq "
        f"--processes {config.worker_processes} --threads {config.worker_threads}")
    return {"base": base, "fake_url": fake_url, "api_key": api_key, "model": routed["model"],
            "database_pool_max": {"web": web_pool, "workers": worker_pool}}


def active_tasks(stack: Stack) -> int | None:
    import psycopg

    try:
        with psycopg.connect(stack.env["DATABASE_URL"], connect_timeout=5) as conn:
            return conn.execute("SELECT count(*) FROM tasks_task WHERE status IN ('queued', 'running')").fetchone()[0]
    except psycopg.Error:
        return None


def drain(stack: Stack, seconds: float) -> dict[str, Any]:
    """Wait (bounded) until the tasks a phase left behind have finished, so the next phase starts clean."""
    started = time.monotonic()
    before = remaining = active_tasks(stack)
    while remaining and time.monotonic() - started < seconds:
        time.sleep(0.5)
        remaining = active_tasks(stack)
    waited = time.monotonic() - started
    if before:
        log(f"  drained: {before} active tasks left by the phase, {remaining} still active after {waited:.1f} s")
    return {"active_before": before, "active_after": remaining, "waited_seconds": round(waited, 1)}


def set_upstream_latency(fake_url: str, latency_ms: float) -> None:
    httpx.post(f"{fake_url}/_control", json={"latency_ms": latency_ms}, timeout=5).raise_for_status()


def smoke(stack: Stack, ctx: dict[str, Any]) -> dict[str, Any]:
    """One request of each kind, checked, before any load: a benchmark of error pages is worthless."""
    headers = {"Authorization": f"Bearer {ctx['api_key']}"}
    base, model = ctx["base"], ctx["model"]
    chat = httpx.post(f"{base}/v1/chat/completions", headers=headers, timeout=30,
                      json={"model": model, "messages": [{"role": "user", "content": "Hello"}], "max_tokens": 16})
    if chat.status_code != 200:
        raise BenchError(f"smoke chat: HTTP {chat.status_code}: {chat.text[:1000]}")
    content = chat.json()["choices"][0]["message"]["content"]
    if "bench upstream" not in content:
        raise BenchError(f"smoke chat: the reply did not come from the fake upstream: {content!r}")
    streamed = ttft.ttft_loop(f"{base}/v1/chat/completions", headers=headers, count=1, deadline_seconds=30,
                              body=stream_body(model))
    if streamed["n"] != 1:
        raise BenchError(f"smoke streamed chat failed: {streamed}")
    task = httpx.post(f"{base}/v1/tasks", headers=headers, timeout=30, json=task_body(model))
    if task.status_code >= 300:
        raise BenchError(f"smoke task: HTTP {task.status_code}: {task.text[:1000]}")
    return {"chat": content, "task_status": task.status_code, "task": task.json()}


def chat_body(model: str) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": "Say hello to the benchmark."}], "max_tokens": 16}


def stream_body(model: str) -> dict[str, Any]:
    return {**chat_body(model), "stream": True, "stream_options": {"include_usage": True}}


def task_body(model: str) -> dict[str, Any]:
    override = os.environ.get("BENCH_TASK_BODY")
    if override:
        return json.loads(override)
    return {"model": model, "input": {"messages": [{"role": "user", "content": "Say hello to the benchmark."}],
                                      "max_tokens": 16}}


def with_cpu(stack: Stack, run, *, busy: bool = False) -> dict[str, Any]:
    """A wrk run with the CPU each part of the stack spent per completed request (bench.cpu);
    ``busy``: also the box's busy share every 100 ms (``cpu.BusySampler``)."""
    roots = stack.cpu_roots()
    before, wrk_before = cpu.snapshot(roots), cpu.children_ticks()
    with cpu.BusySampler() if busy else contextlib.nullcontext() as sampler:
        result = run()
    after = cpu.snapshot(roots)
    after["wrk"] = {0: cpu.children_ticks() - wrk_before}  # the load generator, once it has exited
    result["cpu_ms_per_request"] = cpu.per_request_ms(before, after, result["requests"])
    if sampler is not None:
        result["box_busy"] = sampler.summary()
    return result


def run_phases(stack: Stack, ctx: dict[str, Any]) -> dict[str, Any]:
    config = stack.config
    base, api_key, model = ctx["base"], ctx["api_key"], ctx["model"]
    floor_url, chat_url, tasks_url = f"{base}/bench/floor", f"{base}/v1/chat/completions", f"{base}/v1/tasks"
    bodies = stack.work / "bodies"
    bodies.mkdir()
    (bodies / "chat.json").write_text(json.dumps(chat_body(model)))
    (bodies / "task.json").write_text(json.dumps(task_body(model)))
    chat = {"method": "POST", "body_file": bodies / "chat.json", "api_key": api_key}
    results: dict[str, Any] = {}
    seconds = config.phase_seconds

    log("warm-up (5 s, 8 clients, results discarded)")
    wrk(floor_url, clients=8, seconds=3)
    wrk(chat_url, clients=8, seconds=5, **chat)

    # The floor runs before and after each chat run: the ratios use the mean of both, so a box
    # whose speed drifts during the run (other guests' CPU steal) moves both sides alike.
    log(f"phase 1: one client, upstream 0 ms ({seconds} s floor, {seconds + 5} s chat, {seconds} s floor)")
    results["floor_c1"] = wrk(floor_url, clients=1, seconds=seconds)
    results["chat_c1"] = wrk(chat_url, clients=1, seconds=seconds + 5, **chat)
    results["floor_c1_after"] = wrk(floor_url, clients=1, seconds=seconds)
    stack.check_alive()

    log(f"phase 2: time to first token, {config.ttft_requests} sequential streamed requests (httpx)")
    headers = {"Authorization": f"Bearer {api_key}"}
    results["httpx_floor"] = ttft.floor_loop(floor_url, count=config.ttft_requests, deadline_seconds=30)
    results["ttft"] = ttft.ttft_loop(chat_url, headers=headers, body=stream_body(model), count=config.ttft_requests,
                                     deadline_seconds=60)
    results["ttft_upstream_direct"] = ttft.ttft_loop(f"{ctx['fake_url']}/v1/chat/completions", headers={},
                                                     body=stream_body(model), count=config.ttft_requests,
                                                     deadline_seconds=30)
    stack.check_alive()

    log(f"phase 3: {config.clients} clients, upstream 0 ms ({seconds} s floor, {seconds + 5} s chat, "
        f"{seconds} s floor after the backlog drains)")
    results["floor_c32"] = with_cpu(stack, lambda: wrk(floor_url, clients=config.clients, seconds=seconds))
    results["chat_c32"] = with_cpu(stack, lambda: wrk(chat_url, clients=config.clients, seconds=seconds + 5, **chat))
    stack.check_alive()
    results["drain_after_c32"] = drain(stack, 30)
    results["floor_c32_after"] = wrk(floor_url, clients=config.clients, seconds=seconds)

    log(f"phase 4: {config.slow_clients} clients, upstream {config.slow_upstream_ms} ms "
        f"({config.slow_phase_seconds} s chat)")
    set_upstream_latency(ctx["fake_url"], config.slow_upstream_ms)
    slow_started = time.time()
    try:
        results["chat_slow"] = with_cpu(stack, lambda: wrk(chat_url, clients=config.slow_clients,
                                                           seconds=config.slow_phase_seconds, timeout_seconds=30,
                                                           **chat), busy=True)
    finally:
        set_upstream_latency(ctx["fake_url"], 0)
    slow_ended = time.time()
    stack.check_alive()
    results["drain_after_slow"] = drain(stack, 30)
    # Where the phase's time went, from its tasks' own timestamps (the rest is the web's).
    results["chat_slow_timeline"] = json.loads(stack.run("timeline", [
        PY, "-m", "bench.configure", "timeline", "--since", str(slow_started), "--until", str(slow_ended)],
    ).strip().splitlines()[-1])

    log(f"phase 5: POST /v1/tasks, {config.clients} clients ({seconds} s); workers run them meanwhile")
    results["tasks_c32"] = with_cpu(stack, lambda: wrk(tasks_url, clients=config.clients, seconds=seconds,
                                                       method="POST", body_file=bodies / "task.json", api_key=api_key))
    stack.check_alive()
    return results


def main() -> int:
    config = Config()
    started = time.monotonic()

    def on_signal(signum, frame):  # SIGTERM/SIGHUP/alarm: unwind through the finally below
        raise SystemExit(f"bench: stopped by signal {signum}")

    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGALRM):
        signal.signal(signum, on_signal)
    signal.alarm(config.max_seconds)
    if not shutil.which("wrk"):
        print("bench: wrk not found (apt-get install wrk)", file=sys.stderr)
        return 2
    work = Path(os.environ.get("BENCH_WORK_DIR") or tempfile.mkdtemp(prefix="tollgate-bench."))
    work.chmod(0o755)
    stack = Stack(config=config, work=work)
    report: dict[str, Any] = {"config": {k: str(v) if isinstance(v, Path) else v for k, v in config.__dict__.items()}}
    try:
        report["machine"] = machine_facts()
        report["machine"]["loadavg_before"] = loadavg()
        if report["machine"]["loadavg_before"] and report["machine"]["loadavg_before"][0] > 1.0:
            log(f"warning: the box is already busy (load average {report['machine']['loadavg_before']}); "
                "figures include that contention")
        ctx = bring_up(stack)
        report["stack"] = {**stack.facts, "database_pool_max": ctx["database_pool_max"]}
        report["smoke"] = smoke(stack, ctx)
        log("smoke requests OK (chat, streamed chat, task)")
        hold = float(os.environ.get("BENCH_HOLD_SECONDS", "0"))
        if hold:  # debugging: keep the stack up (bounded), then tear down without load
            (work / "context.json").write_text(json.dumps(ctx))
            log(f"holding the stack for {hold:.0f} s: {work}/context.json has the URLs and key")
            time.sleep(hold)
            return 0
        report["results"] = run_phases(stack, ctx)
        report["database"] = json.loads(stack.run("report", [PY, "-m", "bench.configure", "report"]).strip().splitlines()[-1])
        report["machine"]["loadavg_after"] = loadavg()
        report["log_errors"] = log_errors(work)
        report["ratios"] = ratios(report["results"], config)
        report["elapsed_seconds"] = time.monotonic() - started
        report["output"] = str(config.output)
        config.output.parent.mkdir(parents=True, exist_ok=True)
        config.output.write_text(json.dumps(report, indent=2, default=str))
        text = render(report)
        config.output.with_suffix(".txt").write_text(text + "\n")
        print(text, flush=True)
        return 0
    except BenchError as exc:
        print(f"\nbench: FAILED: {exc}\n(logs in {work}, kept)", file=sys.stderr, flush=True)
        (work / "keep").touch()
        return 1
    finally:
        signal.alarm(0)
        log("tearing down")
        stack.stop()
        if os.environ.get("BENCH_KEEP_WORK") != "1" and not (work / "keep").exists():
            shutil.rmtree(work, ignore_errors=True)
        log("done")


if __name__ == "__main__":
    sys.exit(main())
