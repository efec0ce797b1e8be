"""The per-process catalog cache: served without queries, invalidated by signals, by the admin's
bulk actions, and across processes through the Redis generation counter."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.catalog import cache
from apps.catalog.models import AiModel, Route
from apps.catalog.selectors import model_resolve, price_version_current, route_targets
from apps.catalog.services import price_quote, price_version_create
from apps.core.errors import ApplicationError
from apps.core.redis import redis_client
from tests.catalog.conftest import import_models

GPT4 = "openai/gpt-4"
PARAMS = {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 16}


@pytest.fixture
def gpt4(db, settings, monkeypatch):
    settings.TOLLGATE_CATALOG_CACHE_SECONDS = 3600  # only explicit changes invalidate here
    monkeypatch.setenv("TOLLGATE_PROVIDER_OPENAI_API_KEY", "sk-env")
    import_models(GPT4)
    return model_resolve(name=GPT4)


def test_hot_path_reads_come_from_the_cache(gpt4):
    model_resolve(name="gpt-4")  # the alias: each name is cached on first use
    price_quote(model=gpt4, params=PARAMS)
    route_targets(model=gpt4)
    with CaptureQueriesContext(connection) as queries:
        model = model_resolve(name="gpt-4")
        quote = price_quote(model=model, params=PARAMS)
        route_targets(model=model)
    assert [q['sql'] for q in queries] == []
    assert quote.amount_micros > 0


def test_a_saved_change_applies_at_once(gpt4):
    before = price_quote(model=gpt4, params=PARAMS)
    price_version_create(model=AiModel.objects.get(pk=gpt4.pk), rules=[{"item": "request", "unit": "request", "usd": "2"}])
    after = price_quote(model=gpt4, params=PARAMS)
    assert after.price_version_id != before.price_version_id and after.amount_micros == 2_000_000
    row = AiModel.objects.get(pk=gpt4.pk)
    row.is_enabled = False
    row.save()
    with pytest.raises(ApplicationError) as raised:
        model_resolve(name=GPT4)
    assert raised.value.code == "model_disabled"


def test_admin_bulk_disable_invalidates(gpt4, admin_client):
    model_resolve(name=GPT4)
    response = admin_client.post("/admin/catalog/aimodel/", {"action": "disable_models", "_selected_action": [gpt4.pk]})
    assert response.status_code == 302
    with pytest.raises(ApplicationError):
        model_resolve(name=GPT4)


@pytest.mark.django_db(transaction=True)
def test_another_process_change_arrives_through_the_generation(settings, monkeypatch):
    """A change committed elsewhere (simulated: the database changes behind the cache's back and
    the generation is bumped as catalog_changed does after commit) is seen after the interval."""
    settings.TOLLGATE_CATALOG_CACHE_SECONDS = 0.2
    monkeypatch.setenv("TOLLGATE_PROVIDER_OPENAI_API_KEY", "sk-env")
    import_models(GPT4)
    cache.catalog_cache_clear()
    model = model_resolve(name=GPT4)
    assert route_targets(model=model)
    Route.objects.filter(model_id=model.pk).update(is_enabled=False)  # no signal: stale here
    settings.TOLLGATE_SIMULATE_UNCONFIGURED = False
    assert route_targets(model=model), "served from the cache until the generation changes"
    redis_client().incr(cache._generation_key())
    cache._state["checked_at"] = 0.0  # the interval has passed
    with pytest.raises(ApplicationError) as raised:
        route_targets(model=model)
    assert raised.value.code == "provider_not_configured"


def test_price_versions_in_the_future_wait_their_turn(gpt4):
    from datetime import timedelta

    from django.utils import timezone

    current = price_version_current(model_pk=gpt4.pk)
    price_version_create(model=AiModel.objects.get(pk=gpt4.pk), rules=[{"item": "request", "unit": "request", "usd": "3"}],
                         effective_from=timezone.now() + timedelta(days=1))
    assert price_version_current(model_pk=gpt4.pk).pk == current.pk


# One load per key at a time (a worker's hundred threads once reloaded an expired entry together).

class _SlowLoad:
    """A loader that blocks until released and counts its calls."""

    def __init__(self, value):
        import threading

        self.value, self.calls, self.release, self.started = value, 0, threading.Event(), threading.Event()

    def __call__(self):
        self.calls += 1
        self.started.set()
        assert self.release.wait(5)
        return self.value


@pytest.fixture
def quiet_cache(settings, db):
    settings.TOLLGATE_CATALOG_CACHE_SECONDS = 3600  # no generation check while the threads run
    cache.catalog_cache_clear()
    cache.catalog_cached(("warm",), lambda: 1)  # the one generation read happens here
    yield
    cache.catalog_cache_clear()


def _in_threads(count, call):
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(count)
    return pool, [pool.submit(call) for _ in range(count)]


def test_concurrent_misses_load_once_and_all_get_the_value(quiet_cache):
    load = _SlowLoad("index")
    pool, futures = _in_threads(8, lambda: cache.catalog_cached(("names",), load))
    assert load.started.wait(5)
    load.release.set()
    assert [f.result(5) for f in futures] == ["index"] * 8
    pool.shutdown()
    assert load.calls == 1


def test_an_expired_entry_is_served_while_one_thread_reloads_it(quiet_cache, monkeypatch):
    cache.catalog_cached(("names",), lambda: "old")
    monkeypatch.setattr(cache, "MAX_AGE_SECONDS", 0.0)  # expired from now on
    load = _SlowLoad("new")
    pool, [leader] = _in_threads(1, lambda: cache.catalog_cached(("names",), load))
    assert load.started.wait(5)
    # The reload is under way: the others answer at once with the old value, and load nothing.
    assert [cache.catalog_cached(("names",), load) for _ in range(3)] == ["old"] * 3
    load.release.set()
    assert leader.result(5) == "new" and load.calls == 1
    pool.shutdown()


def test_a_load_overtaken_by_a_change_is_not_kept(quiet_cache):
    load = _SlowLoad("read before the change")
    pool, [leader] = _in_threads(1, lambda: cache.catalog_cached(("names",), load))
    assert load.started.wait(5)
    cache.catalog_cache_clear()  # a catalog change lands while the load runs
    load.release.set()
    assert leader.result(5) == "read before the change"
    pool.shutdown()
    assert cache.catalog_cached(("names",), lambda: "read after") == "read after"


def test_a_failed_load_leaves_nothing_behind(quiet_cache):
    def broken():
        raise RuntimeError("database down")

    with pytest.raises(RuntimeError):
        cache.catalog_cached(("names",), broken)
    assert cache.catalog_cached(("names",), lambda: "loaded") == "loaded"
    assert cache._loading == {}
