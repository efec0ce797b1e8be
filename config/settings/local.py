"""The embedded default: SQLite + embedded Redis, nothing to install."""
from config.settings.base import *  # noqa: F401,F403
from config.settings.base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
