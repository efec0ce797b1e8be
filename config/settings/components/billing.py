"""Settings of the billing area (read from the environment; see README)."""
from config.settings.base_env import env  # noqa: F401
