"""End to end with real processes: `manage.py rundramatiq` workers on the test database and
Redis, one killed with SIGKILL mid-task; every task still finishes and is charged once."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from apps.billing.models import LedgerEntry
from apps.tasks.models import FINISHED_STATUSES, Task, TaskStatus
from apps.usage.models import UsageRecord
from apps.tasks.selectors import task_timeline

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
MODEL = "openai/gpt-4o-mini"
TASKS = 6


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        return f"postgresql://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    if str(db["NAME"]).startswith(("file:", ":memory:")) or "memory" in str(db["NAME"]):
        pytest.skip("needs a file or PostgreSQL test database")
    return f"sqlite:///{db['NAME']}"


def _start_worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "rundramatiq", "--processes", "1", "--threads", "4"],
        cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def _kill(process: subprocess.Popen, sig=signal.SIGKILL) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass
    process.wait(timeout=10)


def test_worker_killed_mid_task_every_task_finishes_and_is_charged_once(funded, api_key, broker, settings, monkeypatch):
    from apps.catalog import selectors
    from apps.catalog.services.catalog_io import catalog_file_default, catalog_import, catalog_load_file
    from apps.tasks.services import sweep, task_submit

    monkeypatch.undo()  # the real catalog: the worker processes read it from the database
    catalog_import(data=catalog_load_file(catalog_file_default()))
    settings.TOLLGATE_TASK_STALE_SECONDS = 1
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": django_settings.REDIS_URL,
        "TOLLGATE_CACHE_PREFIX": django_settings.CACHE_KEY_PREFIX,
        "TOLLGATE_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "TOLLGATE_SIMULATE_UNCONFIGURED": "true",
        "TOLLGATE_SIMULATED_OPTIONS": json.dumps({"latency_ms": 1500, "token_delay_ms": 0}),
        "TOLLGATE_TASK_TIME_LIMIT_SECONDS": "4",
        "TOLLGATE_LOG_LEVEL": "WARNING",
    }
    assert selectors.route_targets.__module__ == "apps.catalog.selectors"  # the double is undone
    ids = [task_submit(api_key=api_key[0], model=MODEL, params={"messages": [{"role": "user", "content": f"n{i}"}],
                                                               "max_tokens": 20}).task.public_id for i in range(TASKS)]
    first = _start_worker(env)
    second = None
    try:
        deadline = time.monotonic() + 60
        while not Task.objects.filter(public_id__in=ids, status=TaskStatus.RUNNING).exists():
            assert time.monotonic() < deadline, "no task started"
            time.sleep(0.05)
        _kill(first)  # mid-task: its claimed tasks keep a lease, their messages are unacked
        second = _start_worker(env)
        deadline = time.monotonic() + 90
        while Task.objects.filter(public_id__in=ids).exclude(status__in=FINISHED_STATUSES).exists():
            assert time.monotonic() < deadline, list(Task.objects.filter(public_id__in=ids).values_list("status", flat=True))
            sweep()  # what run_scheduler does every TOLLGATE_SWEEP_INTERVAL_SECONDS
            time.sleep(0.5)
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                _kill(process, signal.SIGTERM)

    tasks = list(Task.objects.filter(public_id__in=ids))
    assert {t.status for t in tasks} == {TaskStatus.SUCCEEDED}
    for task in tasks:
        assert UsageRecord.objects.filter(task_id=task.public_id).count() == 1
        assert LedgerEntry.objects.filter(task_id=task.public_id, kind="capture").count() == 1
        assert [e.status for e in task_timeline(task=task)].count("succeeded") == 1
    from apps.billing.selectors import balance_get

    view = balance_get(organization=funded)
    assert view.held_micros == 0
    assert view.balance_micros == 1_000_000 - sum(t.cost_micros for t in tasks)
