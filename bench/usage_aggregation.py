"""Usage aggregation benchmark: ``DATABASE_URL=postgresql://… python bench/usage_aggregation.py [--rows N] [--runs N]``.

Migrates the database, bulk-inserts usage rows for one organization (spread over 90 days,
20 models, 10 keys and no key, every combination every day) plus noise rows of other organizations, builds their UsageDaily roll-ups
(``usage_rollup_rebuild``, one GROUP BY), then prints the median time of ``usage_summary`` for
each group_by over a 30-day and a 90-day range: raw records only (before), the roll-up with two
partial edge days read raw (a range ending now), and the roll-up alone (whole UTC days, as the API asks).
Every roll-up answer is checked equal to the raw one."""
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
    from apps.usage.models import UsageDaily, UsageRecord
    from apps.usage.selectors import day_start, usage_summary
    from apps.usage.services import usage_rollup_rebuild

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {UsageDaily._meta.db_table}, {UsageRecord._meta.db_table}")
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
                input_tokens, output_tokens, characters, images, media_microseconds, processing_ms, output_bytes,
                cost_micros, status, created_at)
            SELECT 'bench_' || g, (%(orgs)s::bigint[])[1 + g %% 8],
                   CASE WHEN g %% 8 < 4 AND (g / 160) %% 11 < 10 THEN (%(keys)s::bigint[])[1 + (g / 160) %% 11] END,
                   'model-' || ((g / 8) %% 20), 1, '{}'::jsonb, g %% 1000, g %% 500, g %% 7, g %% 3, (g %% 9) * 250000,
                   500, 1000, g %% 100000, 'succeeded',
                   now() - ((g::bigint * 7777) %% (90 * 24 * 3600)) * interval '1 second'
            FROM generate_series(1, %(rows)s) AS g
            """,
            {"orgs": org_ids, "keys": [k.pk for k in keys], "rows": args.rows},
        )
    inserted = time.perf_counter() - started
    started = time.perf_counter()
    rollup_rows = usage_rollup_rebuild()
    rolled = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE usage_usagerecord")
        cursor.execute("VACUUM ANALYZE usage_usagedaily")
    print(f"inserted {args.rows:,} rows in {inserted:.1f}s "
          f"({UsageRecord.objects.filter(organization=organization).count():,} for the benchmarked organization); "
          f"roll-up: {rollup_rows:,} UsageDaily rows in {rolled:.1f}s "
          f"({UsageDaily.objects.filter(organization=organization).count():,} for the benchmarked organization)")

    def median_ms(**kwargs) -> tuple[float, dict]:
        timings, result = [], None
        for _ in range(args.runs):
            t0 = time.perf_counter()
            result = usage_summary(organization=organization, **kwargs)
            timings.append((time.perf_counter() - t0) * 1000)
        return statistics.median(timings), result

    now = timezone.now()
    tomorrow = day_start(now.date() + timedelta(days=1))
    print(f"{'group_by':<8} {'range':>5}  {'raw (before)':>13}  {'roll-up, edges raw':>18}  {'roll-up, whole days':>19}   "
          f"(median of {args.runs} runs, ms)")
    for days in (30, 90):
        for group_by in ("day", "model", "key"):
            since = now - timedelta(days=days)
            raw_ms, raw = median_ms(since=since, until=now, group_by=group_by, use_rollup=False)
            edge_ms, edged = median_ms(since=since, until=now, group_by=group_by)
            whole_ms, whole = median_ms(since=tomorrow - timedelta(days=days), until=tomorrow, group_by=group_by)
            whole_raw = usage_summary(organization=organization, since=tomorrow - timedelta(days=days), until=tomorrow,
                                      group_by=group_by, use_rollup=False)
            assert edged == raw and whole == whole_raw, f"roll-up differs from raw for {group_by} over {days}d"
            print(f"{group_by:<8} {days:>4}d  {raw_ms:>13.1f}  {edge_ms:>18.1f}  {whole_ms:>19.1f}")


if __name__ == "__main__":
    main()
