import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from civicdesk.inbound import config, imap


class Command(BaseCommand):
    help = (
        "Poll every active IMAP mailbox (configured in the admin, and the one INBOUND_IMAP_* names): "
        "store each message for processing, then flag it seen and move it to the processed folder. "
        "Waits with IDLE where the server supports it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Fetch what is waiting, then exit.")
        parser.add_argument(
            "--interval",
            type=int,
            default=config.imap_interval(),
            help="Seconds between polls (the longest IDLE wait when the server has IDLE).",
        )
        parser.add_argument("--no-idle", action="store_true", help="Poll every interval even with IDLE.")
        parser.add_argument(
            "--mailbox", help='Poll only this mailbox: its id in the admin, or "env" for INBOUND_IMAP_*.'
        )

    def handle(self, *args, once, interval, no_idle, mailbox, **options):
        accounts = [a for a in config.imap_accounts() if mailbox in (None, a.key)]
        if not accounts:
            raise CommandError(
                "No mailbox to poll: add an active IMAP mailbox in the admin, or set INBOUND_IMAP_HOST, "
                "INBOUND_IMAP_USER and INBOUND_IMAP_PASSWORD."
            )
        stopping = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stopping.set())
        for account in accounts:
            self.stdout.write(
                f"civicdesk fetchmail: {account.user}@{account.host}:{account.port}/{account.folder}"
            )
        refused = []

        def poll(account):
            try:
                imap.run(account, once=once, interval=interval, stop=stopping.is_set, idle=not no_idle)
            except imap.MailboxLoginError as error:
                refused.append(f"IMAP login refused for {account.user}@{account.host}: {error}")
            except imap.CONNECTION_ERRORS as error:  # only with --once: the loop reconnects otherwise
                refused.append(f"IMAP {account.user}@{account.host}:{account.port}: {error}")
            finally:
                if threading.current_thread() is not threading.main_thread():
                    connections.close_all()

        try:
            if len(accounts) == 1:
                poll(accounts[0])
            else:
                # One connection per mailbox, each waiting in IDLE: one thread each.
                workers = [threading.Thread(target=poll, args=(a,), daemon=True) for a in accounts]
                for worker in workers:
                    worker.start()
                for worker in workers:
                    while worker.is_alive():
                        worker.join(0.5)
        except KeyboardInterrupt:
            stopping.set()
        if refused:
            raise CommandError("\n".join(refused))
