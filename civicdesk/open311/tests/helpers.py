"""Helpers shared by the Open311 tests."""

import re
from pathlib import Path

from defusedxml import ElementTree as ET
from django.conf import settings

from conftest import require_component

SHARED = Path(settings.BASE_DIR).parent / "shared" / "open311"
W3C = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")


def shared(name):
    path = SHARED / name
    if not path.exists():
        require_component(f"{path} (../shared sits beside the checkout)")
    return path


def xml(response):
    """Parse a response as XML, insisting on UTF-8 and the XML content type."""
    assert response["Content-Type"].startswith("text/xml"), response["Content-Type"]
    assert response.content.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    return ET.fromstring(response.content)


def error_lines(response):
    """The spec's JSON error body as 'code description' lines."""
    body = response.json()
    assert isinstance(body, list) and body
    assert all(set(item) == {"code", "description"} for item in body)
    return [f"{item['code']} {item['description']}" for item in body]


def post(client, key, fmt="json", **fields):
    data = {"api_key": key, "service_code": "pothole", "lat": "42.36", "long": "-71.06"}
    data.update({"attribute[depth]": "deep", "description": "Big hole by the bus stop"})
    data.update(fields)
    return client.post(f"/open311/v2/requests.{fmt}", {k: v for k, v in data.items() if v is not None})


def png(name="photo.png"):
    """A small real PNG upload."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "orange").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def make_case(cast, **fields):
    """A case through the real submit action (routing, SLA, events)."""
    from civicdesk.cases import actions

    values = {
        "service": cast.pothole,
        "description": "Hole on Elm St",
        "answers": {"depth": "deep"},
        "latitude": 42.36,
        "longitude": -71.06,
        "address": "12 Elm St",
    }
    return actions.submit_case(**(values | fields))
