import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright + live_server share the thread


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "postgres: needs PostgreSQL (skipped on SQLite, fails in CI without it)"
    )


@pytest.fixture
def cast(db):
    from civicdesk.test import make_cast

    return make_cast()


def require_component(reason):
    """Skip on a developer machine without the component; fail in CI, where it must be there."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI requires this component: {reason}")
    pytest.skip(reason)
