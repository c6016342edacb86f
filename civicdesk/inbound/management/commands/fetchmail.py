import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from civicdesk.inbound import imap


class Command(BaseCommand):
    help = (
        "Poll the mailbox INBOUND_IMAP_* names over IMAP: store each message for processing, then flag it "
        "seen and move it to the processed folder. Waits with IDLE where the server supports it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Fetch what is waiting, then exit.")
        parser.add_argument(
            "--interval",
            type=int,
            default=settings.INBOUND_IMAP_INTERVAL,
            help="Seconds between polls (the longest IDLE wait when the server has IDLE).",
        )
        parser.add_argument("--no-idle", action="store_true", help="Poll every interval even with IDLE.")

    def handle(self, *args, once, interval, no_idle, **options):
        account = imap.Account.from_settings()
        if not (account.host and account.user):
            raise CommandError("Set INBOUND_IMAP_HOST, INBOUND_IMAP_USER and INBOUND_IMAP_PASSWORD.")
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        self.stdout.write(
            f"civicdesk fetchmail: {account.user}@{account.host}:{account.port}/{account.folder}"
        )
        try:
            imap.run(account, once=once, interval=interval, stop=lambda: bool(stopping), idle=not no_idle)
        except imap.MailboxLoginError as error:
            raise CommandError(f"IMAP login refused: {error}") from error
        except KeyboardInterrupt:
            pass
