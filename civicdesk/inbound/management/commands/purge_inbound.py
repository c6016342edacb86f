from django.core.management.base import BaseCommand

from civicdesk.inbound.actions import purge_raw


class Command(BaseCommand):
    help = (
        "Clear the raw bytes of inbound messages past their retention (INBOUND_DISCARDED_RETENTION_DAYS, "
        "INBOUND_RAW_RETENTION_DAYS), keeping the rows; quarantined ones are kept whole. Run daily, "
        "e.g. from cron."
    )

    def handle(self, **options):
        self.stdout.write(f"Purged the raw bytes of {purge_raw()} inbound messages.")
