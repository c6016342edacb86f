"""How many cases per second `actions.submit_case` stores, in one process, on SQLite and PostgreSQL.

Each call is what a portal submission costs the database: one transaction that reserves a case
number, inserts the case, its "submitted" and "routed" events (one statement), its service-level
clock, the acknowledgement e-mail in the outbox and the delivery task row (the task queue is in the
database, so the task commits with the message). Templates are rendered, answers validated, the H3 cell
computed: the whole action, not the HTTP layer.

On PostgreSQL the same run measures the physical limit: pgbench replays an equivalent
transaction (the same row reservation and the same inserts into the same tables and indexes,
copies of rows the action just wrote), and the ratio is reported. Two more PostgreSQL figures
show where the time goes: with `synchronous_commit=off` (no wait for the WAL flush to disk) and
with several processes at once (commits share flushes, as with several web workers).

    python bench/bench_submit.py [--count 2000] [--runs 3] [--db sqlite,postgresql] [--processes 4]
                                 [--database civicdesk_bench_submit]
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
import uuid

import benchlib

ASYNC_COMMIT = "-c synchronous_commit=off"
REPLAY_SECONDS = 15


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=2000, help="cases per run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--processes", type=int, default=4, help="for the PostgreSQL concurrency figure")
    parser.add_argument("--database", default=None, help="PostgreSQL database to create and drop")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--setup", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--start-at", type=float, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return work(args.count, args.runs, args.setup, args.start_at)
    results = []
    for kind in args.db.split(","):
        with benchlib.database(kind, name=args.database) as url:
            results.append(measure(kind, url, args.count, args.runs, setup=True))
            if kind == "postgresql":
                results.append(measure(kind, url, args.count, args.runs, options=ASYNC_COMMIT))
                results.append(measure_parallel(url, args.count, args.processes))
    benchlib.report("submit", count=args.count, runs=args.runs, results=results)


def measure(kind, url, count, runs, options="", setup=False):
    """`setup`: the first measurement on a fresh database creates the service catalogue."""
    worker = start_worker(url, count, runs, setup=setup, options=options)
    result = {"db": kind, "processes": 1, **finish_worker(worker)}
    del result["started"], result["ended"]
    if options:
        result["options"] = options
    if kind == "postgresql":
        result["version"] = benchlib.pg_version()
        result.update(pgbench(url, result.pop("template"), clients=1, options=options))
        result["ratio_to_pgbench"] = round(result["cases_per_s"] / result["pgbench_tps"], 2)
    else:
        result["version"] = benchlib.sqlite_version()
        result.pop("template")
    return result


def measure_parallel(url, count, processes):
    """`processes` workers submitting at once; the rate is all their cases over the shared wall time."""
    each = max(count // processes, 1)
    start_at = time.time() + 10  # after every worker has started Django: all begin together
    workers = [start_worker(url, each, 1, start_at=start_at) for _ in range(processes)]
    outputs = [finish_worker(w) for w in workers]
    wall = max(o["ended"] for o in outputs) - min(o["started"] for o in outputs)
    result = {"db": "postgresql", "processes": processes, "cases_per_s": round(each * processes / wall, 1)}
    result.update(pgbench(url, outputs[-1]["template"], clients=processes))
    result["ratio_to_pgbench"] = round(result["cases_per_s"] / result["pgbench_tps"], 2)
    return result


def start_worker(url, count, runs, setup=False, options="", start_at=0):
    command = [sys.executable, __file__, "--worker", "--count", str(count), "--runs", str(runs)]
    command += ["--start-at", str(start_at)]
    environment = benchlib.env(url, PGOPTIONS=options)
    return subprocess.Popen(  # noqa: S603 - our own script
        [*command, *(["--setup"] if setup else [])],
        cwd=benchlib.ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish_worker(worker):
    out, err = worker.communicate()
    if worker.returncode != 0:
        sys.stderr.write(out + err)
        raise SystemExit("bench_submit worker failed")
    return json.loads(out.strip().splitlines()[-1])


def work(count, runs, setup, start_at):
    import django

    django.setup()
    from civicdesk.cases import actions
    from civicdesk.cases.models import Case, Service
    from civicdesk.demo.city import build_catalogue

    if setup:
        build_catalogue()
    pothole = Service.objects.prefetch_related("attributes").get(code="pothole")
    time.sleep(max(0, start_at - time.time()))
    rates, started = [], time.time()
    for run in range(runs):
        began = time.perf_counter()
        for i in range(count):
            actions.submit_case(
                service=pothole,
                description="Deep pothole in the right lane, cars swerve around it.",
                answers={"depth": "deep", "width_cm": 40},
                latitude=42.30 + (i % 100) * 0.0003,
                longitude=-71.10 + (i // 100 % 100) * 0.0003,
                address=f"{i % 400 + 1} Main St, Riverton",
                reporter_name="Pat Example",
                reporter_email=f"pat{run}.{i}@example.org",
            )
        rates.append(count / (time.perf_counter() - began))
    ended = time.time()
    last = Case.objects.order_by("-pk").first()
    output = {
        "cases_per_s": benchlib.median(rates),
        "runs_cases_per_s": [round(r, 1) for r in rates],
        "started": started,
        "ended": ended,
        "template": template_of(last),
    }
    print(json.dumps(output))


# ---------------------------------------------------------------- PostgreSQL's own limit


def template_of(case):
    """The rows one submission wrote (`case`'s own), for pgbench to copy."""
    from civicdesk.sla.models import CaseClock

    return {
        "case": case.pk,
        "events": list(case.events.values_list("pk", flat=True)),
        "clocks": list(CaseClock.objects.filter(case=case).values_list("pk", flat=True)),
        "outbox": list(case.outbox.values_list("pk", flat=True)),
    }


def pgbench(url, template, clients, options=""):
    """Replay an equivalent transaction with pgbench and return its rate."""
    import psycopg

    with psycopg.connect(url) as conn:
        script = equivalent_transaction(conn, template)
    with tempfile.NamedTemporaryFile("w", suffix=".sql") as file:
        file.write(script)
        file.flush()
        command = ["pgbench", "-n", "-c", str(clients), "-T", str(REPLAY_SECONDS), "-f", file.name, url]
        out = benchlib.run(command, benchlib.env(url, PGOPTIONS=options)).stdout
    tps = next(line for line in out.splitlines() if line.startswith("tps"))
    return {"pgbench_tps": round(float(tps.split("=")[1].split()[0]), 1), "pgbench_clients": clients}


def equivalent_transaction(conn, template):
    """SQL doing the action's row work: copies of the rows it wrote, fresh values where unique.

    The action's reads (the service's questions, routing rules, permission checks) are not
    replayed: the ratio shows what the application layer costs on top of the rows themselves.
    """
    case_id = "currval(pg_get_serial_sequence('cases_case', 'id'))"
    linked = {"case_id": case_id}
    rows = [
        ("cases_case", [template["case"]], {}),
        ("cases_caseevent", template["events"], linked),  # one INSERT, as the action writes them
        ("sla_caseclock", template["clocks"], linked),
        ("notify_outboxmessage", template["outbox"], linked),
        # the delivery task, queued in the same transaction (the queue is in the database)
        ("django_tasks_database_dbtaskresult", [newest_task(conn)], {}),
    ]
    return "\n".join(
        [
            "BEGIN;",
            # the case number, from the year's sequence as the action takes it (cases.numbers)
            "SELECT nextval(format('cases_number_%s', extract(year FROM now())::int)::regclass);",
            *[copy_rows(conn, table, pks, overrides) for table, pks, overrides in rows if pks],
            "COMMIT;",
        ]
    )


def newest_task(conn):
    table = "django_tasks_database_dbtaskresult"
    return conn.execute(f"SELECT id FROM {table} ORDER BY enqueued_at DESC LIMIT 1").fetchone()[0]  # noqa: S608


def copy_rows(conn, table, pks, overrides):
    """One INSERT ... SELECT of existing rows, with new values in their unique columns."""
    columns = conn.execute(
        "SELECT column_name, data_type, is_identity FROM information_schema.columns "
        "WHERE table_name = %s ORDER BY ordinal_position",
        [table],
    ).fetchall()
    unique = {
        row[0]
        for row in conn.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
            "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
            "WHERE i.indrelid = %s::regclass AND i.indisunique",
            [table],
        )
    }
    names, values = [], []
    for name, data_type, identity in columns:
        if identity == "YES":
            continue
        names.append(name)
        if name in overrides:
            values.append(overrides[name])
        elif name in unique:
            values.append("gen_random_uuid()" if data_type == "uuid" else "left(md5(random()::text), 16)")
        else:
            values.append(f'"{name}"')
    keys = ", ".join(f"'{pk}'" if isinstance(pk, uuid.UUID) else str(int(pk)) for pk in pks)
    selected = f"SELECT {', '.join(values)} FROM {table} WHERE id IN ({keys})"  # noqa: S608
    return f"INSERT INTO {table} ({', '.join(names)}) {selected};"


if __name__ == "__main__":
    main()
