"""`civicdesk import_services`: real cities' services lists and definitions, idempotent, all or nothing."""

import io
import json
import shutil

import pytest
from django.core.management import CommandError, call_command

from civicdesk.cases.models import Service, ServiceAttribute

from .helpers import shared


def run(*paths):
    out = io.StringIO()
    call_command("import_services", *map(str, paths), stdout=out)
    return out.getvalue()


def snapshot():
    services = list(
        Service.objects.order_by("code").values("code", "name", "description", "group", "keywords")
    )
    attributes = list(ServiceAttribute.objects.order_by("service__code", "code").values())
    return services, attributes


def test_it_imports_san_francisco_with_its_namespaced_root(db):
    output = run(shared("fixtures/sf-services.xml"))
    assert "36 services created" in output
    graffiti = Service.objects.get(code="007")
    assert graffiti.name == "Graffiti - Public - Bike_rack" and graffiti.group == "Graffiti"
    assert graffiti.default_department is None and graffiti.active
    assert graffiti.description.startswith("Graffiti on a bike rack")
    before = snapshot()
    assert "0 services created, 0 updated, 36 unchanged" in run(shared("fixtures/sf-services.xml"))
    assert snapshot() == before


def test_it_imports_washington_dc_and_a_definition(db, tmp_path):
    run(shared("fixtures/dc-services.xml"))
    assert Service.objects.count() == 86
    pothole = Service.objects.get(code="S0301")
    assert pothole.keywords and pothole.group
    for name in ("dc-services.xml", "dc-service-definition-S0301.xml"):
        shutil.copy(shared(f"fixtures/{name}"), tmp_path / name)
    output = run(tmp_path)
    assert "4 questions written" in output and "NOTE001 (variable=false)" in output
    pothole.refresh_from_db()
    questions = list(pothole.attributes.order_by("order"))
    assert [q.code for q in questions] == ["WHISPOLO", "WHMAISAL", "ISITHAZA", "WATHPRDA"]
    where = questions[0]
    assert (
        where.required
        and where.datatype == "singlevaluelist"
        and where.label == "Where is the pothole located?"
    )
    assert where.values == [{"key": "ALLEY002", "name": "Alley"}, {"key": "STREE001", "name": "Street"}]
    assert where.help_text == "Optional List of Values"
    assert "DDOT's standard is to repair potholes" in pothole.description
    before = snapshot()
    assert "0 updated, 86 unchanged; 0 questions written" in run(tmp_path)
    assert snapshot() == before


def test_it_keeps_translations_an_administrator_added(db, tmp_path):
    run(shared("fixtures/dc-services.xml"), shared("fixtures/dc-service-definition-S0301.xml"))
    question = ServiceAttribute.objects.get(code="WHISPOLO")
    question.values = [
        {**v, "translations": {"es": "Callejón"}} if v["key"] == "ALLEY002" else v for v in question.values
    ]
    question.save()
    run(shared("fixtures/dc-service-definition-S0301.xml"))
    question.refresh_from_db()
    assert question.values[0]["translations"] == {"es": "Callejón"}


def test_it_reads_json_lists_and_definitions(db, tmp_path):
    services = [
        {
            "service_code": "noise",
            "service_name": "Noise",
            "metadata": True,
            "type": "realtime",
            "keywords": "loud",
            "group": "Nuisance",
            "description": "Too loud",
        }
    ]
    definition = {
        "service_code": "noise",
        "attributes": [
            {
                "variable": True,
                "code": "when",
                "datatype": "datetime",
                "required": False,
                "order": 1,
                "description": "When?",
                "datatype_description": None,
            },
            {
                "variable": True,
                "code": "kinds",
                "datatype": "multivaluelist",
                "required": True,
                "order": 2,
                "description": "What kind?",
                "values": [{"key": 1, "name": "Music"}, {"key": 2, "name": "Party"}],
            },
        ],
    }
    (tmp_path / "services.json").write_text(json.dumps(services))
    (tmp_path / "noise.json").write_text(json.dumps(definition))
    run(tmp_path / "services.json", tmp_path / "noise.json")
    noise = Service.objects.get(code="noise")
    assert (noise.group, noise.keywords, noise.description) == ("Nuisance", "loud", "Too loud")
    kinds = noise.attributes.get(code="kinds")
    assert kinds.values == [{"key": "1", "name": "Music"}, {"key": "2", "name": "Party"}] and kinds.required


def test_it_updates_changed_services_by_code(db, tmp_path):
    Service.objects.create(code="noise", name="Old name", group="Old")
    (tmp_path / "s.json").write_text(
        json.dumps([{"service_code": "noise", "service_name": "Noise", "group": "New"}])
    )
    assert "1 updated" in run(tmp_path / "s.json")
    assert Service.objects.get(code="noise").name == "Noise"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<services><service><service_code>1</service_code>", "not well-formed XML"),
        (b'<!DOCTYPE x [<!ENTITY a "aaaa">]><services>&a;</services>', "not well-formed XML"),
        (b"<requests/>", "expected <services> or <service_definition>"),
        (b"[1, 2]", "expected a list of services"),
        (b"{oops", "not valid JSON"),
        (
            b"<services><service><service_name>x</service_name></service></services>",
            "service_code is missing",
        ),
        (
            b"<service_definition><service_code>ghost</service_code><attributes/></service_definition>",
            "a service that is neither here nor in the files",
        ),
    ],
)
def test_it_refuses_bad_files_and_imports_nothing(db, tmp_path, content, message):
    good = tmp_path / "a-good.json"
    good.write_text(json.dumps([{"service_code": "ok", "service_name": "OK"}]))
    bad = tmp_path / "b-bad.xml"
    bad.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        run(good, bad)
    assert not Service.objects.exists()


def test_it_refuses_an_unknown_datatype(db, tmp_path):
    definition = {"service_code": "x", "attributes": [{"code": "a", "datatype": "colour", "variable": True}]}
    (tmp_path / "s.json").write_text(json.dumps([{"service_code": "x", "service_name": "X"}]))
    (tmp_path / "d.json").write_text(json.dumps(definition))
    with pytest.raises(CommandError, match="unknown datatype “colour”"):
        run(tmp_path / "s.json", tmp_path / "d.json")
    with pytest.raises(CommandError, match="cannot read"):
        run(tmp_path / "missing.xml")
