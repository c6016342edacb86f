"""CivicDesk as several machines run it, all real processes on this one: PgBouncer in transaction
pooling in front of the test PostgreSQL database, 2 gunicorn servers, 2 django-tasks-redis workers
and the outbox sweep, tasks queued on Redis, the cache on Redis, photos on an S3 server (moto), mail
to a real SMTP server (aiosmtpd).

(a) A routing rule an administrator adds through one server's admin routes the next report on the
other server once its refresh interval has passed: the other process checks the rules' stamp at most
every POLICY_REFRESH_SECONDS (2 s, the default), so a report filed that long after the save cannot
be routed by the old rules whatever the scheduling. (b) Client threads post reports, some with a
photo, across both servers; afterwards every case has its number, its events, its photo in the
bucket and its acknowledgement delivered to the SMTP server, once, with the Message-ID the outbox
gave it. Waits poll with a generous deadline, as a failure guard only.

The servers run with DEBUG=true only so static files come from the finders (a collectstatic costs
20 s); everything else is the production configuration.
"""

import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections import Counter

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from civicdesk.cases.models import Case, CaseEvent
from civicdesk.notify.models import OutboxMessage
from civicdesk.test import make_cast
from conftest import free_port, redis_url, wait_for_port

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

REFRESH_SECONDS = 2  # POLICY_REFRESH_SECONDS' default, which the servers keep
CLIENTS, POSTS_EACH = 4, 10
# Failure guards only. Loading Django takes 2 s of CPU; on a loaded 2-core machine, 7 processes
# starting at once have taken over a minute.
STARTUP_SECONDS = 180
BOUNDARY = "civicdesk-test-boundary"


def environment(pgbouncer, s3, smtp, redis_prefix):
    db = connection.settings_dict
    return (
        os.environ
        | s3.env
        | {
            "DJANGO_SETTINGS_MODULE": "civicdesk.settings",
            "DATABASE_URL": f"postgres://{db['USER']}@127.0.0.1:{pgbouncer.port}/{db['NAME']}",
            "DATABASE_POOLER": "pgbouncer",
            "POLICY_REFRESH_SECONDS": str(REFRESH_SECONDS),  # what the test waits for, whatever the env
            "SECRET_KEY": settings.SECRET_KEY,  # the test's sessions are valid on the servers
            "DEBUG": "true",
            "TASKS_BACKEND": "redis",
            "TASKS_REDIS_URL": redis_url(db=11),
            "TASKS_REDIS_PREFIX": redis_prefix,
            "CACHE_URL": redis_url(db=9),
            "FILE_STORAGE": "storages.backends.s3.S3Storage",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp.port),
            "PORTAL_SUBMIT_RATE": "100000/h",
            "SITE_URL": "http://civicdesk.test",
            "LOG_LEVEL": "WARNING",
        }
    )


class Processes:
    def __init__(self, env, directory):
        self.env, self.directory, self.running = env, directory, []

    def start(self, name, *command):
        log = open(self.directory / f"{name}.log", "wb")  # noqa: SIM115 - closed in stop()
        process = subprocess.Popen(  # noqa: S603 - fixed arguments
            command, env=self.env, cwd=settings.BASE_DIR, stdout=log, stderr=subprocess.STDOUT
        )
        self.running.append((name, process, log))
        return process

    def civicdesk(self, name, *command):
        return self.start(name, sys.executable, "-m", "civicdesk.cli", *command)

    def gunicorn(self, name):
        port = free_port()
        gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
        # --preload: the app is loaded once and its 2 workers forked from it (a load costs seconds).
        command = [
            gunicorn,
            "civicdesk.wsgi",
            "--preload",
            "-w",
            "2",
            "--timeout",
            "60",
            "-b",
            f"127.0.0.1:{port}",
        ]
        process = self.start(name, *command)
        wait_for_port(port, process, timeout=STARTUP_SECONDS)
        return f"http://127.0.0.1:{port}"

    def wait_until_serving(self, *servers):
        for server in servers:
            serving = lambda s=server: Browser().fetch(f"{s}/healthz")[0] == 200  # noqa: E731
            wait_until(serving, f"{server} not serving", self)

    def check_alive(self):
        for name, process, _ in self.running:
            if process.poll() is not None:
                pytest.fail(f"{name} exited with {process.returncode}: {self.tail(name)}")

    def tail(self, name):
        return (self.directory / f"{name}.log").read_text(errors="replace")[-3000:]

    def stop(self):
        for _, process, _ in self.running:
            process.terminate()
        for _, process, log in self.running:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()


class Browser:
    """Just enough of a browser over urllib: cookies kept, redirects not followed."""

    def __init__(self, **cookies):
        self.cookies = dict(cookies)
        self.open = urllib.request.build_opener(NoRedirect()).open

    def fetch(self, url, data=None, content_type=None, referer=None):
        request = urllib.request.Request(url, data=data)  # noqa: S310 - our own servers
        if self.cookies:
            request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if content_type:
            request.add_header("Content-Type", content_type)
        if referer:
            request.add_header("Referer", referer)
        try:
            with self.open(request, timeout=STARTUP_SECONDS) as response:
                reply = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            reply = error.code, error.headers, error.read()
        except urllib.error.URLError as error:  # not listening yet
            return None, {}, str(error).encode()
        for header in reply[1].get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return reply

    def csrf(self, url):
        """The form's CSRF token (the cookie comes with it)."""
        status, _, page = self.fetch(url)
        assert status == 200, page[-2000:]
        return re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def multipart(fields, photo=None):
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    if photo:
        head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="photos"; filename="p.jpg"\r\n'
        parts.append(head.encode() + b"Content-Type: image/jpeg\r\n\r\n" + photo + b"\r\n")
    return b"".join([*parts, f"--{BOUNDARY}--\r\n".encode()])


def post_report(server, email, photo=None):
    """A resident's report through the portal form, as a browser posts it; the case's tracking token."""
    browser = Browser()
    form = f"{server}/report/pothole/"
    fields = {"csrfmiddlewaretoken": browser.csrf(form), "description": "Deep hole", "attr_depth": "deep"}
    body = multipart(fields | {"email": email}, photo)
    status, headers, page = browser.fetch(form, body, f"multipart/form-data; boundary={BOUNDARY}", form)
    assert status == 302, page[-2000:]
    return headers["Location"].rstrip("/").rsplit("/", 1)[-1]


def jpeg():
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (32, 24), "green").save(out, format="JPEG")
    return out.getvalue()


def wait_until(condition, what, processes, timeout=STARTUP_SECONDS):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        processes.check_alive()
        if condition():
            return
        time.sleep(0.3)
    pytest.fail(f"{what} after {timeout} s")


def test_it_runs_on_two_servers_and_two_workers_behind_pgbouncer_and_loses_nothing(
    pgbouncer, s3_server, smtp_server, tmp_path, capsys
):
    cast = make_cast()
    admin = Client()
    admin.force_login(cast.root)  # a session row in the database both servers read
    session = admin.cookies[settings.SESSION_COOKIE_NAME].value
    processes = Processes(
        environment(pgbouncer, s3_server, smtp_server, f"civicdesk-mp-{uuid.uuid4().hex}"), tmp_path
    )
    keys_before = {
        o["Key"] for o in s3_server.client.list_objects_v2(Bucket=s3_server.bucket).get("Contents", [])
    }
    try:
        for n in (1, 2):
            processes.civicdesk(f"worker{n}", "run_redis_tasks", "--continuous", "--skip-checks")
        processes.civicdesk("sweep", "deliver_outbox", "--interval", "1", "--skip-checks")
        one, other = processes.gunicorn("web1"), processes.gunicorn("web2")
        processes.wait_until_serving(one, other)

        # (a) Policy: a rule saved through one server's admin routes the other server's next report.
        first = Case.objects.get(tracking_token=post_report(other, "before@example.org"))
        assert first.department == cast.public_works
        administrator = Browser(**{settings.SESSION_COOKIE_NAME: session})
        add = f"{one}/admin/routing/routingrule/add/"
        rule = {
            "csrfmiddlewaretoken": administrator.csrf(add),
            "name": "Holes to Parks",
            "order": "10",
            "active": "on",
            "services": str(cast.pothole.pk),
            "answers": "{}",
            "channels": "[]",
            "priorities": "[]",
            "weekdays": "[]",
            "set_department": str(cast.parks.pk),
            "_save": "Save",
        }
        form = urllib.parse.urlencode(rule).encode()
        status, _, page = administrator.fetch(add, form, "application/x-www-form-urlencoded", add)
        assert status == 302, page[-3000:]
        time.sleep(REFRESH_SECONDS + 0.5)  # the refresh interval, then the other server must know
        for _ in range(4):  # each of its gunicorn workers, whichever takes the request
            routed = Case.objects.get(tracking_token=post_report(other, "after@example.org"))
            assert routed.department == cast.parks

        # (b) Load across both servers, every third report with a photo.
        photo, tokens, errors = jpeg(), [], []

        def client(n):
            try:
                for i in range(POSTS_EACH):
                    server = (one, other)[(n + i) % 2]
                    email = f"load-{n}-{i}@example.org"
                    tokens.append((email, post_report(server, email, photo if i % 3 == 0 else None)))
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        load_started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == [] and len(tokens) == CLIENTS * POSTS_EACH

        def all_sent():
            return not OutboxMessage.objects.exclude(status=OutboxMessage.Status.SENT).exists()

        posted = time.monotonic() - load_started
        wait_until(all_sent, "messages still unsent", processes)
        drained = time.monotonic() - load_started
        status, _, export = administrator.fetch(f"{other}/staff/export.csv?status=&sort=oldest")
    finally:
        processes.stop()

    # Every case: one per accepted post, numbers unique, its events, routed by the new rule.
    cases = {case.tracking_token: case for case in Case.objects.all()}
    assert len(cases) == 1 + 4 + CLIENTS * POSTS_EACH
    assert len({case.number for case in cases.values()}) == len(cases)
    loaded = [cases[token] for _, token in tokens]
    assert {case.department_id for case in loaded} == {cast.parks.pk}
    kinds = Counter(CaseEvent.objects.filter(case__in=loaded).values_list("kind", flat=True))
    assert kinds["submitted"] == len(loaded), kinds
    # Every acknowledgement: one outbox row per case, sent, arrived once with its Message-ID.
    acks = OutboxMessage.objects.filter(kind="acknowledgement")
    assert sorted(acks.values_list("case__tracking_token", flat=True)) == sorted(cases)
    arrived = Counter((m["To"], m["Message-ID"]) for m in smtp_server.messages)
    assert arrived == Counter({(m.recipient, m.message_id): 1 for m in OutboxMessage.objects.all()})
    # Every photo in the bucket, and the export through PgBouncer lists every case.
    photos = [a for case in loaded for a in case.attachments.all()]
    assert len(photos) == CLIENTS * ((POSTS_EACH + 2) // 3)
    keys = {o["Key"] for o in s3_server.client.list_objects_v2(Bucket=s3_server.bucket).get("Contents", [])}
    assert {name for a in photos for name in (a.file.name, a.thumbnail.name)} == keys - keys_before
    assert status == 200 and all(case.number in export.decode() for case in cases.values())
    with capsys.disabled():  # a figure for docs/benchmarks.md, never asserted
        print(
            f"\n{len(tokens)} reports over 2 servers in {posted:.1f} s ({len(tokens) / posted:.1f}/s), all "
            f"acknowledgements delivered after {drained:.1f} s; load average {os.getloadavg()[0]:.2f}"
        )
