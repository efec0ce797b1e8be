"""The README's run command, end to end: a fresh state directory, `manage.py serve` (what
`make run` executes after installing requirements), the printed curl example works, the
dashboard and admin answer, and Ctrl-C stops every child process."""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_ready(base: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"serve exited early with {proc.returncode}")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError("platform did not become ready")


def test_run_command_serves_api_dashboard_and_admin_then_stops_cleanly(tmp_path):
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "TOLLGATE_EMBEDDED_REDIS")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.local", TOLLGATE_VAR_DIR=str(tmp_path / "var"), PYTHONUNBUFFERED="1")
    log = open(tmp_path / "serve.log", "w+")
    proc = subprocess.Popen([sys.executable, "manage.py", "serve", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_ready(base, proc)
        log.flush()
        banner = (tmp_path / "serve.log").read_text()
        key = re.search(r"API key\s+(\S+)", banner).group(1)
        assert json.loads((tmp_path / "var" / "demo-credentials.json").read_text())["api_key"] == key

        # the curl example printed in the banner, as printed
        curl = re.search(r"(curl -s .*? -d '[^']*')", banner.replace("\\\n", ""), re.S).group(1)
        out = subprocess.run(curl, shell=True, capture_output=True, text=True, timeout=120)
        reply = json.loads(out.stdout)
        assert reply["object"] == "chat.completion", reply
        assert reply["choices"][0]["message"]["content"]

        assert httpx.get(f"{base}/login/", timeout=10).status_code == 200
        assert httpx.get(f"{base}/admin/login/", timeout=10).status_code == 200
        assert httpx.get(f"{base}/v1/me", headers={"Authorization": f"Bearer {key}"}, timeout=10).status_code == 200
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=30)
    children = subprocess.run(["pgrep", "-f", f"--port {port}"], capture_output=True, text=True).stdout.split()
    assert children == [], f"left running: {children}"

    # Running it again reuses the state: same key, no second demo credit.
    port2 = _free_port()
    proc = subprocess.Popen([sys.executable, "manage.py", "serve", "--port", str(port2)], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_ready(f"http://127.0.0.1:{port2}", proc)
        assert json.loads((tmp_path / "var" / "demo-credentials.json").read_text())["api_key"] == key
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=30)
