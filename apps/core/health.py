"""Liveness and readiness probes."""
from django.db import connection
from django.http import HttpRequest, JsonResponse


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def readyz(request: HttpRequest) -> JsonResponse:
    from apps.core.redis import redis_client
    import dramatiq

    checks = {
        "database": _check_database,
        "redis": lambda: redis_client().ping(),
        "broker": lambda: dramatiq.get_broker().client.ping(),
    }
    results, failing = {}, []
    for name, check in checks.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # a probe reports, it does not raise
            results[name] = f"error: {type(exc).__name__}: {exc}"[:200]
            failing.append(name)
    status = 503 if failing else 200
    return JsonResponse({"status": "ok" if not failing else "unavailable", "failing": failing, "checks": results}, status=status)
