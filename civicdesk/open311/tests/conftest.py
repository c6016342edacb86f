"""Open311 fixtures: an API key and validators for the official JSON Schemas."""

import json
from datetime import datetime

import pytest

from civicdesk.open311.models import ApiKey

from .helpers import W3C, shared


@pytest.fixture
def api_key(db):
    """(ApiKey row, the key in clear)."""
    row = ApiKey(name="Test client", rate="1000/m")
    key = row.new_secret()
    row.save()
    return row, key


@pytest.fixture
def schemas():
    """A validator per official schema file, $refs between the files resolved, formats checked."""
    from jsonschema import Draft4Validator, FormatChecker
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    folder = shared("schemas")
    contents = {p.name: json.loads(p.read_text()) for p in folder.glob("*.json")}
    registry = Registry().with_resources(
        (name, Resource.from_contents(schema, default_specification=DRAFT4))
        for name, schema in contents.items()
    )
    checker = FormatChecker()

    @checker.checks("date-time")
    def _w3c(text):
        return not isinstance(text, str) or bool(W3C.match(text)) and bool(datetime.fromisoformat(text))

    @checker.checks("uri")
    def _uri(text):
        return not isinstance(text, str) or text.startswith(("http://", "https://"))

    def validate(name, instance):
        Draft4Validator(contents[name], registry=registry, format_checker=checker).validate(instance)
        return instance

    return validate


@pytest.fixture
def sla(cast):
    """Potholes resolved within 48 hours, around the clock: cases get an expected time."""
    from civicdesk.sla.models import BusinessCalendar, SLAPolicy

    calendar = BusinessCalendar.objects.create(name="Always", always_open=True)
    return SLAPolicy.objects.create(
        name="Potholes", service=cast.pothole, calendar=calendar, resolution_hours=48
    )
