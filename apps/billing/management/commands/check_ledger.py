from django.core.management.base import BaseCommand, CommandError

from apps.billing.checks import ledger_problems


class Command(BaseCommand):
    help = "Verify the credit ledger: balance = Σ entries, held = Σ open holds, holds resolved once and in time."

    def handle(self, *args, **options):
        problems = ledger_problems()
        for problem in problems:
            self.stdout.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} ledger difference(s)")
        self.stdout.write("ledger consistent")
