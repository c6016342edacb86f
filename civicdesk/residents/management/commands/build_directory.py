from django.core.management.base import BaseCommand

from ...build import build, normalise_case_phones


class Command(BaseCommand):
    help = (
        "Build the resident directory from existing cases: reporter accounts, e-mails and phones "
        "(phones first rewritten to E.164). Safe to run again, e.g. nightly: it adds only what is new."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=1000, help="Rows read per database round trip.")

    def handle(self, batch, **options):
        phones = normalise_case_phones(batch)
        resolved = build(batch)
        self.stdout.write(f"Normalised {phones} case phone numbers; resolved {resolved} reporters.")
