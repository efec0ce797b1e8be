"""Shared harness of the concurrency tests (PostgreSQL row locks, real threads)."""
from __future__ import annotations

import threading

from django.db import connections


def run_together(count: int, work) -> list:
    """Runs ``work(i)`` in ``count`` threads released by one barrier; returns results (or the
    exceptions raised), each thread on its own database connection."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def target(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - collected for the assertions
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results
