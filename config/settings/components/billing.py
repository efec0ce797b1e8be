"""Settings of the billing and usage areas (read from the environment; see README)."""
from config.settings.base_env import env

# --- Stripe ------------------------------------------------------------------------------------
# With no secret key, top-ups are off (stripe_is_configured() is False) and staff grant credits in
# the admin. STRIPE_API_BASE points the client at another server (a local fake in tests).
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="")
STRIPE_WEBHOOK_TOLERANCE_SECONDS = env.int("STRIPE_WEBHOOK_TOLERANCE_SECONDS", default=300)

# --- Top-ups (decimal USD strings; staff-set bounds of one Checkout payment) --------------------
TOLLGATE_TOPUP_MIN_USD = env("TOLLGATE_TOPUP_MIN_USD", default="5")
TOLLGATE_TOPUP_MAX_USD = env("TOLLGATE_TOPUP_MAX_USD", default="1000")
# Auto-recharge: at most one off-session charge in flight per organization, then this pause.
TOLLGATE_AUTO_RECHARGE_COOLDOWN_SECONDS = env.int("TOLLGATE_AUTO_RECHARGE_COOLDOWN_SECONDS", default=3600)

# --- Ledger checks -------------------------------------------------------------------------------
# check_ledger flags an open hold older than this (no task runs that long).
TOLLGATE_HOLD_MAX_AGE_SECONDS = env.int("TOLLGATE_HOLD_MAX_AGE_SECONDS", default=6 * 3600)
# Dotted path of ``f(task_ids: list[str]) -> set[str]``: which tasks have finished (by default the
# engine's task table; billing itself knows tasks only by id).
TOLLGATE_FINISHED_TASKS_CHECK = env("TOLLGATE_FINISHED_TASKS_CHECK", default="apps.tasks.selectors.finished_task_ids")
