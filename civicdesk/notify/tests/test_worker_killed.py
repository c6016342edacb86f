"""Real `civicdesk db_worker` processes killed with SIGKILL mid-send, 20 times: no message is lost.

A real SMTP server (aiosmtpd) stalls the first attempt of a message, either before the message
arrives (at RCPT) or after it arrived but before it answers "250" (after DATA). The test then kills
the worker that holds the message's claim (its pid is in `claimed_by`) and starts another one. Once
every kill is done and the live workers have sent everything else, they are stopped and one outbox
sweep (`civicdesk deliver_outbox`) takes over the killed workers' messages when their leases run
out. Every message arrives; a message killed after its DATA arrives twice, and both copies carry its
one Message-ID, so the receiver can tell it is the same message.

No assertion depends on timing: a takeover can only ever meet a dead sender. While workers live
there is no sweeper (nothing takes over a lease then), and the single sweeper starts only once no
live process is sending, so a stalled heartbeat on a loaded machine cannot add a duplicate.
"""

import asyncio
import os
import queue
import signal
import socket
import subprocess
import sys
import time
from collections import defaultdict

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings

from civicdesk.notify.models import OutboxMessage
from civicdesk.notify.tasks import deliver_message

KILLS = 20
MESSAGES = KILLS + 5
POOL = 2  # workers alive at once, so one starts up while another is stalled and killed
LEASE, HEARTBEAT = "5", "1"  # seconds, shortened for the test (defaults 30 and 10)


class StallingSMTP:
    """An SMTP server that keeps every copy it receives and stalls the first attempt of the first
    messages it sees, at the point each one's turn in `plan` names ("rcpt" or "data")."""

    def __init__(self, plan):
        from aiosmtpd.controller import Controller

        self.plan = list(plan)
        self.stalls = queue.Queue()  # recipients whose sender is stalled now
        self.copies = []  # (recipient, Message-ID) of every message that arrived
        self.seen = set()
        self.stages = {}  # recipient -> where its first attempt was stalled, if it was
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        envelope.rcpt_tos.append(address)
        first, self.seen = address not in self.seen, self.seen | {address}
        stage = self.plan.pop(0) if first and self.plan else None
        if stage:
            self.stages[address] = stage
        envelope.stall_after_data = stage == "data"
        if stage == "rcpt":
            await self.stall(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        import email

        parsed = email.message_from_bytes(envelope.original_content)
        self.copies.append((envelope.rcpt_tos[0], parsed["Message-ID"]))
        if envelope.stall_after_data:
            await self.stall(envelope.rcpt_tos[0])
        return "250 Message accepted for delivery"

    async def stall(self, address):
        self.stalls.put(address)
        await asyncio.sleep(60)  # until the sender is killed; the answer then goes nowhere


def database_url():
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def civicdesk(smtp_port, *command):
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "civicdesk.settings",
        "DATABASE_URL": database_url(),
        "SECRET_KEY": "outbox-kill-test",
        "DEBUG": "false",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "OUTBOX_LEASE_SECONDS": LEASE,
        "OUTBOX_HEARTBEAT_SECONDS": HEARTBEAT,
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(  # noqa: S603 - fixed arguments
        [sys.executable, "-m", "civicdesk.cli", *command],
        env=env,
        cwd=settings.BASE_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def worker(smtp_port):
    # --skip-checks: the system checks take a second of start-up that 20 restarts do not need.
    return civicdesk(
        smtp_port, "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.1", "--skip-checks"
    )


def holder_pid(message):
    return int(message.claimed_by.split(":")[-2])  # host:pid:token (delivery.new_holder)


def wait_until_only_killed_sends_are_left(killed_pids, timeout=120):
    """Until the live workers have sent every message but those whose sender we killed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = list(OutboxMessage.objects.exclude(status=OutboxMessage.Status.SENT))
        if all(m.status == OutboxMessage.Status.SENDING and holder_pid(m) in killed_pids for m in left):
            return
        time.sleep(0.2)
    pytest.fail(f"live workers did not finish in {timeout} s: {[(m.recipient, m.status) for m in left]}")


def wait_until_all_sent(timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not OutboxMessage.objects.exclude(status=OutboxMessage.Status.SENT).exists():
            return
        time.sleep(0.2)
    left = OutboxMessage.objects.exclude(status="sent").values_list("recipient", "status", "claimed_by")
    pytest.fail(f"not delivered after {timeout} s: {list(left)}")


@pytest.mark.django_db(transaction=True)  # the workers read what the test wrote
def test_it_delivers_every_message_through_20_sigkills_mid_send(capsys):
    plan = ["rcpt", "data"] * (KILLS // 2)
    smtp = StallingSMTP(plan)
    smtp.controller.start()
    rows = [
        OutboxMessage.objects.create(
            kind="reply", recipient=f"r{n:02d}@example.org", subject=f"Update {n}", body="We fixed it."
        )
        for n in range(MESSAGES)
    ]
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        for row in rows:
            deliver_message.enqueue(row.pk)

    processes, killed, killed_pids, sweeper = {}, [], set(), None
    started = time.monotonic()
    try:
        for _ in range(POOL):
            process = worker(smtp.port)
            processes[process.pid] = process
        for _ in range(KILLS):
            address = smtp.stalls.get(timeout=60)
            message = OutboxMessage.objects.get(recipient=address)
            assert message.status == "sending"  # mid-send: claimed, not recorded
            holder = processes.pop(holder_pid(message))  # KeyError if a process we did not start held it
            holder.send_signal(signal.SIGKILL)
            holder.wait()
            killed.append(address)
            killed_pids.add(holder.pid)
            process = worker(smtp.port)
            processes[process.pid] = process
        wait_until_only_killed_sends_are_left(killed_pids)
        for process in processes.values():  # idle now: nothing of theirs can be taken over
            process.kill()
            process.wait()
        processes.clear()
        sweeper = civicdesk(smtp.port, "deliver_outbox", "--interval", "0.5", "--skip-checks")
        wait_until_all_sent()
    finally:
        for process in [*processes.values(), sweeper]:
            if process is None:
                continue
            process.kill()
            process.wait()
        smtp.controller.stop()

    copies = defaultdict(list)
    for recipient, message_id in smtp.copies:
        copies[recipient].append(message_id)
    stored = dict(OutboxMessage.objects.values_list("recipient", "message_id"))
    assert set(copies) == set(stored)  # every message arrived
    for recipient, message_ids in copies.items():
        assert set(message_ids) == {stored[recipient]}  # any second copy is recognisably the same
    duplicates = sum(len(ids) - 1 for ids in copies.values())
    with capsys.disabled():
        print(
            f"\n{len(killed)} workers killed mid-send, {len(stored)} messages, {duplicates} duplicates "
            f"(all with their original's Message-ID), {time.monotonic() - started:.0f} s"
        )
    assert len(killed) == KILLS
    # Exactly the messages killed after their DATA arrived came twice; those killed before, once.
    killed_after_data = [address for address in killed if smtp.stages[address] == "data"]
    assert len(killed_after_data) == KILLS // 2
    assert sorted(r for r, ids in copies.items() if len(ids) > 1) == sorted(killed_after_data)
