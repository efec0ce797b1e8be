"""Usage aggregation benchmark: ``DATABASE_URL=postgresql://… python bench/usage_aggregation.py [--rows N] [--runs N]``.

Migrates the database, bulk-inserts usage rows for one organization (spread over 90 days,
20 models, 10 keys) plus noise rows of other organizations, then prints the median time of
``usage_summary`` for each group_by over a 30-day and a 90-day range."""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("set DATABASE_URL to a PostgreSQL database")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from apps.accounts.models import ApiKey, Organization
    from apps.usage.models import UsageRecord
    from apps.usage.selectors import usage_summary

    call_command("migrate", verbosity=0)
    UsageRecord.objects.all().delete()
    organization = Organization.objects.create(name="bench")
    others = [Organization.objects.create(name=f"other {i}") for i in range(4)]
    keys = [ApiKey.objects.create(organization=organization, name=f"k{i}", prefix=f"bench{i}_{organization.pk}",
                                  key_hash=f"{organization.pk:032d}{i:032d}") for i in range(10)]
    org_ids = [organization.pk] * 4 + [o.pk for o in others]  # 50% of rows are the benchmarked org's
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO usage_usagerecord (task_id, organization_id, api_key_id, model_id, price_version_id, quantities,
                input_tokens, output_tokens, characters, images, processing_ms, output_bytes, cost_micros, status, created_at)
            SELECT 'bench_' || g, (%(orgs)s::bigint[])[1 + g %% 8],
                   CASE WHEN g %% 8 < 4 THEN (%(keys)s::bigint[])[1 + g %% 10] END,
                   'model-' || (g %% 20), 1, '{}'::jsonb, g %% 1000, g %% 500, 0, 0, 500, 1000, g %% 100000, 'succeeded',
                   now() - (g %% (90 * 24 * 3600)) * interval '1 second'
            FROM generate_series(1, %(rows)s) AS g
            """,
            {"orgs": org_ids, "keys": [k.pk for k in keys], "rows": args.rows},
        )
        cursor.execute("VACUUM ANALYZE usage_usagerecord")
    print(f"inserted {args.rows:,} rows in {time.perf_counter() - started:.1f}s "
          f"({UsageRecord.objects.filter(organization=organization).count():,} for the benchmarked organization)")
    now = timezone.now()
    for days in (30, 90):
        for group_by in ("day", "model", "key"):
            timings = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                usage_summary(organization=organization, since=now - timedelta(days=days), until=now, group_by=group_by)
                timings.append((time.perf_counter() - t0) * 1000)
            print(f"group_by={group_by:<5} range={days}d  median {statistics.median(timings):7.1f} ms over {args.runs} runs")


if __name__ == "__main__":
    main()
