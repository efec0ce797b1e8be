"""Settings of the catalog area (read from the environment; see README)."""
from config.settings.base_env import env

# The shipped catalog (`manage.py catalog_import` with no argument imports it).
CATALOG_DATA_FILE = env("TOLLGATE_CATALOG_FILE", default="")  # empty: apps/catalog/data/catalog.yaml
# Quote assumption when a chat request names no max_tokens (capped by the model's own output limit);
# params_validate writes it into the params so the provider can never produce more than was held.
CATALOG_DEFAULT_MAX_TOKENS = env.int("CATALOG_DEFAULT_MAX_TOKENS", default=4096)

# Provider credentials stored in the admin are encrypted with a Fernet key derived from this
# (default: derived from SECRET_KEY). Changing it makes stored credentials unreadable.
TOLLGATE_CREDENTIALS_KEY = env("TOLLGATE_CREDENTIALS_KEY", default="")
# No configured route for a model: serve it with the simulated adapter (dev/demo) or answer 503.
TOLLGATE_SIMULATE_UNCONFIGURED = env.bool("TOLLGATE_SIMULATE_UNCONFIGURED", default=True)
TOLLGATE_SIMULATED_OPTIONS = env.json(
    "TOLLGATE_SIMULATED_OPTIONS",
    default={"latency_ms": 300, "token_delay_ms": 20, "render_seconds": 2, "failure_rate": 0},
)
# Provider-health buckets: successful calls are counted in memory and written at most this often
# per process and route (failures are written at once). See apps/catalog/services/health.py.
TOLLGATE_HEALTH_FLUSH_SECONDS = env.float("TOLLGATE_HEALTH_FLUSH_SECONDS", default=5.0)
# Catalog reads on the request path (models, aliases, schemas, prices, routes) are cached per
# process; a change made anywhere reaches every process within this many seconds.
TOLLGATE_CATALOG_CACHE_SECONDS = env.float("TOLLGATE_CATALOG_CACHE_SECONDS", default=1.0)
