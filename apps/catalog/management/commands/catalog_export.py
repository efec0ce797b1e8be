from django.core.management.base import BaseCommand

from apps.catalog.services.catalog_io import catalog_dump, catalog_export


class Command(BaseCommand):
    help = "Export the whole catalog (models, aliases, routes, schemas, current prices) as YAML."

    def add_arguments(self, parser):
        parser.add_argument("file", help="Output YAML file ('-' for stdout)")

    def handle(self, *args, **options):
        text = catalog_dump(catalog_export())
        if options["file"] == "-":
            self.stdout.write(text)
            return
        with open(options["file"], "w", encoding="utf-8") as handle:
            handle.write(text)
        self.stdout.write(f"catalog_export: wrote {options['file']}")
