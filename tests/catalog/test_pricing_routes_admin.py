import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.accounts.models import User
from apps.catalog.models import AiModel, ModelAlias, PriceVersion, ProviderCredential, Route
from apps.catalog.selectors import file_params, model_resolve, provider_health_summary, route_targets
from apps.catalog.cache import catalog_changed
from apps.catalog.services import price_charge, price_quote, price_version_create, provider_credential_set, route_health_record
from apps.catalog.services.catalog_io import catalog_export, catalog_import
from apps.core.errors import ApplicationError
from tests.catalog.conftest import import_models

KLING3 = "kuaishou/kling-3.0-omni-video"


@pytest.fixture
def few(db):
    import_models(KLING3, "openai/gpt-4", "suno-ai/music", "elevenlabs/speech-to-text", "deepgram/nova-2-general",
                  "elevenlabs/text-to-speech")


@pytest.mark.parametrize("duration, mode, micros", [(5, "std", 160_000), (5, "pro", 200_000), (10, "std", 300_000), (10, "pro", 400_000)])
def test_kling_3_table_reproduced_exactly(few, duration, mode, micros):
    quote = price_quote(model=model_resolve(name=KLING3), params={"prompt": "x", "duration": duration, "mode": mode})
    assert quote.amount_micros == micros and quote.currency == "USD"
    assert quote.formula_inputs["duration"] == duration and quote.formula_inputs["mode"] == mode


def test_price_change_keeps_old_version_for_old_quotes(few):
    model = model_resolve(name=KLING3)
    old = price_quote(model=model, params={"prompt": "x", "duration": 5, "mode": "std"})
    row = AiModel.objects.get(pk=model.pk)
    rules = [{"item": "video", "unit": "video", "usd": "9"}]
    price_version_create(model=row, rules=rules)
    new = price_quote(model=model, params={"prompt": "x", "duration": 5, "mode": "std"})
    assert new.amount_micros == 9_000_000 and new.price_version_id != old.price_version_id
    charge = price_charge(price_version_id=old.price_version_id, params={"prompt": "x", "duration": 5, "mode": "std"}, usage={})
    assert charge.amount_micros == 160_000


def test_price_versions_are_immutable(few):
    version = PriceVersion.objects.first()
    version.note = "changed"
    with pytest.raises(ValueError):
        version.save()
    with pytest.raises(ValueError):
        version.delete()
    assert PriceVersion.objects.get(pk=version.pk).note != "changed"


def test_token_quote_states_assumptions_and_charge_uses_usage(few):
    model = model_resolve(name="gpt-4")
    quote = price_quote(model=model, params={"messages": [{"role": "user", "content": "Hello, world!"}]})
    assert quote.assumptions["tokenizer"] == "cl100k_base" and quote.assumptions["max_tokens"] == 4096
    prompt = quote.assumptions["prompt_tokens"]
    assert prompt == 4 + 1 + 4 + 3  # message overhead + "user" + "Hello, world!" + reply priming
    assert quote.amount_micros == -(-prompt * 30) + 4096 * 60
    charge = price_charge(price_version_id=quote.price_version_id, params={}, usage={"input_tokens": 10, "output_tokens": 25})
    assert charge.amount_micros == 10 * 30 + 25 * 60


def test_assumed_audio_length_and_measured_override(few):
    model = model_resolve(name="#g1_nova-2-general")
    assert price_quote(model=model, params={"url": "https://x/a.mp3"}).amount_micros == 258_000  # 60 min × $0.0043
    assert price_quote(model=model, params={}, quantities={"audio_seconds": "60"}).amount_micros == 4_300
    version = price_quote(model=model, params={}).price_version_id
    assert price_charge(price_version_id=version, params={}, usage={"audio_seconds": "30"}).amount_micros == 2_150


def test_unpriced_model_cannot_be_quoted(few):
    with pytest.raises(ApplicationError) as raised:
        price_quote(model=model_resolve(name="suno-ai/music"), params={"mv": "chirp-v4", "custom": False})
    assert raised.value.code == "model_unpriced" and raised.value.status == 400


def test_unknown_and_disabled_models(few):
    with pytest.raises(ApplicationError) as raised:
        model_resolve(name="invalid-model")
    assert (raised.value.message, raised.value.code, raised.value.status) == ("Unsupported task type: invalid-model", "unsupported_model", 404)
    AiModel.objects.filter(model_id="openai/gpt-4").update(is_enabled=False)
    catalog_changed()  # a queryset update sends no signal (the admin's bulk actions call it)
    with pytest.raises(ApplicationError) as raised:
        model_resolve(name="gpt-4")
    assert raised.value.code == "model_disabled" and raised.value.status == 400


def test_names_resolve_case_insensitively_without_a_cache_entry_per_spelling(few):
    from apps.catalog import cache

    assert model_resolve(name="gpt-4").id == "openai/gpt-4"
    entries = len(cache._store)
    spellings = ["GPT-4", "Gpt-4", "OpenAI/GPT-4", " gpt-4 ", "OPENAI/gpt-4"]
    assert {model_resolve(name=spelled).id for spelled in spellings} == {"openai/gpt-4"}
    assert len(cache._store) == entries  # one index of the catalog's names, whatever clients send
    ModelAlias.objects.create(name="GPT-4-TWIN", model=AiModel.objects.get(model_id=KLING3))
    ModelAlias.objects.create(name="gpt-4-twin", model=AiModel.objects.get(model_id="openai/gpt-4"))
    assert model_resolve(name="gpt-4-twin").id == "openai/gpt-4"  # exact spellings win
    with pytest.raises(ApplicationError) as raised:
        model_resolve(name="Gpt-4-Twin")  # two models by case: ambiguous, as model_find says
    assert raised.value.code == "unsupported_model"


def test_file_params(few):
    assert file_params(model=model_resolve(name=KLING3)) == {"image_urls": "list", "start_image_url": "single",
                                                              "end_image_url": "single", "video_url": "single"}
    assert file_params(model=model_resolve(name="eleven-labs-stt")) == {"audio": "single"}


def test_route_targets_simulated_configured_and_503(few, settings, monkeypatch):
    model = model_resolve(name="gpt-4")
    [target] = route_targets(model=model)
    assert target.simulated and target.route_pk is None and target.upstream_model == "openai/gpt-4"
    provider_credential_set(family="openai", fields={"api_key": "sk-test-123456789"})
    [target] = route_targets(model=model)
    assert (target.family, target.upstream_model, target.credentials) == ("openai", "gpt-4", {"api_key": "sk-test-123456789"})
    assert "sk-test" not in ProviderCredential.objects.get().encrypted_fields
    monkeypatch.setenv("TOLLGATE_PROVIDER_OPENAI_API_KEY", "sk-env")
    assert route_targets(model=model)[0].credentials == {"api_key": "sk-env"}
    monkeypatch.delenv("TOLLGATE_PROVIDER_OPENAI_API_KEY")
    Route.objects.update(is_enabled=False)
    catalog_changed()  # a queryset update sends no signal
    settings.TOLLGATE_SIMULATE_UNCONFIGURED = False
    with pytest.raises(ApplicationError) as raised:
        route_targets(model=model)
    assert (raised.value.code, raised.value.status, raised.value.type) == ("provider_not_configured", 503, "api_error")


def test_health_buckets(db):
    route_health_record(family="openai", route_pk=1, ok=True, latency_ms=100)
    route_health_record(family="openai", route_pk=1, ok=False, latency_ms=300, error_code="timeout")
    [row] = provider_health_summary(since=timezone.now() - timedelta(hours=24))
    assert row == {"family": "openai", "requests": 2, "errors": 1, "error_rate": 0.5, "avg_latency_ms": 200}


def test_export_import_round_trip_is_idempotent(few, tmp_path):
    path = tmp_path / "catalog.yaml"
    call_command("catalog_export", str(path))
    versions = PriceVersion.objects.count()
    call_command("catalog_import", str(path))
    assert PriceVersion.objects.count() == versions
    exported = catalog_export()
    exported["models"][0]["price"]["rules"][0]["usd"] = "0.99" if exported["models"][0]["price"] else None
    report = catalog_import(data=exported)
    assert PriceVersion.objects.count() == versions + 1 and len(report.price_versions) == 1
    again = catalog_export()
    assert again == exported | {"models": again["models"]} and again["models"][0]["price"]["rules"][0]["usd"] == "0.99"


def test_models_api(few, api_client):
    body = api_client.get("/v1/models").json()
    assert body["object"] == "list" and {"id": "openai/gpt-4", "object": "model"}.items() <= body["data"][0].items() or body["data"]
    assert "openai/gpt-4" in [m["id"] for m in api_client.get("/models").json()["data"]]
    detail = api_client.get("/v1/models/gpt-4").json()
    assert detail["id"] == "openai/gpt-4" and detail["task_kind"] == "chat" and "gpt-4" in detail["aliases"]
    assert detail["pricing"]["lines"][0]["usd"] == "30" and detail["parameters"]["required"] == ["messages"]
    assert api_client.get("/v1/models/%23g1_nova-2-general").json()["id"] == "deepgram/nova-2-general"
    assert api_client.get(f"/v1/models/{KLING3}").json()["modality"] == "video"
    missing = api_client.get("/v1/models/nope")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "unsupported_model"


def test_models_listing_is_cached_until_the_catalog_changes(few, api_client, django_assert_num_queries):
    listed = api_client.get("/v1/models").json()["data"]
    assert [m["id"] for m in listed] == sorted(m["id"] for m in listed) and len(listed) == 6
    gpt4 = next(m for m in listed if m["id"] == "openai/gpt-4")
    row = AiModel.objects.get(model_id="openai/gpt-4")
    assert gpt4 == {"id": "openai/gpt-4", "object": "model", "created": int(row.created_at.timestamp()),
                    "owned_by": "openai"}
    with django_assert_num_queries(0):
        from apps.catalog.selectors import model_listing

        assert model_listing() == listed
    row.is_enabled = False
    row.save()  # a model save clears the cache: the listing drops it at once
    assert "openai/gpt-4" not in [m["id"] for m in api_client.get("/v1/models").json()["data"]]
    assert [m["id"] for m in api_client.get("/v1/models?modality=video").json()["data"]] == [KLING3]
    assert api_client.get("/v1/models?modality=nonsense").json()["data"] == []


def test_models_api_needs_a_key(few, client):
    assert client.get("/v1/models").status_code == 401


@pytest.fixture
def staff_client(client, db):
    staff = User.objects.create_superuser(email="staff@example.com", password="pw-staff-123")
    client.force_login(staff)
    return client


def test_admin_pages_and_quote_tool(few, staff_client):
    row = AiModel.objects.get(model_id=KLING3)
    for url in ["/admin/catalog/aimodel/", f"/admin/catalog/aimodel/{row.pk}/change/", "/admin/catalog/route/",
                "/admin/catalog/priceversion/", "/admin/catalog/modelalias/", "/admin/catalog/providercredential/add/",
                "/admin/catalog/aimodel/quote/"]:
        assert staff_client.get(url).status_code == 200, url
    response = staff_client.post("/admin/catalog/aimodel/quote/", {"model": KLING3, "params": json.dumps({"prompt": "x", "duration": 10, "mode": "pro"})})
    assert b"0.400000" in response.content
    response = staff_client.post("/admin/catalog/aimodel/quote/", {"model": KLING3, "params": json.dumps({"duration": 10})})
    assert b"missing_parameter" in response.content


def test_admin_price_edit_creates_new_version(few, staff_client):
    row = AiModel.objects.get(model_id="openai/gpt-4")
    before = list(PriceVersion.objects.filter(model=row).values_list("pk", "rules"))
    page = staff_client.get(f"/admin/catalog/aimodel/{row.pk}/change/")
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update({"parameter_schema": json.dumps(row.parameter_schema), "new_price_rules": json.dumps([{"item": "request", "usd": "1"}]),
                 "is_enabled": "on", "new_price_effective_from": ""})
    for prefix in ("aliases", "routes", "price_versions"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    data.update({"aliases-TOTAL_FORMS": "1", "aliases-INITIAL_FORMS": "1", "aliases-0-id": row.aliases.get().pk,
                 "aliases-0-name": "gpt-4", "aliases-0-model": row.pk})
    response = staff_client.post(f"/admin/catalog/aimodel/{row.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    assert list(PriceVersion.objects.filter(model=row, pk__in=[p for p, _ in before]).values_list("pk", "rules")) == before
    assert price_quote(model=model_resolve(name="gpt-4"), params={}).amount_micros == 1_000_000


def test_unpriced_system_check(few):
    from apps.catalog.checks import unpriced_models_check

    [warning] = unpriced_models_check()
    assert "suno-ai/music" in warning.msg and warning.id == "catalog.W001"


def test_a_route_borrowing_a_hosted_key_is_not_configured_by_its_base_url_alone(db, settings):
    from apps.catalog.models import AiModel, Route
    from apps.catalog.selectors import model_resolve, route_targets

    settings.TOLLGATE_SIMULATE_UNCONFIGURED = True
    model = AiModel.objects.create(model_id="acme/hosted", display_name="Hosted", provider="acme", modality="text",
                                   task_kind="chat", parameter_schema={"type": "object"})
    Route.objects.create(model=model, priority=1, family="openai_compatible", upstream_model="m",
                         base_url="https://api.example.com/v1", options={"credentials_family": "aimlapi"})
    targets = route_targets(model=model_resolve(name="acme/hosted"))
    assert [t.family for t in targets] == ["simulated"]


def test_health_counts_of_another_bucket_are_written_once_their_window_passes(db):
    from apps.catalog.models import ProviderHealth
    from apps.catalog.services import health

    route_health_record(family="openai", route_pk=1, ok=True, latency_ms=100)
    assert not ProviderHealth.objects.exists()  # batched in memory
    for pending in health._pending.values():
        pending.flushed_at -= 3600  # that bucket's window (e.g. an hour that has ended) is over
    route_health_record(family="openai", route_pk=2, ok=True, latency_ms=50)  # a call to another bucket
    assert list(ProviderHealth.objects.values_list("route_pk", "ok_count")) == [(1, 1)]
