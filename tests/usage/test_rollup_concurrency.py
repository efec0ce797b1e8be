"""Real concurrency on PostgreSQL: many first writers of one UsageDaily key, plus replays."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from unittest import mock

import pytest

from apps.accounts.models import User
from apps.accounts.services import api_key_create, organization_create
from apps.usage.models import UsageDaily, UsageRecord
from apps.usage.services import usage_record_create, usage_rollup_rebuild

from tests.concurrency import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgres_only")]
DAY = datetime(2026, 5, 1, 12, tzinfo=timezone.utc)


def test_concurrent_first_writers_and_replays_count_each_record_once():
    owner = User.objects.create_user(email="rollup@example.com", password="x" * 12)
    organization = organization_create(name="Rollup race", owner=owner)
    key = api_key_create(organization=organization, name="k", created_by=owner).api_key

    def create(round_number: int, i: int):
        # 40 threads: 20 distinct tasks, each sent twice; odd tasks on the key, even ones on no key.
        task = i % 20
        return usage_record_create(
            task_id=f"race_{round_number}_{task}", organization=organization, api_key=key if task % 2 else None,
            model_id="m", price_version_id=None, quantities={"input_tokens": task, "output_tokens": 1, "seconds": "0.5"},
            cost_micros=1_000_000 + task, processing_ms=10, output_bytes=3, status="succeeded",
        ).task_id

    for round_number in range(3):  # each round races on brand-new roll-up keys (a new day)
        with mock.patch("django.utils.timezone.now", return_value=DAY + timedelta(days=round_number)):
            results = run_together(40, lambda i, r=round_number: create(r, i))
        assert sorted(results) == sorted(f"race_{round_number}_{i % 20}" for i in range(40))

    rows = sorted(UsageDaily.objects.filter(organization=organization).values_list(
        "day", "api_key_id", "requests", "input_tokens", "output_tokens", "media_microseconds", "cost_micros"),
        key=lambda r: (r[0], r[1] is None))
    keyed = (key.pk, 10, sum(range(1, 20, 2)), 10, 5_000_000, 10_000_000 + sum(range(1, 20, 2)))
    unkeyed = (None, 10, sum(range(0, 20, 2)), 10, 5_000_000, 10_000_000 + sum(range(0, 20, 2)))
    assert rows == [(date(2026, 5, 1 + n), *row) for n in range(3) for row in (keyed, unkeyed)]
    assert UsageRecord.objects.filter(organization=organization).count() == 60
    before = list(UsageDaily.objects.filter(organization=organization).order_by("day", "api_key_id")
                  .values_list("day", "api_key_id", "requests", "cost_micros"))
    usage_rollup_rebuild(organization=organization)
    assert list(UsageDaily.objects.filter(organization=organization).order_by("day", "api_key_id")
                .values_list("day", "api_key_id", "requests", "cost_micros")) == before

