from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import Organization
from apps.usage.services import usage_rollup_rebuild


class Command(BaseCommand):
    help = "Recompute the UsageDaily roll-up from the raw usage records (repair)."

    def add_arguments(self, parser):
        parser.add_argument("--organization", type=int, help="Organization pk; default: every organization")

    def handle(self, *args, organization=None, **options):
        target = None
        if organization is not None:
            target = Organization.objects.filter(pk=organization).first()
            if target is None:
                raise CommandError(f"no organization {organization}")
        rows = usage_rollup_rebuild(organization=target)
        scope = f"organization {target.pk}" if target else "all organizations"
        self.stdout.write(f"rebuilt {rows} roll-up row(s) for {scope}")
