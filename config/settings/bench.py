"""Benchmark settings (`make bench`): the production stack (PostgreSQL, Redis, DEBUG off) on
plain http over loopback, plus the floor view at ``/bench/floor`` (bench/urls.py).

Not production.py: that one forces an SSL redirect and HSTS, which a loopback benchmark cannot
follow. Everything else here is what production runs; the differences are listed below."""
import os

from django.core.exceptions import ImproperlyConfigured

for _required in ("DATABASE_URL", "REDIS_URL"):
    if not os.environ.get(_required):
        raise ImproperlyConfigured(f"{_required} must be set for the benchmark (scripts/bench sets it)")

from config.settings.base import *  # noqa: E402,F401,F403
from config.settings.base import env  # noqa: E402

DEBUG = False
ROOT_URLCONF = "bench.urls"

# Limits sized so they never throttle the load: the limiter still runs on every request (its
# cost is part of the billed path), it just never says no.
TOLLGATE_RATE_LIMIT_ENABLED = env.bool("TOLLGATE_RATE_LIMIT_ENABLED", default=True)
TOLLGATE_RATE_LIMIT_GENERATION_PER_SECOND = env.int("TOLLGATE_RATE_LIMIT_GENERATION_PER_SECOND", default=1_000_000)
TOLLGATE_RATE_LIMIT_POLLING_PER_SECOND = env.int("TOLLGATE_RATE_LIMIT_POLLING_PER_SECOND", default=1_000_000)
TOLLGATE_MAX_RUNNING_TASKS = env.int("TOLLGATE_MAX_RUNNING_TASKS", default=100_000)

# The real adapter path is measured: a model with no configured route answers 503 instead of
# falling back to the simulated adapter.
TOLLGATE_SIMULATE_UNCONFIGURED = env.bool("TOLLGATE_SIMULATE_UNCONFIGURED", default=False)
