import json

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps.accounts.services import api_key_create, organization_create, user_get_or_create
from apps.core.money import micros_to_usd, usd_to_micros


class Command(BaseCommand):
    help = "Create an organization (and its owner if missing) with a new API key; optionally grant credits."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--owner", required=True, help="owner's email; the user is created if missing")
        parser.add_argument("--credits", help="promotional credit to grant, in USD (e.g. 25 or 12.50)")
        parser.add_argument("--password", help="password for a newly created owner")
        parser.add_argument("--key-name", default="Default key")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, **options):
        try:
            credit_micros = usd_to_micros(options["credits"]) if options["credits"] else 0
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if credit_micros < 0:
            raise CommandError("--credits must not be negative")
        with transaction.atomic():
            owner, created_user = user_get_or_create(email=options["owner"], password=options["password"])
            organization = organization_create(name=options["name"], owner=owner)
            created = api_key_create(organization=organization, name=options["key_name"], created_by=owner)
            if credit_micros:
                from apps.billing.services import credit_grant

                credit_grant(
                    organization=organization,
                    amount_micros=credit_micros,
                    kind="promotional",
                    idempotency_key=f"create_org:{organization.public_id}",
                    reason="Initial credit (create_org)",
                )
        result = {
            "organization_id": organization.public_id,
            "organization_name": organization.name,
            "owner_email": owner.email,
            "owner_created": created_user,
            "api_key": created.secret,
            "api_key_prefix": created.api_key.prefix,
            "credits_usd": micros_to_usd(credit_micros),
        }
        if options["json"]:
            self.stdout.write(json.dumps(result))
            return
        for name, value in result.items():
            self.stdout.write(f"{name}: {value}")
