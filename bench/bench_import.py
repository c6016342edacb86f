"""How fast `civicdesk import_cases --format nyc311` loads a city's history (target: >= 30,000 rows/s
and <= 500 MB peak RSS for 1M rows on PostgreSQL).

    python bench/bench_import.py [--count 1000000] [--db postgresql|sqlite] [--runs 1] [--no-raw]
                                 [--database-name NAME] [--csv FILE]

The input is generated first, streaming to a temporary file: an N-row NYC-format CSV resampled from
the real ../shared/data/nyc311-100.csv (each row keeps its complaint, place and status) with unique
ids and creation times spread over 2015-2024 (each row's durations kept), so cases land in many
years and services. Each run imports it into a fresh, migrated database; the importing process's
peak RSS comes from `wait4`. On PostgreSQL the physical limit is measured in the same run, twice:
- `COPY` of the imported cases (written out with `COPY cases_case TO` after the last run) into a
  table of the same columns and indexes (`LIKE cases_case INCLUDING ALL`: every index, the full-text
  one included; no foreign keys), the ratio reported as `ratio_to_copy`;
- a plain `COPY` of the CSV file itself into a table of 41 text columns and no index
  (`ratio_to_raw_copy`), the bare cost of moving the bytes in.
"""

import argparse
import csv
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import benchlib

SAMPLE = benchlib.ROOT.parent / "shared" / "data" / "nyc311-100.csv"
NYC = "%m/%d/%Y %I:%M:%S %p"
DATES = ("Created Date", "Closed Date", "Due Date", "Resolution Action Updated Date")
RESULT = re.compile(r"imported (\d+), skipped (\d+), failed (\d+)")
START, SPAN = datetime(2015, 1, 1), 10 * 365 * 86400


def generate(path, count, seed=1):
    """Write `count` rows, one at a time: the sample's rows with new ids and shifted dates."""
    with SAMPLE.open(newline="", encoding="utf-8") as file:
        reader = csv.reader(file)
        header = next(reader)
        sample = list(reader)
    column = {name: header.index(name) for name in (*DATES, "Unique Key")}
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for n in range(count):
            row = list(sample[n % len(sample)])
            created = datetime.strptime(row[column["Created Date"]], NYC)
            shift = START + timedelta(seconds=rng.randrange(SPAN)) - created
            for name in DATES:
                if row[column[name]]:
                    when = datetime.strptime(row[column[name]], NYC) + shift
                    row[column[name]] = when.strftime(NYC)
            row[column["Unique Key"]] = str(60_000_000 + n)
            writer.writerow(row)
    return len(header)


def import_file(url, path, report):
    """Run the import in a child process; (wall seconds, peak RSS in MB, counts)."""
    command = [sys.executable, "-m", "civicdesk.cli", "import_cases", str(path), "--format", "nyc311"]
    command += ["--report", str(report)]
    started = time.perf_counter()
    child = subprocess.Popen(  # noqa: S603 - our own command
        command, cwd=benchlib.ROOT, env=benchlib.env(url), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    _pid, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    out, err = child.stdout.read().decode(), child.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.stderr.write(out + err)
        raise SystemExit("import_cases failed")
    imported, skipped, failed = (int(n) for n in RESULT.search(out).groups())
    return seconds, usage.ru_maxrss / 1024, {"imported": imported, "skipped": skipped, "failed": failed}


def raw_copy(url, path, width):
    """PostgreSQL's own bulk load of the same bytes: COPY into a table of text columns."""
    import psycopg

    columns = ", ".join(f"c{i} text" for i in range(width))
    with psycopg.connect(url) as conn:
        conn.execute(f"CREATE TABLE bench_raw ({columns})")
        started = time.perf_counter()
        with (
            path.open("rb") as file,
            conn.cursor().copy("COPY bench_raw FROM STDIN (FORMAT csv, HEADER)") as copy,
        ):
            while data := file.read(1 << 20):
                copy.write(data)
        conn.commit()
        seconds = time.perf_counter() - started
        conn.execute("DROP TABLE bench_raw")
    return seconds


def copy_into_case_table(url, tmp):
    """COPY of the imported cases into a table shaped like cases_case, with all its indexes."""
    import psycopg

    dump = Path(tmp, "cases.copy")
    with psycopg.connect(url) as conn:
        with dump.open("wb") as file, conn.cursor().copy("COPY cases_case TO STDOUT") as copy:
            for data in copy:
                file.write(data)
        rows = conn.execute("SELECT count(*) FROM cases_case").fetchone()[0]
        conn.execute("CREATE TABLE bench_case (LIKE cases_case INCLUDING ALL)")
        conn.commit()
        started = time.perf_counter()
        with dump.open("rb") as file, conn.cursor().copy("COPY bench_case FROM STDIN") as copy:
            while data := file.read(1 << 20):
                copy.write(data)
        conn.commit()
        seconds = time.perf_counter() - started
        conn.execute("DROP TABLE bench_case")
    return seconds, rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--db", default="postgresql", choices=["postgresql", "sqlite"])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--no-raw", action="store_true", help="skip the COPY comparisons")
    parser.add_argument("--database-name", help="PostgreSQL database to (re)create and drop")
    parser.add_argument("--csv", type=Path, help="a file generate() wrote (same --count)")
    args = parser.parse_args()
    if not SAMPLE.exists():
        raise SystemExit(f"{SAMPLE} is missing (../shared/data beside the checkout)")
    with tempfile.TemporaryDirectory(prefix="civicdesk-import-") as tmp:
        path, report = Path(tmp, "nyc311.csv"), Path(tmp, "report.csv")
        started = time.perf_counter()
        if args.csv:
            path = args.csv
            with path.open(newline="", encoding="utf-8") as file:
                width = len(next(csv.reader(file)))
        else:
            width = generate(path, args.count)
            sys.stderr.write(f"generated {args.count:,} rows in {time.perf_counter() - started:.1f} s\n")
        runs, copy_seconds, raw_seconds = [], None, None
        for run in range(args.runs):
            with benchlib.database(args.db, args.database_name) as url:
                seconds, rss, counts = import_file(url, path, report)
                runs.append(
                    {
                        "seconds": round(seconds, 1),
                        "rows_per_s": round(args.count / seconds),
                        "rss_mb": round(rss),
                        **counts,
                    }
                )
                sys.stderr.write(f"run {run + 1}: {runs[-1]}\n")
                if args.db == "postgresql" and not args.no_raw and run == args.runs - 1:
                    copy_seconds, copied = copy_into_case_table(url, tmp)
                    raw_seconds = raw_copy(url, path, width)
                    sys.stderr.write(f"COPY {copied:,} cases {copy_seconds:.1f} s, raw {raw_seconds:.1f} s\n")
        seconds = benchlib.median([r["seconds"] for r in runs])
        result = {
            "db": args.db,
            "version": benchlib.pg_version() if args.db == "postgresql" else benchlib.sqlite_version(),
            "count": args.count,
            "file_mb": round(path.stat().st_size / 1e6),
            "seconds": seconds,
            "rows_per_s": round(args.count / seconds),
            "peak_rss_mb": max(r["rss_mb"] for r in runs),
            "runs": runs,
        }
        if copy_seconds is not None:
            result.update(
                copy_seconds=round(copy_seconds, 1),
                copy_rows_per_s=round(args.count / copy_seconds),
                ratio_to_copy=round(copy_seconds / seconds, 3),
                raw_copy_seconds=round(raw_seconds, 1),
                ratio_to_raw_copy=round(raw_seconds / seconds, 3),
            )
        benchlib.report("import", **result)


if __name__ == "__main__":
    main()
