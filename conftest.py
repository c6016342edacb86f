import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright + live_server share the thread


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "postgres: needs PostgreSQL (skipped on SQLite, fails in CI without it)"
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
