"""Inbound e-mail through the SMTP receiver to a case with its conversation: messages per second
and the SMTP answer latency.

    python bench/bench_inbound_email.py [--count 1000] [--clients 4] [--workers 2]
                                        [--database civicdesk_bench_inbound_email]

A fresh PostgreSQL database (`--database`, dropped afterwards) with the demo city; then, as
production runs them, `civicdesk smtpd` (INBOUND_EMAIL_DOMAINS=city.test) and `--workers` task
workers (`civicdesk db_worker`, the database task backend). `--clients` smtplib threads, each on its
own SMTP connection, send `--count` messages together (a distinct sender, subject and body each:
every one becomes its own case). The clock starts at the first message sent (once a warm-up
message, not counted, has gone through and every worker is connected) and stops when every
message is processed and has its case and conversation (polled every 0.2 s); the rate is
`--count` over that time. The intake rate (250s per second) and the latency of each message's
SMTP DATA answer (client side: a 250 means the raw message is committed) are reported beside it.

Outbound mail is the dummy backend: acknowledgements are queued and "sent" by the workers, but no
SMTP server receives them. Target (issue 10): at least 100 messages/s.
"""

import argparse
import os
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time

import benchlib

DATABASE = "civicdesk_bench_inbound_email"
TARGET = 100
MAIL = (
    "From: Resident {n} <resident{n}@example.org>\r\nTo: 311@city.test\r\n"
    "Subject: Pothole on street {n}\r\nMessage-ID: <bench-{n}@example.org>\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n\r\n"
    "There is a deep pothole in front of number {n} on Elm Street. Please fix it.\r\n"
)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="db_worker processes")
    parser.add_argument("--timeout", type=int, default=900, help="seconds before giving up")
    parser.add_argument("--database", default=DATABASE, help="PostgreSQL database to create and drop")
    args = parser.parse_args()
    with (
        benchlib.database("postgresql", name=args.database) as url,
        tempfile.TemporaryDirectory(prefix="civicdesk-inbound-") as tmp,
    ):
        extra = {"CIVICDESK_VAR_DIR": tmp, "MEDIA_ROOT": f"{tmp}/media"}
        benchlib.civicdesk(url, "load_demo", DEBUG="true", **extra)
        port = free_port()
        environment = benchlib.env(
            url,
            **extra,
            INBOUND_EMAIL_DOMAINS="city.test",
            EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        )
        processes = [start(["smtpd", "--host", "127.0.0.1", "--port", str(port)], environment)]
        processes += [start(["db_worker", "--interval", "0.1"], environment) for _ in range(args.workers)]
        try:
            wait_until_up(port)
            warm_up(url, port, args.workers)
            result = measure(url, port, args)
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(60)
                except subprocess.TimeoutExpired:
                    process.kill()
        version = benchlib.pg_version()
    benchlib.report(
        "inbound_email",
        database=f"postgresql {version}",
        count=args.count,
        clients=args.clients,
        workers=args.workers,
        target_per_s=TARGET,
        **result,
    )


def start(arguments, environment):
    return subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, "-m", "civicdesk.cli", *arguments],
        cwd=benchlib.ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
    )


def measure(url, port, args):
    latencies, errors = [], []
    lock = threading.Lock()

    def client(first, last):
        own = []
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=120) as smtp:
                for n in range(first, last):
                    began = time.perf_counter()
                    refused = smtp.sendmail(f"resident{n}@example.org", ["311@city.test"], MAIL.format(n=n))
                    own.append(time.perf_counter() - began)
                    if refused:
                        raise RuntimeError(f"refused: {refused}")
        except Exception as error:  # noqa: BLE001 - reported, and the run fails below
            with lock:
                errors.append(repr(error))
        with lock:
            latencies.extend(own)

    share = -(-args.count // args.clients)
    ranges = [(i, min(i + share, args.count)) for i in range(0, args.count, share)]
    threads = [threading.Thread(target=client, args=r) for r in ranges]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent = time.perf_counter() - began
    if errors:
        raise SystemExit(f"SMTP errors: {errors[:5]}")
    done, last = wait_for_cases(url, args.count, began, args.timeout)
    elapsed = time.perf_counter() - began
    latencies.sort()
    pick = lambda q: round(latencies[round(q * (len(latencies) - 1))] * 1000, 1)  # noqa: E731
    return {
        "complete": done == args.count,
        "processed": done,
        "last_counts": last,
        "seconds": round(elapsed, 2),
        "messages_per_s": round(done / elapsed, 1),
        "intake_per_s": round(args.count / sent, 1),
        "smtp_answer_ms": {"p50": pick(0.5), "p95": pick(0.95), "p99": pick(0.99), "max": pick(1.0)},
    }


def wait_for_cases(url, count, began, timeout):
    """Polls until every message is processed with its case and conversation."""
    import psycopg

    query = """
        SELECT count(*) FILTER (WHERE m.status = 'processed'),
               count(*) FILTER (WHERE m.case_id IS NOT NULL AND m.conversation_id IS NOT NULL
                                AND c.case_id = m.case_id)
        FROM inbound_inboundmessage m LEFT JOIN inbound_conversation c ON c.id = m.conversation_id
        WHERE m.key <> '<bench-warm-up@example.org>'
    """
    with psycopg.connect(url, autocommit=True) as conn:
        while True:
            processed, complete = conn.execute(query).fetchone()
            if complete >= count or time.perf_counter() - began > timeout:
                return complete, {"processed": processed, "with_case_and_conversation": complete}
            time.sleep(0.2)


def warm_up(url, port, workers, seconds=120):
    """Start the clock only once every worker is running: with no bytecode cache a worker takes
    seconds to import, and those seconds are not processing. One message (not counted) goes through
    first, and every worker has connected to the database."""
    import psycopg

    with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
        smtp.sendmail("warm@example.org", ["311@city.test"], MAIL.format(n="warm-up"))
    query = """
        SELECT (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
                AND pid <> pg_backend_pid()),
               (SELECT count(*) FROM inbound_inboundmessage WHERE status = 'processed')
    """
    deadline = time.monotonic() + seconds
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            connections, processed = conn.execute(query).fetchone()
            if connections >= workers + 1 and processed == 1:  # the receiver and every worker
                return
            time.sleep(0.2)
    raise SystemExit("the workers did not start")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(port, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
                smtp.noop()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("civicdesk smtpd did not start")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
