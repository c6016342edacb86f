import logging
import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connections

from civicdesk.inbound import config, imap

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Poll every active IMAP mailbox (configured in the admin, and the one INBOUND_IMAP_* names): "
        "store each message for processing, then flag it seen and move it to the processed folder. "
        "Waits with IDLE where the server supports it; mailboxes added, changed or deactivated in the "
        "admin are picked up every interval."
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
        self.once, self.interval, self.idle, self.only = once, interval, not no_idle, mailbox
        accounts = self.accounts()
        if not accounts:
            raise CommandError(
                "No mailbox to poll: add an active IMAP mailbox in the admin, or set INBOUND_IMAP_HOST, "
                "INBOUND_IMAP_USER and INBOUND_IMAP_PASSWORD."
            )
        self.stopping, self.refused = threading.Event(), []
        signal.signal(signal.SIGTERM, lambda *_: self.stopping.set())
        try:
            if once and len(accounts) == 1:
                self.poll(accounts[0], self.stopping)
            elif once:
                for worker, _ in [self.start(account) for account in accounts]:
                    while worker.is_alive():
                        worker.join(0.5)
            else:
                self.supervise(accounts)
        except KeyboardInterrupt:
            self.stopping.set()
        if self.refused:
            raise CommandError("\n".join(self.refused))

    def accounts(self):
        return [a for a in config.imap_accounts() if self.only in (None, a.key)]

    def supervise(self, accounts):
        """One poller per mailbox; every interval the admin's mailboxes are read again: a new or
        changed one starts, a removed, deactivated or changed one stops. Ends when every poller
        has stopped on a refused login, as a single mailbox's did (decision 50)."""
        running = {}  # account -> (thread, its stop event)
        while not self.stopping.is_set():
            wanted = set(accounts)
            for account in [a for a in running if a not in wanted]:
                running.pop(account)[1].set()
            for account in wanted - running.keys():
                running[account] = self.start(account)
            if self.refused and not any(thread.is_alive() for thread, _ in running.values()):
                break
            self.stopping.wait(self.interval)
            close_old_connections()
            accounts = self.accounts()
        for thread, stop in running.values():
            stop.set()
            thread.join()

    def start(self, account):
        stop = threading.Event()
        worker = threading.Thread(target=self.poll, args=(account, stop), daemon=True)
        worker.start()
        return worker, stop

    def poll(self, account, stop):
        self.stdout.write(
            f"civicdesk fetchmail: {account.user}@{account.host}:{account.port}/{account.folder}"
        )
        try:
            imap.run(
                account,
                once=self.once,
                interval=self.interval,
                stop=lambda: stop.is_set() or self.stopping.is_set(),
                idle=self.idle,
            )
        except imap.MailboxLoginError as error:
            self.refused.append(f"IMAP login refused for {account.user}@{account.host}: {error}")
            log.error("fetchmail: %s", self.refused[-1])
        except imap.CONNECTION_ERRORS as error:  # only with --once: the loop reconnects otherwise
            self.refused.append(f"IMAP {account.user}@{account.host}:{account.port}: {error}")
        finally:
            if threading.current_thread() is not threading.main_thread():
                connections.close_all()
