"""`civicdesk import_services FILE [FILE|DIR ...]`: load an Open311 services list and definitions."""

from django.core.management.base import BaseCommand, CommandError

from civicdesk.open311.importer import ServiceImportError, import_services


class Command(BaseCommand):
    help = (
        "Create or update services by code from an Open311 services.xml/.json, and their questions from "
        "service definitions (files or a directory). New services get no department: their cases go to "
        "triage until you set one. Attributes with variable=false are added to the description. "
        "Checked first: a bad file imports nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="services.xml/.json, service definitions, directories.")

    def handle(self, *args, paths, **options):
        try:
            result = import_services(paths)
        except ServiceImportError as error:
            raise CommandError(f"nothing was imported: {error}") from None
        for line in result.notes:
            self.stdout.write(line)
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(result.created)} services created, {len(result.updated)} updated, "
                f"{len(result.unchanged)} unchanged; {result.attributes_written} questions written."
            )
        )
