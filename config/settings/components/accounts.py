"""Settings of the accounts area: API keys."""
from config.settings.base_env import env

API_KEY_PREFIX = env("TOLLGATE_API_KEY_PREFIX", default="tg_live_")
# Authentication caches the key lookup this long; revocation deletes the cache entry.
API_KEY_CACHE_SECONDS = env.int("TOLLGATE_API_KEY_CACHE_SECONDS", default=60)
# last_used_at is written at most once per key per this many seconds (not on every request).
API_KEY_TOUCH_SECONDS = env.int("TOLLGATE_API_KEY_TOUCH_SECONDS", default=60)
INVITATION_TTL_DAYS = env.int("TOLLGATE_INVITATION_TTL_DAYS", default=7)
