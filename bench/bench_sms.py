"""Twilio SMS webhook over HTTP: gunicorn workers, concurrent clients posting signed webhooks, the
latency of the webhook's answer, and that every message was stored and then processed.

    python bench/bench_sms.py [--db postgresql,sqlite] [--workers 4] [--clients 8] [--count 1000]
                              [--database civicdesk_bench_sms]

For each database: a fresh one with the demo city (`load_demo`), gunicorn (`civicdesk.wsgi`,
production settings, DEBUG off) on loopback with a Twilio auth token, and a local stand-in for
Twilio's REST API that answers the outbox's SMS. `--clients` threads, each with its own connection,
POST `--count` signed webhooks together (X-Twilio-Signature made with `twilio`'s RequestValidator
over the public URL), one message each from `--count` different numbers: the first text of an SMS
conversation ("the street light ... is dark"). Each answer must be 200 with empty TwiML.

`WARMUP` webhooks go first, untimed (each gunicorn worker's first requests load the app). Then
`civicdesk db_worker` processes the queue; the run waits until every message (warm-up included) is
processed and every SMS answer has left the outbox (or `--drain-timeout` passes) and reports how
many were stored, processed and answered. The target
(issue 10): webhook answer p95 <= 50 ms, and no message lost.

Latencies are client-side (http.client on the same machine, competing for the same cores).
"""

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import benchlib

DATABASE = "civicdesk_bench_sms"
TOKEN = "bench-twilio-token"  # noqa: S105 - a benchmark's
ACCOUNT = "ACbench00000000000000000000000000"
PATH = "/inbound/sms/twilio/"
WARMUP = 16  # webhooks posted before the measured ones (stored and processed too, not timed)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="postgresql,sqlite")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--count", type=int, default=1000, help="webhooks posted by all clients together")
    parser.add_argument("--drain-timeout", type=float, default=600, help="seconds to wait for the worker")
    parser.add_argument("--database", default=DATABASE, help="PostgreSQL database to create and drop")
    args = parser.parse_args()
    if not benchlib.run_per_database(args.db):
        measure(args.db, args)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fake_twilio():
    """Answers the outbox's Messages.json POSTs as Twilio does (201 and a sid); counts them."""
    sent = {"count": 0}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's hook name
            self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                sent["count"] += 1
                body = json.dumps({"sid": f"SM{sent['count']:032d}", "status": "queued"}).encode()
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, sent


def measure(kind, args):
    twilio_api, sent = fake_twilio()
    with (
        benchlib.database(kind, name=args.database) as url,
        tempfile.TemporaryDirectory(prefix="civicdesk-sms-") as tmp,
    ):
        extra = {"CIVICDESK_VAR_DIR": tmp, "MEDIA_ROOT": f"{tmp}/media"}
        benchlib.civicdesk(url, "load_demo", DEBUG="true", **extra)
        port = free_port()
        public = f"http://127.0.0.1:{port}"
        server_env = benchlib.env(
            url,
            **extra,
            ALLOWED_HOSTS="127.0.0.1",
            TWILIO_ACCOUNT_SID=ACCOUNT,
            TWILIO_AUTH_TOKEN=TOKEN,
            TWILIO_FROM="+16175550000",
            TWILIO_API_BASE=f"http://127.0.0.1:{twilio_api.server_address[1]}",
            TWILIO_WEBHOOK_BASE=public,
            INBOUND_REFUSED_RATE="1000000/m",
        )
        server = subprocess.Popen(  # noqa: S603 - gunicorn from our own environment
            [f"{sys.prefix}/bin/gunicorn", "civicdesk.wsgi", "-w", str(args.workers),
             "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
            cwd=benchlib.ROOT, env=server_env,
        )  # fmt: skip
        worker = None
        try:
            wait_until_up(port)
            load_before = os.getloadavg()[0]
            run_clients(
                port, public, args.clients, WARMUP, first=args.count
            )  # each gunicorn worker's first requests
            result = run_clients(port, public, args.clients, args.count)
            worker = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "civicdesk.cli", "db_worker"], cwd=benchlib.ROOT, env=server_env
            )
            drained_s, counts = drain(server_env, args.count + WARMUP, args.drain_timeout)
            load_after = os.getloadavg()[0]
        finally:
            for process in (worker, server):
                if process is not None:
                    process.terminate()
                    try:
                        process.wait(60)
                    except subprocess.TimeoutExpired:
                        process.kill()
        version = benchlib.pg_version() if kind == "postgresql" else benchlib.sqlite_version()
    twilio_api.shutdown()
    answers = sorted(result["answers"])
    pick = lambda q: round(answers[round(q * (len(answers) - 1))] * 1000, 1) if answers else None  # noqa: E731
    benchlib.report(
        "sms_webhook",
        database=f"{'PostgreSQL' if kind == 'postgresql' else 'SQLite'} {version}",
        server=f"gunicorn {args.workers} sync workers, DEBUG off",
        clients=args.clients,
        posted=args.count,
        warmup_posts=WARMUP,
        answered_200=result["ok"],
        failures=result["failures"][:5],
        answer_p50_ms=pick(0.5),
        answer_p95_ms=pick(0.95),
        answer_p99_ms=pick(0.99),
        target_p95_ms=50,
        webhooks_per_s=round(result["ok"] / result["wall_s"], 1),
        stored=counts["stored"],
        processed=counts["processed"],
        sms_answers_sent=sent["count"],
        drained_s=round(drained_s, 1),
        load_1min=[round(load_before, 2), round(load_after, 2)],
    )


def wait_until_up(port, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def signed_form(public, n):
    from twilio.request_validator import RequestValidator

    params = {
        "MessageSid": f"SMbench{n:025d}",
        "AccountSid": ACCOUNT,
        "From": f"+1617{5550000 + n:07d}"[:12],
        "To": "+16175550000",
        "Body": "The street light on Main Street is dark at night",
        "NumMedia": "0",
    }
    signature = RequestValidator(TOKEN).compute_signature(public + PATH, params)
    return urllib.parse.urlencode(params).encode(), signature


def run_clients(port, public, clients, count, first=0):
    forms = [signed_form(public, n) for n in range(first, first + count)]
    answers, failures, lock = [], [], threading.Lock()
    next_form = iter(forms)

    def client():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                item = next(next_form, None)
            if item is None:
                return
            body, signature = item
            headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
            started = time.perf_counter()
            connection.request("POST", PATH, body, headers)
            response = connection.getresponse()
            answer = response.read()
            elapsed = time.perf_counter() - started
            with lock:
                if response.status == 200 and answer.endswith(b"<Response/>"):
                    answers.append(elapsed)
                else:
                    failures.append(f"{response.status} {answer[:100]!r}")

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "answers": answers,
        "ok": len(answers),
        "failures": failures,
        "wall_s": time.perf_counter() - started,
    }


def drain(environment, expected, timeout):
    """Seconds until every stored SMS is processed and every SMS answer left the outbox (or the
    timeout), and the final counts."""
    os.environ.update(environment)
    sys.path.insert(0, str(benchlib.ROOT))
    import django

    django.setup()
    from civicdesk.inbound.models import InboundMessage
    from civicdesk.notify.models import OutboxMessage

    started = time.monotonic()
    while True:
        stored = InboundMessage.objects.filter(channel="sms").count()
        processed = InboundMessage.objects.filter(channel="sms").exclude(status="received").count()
        waiting = OutboxMessage.objects.filter(channel="sms", status__in=["pending", "sending"]).exists()
        if (processed >= expected and not waiting) or time.monotonic() - started > timeout:
            return time.monotonic() - started, {"stored": stored, "processed": processed}
        time.sleep(0.5)


if __name__ == "__main__":
    main()
