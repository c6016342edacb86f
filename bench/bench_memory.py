"""Resident memory of one CivicDesk web process (target: at most 150 MB RSS).

Builds the demo city in a temporary SQLite database, collects static files, starts gunicorn
(`civicdesk.wsgi`, one sync worker, production settings: DEBUG off) on a free port, warms it
with requests to the home page, /healthz and a case's tracking page, then reads the worker's
RSS from /proc.

    python bench/bench_memory.py [--requests 200]
"""

import argparse
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import benchlib


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="civicdesk-memory-") as tmp:
        url = f"sqlite:///{tmp}/demo.sqlite3"
        extra = {"CIVICDESK_VAR_DIR": tmp, "MEDIA_ROOT": f"{tmp}/media"}
        benchlib.civicdesk(url, "migrate", "--noinput", "-v0", **extra)
        benchlib.civicdesk(url, "load_demo", DEBUG="true", **extra)
        benchlib.civicdesk(url, "collectstatic", "--noinput", "-v0", **extra)
        token = (
            sqlite3.connect(f"{tmp}/demo.sqlite3").execute("SELECT tracking_token FROM cases_case").fetchone()
        )
        port = free_port()
        server = subprocess.Popen(  # noqa: S603 - gunicorn from our own environment
            [sys.executable, "-m", "gunicorn", "civicdesk.wsgi:application", "--workers", "1",
             "--worker-class", "sync", "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
            cwd=benchlib.ROOT, env=benchlib.env(url, **extra),
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base)
            paths = ["/", "/healthz", f"/track/{token[0]}/"]
            statuses = [get(base + paths[i % len(paths)]) for i in range(args.requests)]
            worker = only_child(server.pid)
            result = {
                "requests": args.requests,
                "statuses": sorted(set(statuses)),
                "worker_rss_mb": rss_mb(worker),
                "master_rss_mb": rss_mb(server.pid),
            }
        finally:
            server.terminate()
            server.wait(10)
    benchlib.report("memory", db="sqlite", **result)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(base, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            get(base + "/healthz")
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def get(url):
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - our own local server
        response.read()
        return response.status


def only_child(pid):
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    if len(children) != 1:
        raise SystemExit(f"expected one gunicorn worker, found {children}")
    return int(children[0])


def rss_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise SystemExit(f"no VmRSS for {pid}")


if __name__ == "__main__":
    main()
