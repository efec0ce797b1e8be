from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.catalog.services.catalog_io import catalog_file_default, catalog_import, catalog_load_file
from apps.core.errors import ApplicationError


class Command(BaseCommand):
    help = "Import the catalog from YAML (default: the shipped apps/catalog/data/catalog.yaml). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="YAML file (default: the shipped catalog)")
        parser.add_argument("--only-new", action="store_true",
                            help="Only add models not in the database yet (keeps staff edits; for start-up scripts).")

    def handle(self, *args, **options):
        path = Path(options["file"]) if options["file"] else catalog_file_default()
        try:
            report = catalog_import(data=catalog_load_file(path), only_new=options["only_new"])
        except (ApplicationError, OSError) as exc:
            raise CommandError(str(getattr(exc, "message", exc))) from exc
        self.stdout.write(f"catalog_import {path}: {len(report.created)} created, {len(report.updated)} updated, "
                          f"{len(report.unchanged)} unchanged, {len(report.skipped)} skipped, "
                          f"{len(report.price_versions)} new price versions")
