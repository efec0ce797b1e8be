"""Test settings: the test command provides DATABASE_URL (PostgreSQL run) and REDIS_URL."""
import os
import tempfile

# A bare `pytest` (no REDIS_URL) gets a private embedded Redis per process, so parallel runs
# never flush each other's data.
os.environ.setdefault("TOLLGATE_EMBEDDED_REDIS", os.path.join(tempfile.gettempdir(), f"tg-pytest-{os.getpid()}", "redis.rdb"))

from config.settings.base import *  # noqa: F401,F403
from config.settings.base import CACHES, env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Each test session gets its own cache namespace on the shared Redis.
CACHES["default"]["KEY_PREFIX"] = env("TOLLGATE_CACHE_PREFIX", default="tgtest")
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
