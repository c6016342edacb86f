"""A routing decision (areas lookup + 200 ordered rules) per case: p50/p95 in microseconds.

    python bench/bench_routing.py [--rules 200] [--areas 100] [--decisions 20000]

Builds 100 square areas on a grid and 200 rules mixing services, areas, keywords, channels and time
windows (most do not match, as in a real city where the specific rules come first), then times
`routing.rules.decide` on unsaved cases at random points: exactly what `submit_case` runs.
"""

import argparse
import json
import os
import random
import sys
import time

from benchlib import ROOT, database, env, report


def setup_and_time(args):
    import django

    django.setup()
    from django.utils import timezone

    from civicdesk.areas import locate
    from civicdesk.cases.models import Case
    from civicdesk.routing.rules import active_rules, decide

    _import_grid(args.areas)
    rng = random.Random(1)
    services = _make_rules(args.rules, args.areas, rng)
    locate.invalidate()
    active_rules()
    cases = [
        Case(
            service=rng.choice(services),
            description=" ".join(rng.sample(WORDS + ["hole"] * 5, 4)),
            channel=rng.choice(["web", "phone", "api"]),
            priority=3,
            created_at=timezone.now(),
            latitude=rng.uniform(42.2, 42.3),
            longitude=rng.uniform(-71.2, -71.1),
        )
        for _ in range(args.decisions)
    ]
    timings, matched = [], 0
    for case in cases:
        started = time.perf_counter()
        case.areas = locate.areas_for(case.latitude, case.longitude)
        matched += decide(case).matched
        timings.append(time.perf_counter() - started)
    timings.sort()
    return timings, matched


WORDS = ["oak", "gas", "flood", "school", "needle", "wires", "smell", "bridge", "rat", "ice"]


def _import_grid(count):
    """`count` wards as a square grid of 0.01° cells from (-71.2, 42.2)."""
    from civicdesk.areas.actions import import_file

    side = int(count**0.5)
    features = []
    for i in range(count):
        west, south = -71.2 + (i % side) * 0.01, 42.2 + (i // side) * 0.01
        ring = [[west, south], [west + 0.01, south], [west + 0.01, south + 0.01], [west, south + 0.01]]
        features.append(
            {
                "type": "Feature",
                "properties": {"name": str(i + 1)},
                "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
            }
        )
    import_file(json.dumps({"type": "FeatureCollection", "features": features}), "ward", "name")


def _make_rules(count, areas, rng):
    """10 departments, 30 services and `count` random rules over them; the services."""
    from civicdesk.cases.models import Department, Service
    from civicdesk.routing.models import RoutingRule

    departments = [Department.objects.create(code=f"d{i}", name=f"Dept {i}") for i in range(10)]
    services = [
        Service.objects.create(
            code=f"s{i}", name=f"Service {i}", group=f"G{i % 5}", default_department=departments[i % 10]
        )
        for i in range(30)
    ]
    for n in range(count):
        rule = RoutingRule.objects.create(
            order=n,
            name=f"rule {n}",
            set_department=rng.choice(departments),
            areas=", ".join(f"ward:{rng.randint(1, areas)}" for _ in range(rng.randint(0, 3))),
            keywords=rng.choice(["", "", ", ".join(rng.sample(WORDS, 2))]),
            channels=rng.choice([[], [], ["phone"], ["web", "api"]]),
            weekdays=rng.choice([[], [], [0, 1, 2, 3, 4], [5, 6]]),
        )
        rule.services.set(rng.sample(services, rng.randint(1, 3)))
    return services


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rules", type=int, default=200)
    parser.add_argument("--areas", type=int, default=100)
    parser.add_argument("--decisions", type=int, default=20000)
    args = parser.parse_args()
    with database("sqlite") as url:
        os.environ.update(env(url))
        sys.path.insert(0, str(ROOT))
        timings, matched = setup_and_time(args)
    pick = lambda q: round(timings[int(q * (len(timings) - 1))] * 1e6, 1)  # noqa: E731
    report(
        "routing_decision",
        rules=args.rules,
        areas=args.areas,
        decisions=args.decisions,
        matched_share=round(matched / len(timings), 2),
        p50_us=pick(0.5),
        p95_us=pick(0.95),
        p99_us=pick(0.99),
        target_p95_us=1000,
    )


if __name__ == "__main__":
    main()
