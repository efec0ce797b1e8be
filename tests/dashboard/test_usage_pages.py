import pytest
from django.utils import timezone
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_usage_empty_state(owner_client):
    response = owner_client.get("/usage/")
    assert response.status_code == 200
    assert response.content.count(b"No usage in this period.") == 3
    assert b"No spend in this period yet." in response.content


def test_usage_tables_chart_and_isolation(member_client, organization, api_key, rival, make_task, make_usage):
    make_usage(make_task(organization=organization, api_key=api_key[0], model_id="openai/gpt-4", cost_micros=2_000_000))
    make_usage(make_task(organization=organization, api_key=api_key[0], model_id="suno-ai/music", cost_micros=500_000))
    make_usage(make_task(organization=rival[0], api_key=rival[2], model_id="rival/secret-model", cost_micros=9_000_000))
    body = member_client.get("/usage/").content.decode()
    assert "$2.50" in body and "openai/gpt-4" in body and "suno-ai/music" in body and "test key" in body
    assert "<svg" in body and "<rect" in body
    assert "rival/secret-model" not in body and "$9.00" not in body


def test_usage_invalid_period(owner_client):
    response = owner_client.get("/usage/?since=2026-05-02&until=2026-05-01")
    assert response.status_code == 400
    assert "must not be after".encode() in response.content


@pytest.mark.parametrize("group_by", ["day", "model", "key"])
def test_csv_export_equals_the_api(owner_client, organization, api_key, make_task, make_usage, group_by):
    make_usage(make_task(organization=organization, api_key=api_key[0], model_id="openai/gpt-4", cost_micros=1_234_567))
    make_usage(make_task(organization=organization, api_key=api_key[0], model_id="suno-ai/music", cost_micros=10))
    today = timezone.now().date().isoformat()
    dashboard = owner_client.get(f"/usage/{group_by}.csv?since={today}&until={today}")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key[1]}")
    expected = api.get(f"/v1/usage?from={today}&to={today}&group_by={group_by}&format=csv")
    assert dashboard.status_code == expected.status_code == 200
    assert dashboard["Content-Type"].startswith("text/csv")
    assert dashboard.content == expected.content
    assert (b"1.234567" if group_by == "model" else b"1.234577") in dashboard.content


def test_unknown_csv_group_is_not_found(owner_client):
    assert owner_client.get("/usage/colour.csv").status_code == 404
