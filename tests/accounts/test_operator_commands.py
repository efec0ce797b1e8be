import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from apps.accounts.models import ApiKey, Membership, Organization, Role, User
from apps.billing.selectors import balance_get
from apps.core.money import usd_to_micros

ROOT = Path(__file__).resolve().parents[2]


def _run(*args) -> dict:
    out = StringIO()
    call_command(*args, stdout=out)
    return json.loads(out.getvalue())


def test_create_org_prints_a_working_key_and_grants_credit(db):
    result = _run("create_org", "Initech", "--owner", "Peter@Initech.example", "--credits", "12.50", "--json")
    organization = Organization.objects.get(public_id=result["organization_id"])
    assert result["owner_email"] == "peter@initech.example"
    assert Membership.objects.get(organization=organization).role == Role.OWNER
    assert balance_get(organization=organization).balance_micros == usd_to_micros("12.50")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {result['api_key']}")
    assert client.get("/v1/me").json()["organization_id"] == organization.public_id


def test_create_org_reuses_an_existing_owner(db):
    user = User.objects.create_user(email="boss@example.com", password="x-long-password")
    result = _run("create_org", "Second", "--owner", "boss@example.com", "--json")
    assert result["owner_created"] is False
    assert Membership.objects.get(organization__public_id=result["organization_id"]).user == user


def test_create_org_rejects_a_bad_amount_and_creates_nothing(db):
    with pytest.raises(CommandError):
        call_command("create_org", "Bad", "--owner", "bad@example.com", "--credits", "1.0000001", stdout=StringIO())
    assert not Organization.objects.filter(name="Bad").exists()


def test_bootstrap_demo_is_idempotent(db, tmp_path, settings):
    settings.VAR_DIR = tmp_path
    first = _run("bootstrap_demo", "--json")
    second = _run("bootstrap_demo", "--json")
    assert first == second
    organization = Organization.objects.get(public_id=first["organization_id"])
    assert ApiKey.objects.filter(organization=organization, revoked_at=None).count() == 1
    assert balance_get(organization=organization).balance_micros == usd_to_micros("25")
    assert User.objects.get(email=first["admin_email"]).is_superuser
    assert oct((tmp_path / "demo-credentials.json").stat().st_mode & 0o777) == "0o600"


def test_production_settings_refuse_to_start_without_secrets():
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL")}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
    proc = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert proc.returncode != 0
    assert "DJANGO_SECRET_KEY must be set in production" in proc.stderr
