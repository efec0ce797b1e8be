"""UsageDaily: maintained with each new record, read for whole days, rebuilt on demand."""
from datetime import date, datetime, timedelta, timezone
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.accounts.services import api_key_create
from apps.usage.models import UsageDaily, UsageRecord
from apps.usage.selectors import GROUP_BYS, key_usage_summary, usage_daily_by_model, usage_summary
from apps.usage.services import ROLLUP_SUMS, usage_record_create, usage_rollup_rebuild

T0 = datetime(2026, 3, 10, tzinfo=timezone.utc)
DAILY_FIELDS = ("organization_id", "day", "model_id", "api_key_id", "requests", *ROLLUP_SUMS)


def record_at(when, organization, key, task_id, *, model="gpt-4o", cost=1_000, tokens=(10, 20), quantities=None):
    with mock.patch("django.utils.timezone.now", return_value=when):
        return usage_record_create(
            task_id=task_id, organization=organization, api_key=key, model_id=model, price_version_id=None,
            quantities=quantities or {"input_tokens": tokens[0], "output_tokens": tokens[1]}, cost_micros=cost,
            processing_ms=100, output_bytes=7, status="succeeded",
        )


def daily_rows(organization=None):
    rows = UsageDaily.objects.all() if organization is None else UsageDaily.objects.filter(organization=organization)
    return sorted(rows.values_list(*DAILY_FIELDS), key=lambda r: tuple((v is None, v) for v in r))


def test_new_record_adds_every_sum_to_its_day_row(organization, api_key):
    key = api_key[0]
    record_at(T0 + timedelta(hours=1), organization, key, "a", cost=1_000_001,
              quantities={"input_tokens": 5, "output_tokens": 6, "characters": 40, "images": 2, "seconds": "1.2345675"})
    record_at(T0 + timedelta(hours=23, minutes=59), organization, key, "b", cost=2, tokens=(1, 1))
    record_at(T0 + timedelta(hours=2), organization, None, "c", cost=3, tokens=(0, 0))

    assert UsageRecord.objects.get(task_id="a").media_microseconds == 1_234_568
    assert daily_rows(organization) == [
        (organization.pk, date(2026, 3, 10), "gpt-4o", key.pk, 2, 6, 7, 40, 2, 1_234_568, 200, 14, 1_000_003),
        (organization.pk, date(2026, 3, 10), "gpt-4o", None, 1, 0, 0, 0, 0, 0, 100, 7, 3),
    ]


def test_replayed_record_does_not_count_twice(organization, api_key):
    record_at(T0, organization, api_key[0], "a", cost=500)
    again = record_at(T0 + timedelta(days=1), organization, api_key[0], "a", model="other", cost=9)

    assert (again.model_id, again.cost_micros) == ("gpt-4o", 500)
    assert daily_rows(organization) == [(organization.pk, date(2026, 3, 10), "gpt-4o", api_key[0].pk, 1, 10, 20, 0, 0, 0, 100, 7, 500)]


def test_partial_edge_days_come_from_raw_records_to_the_micro(organization, api_key):
    key = api_key[0]
    record_at(T0 - timedelta(microseconds=1), organization, key, "before", cost=1)           # day -1, 23:59:59.999999
    record_at(T0 + timedelta(hours=6), organization, key, "d0_early", cost=10)              # day 0 before `since`
    record_at(T0 + timedelta(hours=12), organization, key, "d0_since", cost=100)            # == since: included
    record_at(T0 + timedelta(days=1, hours=3), organization, key, "d1", cost=1_000)         # whole day
    record_at(T0 + timedelta(days=2), organization, key, "d2_midnight", cost=10_000)        # whole day, first µs
    record_at(T0 + timedelta(days=3, hours=5), organization, key, "d3_inside", cost=100_000, model="flux")
    record_at(T0 + timedelta(days=3, hours=9), organization, key, "d3_until", cost=1_000_000)  # == until: excluded
    since, until = T0 + timedelta(hours=12), T0 + timedelta(days=3, hours=9)

    by_day = usage_summary(organization=organization, since=since, until=until, group_by="day")
    by_model = usage_summary(organization=organization, since=since, until=until, group_by="model")
    chart = usage_daily_by_model(organization=organization, since=since, until=until)

    assert [(r["day"], r["requests"], r["cost_micros"]) for r in by_day["rows"]] == [
        (date(2026, 3, 10), 1, 100), (date(2026, 3, 11), 1, 1_000), (date(2026, 3, 12), 1, 10_000), (date(2026, 3, 13), 1, 100_000)]
    assert [(r["model_id"], r["requests"], r["cost_micros"]) for r in by_model["rows"]] == [("flux", 1, 100_000), ("gpt-4o", 3, 11_100)]
    assert by_day["total"] == by_model["total"] == {"requests": 4, "cost_micros": 111_100, "input_tokens": 40, "output_tokens": 80}
    assert [(r["day"], r["model_id"], r["cost_micros"]) for r in chart] == [
        (date(2026, 3, 10), "gpt-4o", 100), (date(2026, 3, 11), "gpt-4o", 1_000), (date(2026, 3, 12), "gpt-4o", 10_000),
        (date(2026, 3, 13), "flux", 100_000)]


def test_whole_days_are_read_from_the_rollup_only(organization, api_key):
    record_at(T0 + timedelta(hours=1), organization, api_key[0], "a", cost=5)
    UsageDaily.objects.filter(organization=organization).update(cost_micros=777)  # proves which table answered

    whole = usage_summary(organization=organization, since=T0, until=T0 + timedelta(days=1), group_by="day")
    partial = usage_summary(organization=organization, since=T0 + timedelta(minutes=1), until=T0 + timedelta(days=1), group_by="day")

    assert (whole["total"]["cost_micros"], partial["total"]["cost_micros"]) == (777, 5)
    assert key_usage_summary(api_key=api_key[0])["cost_micros"] == 777


def test_rebuild_command_repairs_one_organization(organization, api_key, other_organization):
    rival = other_organization[0]
    record_at(T0, organization, api_key[0], "a", cost=5)
    record_at(T0, rival, None, "r", cost=9)
    expected_own, expected_rival = daily_rows(organization), daily_rows(rival)
    UsageDaily.objects.filter(organization=organization).update(requests=99, cost_micros=0)
    UsageDaily.objects.create(organization=organization, day=date(2020, 1, 1), model_id="ghost", requests=1)
    UsageDaily.objects.filter(organization=rival).update(requests=42)
    out = StringIO()

    call_command("usage_rollup_rebuild", "--organization", str(organization.pk), stdout=out)

    assert out.getvalue() == f"rebuilt 1 roll-up row(s) for organization {organization.pk}\n"
    assert daily_rows(organization) == expected_own
    assert [row[4] for row in daily_rows(rival)] == [42]  # other tenants untouched
    call_command("usage_rollup_rebuild", stdout=StringIO())
    assert daily_rows(rival) == expected_rival


def test_rebuild_command_rejects_an_unknown_organization(db):
    with pytest.raises(CommandError, match="no organization 987654"):
        call_command("usage_rollup_rebuild", "--organization", "987654")


def test_api_totals_stay_equal_between_json_and_csv_over_partial_and_whole_days(organization, api_key, api_client):
    today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    record_at(today - timedelta(days=3, hours=-1), organization, api_key[0], "old", cost=1_000_001)
    record_at(today - timedelta(seconds=1), organization, api_key[0], "yesterday", cost=2)
    query = f"from={(today - timedelta(days=3)).date()}&to={today.date()}&group_by=day"

    body = api_client.get(f"/v1/usage?{query}").json()
    csv_text = api_client.get(f"/v1/usage?{query}&format=csv").content.decode()

    assert body["total"] == {"requests": 2, "cost": "1.000003", "input_tokens": 20, "output_tokens": 40}
    assert csv_text.splitlines()[1:] == [f"{row['day']},{row['requests']},{row['cost']},10,20" for row in body["data"]]


MODELS, WHEN = ["m-a", "m-b", "m-c"], st.integers(min_value=0, max_value=4 * 86_400 * 1_000_000 - 1)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=st.lists(st.tuples(WHEN, st.sampled_from(MODELS), st.integers(0, 2), st.integers(0, 10**9),
                                  st.integers(0, 5_000)), max_size=25),
       edges=st.lists(WHEN, min_size=2, max_size=2))
def test_rollup_equals_raw_aggregation_after_random_inserts(organization, api_key, user, records, edges):
    """Property: after any inserts, UsageDaily == a recount, and every selector over any
    [since, until) answers exactly what aggregating the raw records answers."""
    UsageRecord.objects.filter(organization=organization).delete()
    UsageDaily.objects.filter(organization=organization).delete()
    second = api_key_create(organization=organization, name=f"k{len(records)}", created_by=user).api_key
    keys = [None, api_key[0], second]
    for i, (offset, model, key_index, cost, tokens) in enumerate(records):
        record_at(T0 + timedelta(microseconds=offset), organization, keys[key_index], f"h{i}", model=model, cost=cost,
                  quantities={"input_tokens": tokens, "output_tokens": i, "seconds": f"{tokens}.25"})
    maintained = daily_rows(organization)
    since, until = (T0 + timedelta(microseconds=offset) for offset in sorted(edges))

    usage_rollup_rebuild(organization=organization)

    assert maintained == daily_rows(organization)
    for group_by in GROUP_BYS:
        for key in (None, api_key[0]):
            fast = usage_summary(organization=organization, since=since, until=until, group_by=group_by, api_key=key)
            raw = usage_summary(organization=organization, since=since, until=until, group_by=group_by, api_key=key, use_rollup=False)
            assert fast == raw
    assert (usage_daily_by_model(organization=organization, since=since, until=until)
            == usage_daily_by_model(organization=organization, since=since, until=until, use_rollup=False))
    whole = usage_summary(organization=organization, since=T0, until=T0 + timedelta(days=4), group_by="model")["total"]
    assert whole["cost_micros"] == sum(r[3] for r in records)
