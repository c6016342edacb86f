"""Run every benchmark (`make bench`); each prints one line of JSON, collected here in order.

    python bench/run_all.py [--quick] [submit generate ...]

Runs every bench/bench_*.py in turn. --quick uses small sizes for the scripts that know them
(a smoke test of the scripts, not figures to quote).
Needs PostgreSQL at BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432) and pgbench.
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Small sizes for --quick; scripts not listed run with their own defaults.
QUICK = {
    "bench_submit.py": ["--count", "200", "--runs", "1"],
    "bench_generate.py": ["--count", "20000"],
    "bench_memory.py": ["--requests", "60"],
    "bench_queue.py": ["--count", "20000", "--runs", "5"],
    "bench_portal.py": ["--clients", "4", "--each", "5"],
    "bench_routing.py": ["--decisions", "2000"],
    "bench_inbound_email.py": ["--count", "50"],
    "bench_sla_watch.py": ["--count", "20000", "--open", "2000", "--due", "20"],
    "bench_metrics.py": ["--count", "20000", "--open", "2000", "--scrapes", "5"],
    "bench_addresses.py": ["--points", "50000", "--queries", "500"],
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("only", nargs="*", help="run only these (bench_<name>.py)")
    args = parser.parse_args()
    failed = []
    for path in sorted(HERE.glob("bench_*.py")):
        if args.only and path.stem.removeprefix("bench_") not in args.only:
            continue
        script = path.name
        print(f"# {script}", file=sys.stderr, flush=True)
        done = subprocess.run(  # noqa: S603 - our own scripts
            [sys.executable, str(path), *(QUICK.get(script, []) if args.quick else [])],
            stdout=subprocess.PIPE,
            text=True,
        )
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if done.returncode != 0 or not lines:
            failed.append(script)
            continue
        print(json.dumps(json.loads(lines[-1])), flush=True)
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
