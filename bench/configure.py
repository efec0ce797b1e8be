"""Database-side steps of the benchmark, run in the benchmark's Django settings:

    python -m bench.configure route --model gpt-4 --base-url http://127.0.0.1:PORT/v1
    python -m bench.configure report
    python -m bench.configure timeline --since EPOCH --until EPOCH

``route`` points the model at the fake upstream: one enabled ``openai_compatible`` route with
that base URL, first in priority; the model's other routes are disabled so nothing else (and
never the simulated adapter) serves it. ``report`` prints task, usage and ledger counts as JSON:
the check that the load really went through the billed path. ``timeline`` reads the tasks created
in a window from their own timestamps: how long each waited between its row and its claim, and
ran between its claim and its settle (the rest of a client's latency is the web's)."""
from __future__ import annotations

import argparse
import json
import os
import sys


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")
    import django

    django.setup()


def route(model_name: str, base_url: str, upstream_model: str) -> dict:
    from django.db import transaction

    from apps.catalog.models import Route
    from apps.catalog.selectors import model_find

    row = model_find(name=model_name)
    if row is None:
        raise SystemExit(f"bench: model {model_name!r} is not in the catalog (did catalog_import run?)")
    with transaction.atomic():
        Route.objects.filter(model=row).update(is_enabled=False)
        bench_route, _ = Route.objects.update_or_create(
            model=row, family="openai_compatible", upstream_model=upstream_model,
            defaults={"base_url": base_url, "priority": 0, "is_enabled": True, "options": {"stream_usage": True}},
        )
    if not row.is_enabled:
        row.is_enabled = True
        row.save(update_fields=["is_enabled"])
    return {"model": row.model_id, "task_kind": row.task_kind, "route_pk": bench_route.pk, "base_url": base_url}


def report() -> dict:
    from django.db.models import Count, Sum

    from apps.tasks.models import Task

    by_status = dict(Task.objects.values_list("status").annotate(n=Count("pk")).order_by())
    by_error = dict(Task.objects.exclude(error_code="").values_list("error_code").annotate(n=Count("pk")).order_by())
    simulated = Task.objects.filter(simulated=True).count()
    result: dict = {"tasks_by_status": by_status, "task_errors": by_error, "simulated_tasks": simulated,
                    "cost_micros": Task.objects.aggregate(total=Sum("cost_micros"))["total"] or 0}
    try:
        from apps.usage.models import UsageRecord

        result["usage_records"] = UsageRecord.objects.count()
    except Exception as exc:  # a report, not a gate
        result["usage_records"] = f"unavailable: {exc}"
    try:
        from apps.billing.models import Hold, LedgerEntry

        result["ledger_entries"] = LedgerEntry.objects.count()
        result["holds_by_state"] = dict(Hold.objects.values_list("state").annotate(n=Count("pk")).order_by())
    except Exception as exc:
        result["ledger_entries"] = f"unavailable: {exc}"
    return result


def timeline(since: float, until: float) -> dict:
    """Milliseconds from each task's row to its claim and from its claim to its settle (mean,
    p50, p90) for the tasks created between ``since`` and ``until`` (unix seconds)."""
    from datetime import datetime, timezone

    from apps.tasks.models import Task

    window = (datetime.fromtimestamp(since, timezone.utc), datetime.fromtimestamp(until, timezone.utc))
    rows = Task.objects.filter(created_at__gte=window[0], created_at__lt=window[1], started_at__isnull=False,
                               finished_at__isnull=False).values_list("created_at", "started_at", "finished_at")
    waits = sorted((started - created).total_seconds() * 1000 for created, started, _ in rows)
    runs = sorted((finished - started).total_seconds() * 1000 for _, started, finished in rows)
    return {"tasks": len(waits), "row_to_claim_ms": _summary(waits), "claim_to_settled_ms": _summary(runs)}


def _summary(values: list[float]) -> dict:
    if not values:
        return {}
    pick = lambda q: values[min(len(values) - 1, int(q * len(values)))]  # noqa: E731 (values are sorted)
    return {"mean": sum(values) / len(values), "p50": pick(0.5), "p90": pick(0.9)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Benchmark database steps")
    sub = parser.add_subparsers(dest="command", required=True)
    route_parser = sub.add_parser("route")
    route_parser.add_argument("--model", required=True)
    route_parser.add_argument("--base-url", required=True)
    route_parser.add_argument("--upstream-model", default="bench-upstream")
    sub.add_parser("report")
    timeline_parser = sub.add_parser("timeline")
    timeline_parser.add_argument("--since", type=float, required=True)
    timeline_parser.add_argument("--until", type=float, required=True)
    args = parser.parse_args(argv)
    _setup()
    if args.command == "route":
        result = route(args.model, args.base_url, args.upstream_model)
    elif args.command == "timeline":
        result = timeline(args.since, args.until)
    else:
        result = report()
    json.dump(result, sys.stdout, default=str)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
