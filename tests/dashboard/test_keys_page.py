import pytest

from apps.accounts.models import ApiKey

pytestmark = pytest.mark.django_db


def test_create_key_shows_the_secret_once_with_snippets(owner_client, organization):
    response = owner_client.post("/keys/", {"name": "backend", "spend_cap_usd": "10"})
    body = response.content.decode()
    key = ApiKey.objects.get(organization=organization, name="backend")
    assert key.prefix in body and "Copy" in body
    assert "curl " in body and "from openai import OpenAI" in body and "await fetch(" in body
    assert key.spend_cap_micros == 10_000_000
    again = owner_client.get("/keys/").content.decode()
    assert key.prefix in again and "Your new key" not in again


def test_keys_show_last_use_and_spend_against_the_cap(owner_client, organization, api_key, make_task, make_usage):
    key = api_key[0]
    key.spend_cap_micros = 4_000_000
    key.save()
    make_usage(make_task(organization=organization, api_key=key, cost_micros=1_000_000))
    body = owner_client.get("/keys/").content.decode()
    assert "$1.00 / $4.00" in body and "width:25%" in body
    assert "never" in body


def test_member_cannot_manage_keys(member_client):
    assert member_client.get("/keys/").status_code == 403


def test_revoking_another_organizations_key_is_not_found(owner_client, rival):
    _, _, their_key = rival
    assert owner_client.post(f"/keys/{their_key.pk}/revoke/").status_code == 404
    their_key.refresh_from_db()
    assert their_key.revoked_at is None
