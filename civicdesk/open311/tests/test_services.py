"""GET discovery, services and service definitions; errors, jurisdiction, languages, methods."""

from civicdesk.cases.models import Datatype, Service, ServiceAttribute

from .helpers import error_lines, xml


def test_it_lists_active_services_valid_per_the_schema(client, cast, schemas):
    Service.objects.create(code="retired", name="Retired", active=False)
    body = schemas("services.json", client.get("/open311/v2/services.json").json())
    by_code = {s["service_code"]: s for s in body}
    assert set(by_code) == {"pothole", "tree"}
    assert by_code["pothole"] == {
        "service_code": "pothole",
        "service_name": "Pothole",
        "description": "",
        "metadata": True,
        "type": "realtime",
        "keywords": "",
        "group": "Streets",
    }
    assert by_code["tree"]["metadata"] is False


def test_it_wraps_services_in_xml_as_the_spec_says(client, cast):
    root = xml(client.get("/open311/v2/services.xml"))
    assert root.tag == "services"
    assert [child.tag for child in root] == ["service", "service"]
    pothole = next(s for s in root if s.findtext("service_code") == "pothole")
    assert pothole.findtext("metadata") == "true" and pothole.findtext("type") == "realtime"
    assert [c.tag for c in pothole] == [
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    ]


def test_it_describes_every_attribute_of_a_service(client, cast, schemas):
    cast.pothole.attributes.filter(code="width_cm").update(help_text="Measure across")
    body = schemas("service-definition.json", client.get("/open311/v2/services/pothole.json").json())
    assert body["service_code"] == "pothole"
    depth, width = body["attributes"]
    assert depth == {
        "variable": True,
        "code": "depth",
        "datatype": "singlevaluelist",
        "required": True,
        "datatype_description": None,
        "order": 1,
        "description": "How deep is it?",
        "values": [{"key": "shallow", "name": "Shallow"}, {"key": "deep", "name": "Deep"}],
    }
    assert width["datatype"] == "number" and width["datatype_description"] == "Measure across"
    assert "values" not in width


def test_it_gives_the_definition_in_xml_with_values(client, cast):
    root = xml(client.get("/open311/v2/services/pothole.xml"))
    assert root.tag == "service_definition"
    attributes = root.find("attributes")
    assert [a.tag for a in attributes] == ["attribute", "attribute"]
    values = attributes[0].find("values")
    assert [(v.findtext("key"), v.findtext("name")) for v in values.iter("value")] == [
        ("shallow", "Shallow"),
        ("deep", "Deep"),
    ]
    assert attributes[0].findtext("variable") == "true"


def test_it_gives_a_404_error_body_for_an_unknown_service(client, cast):
    response = client.get("/open311/v2/services/nope.json")
    assert response.status_code == 404
    assert error_lines(response) == ["404 service_code: there is no service “nope”."]
    root = xml(client.get("/open311/v2/services/nope.xml"))
    assert root.tag == "errors" and root.find("error").findtext("code") == "404"
    assert client.get("/open311/v2/services/nope.xml").status_code == 404


def test_it_answers_unknown_addresses_with_a_404_error_body(client, db):
    for url in ("/open311/v2/nothing.json", "/open311/v2/services.csv", "/open311/v2/requests"):
        response = client.get(url)
        assert response.status_code == 404
        body = response.json() if url.endswith(".json") else None
        if body is None:
            assert xml(response).tag == "errors"
        else:
            assert body[0]["code"] == 404


def test_it_refuses_the_wrong_method_with_405(client, cast):
    response = client.post("/open311/v2/services.json", {"x": "1"})
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert error_lines(response)[0].startswith("405 Method POST is not allowed")
    assert client.delete("/open311/v2/requests.json").status_code == 405


def test_it_translates_services_by_locale_or_accept_language(client, cast):
    ServiceAttribute.objects.filter(code="depth").update(
        translations={"es": {"label": "¿Qué profundidad?"}},
        values=[{"key": "deep", "name": "Deep", "translations": {"es": "Profundo"}}],
    )
    by_param = client.get("/open311/v2/services.json?locale=es").json()
    assert {s["service_name"] for s in by_param} == {"Bache", "Fallen tree"}
    assert {s["group"] for s in by_param} == {"Calles", "Parks"}
    by_header = client.get("/open311/v2/services/pothole.json", headers={"accept-language": "es"}).json()
    assert by_header["attributes"][0]["description"] == "¿Qué profundidad?"
    assert by_header["attributes"][0]["values"] == [{"key": "deep", "name": "Profundo"}]
    english = client.get("/open311/v2/services.json?locale=xx").json()
    assert "Pothole" in {s["service_name"] for s in english}


def test_it_checks_the_jurisdiction(client, cast, settings):
    settings.OPEN311_JURISDICTION = "riverton.example"
    assert client.get("/open311/v2/services.json?jurisdiction_id=riverton.example").status_code == 200
    assert client.get("/open311/v2/services.json?jurisdiction_id=").status_code == 200
    response = client.get("/open311/v2/services.json?jurisdiction_id=elsewhere.example")
    assert response.status_code == 404
    assert "riverton.example" in error_lines(response)[0]


def test_it_derives_the_default_jurisdiction_from_the_site_url(client, cast, settings):
    settings.SITE_URL = "https://311.riverton.example"
    assert client.get("/open311/v2/services.json?jurisdiction_id=311.riverton.example").status_code == 200
    assert client.get("/open311/v2/services.json?jurisdiction_id=127.0.0.1").status_code == 404


def test_it_describes_itself_in_discovery(client, db, settings):
    settings.SITE_URL = "https://311.riverton.example"
    body = client.get("/open311/v2/discovery.json").json()
    (endpoint,) = body["endpoints"]
    assert endpoint["url"] == "https://311.riverton.example/open311/v2"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    root = xml(client.get("/open311/v2/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.find("endpoints").find("endpoint").find("formats")] == [
        "text/xml",
        "application/json",
    ]
    assert {c.tag for c in root} == {"changeset", "contact", "key_service", "endpoints"}


def test_it_lists_every_datatype(client, cast, schemas):
    service = Service.objects.create(code="all-types", name="All types")
    for order, datatype in enumerate(Datatype.values):
        values = [{"key": "a", "name": "A"}] if "list" in datatype else []
        ServiceAttribute.objects.create(
            service=service, code=datatype, label=datatype, datatype=datatype, order=order, values=values
        )
    body = schemas("service-definition.json", client.get("/open311/v2/services/all-types.json").json())
    assert [a["datatype"] for a in body["attributes"]] == Datatype.values
