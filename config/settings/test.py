"""Test settings: the test command provides DATABASE_URL (PostgreSQL run) and REDIS_URL."""
import os
import tempfile

# A bare `pytest` (no REDIS_URL) gets a private embedded Redis per process, so parallel runs
# never flush each other's data.
os.environ.setdefault("TOLLGATE_EMBEDDED_REDIS", os.path.join(tempfile.gettempdir(), f"tg-pytest-{os.getpid()}", "redis.rdb"))

from config.settings.base import *  # noqa: F401,F403
from config.settings.base import CACHES, DATABASES, env

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not SQLite's shared in-memory database: worker threads, live servers and
    # subprocesses then see the same data with real WAL locking, as in production.
    _test_db = env("TOLLGATE_TEST_SQLITE", default=os.path.join(tempfile.gettempdir(), f"tg-pytest-{os.getpid()}", "test.sqlite3"))
    os.makedirs(os.path.dirname(_test_db), exist_ok=True)
    DATABASES["default"]["TEST"] = {"NAME": _test_db}

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
