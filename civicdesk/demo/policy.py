"""Riverton's policy: wards, the city boundary, calendars, service levels and routing rules.

Built before the demo's cases are played, so every case gets its areas, its routing decision and its
service-level clock through the same actions a real report goes through.
"""

import json
from datetime import time

from civicdesk.areas import locate
from civicdesk.areas.actions import import_file
from civicdesk.routing.models import RoutingRule
from civicdesk.sla.models import BusinessCalendar, EscalationStep, SLAPolicy, WorkingPeriod

from .places import NEIGHBOURHOODS

MARGIN = 0.06  # degrees around the neighbourhoods (about 5 km): room for every demo address


def _extent():
    lats = [n.latitude for n in NEIGHBOURHOODS]
    lons = [n.longitude for n in NEIGHBOURHOODS]
    return min(lons) - MARGIN, min(lats) - MARGIN, max(lons) + MARGIN, max(lats) + MARGIN


def _box(west, south, east, north):
    return {
        "type": "Polygon",
        "coordinates": [[[west, south], [east, south], [east, north], [west, north], [west, south]]],
    }


def _collection(named_boxes):
    features = [
        {"type": "Feature", "properties": {"name": name}, "geometry": _box(*box)} for name, box in named_boxes
    ]
    return json.dumps({"type": "FeatureCollection", "features": features})


def build_areas():
    """The city boundary and four wards (quadrants around the city centre)."""
    west, south, east, north = _extent()
    mid_lon, mid_lat = (west + east) / 2, (south + north) / 2
    import_file(
        _collection([("Riverton", (west, south, east, north))]),
        "city",
        "name",
        label="City of Riverton",
        city_boundary=True,
    )
    wards = [
        ("1", (west, mid_lat, mid_lon, north)),
        ("2", (mid_lon, mid_lat, east, north)),
        ("3", (west, south, mid_lon, mid_lat)),
        ("4", (mid_lon, south, east, mid_lat)),
    ]
    import_file(_collection(wards), "ward", "name", label="Wards")
    locate.invalidate()


def build_calendars():
    office = BusinessCalendar.objects.create(
        name="City Hall hours", time_zone="America/New_York", holiday_country="US", holiday_subdivision="MA"
    )
    WorkingPeriod.objects.bulk_create(
        WorkingPeriod(calendar=office, weekday=day, start=start, end=end)
        for day in range(5)
        for start, end in ((time(8), time(12)), (time(13), time(17)))
    )
    always = BusinessCalendar.objects.create(
        name="Around the clock", time_zone="America/New_York", always_open=True
    )
    return office, always


def build_service_levels(services, departments):
    office, always = build_calendars()
    standard = SLAPolicy.objects.create(
        name="Standard", calendar=office, response_hours=16, resolution_hours=80, at_risk_percent=75
    )
    urgent = SLAPolicy.objects.create(
        name="Urgent, any service",
        priority=1,
        calendar=always,
        response_hours=1,
        resolution_hours=8,
        at_risk_percent=50,
    )
    water = SLAPolicy.objects.create(
        name="Water main breaks",
        service=services["water-main"],
        calendar=always,
        response_hours=1,
        resolution_hours=12,
    )
    for policy in (standard, urgent, water):
        EscalationStep.objects.create(policy=policy, trigger="at_risk", notify_supervisor=True)
        EscalationStep.objects.create(
            policy=policy, trigger="breach", notify_supervisor=True, raise_priority=True
        )
        EscalationStep.objects.create(
            policy=policy, trigger="after_breach", hours_after=24, notify_supervisor=True, add_tag="late-24h"
        )


def build_routing(services, departments):
    RoutingRule.objects.create(
        order=10,
        name="Hazards are urgent",
        keywords="gas, sparking, live wire, flooding, sinkhole",
        set_priority=1,
        add_tags="hazard",
        keep_going=True,
    )
    trees = RoutingRule.objects.create(
        order=20,
        name="Fallen trees blocking a street",
        keywords="street, road, lane",
        set_department=departments["parks"],
    )
    trees.services.set([services["fallen-tree"]])
    # An example of sub-cases, off by default: the demo's case histories resolve each case on its own.
    split = RoutingRule.objects.create(
        order=25,
        name="Trees on power lines: also Public Works",
        active=False,
        keywords="wires, power line",
        set_department=departments["parks"],
    )
    split.services.set([services["fallen-tree"]])
    split.split_to.set([departments["public-works"]])
    night = RoutingRule.objects.create(
        order=30,
        name="Night-time noise to Code Enforcement",
        from_time=time(22),
        to_time=time(6),
        set_department=departments["code-enforcement"],
    )
    night.services.set([services["construction-hours"]])


def build_policy(departments, services):
    build_areas()
    build_service_levels(services, departments)
    build_routing(services, departments)
