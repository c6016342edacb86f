"""`civicdesk import_areas FILE --layer ward --name-property WARD`: load one layer of areas from GeoJSON."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from civicdesk.areas.actions import ImportRefused, import_file
from civicdesk.areas.geojson import GeoJSONError


class Command(BaseCommand):
    help = (
        "Import one layer of areas (wards, districts, zones) from a GeoJSON file in longitude/latitude. "
        "Every feature is checked first: one bad feature refuses the whole file and nothing is imported."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="A GeoJSON FeatureCollection, Feature or Polygon.")
        parser.add_argument(
            "--layer", required=True, help="Layer name: ward, council_district, service_zone..."
        )
        parser.add_argument(
            "--name-property", required=True, help="The feature property holding each area's name (WARD)."
        )
        parser.add_argument("--label", default="", help="Human label for the layer (Wards).")
        parser.add_argument(
            "--city-boundary",
            action="store_true",
            help="This layer is the city limits (used by inside_city).",
        )
        parser.add_argument(
            "--replace", action="store_true", help="Replace the layer's existing areas instead of refusing."
        )

    def handle(self, *args, file, layer, name_property, label, city_boundary, replace, **options):
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"cannot read {file}: {error.strerror}") from None
        try:
            result = import_file(
                data, layer, name_property, label=label, city_boundary=city_boundary, replace=replace
            )
        except GeoJSONError as error:
            raise CommandError(f"{file} refused, nothing was imported:\n" + "\n".join(error.lines)) from None
        except ImportRefused as error:
            raise CommandError(str(error)) from None
        for line in result.repairs:
            self.stdout.write(self.style.WARNING(line))
        if result.replaced:
            self.stdout.write(f"replaced {result.replaced} areas")
        self.stdout.write(self.style.SUCCESS(result.summary))
