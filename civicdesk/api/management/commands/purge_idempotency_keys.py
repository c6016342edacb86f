from django.core.management.base import BaseCommand

from ...idempotency import purge


class Command(BaseCommand):
    help = "Forget API Idempotency-Keys older than 24 hours (run daily, e.g. from cron)."

    def handle(self, **options):
        self.stdout.write(f"Removed {purge()} idempotency records.")
