"""Resident portal submissions over HTTP: gunicorn workers, concurrent clients, POSTs per second and latency.

    python bench/bench_portal.py [--db postgresql,sqlite] [--workers 4] [--clients 4] [--posts 2000]
                                 [--database civicdesk_bench_portal]

For each database: a fresh one (PostgreSQL: `--database`, dropped afterwards; SQLite: a file in a
temporary directory) with the demo city (`load_demo`, which needs DEBUG on) and collected static
files; then gunicorn (`civicdesk.wsgi`, `--workers` sync workers, production settings: DEBUG off,
the anonymous PORTAL_SUBMIT_RATE raised so it never trips) on loopback. Each client thread keeps
its own connection and cookies, GETs the report form of the service with the most required
questions once (for the CSRF token), then POSTs it (url-encoded, no photos, valid answers) until
the clients together have posted `--posts` times, expecting a 302 to /submitted/<token>/ each time.
The rate is successful POSTs over the wall time of the run.

On PostgreSQL the same run replays pgbench's equivalent transaction (the case, its events and
outbox rows copied from the last case the portal stored, the case number from the same sequence,
and the delivery task row; see bench_submit.equivalent_transaction) with `--pgbench-clients`
clients, and reports the ratio.

Latencies are client-side (http.client on the same machine): server time plus loopback and the
client's own Python, which competes with the server for the same cores.
"""

import argparse
import http.client
import http.cookies
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import bench_submit
import benchlib

DATABASE = "civicdesk_bench_portal"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="postgresql,sqlite")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--posts", type=int, default=2000, help="POSTs by all clients together")
    parser.add_argument("--pgbench-clients", type=int, default=8)
    parser.add_argument("--database", default=DATABASE, help="PostgreSQL database to create and drop")
    args = parser.parse_args()
    if not benchlib.run_per_database(args.db):
        measure(args.db, args)


def measure(kind, args):
    with (
        benchlib.database(kind, name=args.database) as url,
        tempfile.TemporaryDirectory(prefix="civicdesk-portal-") as tmp,
    ):
        extra = {"CIVICDESK_VAR_DIR": tmp, "MEDIA_ROOT": f"{tmp}/media"}
        benchlib.civicdesk(url, "load_demo", DEBUG="true", **extra)
        benchlib.civicdesk(url, "collectstatic", "--noinput", "-v0", **extra)
        service, fields, cases_before = form_answers(url, extra)
        port = free_port()
        server_env = benchlib.env(
            url,
            **extra,
            PORTAL_SUBMIT_RATE="1000000/h",
            SECURE_COOKIES="false",
            ALLOWED_HOSTS="127.0.0.1",
        )
        server = subprocess.Popen(  # noqa: S603 - gunicorn from our own environment
            [f"{sys.prefix}/bin/gunicorn", "civicdesk.wsgi", "-w", str(args.workers),
             "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
            cwd=benchlib.ROOT, env=server_env,
        )  # fmt: skip
        try:
            wait_until_up(port)
            warm(port, service, fields)
            load_before = os.getloadavg()[0]
            result = run_clients(port, service, fields, args.clients, args.posts)
            load_after = os.getloadavg()[0]
        finally:
            server.terminate()
            try:
                server.wait(60)
            except subprocess.TimeoutExpired:
                server.kill()
        stored = count_cases() - cases_before
        replay = {}
        if kind == "postgresql":
            replay = bench_submit.pgbench(url, last_case_template(), clients=args.pgbench_clients)
        version = benchlib.pg_version() if kind == "postgresql" else benchlib.sqlite_version()
    posts = sorted(result["posts"])
    pick = lambda q: round(posts[round(q * (len(posts) - 1))] * 1000, 1)  # noqa: E731
    rate = round(result["ok"] / result["wall_s"], 1)
    line = {
        "database": f"{'PostgreSQL' if kind == 'postgresql' else 'SQLite'} {version}",
        "server": f"gunicorn {args.workers} sync workers, DEBUG off",
        "clients": args.clients,
        "service": service,
        "answered": sorted(k for k in fields if k.startswith("attr_")),
        "posts": len(posts),
        "redirected_to_submitted": result["ok"],
        "failures": result["failures"][:5],
        "cases_stored_with_4_warmup": stored,
        "cases_per_s": rate,
        "post_p50_ms": pick(0.5),
        "post_p95_ms": pick(0.95),
        "post_p99_ms": pick(0.99),
        "wall_s": round(result["wall_s"], 2),
        "load_average_during": [round(load_before, 2), round(load_after, 2)],
        "latency": "client-side, includes server time",
        **replay,
    }
    if replay:
        line["ratio_to_pgbench"] = round(rate / replay["pgbench_tps"], 3)
    benchlib.report("portal_submit_http", **line)


def last_case_template():
    """The rows the last submission wrote, for pgbench to copy (bench_submit.equivalent_transaction)."""
    from civicdesk.cases.models import Case

    return bench_submit.template_of(Case.objects.order_by("-pk").first())


def form_answers(url, extra):
    """The service with the most required questions and valid answers to them (plus the report)."""
    os.environ.update(benchlib.env(url, **extra))
    sys.path.insert(0, str(benchlib.ROOT))
    import django

    django.setup()
    from django import forms
    from django.db.models import Count, Q

    from civicdesk.cases.models import Case, Service
    from civicdesk.portal.forms import ReportForm

    service = (
        Service.objects.filter(active=True)
        .annotate(required=Count("attributes", filter=Q(attributes__required=True)))
        .order_by("-required", "code")
        .first()
    )
    form = ReportForm(service=service)
    fields = {
        "description": "The street light in front of the school flickers all night.",
        "address": "120 Main Street",
        "name": "Bench Resident",
        "email": "resident@civicdesk.invalid",
        "phone": "",
    }
    for name in form.attribute_names:
        field = form.fields[name]
        if not field.required:
            continue
        if isinstance(field, forms.MultipleChoiceField):
            fields[name] = [next(v for v, _label in field.choices if v)]
        elif isinstance(field, forms.ChoiceField):
            fields[name] = next(v for v, _label in field.choices if v)
        elif isinstance(field, forms.DateTimeField):
            fields[name] = time.strftime("%Y-%m-%dT%H:%M", time.localtime(time.time() - 3600))
        elif field.widget.attrs.get("inputmode") == "decimal":
            fields[name] = "2"
        else:
            fields[name] = "About a metre wide"
    check = ReportForm(dict(fields), service=service)
    if not check.is_valid():
        raise SystemExit(f"answers not valid for {service.code}: {check.errors.as_json()}")
    cases = Case.objects.count()
    from django.db import connections

    connections.close_all()
    return service.code, fields, cases


def count_cases():
    from civicdesk.cases.models import Case

    return Case.objects.count()


class Client:
    """One resident's browser: its own connection and cookies."""

    def __init__(self, port):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies = http.cookies.SimpleCookie()

    def request(self, method, path, body=None):
        headers = {"Host": f"127.0.0.1:{self.connection.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={m.value}" for k, m in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.connection.port}{path}"
        started = time.perf_counter()
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        content = response.read()
        elapsed = time.perf_counter() - started
        for header in response.headers.get_all("Set-Cookie") or []:
            self.cookies.load(header)
        return response, content, elapsed


def form_token(client, service):
    """GET the report form once: the CSRF token every later POST of this client sends."""
    response, content, _get_s = client.request("GET", f"/report/{service}/")
    token = CSRF_FIELD.search(content.decode()) if response.status == 200 else None
    if token is None:
        raise SystemExit(f"GET /report/{service}/: {response.status}, no csrfmiddlewaretoken")
    return token.group(1)


def post(client, service, fields, token):
    """POST the form once: (seconds, None) when redirected to /submitted/, else (seconds, failure)."""
    body = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": token}, doseq=True)
    response, content, post_s = client.request("POST", f"/report/{service}/", body=body)
    location = response.headers.get("Location", "")
    if response.status != 302 or "/submitted/" not in location:
        return post_s, f"POST {response.status} {location or content[:200]!r}"
    return post_s, None


def warm(port, service, fields):
    client = Client(port)
    token = form_token(client, service)
    for _ in range(4):
        _post, failure = post(client, service, fields, token)
        if failure:
            raise SystemExit(f"warm-up failed: {failure}")


def run_clients(port, service, fields, clients, total):
    posts, failures, ok = [], [], []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    shares = [total // clients + (1 if i < total % clients else 0) for i in range(clients)]

    def work(share):
        client = Client(port)
        token = form_token(client, service)
        start.wait()
        for _ in range(share):
            post_s, failure = post(client, service, fields, token)
            with lock:
                posts.append(post_s)
                if failure:
                    failures.append(failure)
                else:
                    ok.append(1)

    threads = [threading.Thread(target=work, args=(share,)) for share in shares]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {"posts": posts, "failures": failures, "ok": len(ok), "wall_s": wall}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(port, seconds=300):  # four workers starting on a busy machine
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz", headers={"Host": f"127.0.0.1:{port}"})
            connection.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


if __name__ == "__main__":
    main()
