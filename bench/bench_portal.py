"""Resident portal submissions over HTTP: concurrent clients against gunicorn, POST latency and rate.

    python bench/bench_portal.py [--clients 20] [--each 25] [--workers 2]

Creates a fresh PostgreSQL database (`civicdesk_lead_portal`), loads the demo city (`load_demo`,
which needs DEBUG on), collects static files, then starts gunicorn (`civicdesk.wsgi`, `--workers`
sync workers, production settings: DEBUG off, PORTAL_SUBMIT_RATE high enough that the rate limit
never trips) on loopback. Each client thread keeps its own cookies and, `--each` times, GETs the
report form of the service with the most required questions, reads the CSRF token, and POSTs the
form (url-encoded, no photos) with valid answers, expecting a 302 to /submitted/<token>/.

Latencies are client-side (http.client on the same machine): server time plus loopback and the
client's own Python, which competes with the server for the same cores. The database is dropped.
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

import benchlib

DATABASE = "civicdesk_lead_portal"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--each", type=int, default=25, help="submissions per client")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    args = parser.parse_args()
    with (
        benchlib.database("postgresql", name=DATABASE) as url,
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
            PORTAL_SUBMIT_RATE="100000/h",
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
            result = run_clients(port, service, fields, args.clients, args.each)
            load_after = os.getloadavg()[0]
        finally:
            server.terminate()
            server.wait(10)
        stored = count_cases(url) - cases_before
        version = benchlib.pg_version()
    posts = sorted(result["posts"])
    pick = lambda q: round(posts[round(q * (len(posts) - 1))] * 1000, 1)  # noqa: E731
    benchlib.report(
        "portal_submit_http",
        database=f"PostgreSQL {version}",
        server=f"gunicorn {args.workers} sync workers, DEBUG off",
        clients=args.clients,
        each=args.each,
        service=service,
        answered=sorted(k for k in fields if k.startswith("attr_")),
        submissions=len(posts),
        redirected_to_submitted=result["ok"],
        failures=result["failures"][:5],
        cases_stored_with_4_warmup=stored,
        post_p50_ms=pick(0.5),
        post_p95_ms=pick(0.95),
        post_p99_ms=pick(0.99),
        post_median_ms=benchlib.median([p * 1000 for p in posts]),
        get_form_p50_ms=round(sorted(result["gets"])[len(result["gets"]) // 2] * 1000, 1),
        submissions_per_s=round(result["ok"] / result["wall_s"], 1),
        wall_s=round(result["wall_s"], 2),
        load_average_during=[round(load_before, 2), round(load_after, 2)],
        latency="client-side, includes server time",
        target_p95_ms=300,
    )


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


def count_cases(url):
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


def submit(client, service, fields):
    """GET the form, POST it; (GET seconds, POST seconds, redirected to /submitted/?)."""
    path = f"/report/{service}/"
    response, content, get_s = client.request("GET", path)
    if response.status != 200:
        return get_s, None, f"GET {response.status}"
    token = CSRF_FIELD.search(content.decode())
    if token is None:
        return get_s, None, "no csrfmiddlewaretoken"
    body = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": token.group(1)}, doseq=True)
    response, content, post_s = client.request("POST", path, body=body)
    location = response.headers.get("Location", "")
    if response.status != 302 or "/submitted/" not in location:
        return get_s, post_s, f"POST {response.status} {location or content[:200]!r}"
    return get_s, post_s, None


def warm(port, service, fields):
    client = Client(port)
    for _ in range(4):
        _get, _post, failure = submit(client, service, fields)
        if failure:
            raise SystemExit(f"warm-up failed: {failure}")


def run_clients(port, service, fields, clients, each):
    gets, posts, failures, ok = [], [], [], []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)

    def work():
        client = Client(port)
        start.wait()
        for _ in range(each):
            get_s, post_s, failure = submit(client, service, fields)
            with lock:
                gets.append(get_s)
                if post_s is not None:
                    posts.append(post_s)
                if failure:
                    failures.append(failure)
                else:
                    ok.append(1)

    threads = [threading.Thread(target=work) for _ in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {"gets": gets, "posts": posts, "failures": failures, "ok": len(ok), "wall_s": wall}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(port, seconds=30):
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
