"""gunicorn settings for Prometheus' multiprocess mode: `gunicorn -c python:civicdesk.lib.gunicorn_conf`.

With PROMETHEUS_MULTIPROC_DIR set, the directory is emptied when the server starts (values of an
earlier run must not be added to this one's) and a worker that exits has its live gauges dropped.
Other settings come from the command line or GUNICORN_CMD_ARGS as usual.
"""

from pathlib import Path

from civicdesk.lib.metrics import mark_process_dead, multiprocess_dir


def on_starting(server):
    directory = multiprocess_dir()
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        for stale in Path(directory).glob("*.db"):
            stale.unlink(missing_ok=True)


def child_exit(server, worker):
    mark_process_dead(worker.pid)
