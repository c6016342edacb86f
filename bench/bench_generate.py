"""How fast `civicdesk generate_cases` fills a database (target: 1M cases in at most 5 minutes).

Each run starts from a fresh, migrated database. On PostgreSQL the physical limit is measured in
the same run: the generated cases and events are exported, then loaded into another fresh
database with plain `COPY` (same tables, same indexes and constraints), and the ratio reported.

    python bench/bench_generate.py [--count 1000000] [--db postgresql|sqlite] [--runs 1] [--no-raw]
"""

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

import benchlib

RAW_DB = "civicdesk_bench_generate_raw"
RESULT = re.compile(r"generated (\d+) cases and (\d+) events in ([\d.]+) s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--db", default="postgresql", choices=["postgresql", "sqlite"])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--no-raw", action="store_true", help="skip the plain COPY comparison")
    args = parser.parse_args()
    runs, raw = [], None
    for run in range(args.runs):
        with benchlib.database(args.db) as url:
            runs.append(generate(url, args.count, args.seed, args.batch))
            if args.db == "postgresql" and not args.no_raw and run == args.runs - 1:
                raw = raw_copy(url)
    seconds = benchlib.median([r["seconds"] for r in runs])
    result = {
        "db": args.db,
        "version": benchlib.pg_version() if args.db == "postgresql" else benchlib.sqlite_version(),
        "count": args.count,
        "batch": args.batch,
        "seconds": seconds,
        "cases_per_s": round(args.count / seconds),
        "runs": runs,
    }
    if raw:
        # Compare like with like: the command's own time, without starting Python and Django.
        command_seconds = benchlib.median([r["command_seconds"] for r in runs])
        result.update(raw, command_seconds=command_seconds)
        result["ratio_to_copy"] = round(raw["copy_seconds"] / command_seconds, 2)
    benchlib.report("generate", **result)


def generate(url, count, seed, batch):
    started = time.perf_counter()
    done = benchlib.civicdesk(
        url, "generate_cases", "--count", str(count), "--seed", str(seed), "--batch", str(batch), DEBUG="true"
    )
    wall = time.perf_counter() - started
    cases, events, seconds = RESULT.search(done.stdout).groups()
    sys.stderr.write(done.stdout)
    return {
        "seconds": round(wall, 1),
        "command_seconds": float(seconds),
        "events": int(events),
        "cases_per_s": round(int(cases) / wall),
        "rows_per_s": round((int(cases) + int(events)) / wall),
    }


def raw_copy(url):
    """PostgreSQL's own bulk load of the same rows: export them, COPY them into a fresh schema."""
    import psycopg

    tables = ["cases_department", "cases_service", "cases_case", "cases_caseevent"]
    with tempfile.TemporaryDirectory(prefix="civicdesk-copy-") as tmp, psycopg.connect(url) as source:
        for table in tables:
            with Path(tmp, table).open("wb") as file, source.cursor().copy(f"COPY {table} TO STDOUT") as copy:
                for data in copy:
                    file.write(data)
        size = sum(Path(tmp, t).stat().st_size for t in tables)
        with benchlib.database("postgresql", RAW_DB) as raw_url, psycopg.connect(raw_url) as target:
            _load(target, tmp, tables[:2])  # the catalogue, not timed
            target.commit()
            started = time.perf_counter()
            _load(target, tmp, tables[2:])
            target.commit()  # deferred foreign keys are checked here, as in generate_cases
            seconds = time.perf_counter() - started
    return {"copy_seconds": round(seconds, 1), "copy_megabytes": round(size / 1e6)}


def _load(conn, folder, tables):
    for table in tables:
        with Path(folder, table).open("rb") as file, conn.cursor().copy(f"COPY {table} FROM STDIN") as copy:
            while data := file.read(1 << 20):
                copy.write(data)


if __name__ == "__main__":
    main()
