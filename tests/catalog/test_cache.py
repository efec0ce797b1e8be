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
