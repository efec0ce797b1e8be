"""Idempotent demo setup for the one-command run: a staff superuser and a demo organization
with credit and an API key. Credentials are kept in var/demo-credentials.json (mode 0600,
local development only) so a re-run can print them again; the database holds only hashes."""
import json
import os
import secrets
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from apps.accounts.models import ApiKey, Organization, User
from apps.accounts.services import api_key_create, organization_create
from apps.core.money import usd_to_micros

DEMO_ORG = "Demo organization"
DEMO_KEY_NAME = "Demo key"


class Command(BaseCommand):
    help = "Create (idempotently) the staff superuser and the demo organization, key and credit."

    def add_arguments(self, parser):
        parser.add_argument("--email", default=os.environ.get("TOLLGATE_ADMIN_EMAIL", "admin@tollgate.local"))
        parser.add_argument("--credits", default=os.environ.get("TOLLGATE_DEMO_CREDITS_USD", "25"))
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        path = Path(settings.VAR_DIR) / "demo-credentials.json"
        saved = json.loads(path.read_text()) if path.exists() else {}
        with transaction.atomic():
            user = User.objects.filter(email=options["email"]).first()
            password = saved.get("admin_password")
            if user is None:
                password = secrets.token_urlsafe(12)
                user = User.objects.create_superuser(email=options["email"], password=password)
            organization = Organization.objects.filter(name=DEMO_ORG, memberships__user=user).first()
            if organization is None:
                organization = organization_create(name=DEMO_ORG, owner=user)
            key_secret = saved.get("api_key")
            key_row = ApiKey.objects.filter(organization=organization, name=DEMO_KEY_NAME, revoked_at=None).first()
            if key_row is None or not key_secret or not key_secret.startswith(key_row.prefix):
                created = api_key_create(organization=organization, name=DEMO_KEY_NAME, created_by=user)
                key_secret = created.secret
            from apps.billing.services import credit_grant

            credit_grant(
                organization=organization,
                amount_micros=usd_to_micros(options["credits"]),
                kind="promotional",
                idempotency_key=f"demo-credit:{organization.public_id}",  # granted once, ever
                reason="Demo credit",
            )
        saved = {"admin_email": user.email, "admin_password": password, "organization_id": organization.public_id, "api_key": key_secret}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(saved, indent=2))
        path.chmod(0o600)
        self.stdout.write(json.dumps(saved) if options["json"] else "\n".join(f"{k}: {v}" for k, v in saved.items()))
