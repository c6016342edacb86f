"""Shared helpers for the benchmark scripts: throwaway databases, the machine, results as JSON."""

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
PG_BENCH_DB = "civicdesk_bench"


def default_database_name():
    """civicdesk_bench_<script>: benchmarks running at the same time never share a database."""
    script = Path(sys.argv[0]).stem.removeprefix("bench_") or "adhoc"
    return f"{PG_BENCH_DB}_{script}"


def machine():
    meminfo = Path("/proc/meminfo").read_text().split("\n", 1)[0].split()
    return {
        "cores": os.cpu_count(),
        "ram_gb": round(int(meminfo[1]) / 1024 / 1024),
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def env(database_url, **extra):
    """Environment for a CivicDesk process against `database_url`, production-like unless told."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "civicdesk.settings",
        # Plain HTTP on localhost, and staff signed in by force_login: no HTTPS redirect, no MFA step.
        "SECURE_SSL_REDIRECT": "false",
        "MFA_REQUIRED_FOR_STAFF": "false",
        **extra,
    }


def run(command, environment, **kwargs):
    """Run a command; on failure show what it said before stopping."""
    done = subprocess.run(  # noqa: S603 - the benchmarks' own commands
        command, cwd=ROOT, env=environment, capture_output=True, text=True, **kwargs
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"failed ({done.returncode}): {' '.join(map(str, command))}")
    return done


def run_per_database(kinds):
    """Django is set up once per process: for several databases ("postgresql,sqlite"), run this
    script again once per database with the same arguments (the last --db wins). True when it did."""
    if "," not in kinds:
        return False
    for kind in kinds.split(","):
        command = [sys.executable, sys.argv[0], *sys.argv[1:], "--db", kind]
        subprocess.run(command, check=True)  # noqa: S603 - our own script
    return True


def civicdesk(database_url, *args, **extra_env):
    """Run `civicdesk <args>` in a new process (settings are read once per process)."""
    return run([sys.executable, "-m", "civicdesk.cli", *args], env(database_url, **extra_env))


def _pg_admin(sql):
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def pg_version():
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres") as conn:
        return conn.execute("SHOW server_version").fetchone()[0].split()[0]


@contextmanager
def database(kind, name=None):
    """A fresh, migrated database URL, dropped (or deleted) afterwards."""
    name = name or default_database_name()
    if kind == "postgresql":
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _pg_admin(f'CREATE DATABASE "{name}"')
        url = f"{PG_SERVER}/{name}"
        try:
            civicdesk(url, "migrate", "--noinput", "-v0")
            yield url
        finally:
            _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        with tempfile.TemporaryDirectory(prefix="civicdesk-bench-") as tmp:
            url = f"sqlite:///{tmp}/bench.sqlite3"
            civicdesk(url, "migrate", "--noinput", "-v0")
            yield url


def on_generated_database(args, run):
    """`run(args)` on `args.database_url`, or else on a new PostgreSQL database of `args.count`
    generated cases (seed 1, analysed so the plans are production's), dropped afterwards."""
    if args.database_url:
        return run(args)
    with database("postgresql") as url:
        civicdesk(url, "generate_cases", "--count", str(args.count), "--seed", "1", DEBUG="true")
        civicdesk(url, "dbshell", "--", "-c", "VACUUM ANALYZE")
        args.database_url = url
        return run(args)


@contextmanager
def django_in_process(database_url):
    """Django set up in this process on `database_url` with production settings (DEBUG off) for
    `django.test.Client`, its files in a throwaway directory."""
    with tempfile.TemporaryDirectory(prefix="civicdesk-bench-") as tmp:
        extra = {"CIVICDESK_VAR_DIR": tmp, "MEDIA_ROOT": f"{tmp}/media", "ALLOWED_HOSTS": "testserver"}
        os.environ.update(env(database_url, **extra))
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        yield


def sqlite_version():
    import sqlite3

    return sqlite3.sqlite_version


def median(values):
    return round(statistics.median(values), 1)


def pick(timings, q):
    """The q-quantile (0.5, 0.95) of sorted timings, rounded to 0.1."""
    return round(timings[round(q * (len(timings) - 1))], 1)


def timed_get(client, url, runs, warmup):
    """GET `url` warmup + runs times through a django.test.Client: (sorted ms of the runs, last response)."""
    timings = []
    for n in range(warmup + runs):
        started = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"GET {url}: {response.status_code} {response.content[:300]!r}")
        if n >= warmup:
            timings.append(elapsed * 1000)
    return sorted(timings), response


def scenario(name, url, timings, target_p95_ms, **extra):
    """One request scenario's figures (printed to stderr as they come) for `report(results=[...])`."""
    result = {
        "scenario": name,
        **extra,
        "url": url if len(url) < 80 else url[:77] + "...",
        "p50_ms": pick(timings, 0.5),
        "p95_ms": pick(timings, 0.95),
        "median_ms": median(timings),
        "target_p95_ms": target_p95_ms,
    }
    sys.stderr.write(f"{name}: p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms\n")
    return result


def staff_users(prefix):
    """A Public Works staff member and a 311 agent for request benchmarks, created when missing."""
    from civicdesk.accounts.models import Role, User
    from civicdesk.cases.models import Department

    works = Department.objects.get(code="public-works")
    staff, _ = User.objects.get_or_create(
        email=f"{prefix}-staff@civicdesk.invalid", defaults={"role": Role.STAFF, "full_name": "Bench Staff"}
    )
    staff.departments.add(works)
    agent, _ = User.objects.get_or_create(
        email=f"{prefix}-agent@civicdesk.invalid", defaults={"role": Role.AGENT, "full_name": "Bench Agent"}
    )
    return staff, agent, works


def report(name, **result):
    """One line of JSON on stdout: what `run_all.py` and docs/benchmarks.md collect."""
    line = {"bench": name, "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **result, "machine": machine()}
    print(json.dumps(line), flush=True)
    return line
