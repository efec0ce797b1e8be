import csv
import io
import os
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from unittest import mock

import pytest

from apps.accounts.models import User
from apps.catalog.crypto import encrypt_fields
from apps.catalog.models import AiModel, ProviderCredential, ProviderHealth, Route
from apps.dashboard.staff.forms import utc_today
from apps.dashboard.staff.models import ProviderCostEstimate
from apps.dashboard.staff.revenue import RevenueRow
from apps.dashboard.staff.selectors import CREDENTIALS_CONFIGURED, CREDENTIALS_MISSING, CREDENTIALS_NOT_NEEDED
from apps.usage.services import usage_record_create

TEXT = "openai/gpt-4o"
IMAGE = "acme/image-1"
D1, D2 = date(2026, 3, 10), date(2026, 3, 11)
REPORT = "/admin/reports/revenue/"


def record(day: date, task_id: str, model_id: str, cost_micros: int, organization, status="succeeded", hour=12):
    when = datetime(day.year, day.month, day.day, hour, tzinfo=timezone.utc)
    with mock.patch("django.utils.timezone.now", return_value=when):
        return usage_record_create(task_id=task_id, organization=organization, api_key=None, model_id=model_id,
                                   price_version_id=None, quantities={}, cost_micros=cost_micros, processing_ms=10,
                                   output_bytes=0, status=status)


@pytest.fixture
def seeded_usage(organization, other_organization):
    """Two organizations, two models, two days in range and one day on each side of it."""
    ProviderCostEstimate.objects.create(model_id=TEXT, cost_share_percent=Decimal("60.00"))
    rival = other_organization[0]
    record(D1, "t1", TEXT, 1_000_001, organization, hour=0)
    record(D1, "t2", TEXT, 2_000_000, rival, hour=23)
    record(D1, "t3", IMAGE, 500_000, organization)
    record(D2, "t4", TEXT, 333_333, rival)
    record(D2, "t5", IMAGE, 0, organization, status="failed")
    record(D1 - timedelta(days=1), "before", TEXT, 9_999_999, organization, hour=23)
    record(D2 + timedelta(days=1), "after", IMAGE, 7_777_777, organization, hour=0)


def row(day, model_id, tasks, charged, share, cost, margin, percent):
    return RevenueRow(day=day, model_id=model_id, tasks=tasks, charged_micros=charged,
                      cost_share_percent=None if share is None else Decimal(share), provider_cost_micros=cost,
                      margin_micros=margin, margin_percent=None if percent is None else Decimal(percent))


def test_revenue_report_sums_charges_cost_estimates_and_margins(client, superuser, seeded_usage):
    client.force_login(superuser)

    response = client.get(REPORT, {"first_day": "2026-03-10", "last_day": "2026-03-11"})

    assert response.status_code == 200
    report = response.context["report"]
    assert report.rows == [
        row(D2, IMAGE, 1, 0, "100.00", 0, 0, None),
        # ceil(333_333 × 0.6) = 200_000
        row(D2, TEXT, 1, 333_333, "60.00", 200_000, 133_333, "40.00"),
        row(D1, IMAGE, 1, 500_000, "100.00", 500_000, 0, "0.00"),
        # ceil(3_000_001 × 0.6) = ceil(1_800_000.6) = 1_800_001
        row(D1, TEXT, 2, 3_000_001, "60.00", 1_800_001, 1_200_000, "40.00"),
    ]
    assert report.model_totals == [
        row(None, TEXT, 3, 3_333_334, "60.00", 2_000_001, 1_333_333, "40.00"),
        row(None, IMAGE, 2, 500_000, "100.00", 500_000, 0, "0.00"),
    ]
    # 1_333_333 / 3_833_334 = 34.7826…%
    assert report.total == row(None, "", 5, 3_833_334, None, 2_500_001, 1_333_333, "34.78")
    html = response.content.decode()
    assert "$3.833334" in html and "$2.500001" in html and "$1.333333" in html and "34.78 %" in html


def test_revenue_report_csv_has_exact_micros(client, superuser, seeded_usage):
    client.force_login(superuser)

    response = client.get("/admin/reports/revenue.csv", {"first_day": "2026-03-10", "last_day": "2026-03-11"})

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="revenue_2026-03-10_2026-03-11.csv"'
    assert list(csv.reader(io.StringIO(response.content.decode()))) == [
        ["day", "model_id", "tasks", "charged_micros", "charged_usd", "cost_share_percent", "provider_cost_micros",
         "provider_cost_usd", "margin_micros", "margin_usd", "margin_percent"],
        ["2026-03-11", IMAGE, "1", "0", "0.000000", "100.00", "0", "0.000000", "0", "0.000000", ""],
        ["2026-03-11", TEXT, "1", "333333", "0.333333", "60.00", "200000", "0.200000", "133333", "0.133333", "40.00"],
        ["2026-03-10", IMAGE, "1", "500000", "0.500000", "100.00", "500000", "0.500000", "0", "0.000000", "0.00"],
        ["2026-03-10", TEXT, "2", "3000001", "3.000001", "60.00", "1800001", "1.800001", "1200000", "1.200000", "40.00"],
    ]


def test_revenue_report_defaults_to_the_last_30_days(client, superuser, organization):
    today = utc_today()
    record(today, "today", TEXT, 1_000, organization)
    record(today - timedelta(days=29), "oldest", TEXT, 20, organization)
    record(today - timedelta(days=30), "too-old", TEXT, 300_000, organization)
    client.force_login(superuser)

    report = client.get(REPORT).context["report"]

    assert (report.first_day, report.last_day) == (today - timedelta(days=29), today)
    assert (report.total.tasks, report.total.charged_micros) == (2, 1_020)


def test_revenue_report_rejects_a_reversed_range(client, superuser):
    client.force_login(superuser)

    response = client.get(REPORT, {"first_day": "2026-03-11", "last_day": "2026-03-10"})

    assert response.status_code == 200
    assert response.context["report"] is None
    assert "&#x27;From&#x27; must not be after &#x27;To&#x27;." in response.content.decode()
    assert client.get("/admin/reports/revenue.csv", {"first_day": "2026-03-11", "last_day": "2026-03-10"}).status_code == 400


def test_revenue_report_is_for_finance_not_support(client, support_user, finance_user):
    client.force_login(support_user)
    assert client.get(REPORT).status_code == 403
    assert client.get("/admin/reports/revenue.csv").status_code == 403
    assert "Revenue by model and day" not in client.get("/admin/").content.decode()

    client.force_login(finance_user)
    assert client.get(REPORT).status_code == 200
    assert "Revenue by model and day" in client.get("/admin/").content.decode()


def test_reports_need_a_staff_login(client, user):
    assert client.get(REPORT).status_code == 302
    client.force_login(user)  # a customer, not staff
    assert client.get(REPORT).status_code == 302


def test_provider_health_counts_errors_latency_and_credentials(client, support_user, monkeypatch):
    for name in [n for n in os.environ if n.startswith("TOLLGATE_PROVIDER_")]:
        monkeypatch.delenv(name)
    now = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    ProviderHealth.objects.create(family="openai", route_pk=1, hour=now, ok_count=7, error_count=1, latency_ms_total=4_000)
    ProviderHealth.objects.create(family="openai", route_pk=2, hour=now - timedelta(hours=3), ok_count=1, error_count=1,
                                  latency_ms_total=1_000)
    ProviderHealth.objects.create(family="openai", route_pk=1, hour=now - timedelta(hours=30), ok_count=50, error_count=50)
    ProviderHealth.objects.create(family="simulated", route_pk=0, hour=now, ok_count=4, latency_ms_total=40)
    ProviderCredential.objects.create(family="openai", encrypted_fields=encrypt_fields({"api_key": "sk-test-123456789"}))
    model = AiModel.objects.create(model_id="staffco/m1", display_name="M1", provider="staffco", modality="text",
                                   task_kind="chat")
    Route.objects.create(model=model, family="staffco", upstream_model="m1")
    client.force_login(support_user)

    response = client.get("/admin/reports/provider-health/")

    assert response.status_code == 200
    rows = {r.family: r for r in response.context["rows"]}
    openai, simulated, staffco = rows["openai"], rows["simulated"], rows["staffco"]
    assert (openai.requests, openai.errors, openai.error_rate, openai.avg_latency_ms) == (10, 2, 0.2, 500)
    assert (openai.has_routes, openai.credentials) == (False, CREDENTIALS_CONFIGURED)
    assert (simulated.requests, simulated.errors, simulated.avg_latency_ms, simulated.credentials) == (4, 0, 10, CREDENTIALS_NOT_NEEDED)
    assert (staffco.requests, staffco.has_routes, staffco.credentials) == (0, True, CREDENTIALS_MISSING)
    html = response.content.decode()
    assert "20.00 %" in html and "500 ms" in html
    assert "sk-test" not in html


def test_provider_health_needs_view_permission(client, db):
    staff = User.objects.create_user(email="bare@example.com", password="x" * 12, is_staff=True)
    client.force_login(staff)

    assert client.get("/admin/reports/provider-health/").status_code == 403
