"""Settings of the task engine (read from the environment; docs/engine.md lists each one)."""
from config.settings.base_env import env

# --- Running tasks -------------------------------------------------------------------------
# A queued/running task not finished by then is settled as ``expired`` (hold released).
TOLLGATE_TASK_DEADLINE_SECONDS = env.int("TOLLGATE_TASK_DEADLINE_SECONDS", default=2 * 3600)
# Provider calls: connect / read timeouts of the httpx client handed to adapters.
TOLLGATE_PROVIDER_CONNECT_TIMEOUT_SECONDS = env.float("TOLLGATE_PROVIDER_CONNECT_TIMEOUT_SECONDS", default=10.0)
TOLLGATE_PROVIDER_TIMEOUT_SECONDS = env.float("TOLLGATE_PROVIDER_TIMEOUT_SECONDS", default=300.0)
# Retryable provider failures (after failover through every route) are retried this many times.
TOLLGATE_TASK_MAX_RETRIES = env.int("TOLLGATE_TASK_MAX_RETRIES", default=4)
TOLLGATE_TASK_RETRY_MIN_BACKOFF_MS = env.int("TOLLGATE_TASK_RETRY_MIN_BACKOFF_MS", default=2_000)
TOLLGATE_TASK_RETRY_MAX_BACKOFF_MS = env.int("TOLLGATE_TASK_RETRY_MAX_BACKOFF_MS", default=120_000)
# Dramatiq time limit of one task_run/task_poll message (also the lease length).
TOLLGATE_TASK_TIME_LIMIT_SECONDS = env.int("TOLLGATE_TASK_TIME_LIMIT_SECONDS", default=600)
# When an organization is at its concurrency cap the message is re-sent after this delay.
TOLLGATE_TASK_CAP_DELAY_SECONDS = env.float("TOLLGATE_TASK_CAP_DELAY_SECONDS", default=2.0)
# Async provider polling: bounds of the delay between polls.
TOLLGATE_TASK_POLL_MIN_SECONDS = env.float("TOLLGATE_TASK_POLL_MIN_SECONDS", default=0.05)
TOLLGATE_TASK_POLL_MAX_SECONDS = env.float("TOLLGATE_TASK_POLL_MAX_SECONDS", default=30.0)
# Sweep: an active task untouched this long with no live lease has lost its message.
TOLLGATE_TASK_STALE_SECONDS = env.int("TOLLGATE_TASK_STALE_SECONDS", default=300)
TOLLGATE_SWEEP_INTERVAL_SECONDS = env.int("TOLLGATE_SWEEP_INTERVAL_SECONDS", default=30)

# --- Inputs -----------------------------------------------------------------------------------
TOLLGATE_UPLOAD_MAX_BYTES = env.int("TOLLGATE_UPLOAD_MAX_BYTES", default=50 * 1024 * 1024)
# A request body without its files (JSON, form fields): Django's limit, answered with 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("TOLLGATE_REQUEST_MAX_BYTES", default=10 * 1024 * 1024)
TOLLGATE_FETCH_MAX_BYTES = env.int("TOLLGATE_FETCH_MAX_BYTES", default=50 * 1024 * 1024)
TOLLGATE_FETCH_TIMEOUT_SECONDS = env.float("TOLLGATE_FETCH_TIMEOUT_SECONDS", default=30.0)
TOLLGATE_FETCH_MAX_REDIRECTS = env.int("TOLLGATE_FETCH_MAX_REDIRECTS", default=5)
# Tests only: lets user URLs reach loopback/private addresses. Never on in production.
TOLLGATE_ALLOW_PRIVATE_URLS = env.bool("TOLLGATE_ALLOW_PRIVATE_URLS", default=False)

# --- Outputs ----------------------------------------------------------------------------------
TOLLGATE_OUTPUT_URL_TTL_SECONDS = env.int("TOLLGATE_OUTPUT_URL_TTL_SECONDS", default=3600)
TOLLGATE_OUTPUT_RETENTION_DAYS = env.int("TOLLGATE_OUTPUT_RETENTION_DAYS", default=30)
# Redis stream of a streamed task (deltas, done/error) lives this long after its last write.
TOLLGATE_TASK_STREAM_TTL_SECONDS = env.int("TOLLGATE_TASK_STREAM_TTL_SECONDS", default=3600)

# --- Webhooks ---------------------------------------------------------------------------------
# Delays before attempts 2, 3, ... (Standard Webhooks / Svix schedule: > 24 h in total).
TOLLGATE_WEBHOOK_RETRY_SCHEDULE_SECONDS = [
    int(value) for value in env.list(
        "TOLLGATE_WEBHOOK_RETRY_SCHEDULE_SECONDS", default=["5", "300", "1800", "7200", "18000", "36000", "36000"]
    )
]
TOLLGATE_WEBHOOK_TIMEOUT_SECONDS = env.float("TOLLGATE_WEBHOOK_TIMEOUT_SECONDS", default=10.0)

# --- Rate limits (defaults of the default plan; staff assign other plans in the admin) ------
TOLLGATE_RATE_LIMIT_ENABLED = env.bool("TOLLGATE_RATE_LIMIT_ENABLED", default=True)
TOLLGATE_RATE_LIMIT_GENERATION_PER_SECOND = env.int("TOLLGATE_RATE_LIMIT_GENERATION_PER_SECOND", default=10)
TOLLGATE_RATE_LIMIT_POLLING_PER_SECOND = env.int("TOLLGATE_RATE_LIMIT_POLLING_PER_SECOND", default=10)
TOLLGATE_RATE_LIMIT_BAN_SECONDS = env.int("TOLLGATE_RATE_LIMIT_BAN_SECONDS", default=60)
# This many limit violations within a minute start a ban.
TOLLGATE_RATE_LIMIT_BAN_AFTER_VIOLATIONS = env.int("TOLLGATE_RATE_LIMIT_BAN_AFTER_VIOLATIONS", default=3)
TOLLGATE_MAX_RUNNING_TASKS = env.int("TOLLGATE_MAX_RUNNING_TASKS", default=8)

# --- Waiting surfaces ------------------------------------------------------------------------
# /api/v1/task, chat completions, images and speech wait this long for the result, then answer
# 202 with the task id to poll.
TOLLGATE_SYNC_WAIT_SECONDS = env.float("TOLLGATE_SYNC_WAIT_SECONDS", default=60.0)
