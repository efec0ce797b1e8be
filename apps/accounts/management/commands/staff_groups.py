from django.core.management.base import BaseCommand, CommandError

from apps.dashboard.staff.services import staff_groups_sync


class Command(BaseCommand):
    help = ('Creates (or resets) the staff groups "Support (read-only)" and "Finance". Idempotent. '
            "Add staff users (is_staff) to one of them in the admin; superusers need neither.")

    def handle(self, *args, **options):
        try:
            counts = staff_groups_sync()
        except LookupError as exc:
            raise CommandError(str(exc)) from None
        for name, count in counts.items():
            self.stdout.write(f"{name}: {count} permissions")
