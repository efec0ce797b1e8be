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
