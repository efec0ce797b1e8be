"""GET /v1/usage: the organization's usage, grouped by day, model or key (JSON or CSV)."""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from django.http import HttpResponse
from django.utils import timezone
from rest_framework import serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.errors import ApplicationError
from apps.core.money import micros_to_usd
from apps.usage.selectors import GROUP_BYS, day_start, usage_summary

DEFAULT_RANGE_DAYS = 30
MAX_RANGE_DAYS = 366
RANGE_INVALID = "'from' must not be after 'to'."
RANGE_TOO_LONG = f"The range must not exceed {MAX_RANGE_DAYS} days."
GROUP_COLUMNS = {"day": ["day"], "model": ["model"], "key": ["key_prefix", "key_name"]}


class JsonOnlyNegotiation(BaseContentNegotiation):
    """``format`` is this endpoint's own parameter (json|csv), not DRF's renderer override."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None


class UsageSummaryApi(APIView):
    content_negotiation_class = JsonOnlyNegotiation

    class InputSerializer(serializers.Serializer):
        from_ = serializers.DateField(required=False)
        to = serializers.DateField(required=False)
        group_by = serializers.ChoiceField(choices=GROUP_BYS, default="day")
        format = serializers.ChoiceField(choices=["json", "csv"], default="json")  # noqa: A003

        def to_internal_value(self, data):
            data = {("from_" if k == "from" else k): v for k, v in data.items()}
            return super().to_internal_value(data)

    def get(self, request):
        params = self.InputSerializer(data=request.query_params.dict())
        params.is_valid(raise_exception=True)
        group_by, output = params.validated_data["group_by"], params.validated_data["format"]
        last_day: date = params.validated_data.get("to") or timezone.now().date()
        first_day: date = params.validated_data.get("from_") or last_day - timedelta(days=DEFAULT_RANGE_DAYS - 1)
        if first_day > last_day:
            raise ApplicationError(RANGE_INVALID, code="invalid_value", param="from")
        if (last_day - first_day).days >= MAX_RANGE_DAYS:
            raise ApplicationError(RANGE_TOO_LONG, code="invalid_value", param="from")
        summary = usage_summary(
            organization=request.user.organization, since=day_start(first_day), until=day_start(last_day + timedelta(days=1)),
            group_by=group_by,
        )
        rows = [usage_row_out(row, group_by) for row in summary["rows"]]
        if output == "csv":
            return usage_csv_response(rows, group_by, first_day, last_day)
        return Response({
            "object": "usage", "from": first_day.isoformat(), "to": last_day.isoformat(), "group_by": group_by,
            "data": rows, "total": _totals_out(summary["total"]),
        })


def _totals_out(row: dict) -> dict:
    return {
        "requests": row["requests"], "cost": micros_to_usd(row["cost_micros"]),
        "input_tokens": row["input_tokens"], "output_tokens": row["output_tokens"],
    }


def usage_row_out(row: dict, group_by: str) -> dict:
    if group_by == "day":
        group = {"day": row["day"].isoformat()}
    elif group_by == "model":
        group = {"model": row["model_id"]}
    else:
        group = {"key_prefix": row["key_prefix"], "key_name": row["key_name"]}
    return {**group, **_totals_out(row)}


def usage_csv_response(rows: list[dict], group_by: str, first_day: date, last_day: date) -> HttpResponse:
    columns = [*GROUP_COLUMNS[group_by], "requests", "cost", "input_tokens", "output_tokens"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="usage-{group_by}-{first_day}-{last_day}.csv"'
    return response


