"""`civicdesk import_cases FILE --format nyc311|boston311|open311|csv`: import a city's case history."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from civicdesk.transfer.importer import BATCH, Importer, Progress, Report
from civicdesk.transfer.mapping import BUILT_IN, MappingError, load
from civicdesk.transfer.readers import reader_for


class Command(BaseCommand):
    help = (
        "Import historical cases from a CSV export (NYC 311, Boston 311, or any layout described by a "
        "mapping TOML) or an Open311 GeoReport v2 requests.json/.xml. Rows already imported are skipped, "
        "so running it again imports nothing twice. No e-mails or webhooks are sent. Every row not "
        "imported is listed with its reason in the report; the last line says "
        "`imported N, skipped M, failed K`."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The file to import.")
        parser.add_argument(
            "--format",
            required=True,
            choices=[*BUILT_IN, "csv"],
            help="The file's layout (csv needs --mapping).",
        )
        parser.add_argument(
            "--mapping", type=Path, help="A mapping TOML (see civicdesk/transfer/mapping.py)."
        )
        parser.add_argument(
            "--report",
            type=Path,
            help="Where to write the CSV of rows not imported (default: <file name>-report.csv here).",
        )
        parser.add_argument("--source", help="Case.source for these cases (default: the mapping's `source`).")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check and count everything, then roll back: nothing is kept.",
        )
        parser.add_argument("--batch", type=int, default=BATCH, help="Records per transaction.")
        parser.add_argument(
            "--bulk",
            choices=["auto", "always", "never"],
            default="auto",
            help=(
                "PostgreSQL: load in one transaction, locking the case tables, with their indexes built at "
                "the end (auto: a file of 16 MB or more into a database without cases)."
            ),
        )

    def handle(self, *args, file, format, mapping, report, source, dry_run, batch, bulk, **options):
        if batch < 1:
            raise CommandError("--batch must be positive")
        try:
            rules = load(format, mapping, source)
        except MappingError as error:
            raise CommandError(str(error)) from None
        report = report or Path(f"{file.stem}-report.csv")
        try:
            data = file.open("rb")
        except OSError as error:
            raise CommandError(f"cannot read {file}: {error.strerror}") from None
        with data, report.open("w", newline="", encoding="utf-8") as report_file:
            importer = Importer(
                rules,
                Report(report_file),
                batch=batch,
                dry_run=dry_run,
                progress=Progress(file.stat().st_size),
                size=file.stat().st_size,
                bulk={"auto": None, "always": True, "never": False}[bulk],
            )
            reader = reader_for(file, "csv" if format != "open311" else format, data, importer.columns)
            try:
                result = importer.run(reader)
            except MappingError as error:
                raise CommandError(f"{file}: {error}") from None
        if reader.fallback_lines:
            self.stderr.write(f"{reader.fallback_lines} lines were not UTF-8 and were read as Windows-1252")
        if result.skipped or result.failed:
            self.stderr.write(f"rows not imported are listed in {report}")
        if dry_run:
            self.stdout.write("dry run: nothing was kept")
        self.stdout.write(str(result))
