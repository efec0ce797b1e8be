from django.core.management.base import BaseCommand, CommandError

from apps.billing.reconcile import stripe_reconcile
from apps.billing.stripe_client import stripe_is_configured


class Command(BaseCommand):
    help = ("Compare paid Stripe Checkout Sessions and succeeded auto-recharge payments with ledger top-ups; "
            "non-zero exit on any difference.")

    def add_arguments(self, parser):
        parser.add_argument("--since", type=int, help="only Stripe objects created at/after this Unix time")

    def handle(self, *args, **options):
        if not stripe_is_configured():
            raise CommandError("STRIPE_SECRET_KEY is not set")
        differences = stripe_reconcile(created_since=options["since"])
        for line in differences:
            self.stdout.write(line)
        if differences:
            raise CommandError(f"{len(differences)} difference(s) between Stripe and the ledger")
        self.stdout.write("Stripe and the ledger agree")
