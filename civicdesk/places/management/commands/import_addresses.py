"""`civicdesk import_addresses FILE`: load a city's address points (OpenAddresses CSV or GeoJSON)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from civicdesk.places.importer import FIELDS, ImportRefused, import_file, parse_mapping


class Command(BaseCommand):
    help = (
        "Import address points from an OpenAddresses CSV (LON, LAT, NUMBER, STREET, UNIT, CITY, POSTCODE, "
        "ID, HASH) or GeoJSON file (a FeatureCollection or one feature per line), or another layout with "
        "--mapping. Bad rows are reported and skipped; the file is imported in one transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--format",
            choices=("csv", "geojson"),
            help="Default: from the file name (.geojson, .json: GeoJSON).",
        )
        parser.add_argument(
            "--mapping",
            default="",
            help=f"Other column (or property) names: column=field,... Fields: {', '.join(FIELDS)}.",
        )
        parser.add_argument("--source", help="Name of this data set (default: the file name without suffix).")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="First delete the points of the same source (one transaction).",
        )

    def handle(self, *args, file, format, mapping, source, replace, **options):  # noqa: A002
        try:
            report = import_file(
                file, file_format=format, mapping=parse_mapping(mapping), source=source, replace=replace
            )
        except ImportRefused as error:
            raise CommandError(str(error)) from None
        for line, reason in report.bad:
            self.stderr.write(_("line %(line)s skipped: %(reason)s") % {"line": line, "reason": reason})
        if report.skipped > len(report.bad):
            self.stderr.write(
                _("... and %(count)d more rows skipped") % {"count": report.skipped - len(report.bad)}
            )
        if report.fallback_lines:
            count = report.fallback_lines
            self.stderr.write(
                ngettext(
                    "%(count)d line was not UTF-8 and was read as Windows-1252",
                    "%(count)d lines were not UTF-8 and were read as Windows-1252",
                    count,
                )
                % {"count": count}
            )
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "%(imported)d address points imported from %(file)s (source “%(source)s”) in "
                    "%(seconds).1f s; %(skipped)d rows skipped, %(replaced)d points replaced."
                )
                % {
                    "imported": report.imported,
                    "file": file.name,
                    "source": report.source,
                    "seconds": report.seconds,
                    "skipped": report.skipped,
                    "replaced": report.replaced,
                }
            )
        )
