"""Settings for the test suite: the real settings with fast hashing, immediate tasks and temp files."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-secret")
os.environ.setdefault("TASKS_BACKEND", "django.tasks.backends.immediate.ImmediateBackend")
os.environ.setdefault("SECURE_COOKIES", "false")
# Tests run with DEBUG off over plain HTTP: no redirect to HTTPS. The staff MFA rule is off for
# the cast's password sign-ins and switched on by the tests of the rule itself.
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("MFA_REQUIRED_FOR_STAFF", "false")

from .settings import *  # noqa: E402, F403

POLICY_REFRESH_SECONDS = 0  # tests change policy between cases from other connections too
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = tempfile.mkdtemp(prefix="civicdesk-media-")
STATIC_ROOT = tempfile.mkdtemp(prefix="civicdesk-static-")
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"civicdesk-test-{os.getpid()}.sqlite3")
    }  # noqa: F405
# Test receivers listen on 127.0.0.1; the refusal of private addresses is tested with this off.
WEBHOOK_ALLOW_PRIVATE = True
# Likewise the channel accounts' local recording servers; tested with this off too.
CHANNEL_ALLOW_LOCAL_APIS = True

# The task pass of `make test` (TASKS_BACKEND=redis, CACHE_URL=redis://...) runs on the machine's
# Redis: each xdist worker gets its own cache database (tests clear the cache, a FLUSHDB) and its own
# task keys.
_XDIST_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
if CACHE_URL.startswith("redis"):  # noqa: F405
    CACHES["default"]["LOCATION"] = urlsplit(CACHE_URL)._replace(path=f"/{12 + _XDIST_WORKER}").geturl()  # noqa: F405
if TASKS["default"]["BACKEND"].startswith("django_tasks_redis."):  # noqa: F405
    TASKS["default"]["OPTIONS"]["REDIS_KEY_PREFIX"] = f"civicdesk-test-{_XDIST_WORKER}"  # noqa: F405
