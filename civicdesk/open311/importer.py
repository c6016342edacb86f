"""Read Open311 service lists and service definitions (XML or JSON) into Service rows.

Untrusted XML goes through defusedxml. Everything is checked before anything is written, and
importing the same files again changes nothing.

Attributes with `variable=false` are information for the resident, not questions: their text is
added to the service's description (once), never turned into a question to answer.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.db import transaction

from civicdesk.cases.models import Datatype, Service, ServiceAttribute

SERVICE_FIELDS = ("name", "description", "group", "keywords")
ATTRIBUTE_FIELDS = ("label", "datatype", "required", "order", "help_text", "values")


class ServiceImportError(Exception):
    """A file cannot be imported; the message names the file and the problem."""


@dataclass
class Result:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    attributes_written: int = 0
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- reading


def _local(tag):
    return tag.rsplit("}", 1)[-1]


def _xml_record(element):
    """An XML element as a dict: text for leaves, lists for the spec's list wrappers."""
    record = {}
    for child in element:
        name = _local(child.tag)
        if name in ("attributes", "values"):
            record[name] = [_xml_record(item) for item in child]
        else:
            record[name] = (child.text or "").strip()
    return record


def read_file(path):
    """('services', [records]) or ('definition', record) from one file, or ServiceImportError."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise ServiceImportError(f"{path}: cannot read it ({error.strerror}).") from None
    if data.lstrip()[:1] in (b"[", b"{"):
        return _read_json(path, data)
    try:
        root = fromstring(data)
    except (ParseError, DefusedXmlException, ValueError) as error:
        raise ServiceImportError(f"{path}: not well-formed XML ({error}).") from None
    kind = _local(root.tag)
    if kind == "services":
        return "services", [_xml_record(item) for item in root]
    if kind == "service_definition":
        return "definition", _xml_record(root)
    raise ServiceImportError(f"{path}: expected <services> or <service_definition>, found <{kind}>.")


def _read_json(path, data):
    try:
        parsed = json.loads(data)
    except (ValueError, RecursionError) as error:
        raise ServiceImportError(f"{path}: not valid JSON ({error}).") from None
    if isinstance(parsed, list) and all(isinstance(item, dict) for item in parsed):
        return "services", parsed
    if isinstance(parsed, dict) and isinstance(parsed.get("attributes"), list):
        return "definition", parsed
    raise ServiceImportError(f"{path}: expected a list of services or a service definition.")


def collect(paths):
    """Read files and directories (their *.xml and *.json): (services, definitions)."""
    services, definitions = [], []
    for path in map(Path, paths):
        files = (
            sorted(p for p in path.iterdir() if p.suffix in (".xml", ".json")) if path.is_dir() else [path]
        )
        for file in files:
            kind, content = read_file(file)
            if kind == "services":
                services += [(file, record) for record in content]
            else:
                definitions.append((file, content))
    return services, definitions


# ---------------------------------------------------------------- checking


def _text(record, name, limit, source, required=False):
    raw = record.get(name)
    text = "" if raw is None else str(raw).strip()
    if required and not text:
        raise ServiceImportError(f"{source}: {name} is missing.")
    if len(text) > limit:
        raise ServiceImportError(f"{source}: {name} is longer than {limit} characters.")
    return text


def _limit(model, name):
    return model._meta.get_field(name).max_length


def service_fields(record, file):
    code = _text(record, "service_code", _limit(Service, "code"), file, required=True)
    source = f"{file}, service {code}"
    return code, {
        "name": _text(record, "service_name", _limit(Service, "name"), source, required=True),
        "description": _text(record, "description", 100_000, source),
        "group": _text(record, "group", _limit(Service, "group"), source),
        "keywords": _text(record, "keywords", _limit(Service, "keywords"), source),
    }


def _flag(record, name, source, default):
    raw = record.get(name)
    if raw is None or raw == "":
        return default
    if isinstance(raw, bool):
        return raw
    if str(raw).strip().lower() in ("true", "false"):
        return str(raw).strip().lower() == "true"
    raise ServiceImportError(f"{source}: {name} must be true or false, not “{raw}”.")


def attribute_fields(record, source):
    code = _text(record, "code", _limit(ServiceAttribute, "code"), source, required=True)
    source = f"{source}, attribute {code}"
    datatype = _text(record, "datatype", 32, source, required=True)
    if datatype not in Datatype.values:
        raise ServiceImportError(f"{source}: unknown datatype “{datatype}”.")
    try:
        order = int(record.get("order") or 0)
    except (TypeError, ValueError):
        raise ServiceImportError(f"{source}: order must be a whole number.") from None
    values = []
    for item in record.get("values") or []:
        if not isinstance(item, dict):
            raise ServiceImportError(f"{source}: each value needs a key and a name.")
        values.append(
            {"key": _text(item, "key", 200, source, required=True), "name": _text(item, "name", 200, source)}
        )
    fields = {
        "label": _text(record, "description", 100_000, source),
        "datatype": datatype,
        "required": _flag(record, "required", source, False),
        "order": max(0, min(order, 32767)),
        "help_text": _text(record, "datatype_description", _limit(ServiceAttribute, "help_text"), source),
        "values": values,
    }
    return code, _flag(record, "variable", source, True), fields


# ---------------------------------------------------------------- writing


@transaction.atomic
def import_services(paths):
    """Create or update services (by code) and their questions; all or nothing."""
    services, definitions = collect(paths)
    result = Result()
    parsed = {}
    for file, record in services:
        code, fields = service_fields(record, file)
        parsed[code] = fields
    for code, fields in parsed.items():
        _save_service(code, fields, result)
    for file, record in definitions:
        _apply_definition(file, record, result)
    return result


def _save_service(code, fields, result):
    service = Service.objects.filter(code=code).first()
    if service is None:
        Service.objects.create(code=code, **fields)  # no department: its cases go to triage
        result.created.append(code)
        return
    changed = [name for name in SERVICE_FIELDS if getattr(service, name) != fields[name]]
    if service.description and fields["description"] in service.description:
        changed = [name for name in changed if name != "description"]  # keeps notes added below
    if not changed:
        result.unchanged.append(code)
        return
    for name in changed:
        setattr(service, name, fields[name])
    service.save(update_fields=changed)
    result.updated.append(code)


def _apply_definition(file, record, result):
    code = _text(record, "service_code", _limit(Service, "code"), file, required=True)
    service = Service.objects.filter(code=code).first()
    if service is None:
        raise ServiceImportError(
            f"{file}: definition for “{code}”, a service that is neither here nor in the files."
        )
    source = f"{file}, service {code}"
    for item in record["attributes"]:
        if not isinstance(item, dict):
            raise ServiceImportError(f"{source}: each attribute must be an object.")
        attribute_code, variable, fields = attribute_fields(item, source)
        if variable:
            _save_attribute(service, attribute_code, fields, source, result)
        elif fields["label"] and fields["label"] not in service.description:
            service.description = f"{service.description}\n\n{fields['label']}".strip()
            service.save(update_fields=["description"])
            result.notes.append(f"{code}: {attribute_code} (variable=false) added to the description")


def _save_attribute(service, code, fields, source, result):
    limit = _limit(ServiceAttribute, "label")
    if len(fields["label"]) > limit:
        fields["label"] = fields["label"][: limit - 1] + "…"
        result.notes.append(f"{source}, attribute {code}: description shortened to {limit} characters")
    attribute = ServiceAttribute.objects.filter(service=service, code=code).first()
    if attribute is not None:
        # Keep translations an administrator added to the choices.
        old = {v["key"]: v for v in attribute.values if isinstance(v, dict) and "key" in v}
        fields["values"] = [
            {**v, "translations": old[v["key"]]["translations"]}
            if old.get(v["key"], {}).get("translations")
            else v
            for v in fields["values"]
        ]
        changed = [name for name in ATTRIBUTE_FIELDS if getattr(attribute, name) != fields[name]]
        if not changed:
            return
        for name in changed:
            setattr(attribute, name, fields[name])
        attribute.save(update_fields=changed)
    else:
        ServiceAttribute.objects.create(service=service, code=code, **fields)
    result.attributes_written += 1
    if service.code not in result.created + result.updated:
        result.updated.append(service.code)
        if service.code in result.unchanged:
            result.unchanged.remove(service.code)
