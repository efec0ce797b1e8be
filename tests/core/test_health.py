from django.test import Client


def test_healthz_is_alive():
    assert Client().get("/healthz").json() == {"status": "ok"}


def test_readyz_checks_database_redis_and_broker(db):
    response = Client().get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json()["checks"] == {"database": "ok", "redis": "ok", "broker": "ok"}


def test_readyz_names_the_failing_part(db, monkeypatch):
    from apps.core import redis as core_redis

    class Broken:
        def ping(self):
            raise ConnectionError("redis down")

    monkeypatch.setattr(core_redis, "redis_client", lambda: Broken())
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["redis"]


def test_openapi_schema_is_generated(db):
    response = Client().get("/v1/openapi.json")
    assert response.status_code == 200
    assert b"/v1/me" in response.content
