"""`civicdesk create_api_key NAME [--rate 60/m]`: issue an Open311 API key; the key is the last word."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from civicdesk.cases.models import Department
from civicdesk.open311.models import ApiKey, default_rate, validate_rate


class Command(BaseCommand):
    help = "Issue an Open311 API key. It is printed once, as the last word of the output, and stored hashed."

    def add_arguments(self, parser):
        parser.add_argument("name", help="Who uses the key, e.g. FixMyStreet.")
        parser.add_argument(
            "--rate", default=None, help="Rate limit such as 60/m, 1000/h (default: setting)."
        )
        parser.add_argument(
            "--department", default="", help="Code of the department looking after the client."
        )
        parser.add_argument("--contact", default="", help="Who to call about this client.")

    def handle(self, *args, name, rate, department, contact, **options):
        rate = rate or default_rate()
        try:
            validate_rate(rate)
        except ValidationError as error:
            raise CommandError(f"--rate: {error.messages[0]}") from None
        dept = None
        if department:
            dept = Department.objects.filter(code=department).first()
            if dept is None:
                raise CommandError(f"--department: there is no department “{department}”.")
        api_key = ApiKey(name=name.strip()[:120], rate=rate, department=dept, contact=contact)
        key = api_key.new_secret()
        api_key.save()
        self.stdout.write(f"Created API key “{api_key.name}” (prefix {api_key.prefix}, {rate}). Key: {key}")
