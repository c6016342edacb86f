"""One Python structure, two Open311 bodies: XML (the required format) and JSON.

Per the spec's conversion rules, JSON drops the XML wrapper: a list stays a list; in XML each list
is an element named by its key holding one element per item (`ITEM_NAMES`).
"""

import json
import re
from xml.etree import ElementTree as ET

from django.http import HttpResponse

CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}

ITEM_NAMES = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "service_requests": "request",
    "service_request_updates": "request_update",
    "endpoints": "endpoint",
    "formats": "format",
    "notes": "note",
    "errors": "error",
    "areas": "area",
}

# Characters XML 1.0 cannot carry at all, even escaped (a stray control character in a description).
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class Areas(dict):
    """Layer -> area name: a JSON object; in XML `<areas><area><layer/><name/></area></areas>`,
    because layer names are data, not safe element names."""


def _text(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return NOT_XML.sub("", str(value))


def _fill(element, value):
    if isinstance(value, Areas):
        value = [{"layer": layer, "name": name} for layer, name in value.items()]
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ET.SubElement(element, key), item)
    elif isinstance(value, list):
        for item in value:
            _fill(ET.SubElement(element, ITEM_NAMES[element.tag]), item)
    else:
        element.text = _text(value)


def to_xml(root, value):
    element = ET.Element(root)
    _fill(element, value)
    return ET.tostring(element, encoding="utf-8", xml_declaration=True)


def to_json(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def respond(fmt, root, value, status=200):
    """`value` as an HTTP response; `root` is the XML root element (dropped in JSON)."""
    body = to_json(value) if fmt == "json" else to_xml(root, value)
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def errors(fmt, status, descriptions, code=None):
    """The spec's error body: one `<error>` (or JSON object) per problem."""
    items = [{"code": code or status, "description": str(text)} for text in descriptions]
    return respond(fmt, "errors", items, status=status)
