"""In-process Dramatiq workers for tests."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import dramatiq


@contextmanager
def running_worker(broker: dramatiq.Broker, **options) -> Iterator[dramatiq.Worker]:
    """A started worker for the block, stopped after it. ``Worker.start`` adds a middleware to
    the broker that ``stop`` leaves there: it keeps adding consumers to the stopped worker for
    every queue declared later, which then took other tests' messages. Removed here."""
    worker = dramatiq.Worker(broker, **options)
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()
        broker.middleware[:] = [m for m in broker.middleware if getattr(m, "worker", None) is not worker]
