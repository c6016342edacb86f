import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright + live_server share the thread


@pytest.fixture(autouse=True)
def _postgres_marker(request):
    """Tests marked `postgres` (two connections at once, COPY, sequences) are skipped on the SQLite
    pass; `make test`'s PostgreSQL pass runs them."""
    if request.node.get_closest_marker("postgres") is None:
        return
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("needs PostgreSQL: runs in make test's PostgreSQL pass (DATABASE_URL=postgres://...)")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "postgres: needs PostgreSQL (skipped on SQLite, fails in CI without it)"
    )
    config.addinivalue_line(
        "markers", "tasks: also runs in the task pass (TASKS_BACKEND=redis, CIVICDESK_TASK_PASS=1)"
    )


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters and other cached state must not leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the site's default language. A request (a test client's, a live
    server's) leaves the language it was served in active on its thread, and messages made outside
    a request (an action's errors) would follow whichever test ran before."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def cast(db):
    from civicdesk.test import make_cast

    return make_cast()


@pytest.fixture
def report(cast):
    """A case as a resident reports it: `report(service=..., priority=..., ...)` (potholes get their
    question answered)."""
    from civicdesk.cases import actions

    def make(service=None, **fields):
        service = service or cast.pothole
        if service == cast.pothole:
            fields.setdefault("answers", {"depth": "deep"})
        fields.setdefault("description", "A hole in the road")
        return actions.submit_case(service=service, **fields)

    return make


def require_component(reason):
    """Skip on a developer machine without the component; fail in CI, where it must be there."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI requires this component: {reason}")
    pytest.skip(reason)


# ------------------------------------------------------------- browser tests (Playwright + Debian Chromium)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        require_component(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def site(live_server, transactional_db):
    """The live server with the cast, for browser tests."""
    from civicdesk.test import make_cast

    return live_server.url, make_cast()


# ---------------------------------------------------------------- a real SMTP server (aiosmtpd, in-process)


class SMTPServer:
    """An SMTP server on a free localhost port that keeps what it receives; can be stopped and restarted."""

    def __init__(self):
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.envelopes = []
        self.controller = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    @property
    def messages(self):
        """What arrived, parsed from the raw bytes on the wire."""
        import email
        import email.policy

        return [
            email.message_from_bytes(e.original_content, policy=email.policy.default) for e in self.envelopes
        ]

    @property
    def mailers(self):
        """A MAILERS setting that sends here (the test runner swaps MAILERS for locmem)."""
        options = {"host": "127.0.0.1", "port": self.port, "timeout": 5}
        return {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": options}}

    def start(self):
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server():
    try:
        import aiosmtpd  # noqa: F401
    except ImportError:
        require_component("aiosmtpd (uv sync installs it with the dev dependencies)")
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


# ----------------------------------- several machines: PgBouncer, an S3 server, Redis, a task worker


def free_port():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port, process=None, timeout=30):
    """Until something accepts connections on `port` (a failure guard, not a timing assumption)."""
    import socket
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            pytest.fail(f"{process.args[0]} exited with {process.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"nothing listens on port {port} after {timeout} s")


PGBOUNCER = "/usr/sbin/pgbouncer"


class PgBouncer:
    """Debian's pgbouncer in transaction pooling on its own port, in front of the test PostgreSQL
    server; its ini file and user list live in a temporary directory."""

    def __init__(self, directory, host, port, user):
        import shutil

        self.binary = shutil.which("pgbouncer") or PGBOUNCER
        self.port = free_port()
        self.directory = directory
        directory.chmod(0o755)  # pgbouncer drops root for the postgres user, who must read these
        (directory / "userlist.txt").write_text(f'"{user}" ""\n')
        (directory / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"* = host={host} port={port}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {directory / 'userlist.txt'}\n"
            "pool_mode = transaction\ndefault_pool_size = 8\nmax_client_conn = 400\n"
            "ignore_startup_parameters = extra_float_digits,options\n"
            "server_reset_query =\nlog_connections = 0\nlog_disconnections = 0\n"
        )
        self.process = None

    def start(self):
        import subprocess

        command = [self.binary, str(self.directory / "pgbouncer.ini")]
        if os.geteuid() == 0:
            command[1:1] = ["-u", "postgres"]  # pgbouncer refuses to run as root
        self.log = open(self.directory / "pgbouncer.log", "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT)  # noqa: S603
        wait_for_port(self.port, self.process)

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.log.close()


@pytest.fixture(scope="session")
def pgbouncer(tmp_path_factory, django_db_setup):
    """PgBouncer in front of the PostgreSQL server the tests use (PostgreSQL runs only). It stops
    before the test databases are dropped (after django_db_setup's teardown would be too late: its
    server connections would keep them open)."""
    import shutil

    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("PgBouncer stands in front of PostgreSQL: this is the SQLite pass")
    if not (shutil.which("pgbouncer") or os.path.exists(PGBOUNCER)):
        require_component("pgbouncer (apt-get install pgbouncer)")
    bouncer = PgBouncer(
        tmp_path_factory.mktemp("pgbouncer"), db["HOST"] or "127.0.0.1", db["PORT"] or 5432, db["USER"]
    )
    bouncer.start()
    yield bouncer
    bouncer.stop()


@pytest.fixture
def through_pgbouncer(pgbouncer, transactional_db):
    """The test's own database connection goes through PgBouncer, set up as DATABASE_POOLER=pgbouncer
    sets it up (no server-side cursors, no prepared statements)."""
    from django.db import connection

    saved = {
        key: connection.settings_dict[key]
        for key in ("HOST", "PORT", "OPTIONS", "DISABLE_SERVER_SIDE_CURSORS")
    }
    connection.close()
    connection.settings_dict.update(
        HOST="127.0.0.1",
        PORT=pgbouncer.port,
        OPTIONS={**saved["OPTIONS"], "prepare_threshold": None},
        DISABLE_SERVER_SIDE_CURSORS=True,
    )
    yield pgbouncer
    connection.close()
    connection.settings_dict.update(saved)


S3_KEYS = {"S3_ACCESS_KEY_ID": "testing", "S3_SECRET_ACCESS_KEY": "testing", "S3_REGION": "us-east-1"}


@pytest.fixture(scope="session")
def s3_server():
    """A real S3-compatible server (moto's server mode) on a free port, with an empty bucket."""
    try:
        import boto3
        from moto.server import ThreadedMotoServer
    except ImportError:
        require_component("moto[server] and boto3 (uv sync installs them with the dev dependencies)")
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=S3_KEYS["S3_REGION"],
        aws_access_key_id=S3_KEYS["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=S3_KEYS["S3_SECRET_ACCESS_KEY"],
    )
    client.create_bucket(Bucket="civicdesk-photos")
    env = {
        "S3_ENDPOINT_URL": endpoint,
        "S3_BUCKET": "civicdesk-photos",
        "S3_ADDRESSING_STYLE": "path",
        **S3_KEYS,
    }
    yield type(
        "S3Server", (), {"endpoint": endpoint, "client": client, "bucket": "civicdesk-photos", "env": env}
    )
    server.stop()


@pytest.fixture
def s3_storage(s3_server, settings):
    """Photos stored on the S3 server, configured as FILE_STORAGE=storages.backends.s3.S3Storage does."""
    options = {
        **settings.S3_OPTIONS,
        "bucket_name": s3_server.bucket,
        "endpoint_url": s3_server.endpoint,
        "region_name": S3_KEYS["S3_REGION"],
        "access_key": S3_KEYS["S3_ACCESS_KEY_ID"],
        "secret_key": S3_KEYS["S3_SECRET_ACCESS_KEY"],
        "addressing_style": "path",
    }
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
    }
    return s3_server


def redis_url(db=0):
    """The machine's Redis (TEST_REDIS_URL's server), or a skip (a failure in CI) when it is down."""
    import redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        require_component(f"Redis at {url} ({error})")
    return f"{url}/{db}"


class TaskWorker:
    """django-tasks-redis's own worker code (`process_one_task`) in a thread, consuming the Redis
    stream a task was queued on. It runs when a task is queued and the queueing thread waits until
    the queue is empty again: the tests see the outcome when `.enqueue()` returns, as with the
    Immediate backend, and the worker shares the test's database connection (like Django's live
    server thread), so it sees the test's uncommitted rows and never uses the connection at the same
    time as the test. Delayed tasks (retries with `run_after`) are left queued: tests move the clock,
    and the Immediate backend never queues them either (`deliver_outbox` retries in the tests)."""

    def __init__(self):
        import queue
        import threading

        self.requests, self.answers = queue.Queue(), queue.Queue()
        self.thread = threading.Thread(target=self.run, name="redis-task-worker", daemon=True)
        self.thread.start()
        self.processed = []

    def run(self):
        from django.db import connections
        from django_tasks_redis import executor

        while True:
            connection = self.requests.get()
            if connection is None:
                return
            connections["default"] = connection
            try:
                backend = executor.task_backends["default"]
                backend.broker.promote_delayed_tasks = lambda *args, **kwargs: None
                while (result := executor.process_one_task(worker_id="test-worker")) is not None:
                    self.processed.append(result)
                self.answers.put(None)
            except BaseException as error:  # noqa: BLE001 - handed to the waiting test
                self.answers.put(error)

    def on_enqueued(self, sender, task_result, **kwargs):
        import threading

        from django.db import connections
        from django.utils import timezone

        connection = connections["default"]  # the connection itself, not the thread-local proxy
        if not sender.__module__.startswith("django_tasks_redis."):
            return  # a test that chose another backend for itself
        if threading.current_thread() is self.thread:
            return  # queued by a task: the loop above runs it next
        if task_result.task.run_after is not None and task_result.task.run_after > timezone.now():
            return
        connection.inc_thread_sharing()
        try:
            self.requests.put(connection)
            error = self.answers.get(timeout=120)
        finally:
            connection.dec_thread_sharing()
        if error is not None:
            raise error

    def stop(self):
        self.requests.put(None)
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def redis_task_worker():
    worker = TaskWorker()
    yield worker
    worker.stop()


def redis_tasks_configured():
    from django.conf import settings

    return settings.TASKS["default"]["BACKEND"].startswith("django_tasks_redis.")


@pytest.fixture(autouse=True)
def _tasks_through_redis(request):
    """With TASKS_BACKEND=redis (`make test`'s task pass) every queued task goes through Redis and
    the worker thread: this test's keys are dropped first, so no task of another test is left."""
    if not redis_tasks_configured():
        yield
        return
    import redis
    from django.conf import settings
    from django.tasks import signals

    options = settings.TASKS["default"]["OPTIONS"]
    client = redis.Redis.from_url(options["REDIS_URL"])
    for key in client.scan_iter(f"{options['REDIS_KEY_PREFIX']}*"):
        client.delete(key)
    worker = request.getfixturevalue("redis_task_worker")
    signals.task_enqueued.connect(worker.on_enqueued)
    yield worker
    signals.task_enqueued.disconnect(worker.on_enqueued)


# Rate limits and sign-in throttles: the task pass runs them again with the cache on Redis.
CACHE_TESTS = {"test_rate_limits.py", "test_admin_login.py"}


def pytest_collection_modifyitems(config, items):
    """The task pass (CIVICDESK_TASK_PASS=1, `make test`) runs the tests whose queued tasks run (they
    capture on-commit callbacks), those marked `tasks` and the cache tests: the rest touches neither
    the task backend nor the cache."""
    if os.environ.get("CIVICDESK_TASK_PASS") != "1":
        return
    chosen = [
        item
        for item in items
        if "django_capture_on_commit_callbacks" in getattr(item, "fixturenames", ())
        or item.get_closest_marker("tasks")
        or item.path.name in CACHE_TESTS
    ]
    config.hook.pytest_deselected(items=[item for item in items if item not in chosen])
    items[:] = chosen
