import csv
import io
from datetime import datetime, timedelta, timezone

import pytest

from apps.accounts.services import api_key_create
from apps.billing.models import EntryKind, LedgerEntry
from apps.billing.services import credit_grant, credit_hold, hold_capture
from apps.usage.models import UsageRecord
from apps.usage.selectors import key_usage_summary, usage_daily_by_model, usage_summary
from apps.usage.services import usage_record_create, usage_rollup_rebuild

USD = 1_000_000


def finish(organization, key, task_id, *, model="gpt-4o", hold=2 * USD, cost=1_234_567, tokens=(10, 20)):
    """What the engine does at completion: hold at submit, then capture + usage record."""
    credit_hold(organization=organization, api_key=key, task_id=task_id, amount_micros=hold)
    result = hold_capture(task_id=task_id, amount_micros=cost)
    return usage_record_create(
        task_id=task_id, organization=organization, api_key=key, model_id=model, price_version_id=7,
        quantities={"input_tokens": tokens[0], "output_tokens": tokens[1], "seconds": "1.500"},
        cost_micros=result.captured_micros, processing_ms=850, output_bytes=2048, status="succeeded",
    )


def set_day(task_id, day):
    """Back-dates a record behind the service's back, then repairs the roll-up as an operator would."""
    record = UsageRecord.objects.get(task_id=task_id)
    UsageRecord.objects.filter(pk=record.pk).update(created_at=datetime.combine(day, datetime.min.time(), tzinfo=timezone.utc) + timedelta(hours=12))
    usage_rollup_rebuild(organization=record.organization)


@pytest.fixture
def funded(organization):
    credit_grant(organization=organization, amount_micros=100 * USD, kind="promotional", idempotency_key="f", reason="t")
    return organization


def test_usage_record_is_idempotent_on_task_id(funded, api_key):
    first = finish(funded, api_key[0], "t1")
    again = usage_record_create(task_id="t1", organization=funded, api_key=api_key[0], model_id="other", price_version_id=None,
                                quantities={}, cost_micros=5, processing_ms=1, output_bytes=1, status="succeeded")

    assert again.pk == first.pk
    assert (again.model_id, again.cost_micros, again.input_tokens, again.output_tokens) == ("gpt-4o", 1_234_567, 10, 20)
    assert again.quantities == {"input_tokens": 10, "output_tokens": 20, "seconds": "1.500"}
    assert UsageRecord.objects.count() == 1


def test_usage_by_day_model_and_key_with_totals_equal_to_captures(funded, api_key, user, api_client):
    second_key = api_key_create(organization=funded, name="batch", created_by=user).api_key
    today = datetime.now(timezone.utc).date()
    finish(funded, api_key[0], "a", cost=1_000_001)
    finish(funded, api_key[0], "b", model="flux", cost=2_500_000, hold=3 * USD, tokens=(0, 0))
    finish(funded, second_key, "c", cost=7)
    set_day("a", today - timedelta(days=1))

    by_day = api_client.get(f"/v1/usage?from={today - timedelta(days=2)}&to={today}&group_by=day").json()
    by_model = api_client.get("/v1/usage?group_by=model").json()
    by_key = api_client.get("/v1/usage?group_by=key").json()

    assert by_day["data"] == [
        {"day": str(today - timedelta(days=1)), "requests": 1, "cost": "1.000001", "input_tokens": 10, "output_tokens": 20},
        {"day": str(today), "requests": 2, "cost": "2.500007", "input_tokens": 10, "output_tokens": 20},
    ]
    assert by_model["data"] == [
        {"model": "flux", "requests": 1, "cost": "2.500000", "input_tokens": 0, "output_tokens": 0},
        {"model": "gpt-4o", "requests": 2, "cost": "1.000008", "input_tokens": 20, "output_tokens": 40},
    ]
    assert [(r["key_name"], r["requests"], r["cost"]) for r in by_key["data"]] == [("test key", 2, "3.500001"), ("batch", 1, "0.000007")]
    captured = -sum(LedgerEntry.objects.filter(organization=funded, kind=EntryKind.CAPTURE).values_list("amount_micros", flat=True))
    assert captured == 3_500_008
    for body in (by_day, by_model, by_key):
        assert body["total"] == {"requests": 3, "cost": "3.500008", "input_tokens": 20, "output_tokens": 40}


def test_usage_csv_export(funded, api_key, api_client):
    finish(funded, api_key[0], "a", cost=1_000_001)

    response = api_client.get("/v1/usage?group_by=model&format=csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [["model", "requests", "cost", "input_tokens", "output_tokens"], ["gpt-4o", "1", "1.000001", "10", "20"]]


def test_usage_is_scoped_to_the_key_organization(funded, api_key, other_organization, api_client):
    rival, _ = other_organization
    credit_grant(organization=rival, amount_micros=10 * USD, kind="promotional", idempotency_key="r", reason="t")
    finish(rival, None, "rival_task")

    body = api_client.get("/v1/usage?group_by=model").json()

    assert (body["data"], body["total"]["requests"]) == ([], 0)


@pytest.mark.parametrize(("query", "param"), [("group_by=week", "group_by"), ("from=2026-02-01&to=2026-01-01", "from"),
                                                ("from=yesterday", "from_"), ("format=xml", "format")])
def test_usage_rejects_bad_parameters(api_client, query, param):
    response = api_client.get(f"/v1/usage?{query}")

    assert response.status_code == 400
    assert response.json()["error"]["param"] == param


def test_usage_needs_a_key(client, db):
    assert client.get("/v1/usage").status_code == 401


def test_daily_by_model_and_key_summary(funded, api_key):
    finish(funded, api_key[0], "a", cost=1_000_000)
    finish(funded, api_key[0], "b", cost=500_000)
    now = datetime.now(timezone.utc)

    daily = usage_daily_by_model(organization=funded, since=now - timedelta(days=1), until=now + timedelta(days=1))
    summary = key_usage_summary(api_key=api_key[0])

    assert [(r["model_id"], r["requests"], r["cost_micros"]) for r in daily] == [("gpt-4o", 2, 1_500_000)]
    assert summary == {
        "key_prefix": api_key[0].prefix, "key_name": "test key", "requests": 2, "cost_micros": 1_500_000,
        "input_tokens": 20, "output_tokens": 40, "spend_cap_micros": None,
        "balance_micros": 98_500_000, "held_micros": 0, "available_micros": 98_500_000,
    }
    assert usage_summary(organization=funded, since=now - timedelta(days=1), until=now + timedelta(days=1),
                         group_by="model", api_key=api_key[0])["total"]["cost_micros"] == 1_500_000
