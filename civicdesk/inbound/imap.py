"""Polling an existing mailbox over IMAP (`civicdesk fetchmail`, decision 50).

Each message is fetched by UID with BODY.PEEK (so fetching alone changes nothing on the server),
stored through `actions.receive`, and only then flagged \\Seen and moved out of the folder. A crash
between storing and moving fetches the message again next time; `receive` is idempotent by the
Message-ID (or a digest of the bytes), so that stores nothing twice."""

import contextlib
import email.policy
import imaplib
import logging
import re
import ssl
import time
from email.parser import BytesHeaderParser
from email.utils import getaddresses

from django.conf import settings
from django.db import close_old_connections
from imap_tools import AND, MailBox, MailBoxStartTls, MailBoxUnencrypted, MailMessageFlags
from imap_tools.errors import MailboxFolderCreateError, MailboxLoginError, UnexpectedCommandStatusError

from civicdesk.cases.models import Channel

from . import actions

log = logging.getLogger(__name__)
BATCH = 50  # messages fetched per command: bounded memory (25 MB each at most), few round trips
SIZE = re.compile(rb"UID (\d+).*?RFC822\.SIZE (\d+)|RFC822\.SIZE (\d+).*?UID (\d+)")
UID = re.compile(rb"UID (\d+)")
# What a dropped or refused connection raises: the loop reconnects after a pause.
CONNECTION_ERRORS = (OSError, imaplib.IMAP4.error, UnexpectedCommandStatusError, EOFError)


def connect(account, timeout=60):
    mailbox = _open(account, timeout)
    mailbox.login(account.user, account.password, initial_folder=account.folder)
    for folder in (account.processed_folder, account.refused_folder):
        if folder and not mailbox.folder.exists(folder):
            try:
                mailbox.folder.create(folder)
            except MailboxFolderCreateError:
                if not mailbox.folder.exists(folder):
                    raise  # not a poller of another mailbox on the same account making it first
    return mailbox


def _open(account, timeout):
    if account.security == "ssl":
        mailbox = MailBox(
            account.host, account.port, timeout=timeout, ssl_context=ssl.create_default_context()
        )
    elif account.security == "starttls":
        mailbox = MailBoxStartTls(
            account.host, account.port, timeout=timeout, ssl_context=ssl.create_default_context()
        )
    else:
        mailbox = MailBoxUnencrypted(account.host, account.port, timeout=timeout)
    return mailbox


def check(account, timeout=15):
    """The admin's "send a test": log in, select the folder, and count its messages. Changes
    nothing on the server (no folder is created). Raises what `connect` would."""
    mailbox = _open(account, timeout)
    try:
        mailbox.login(account.user, account.password, initial_folder=None)
        mailbox.folder.set(account.folder)
        return mailbox.folder.status(account.folder)["MESSAGES"]
    finally:
        with contextlib.suppress(CONNECTION_ERRORS):
            mailbox.logout()


def fetch_once(mailbox, account):
    """Store every waiting message; returns how many were stored (or found stored already)."""
    criteria = "ALL" if account.processed_folder else AND(seen=False)
    uids = mailbox.uids(criteria)
    stored = 0
    for start in range(0, len(uids), BATCH):
        stored += _fetch_batch(mailbox, account, uids[start : start + BATCH])
    return stored


def _fetch_batch(mailbox, account, uids):
    sizes = _sizes(mailbox, uids)
    too_large = [uid for uid in uids if sizes.get(uid, 0) > settings.INBOUND_MAX_BYTES]
    if too_large:
        # Kept whole in the mailbox, out of the way: never fetched again, never lost.
        log.warning(
            "IMAP messages %s are over INBOUND_MAX_BYTES: moved to %s", too_large, account.refused_folder
        )
        _move(mailbox, too_large, account.refused_folder)
    wanted = [uid for uid in uids if uid not in too_large]
    if not wanted:
        return 0
    done = []
    for uid, raw in _fetch_raw(mailbox, wanted):
        store(raw)
        done.append(uid)
    if not done:
        return 0
    # Only now, with every message of the batch committed, does the server hear of it.
    mailbox.flag(done, MailMessageFlags.SEEN, True)
    if account.processed_folder:
        _move(mailbox, done, account.processed_folder)
    return len(done)


def _sizes(mailbox, uids):
    status, data = mailbox.client.uid("FETCH", ",".join(uids), "(UID RFC822.SIZE)")
    if status != "OK":
        raise imaplib.IMAP4.error(f"FETCH RFC822.SIZE: {status}")
    sizes = {}
    for line in data:
        match = SIZE.search(line if isinstance(line, bytes) else line[0])
        if match:
            uid, size = (
                (match.group(1), match.group(2)) if match.group(1) else (match.group(4), match.group(3))
            )
            sizes[uid.decode()] = int(size)
    return sizes


def _fetch_raw(mailbox, uids):
    """(uid, bytes exactly as the server holds them) for each message; BODY.PEEK sets no flag."""
    status, data = mailbox.client.uid("FETCH", ",".join(uids), "(UID BODY.PEEK[])")
    if status != "OK":
        raise imaplib.IMAP4.error(f"FETCH BODY.PEEK[]: {status}")
    for item in data:
        if isinstance(item, tuple):
            match = UID.search(item[0])
            if match:
                yield match.group(1).decode(), item[1]


def _move(mailbox, uids, folder):
    if folder:
        mailbox.move(uids, folder)
    else:
        mailbox.flag(uids, MailMessageFlags.SEEN, True)


def store(raw):
    """Store one fetched message; committed when this returns (autocommit, as in `smtp.store`)."""
    close_old_connections()
    headers = BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
    actions.receive(
        Channel.EMAIL,
        actions.email_key(raw),
        raw,
        envelope_sender=_return_path(headers),
        recipients=_recipients(headers),
    )


def _return_path(headers):
    """The envelope sender, as the delivering server wrote it; `<>` for a bounce. None when absent
    (a mailbox filled by hand): the other loop checks still apply."""
    value = headers.get("Return-Path")
    if value is None:
        return None
    address = str(value).strip()
    return "<>" if address in ("", "<>") else address.strip("<>")


def _recipients(headers):
    """Delivered-To and X-Original-To name the address the mail was delivered to (a reply+token@
    address included) even when it was a Bcc."""
    fields = [str(v) for name in ("Delivered-To", "X-Original-To") for v in headers.get_all(name) or []]
    return sorted({address.lower() for _, address in getaddresses(fields) if "@" in address})


def run(account, *, once=False, interval=60, stop=lambda: False, idle=True):
    """Poll until `stop()` says so (or once). Waits with IDLE when the server has it (woken by new
    mail, re-issued at least every `interval` seconds), otherwise sleeps `interval`. A dropped
    connection is reopened after a pause that grows to `interval`."""
    pause = 1
    while not stop():
        try:
            with connect(account) as mailbox:
                pause = 1
                while not stop():
                    count = fetch_once(mailbox, account)
                    if count:
                        log.info("fetchmail: %s message(s) stored", count)
                    if once:
                        return
                    _wait(mailbox, interval, idle, stop)
        except MailboxLoginError:
            raise  # wrong credentials do not heal by retrying
        except CONNECTION_ERRORS as error:
            if once:
                raise
            log.warning("fetchmail: connection lost (%s); reconnecting in %s s", error, pause)
            _sleep(pause, stop)
            pause = min(pause * 2, max(interval, 1))


def _wait(mailbox, interval, idle, stop):
    """True when woken by the server (new mail), False after `interval` or `stop()`."""
    if idle and "IDLE" in mailbox.client.capabilities:
        # Short IDLE rounds so that `stop()` is heard; the server answers at once when mail arrives.
        deadline = time.monotonic() + interval
        while not stop() and time.monotonic() < deadline:
            if mailbox.idle.wait(timeout=min(5, interval)):
                return True
        return False
    _sleep(interval, stop)
    return False


def _sleep(seconds, stop):
    deadline = time.monotonic() + seconds
    while not stop() and time.monotonic() < deadline:
        time.sleep(min(0.2, seconds))
