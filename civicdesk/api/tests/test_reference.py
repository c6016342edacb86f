"""Services, departments, areas (public) and /me."""

import json

from civicdesk.areas.models import Area, AreaLayer

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[-71.1, 42.3], [-71.0, 42.3], [-71.0, 42.4], [-71.1, 42.4], [-71.1, 42.3]]],
}


def test_it_lists_services_with_their_questions_to_anyone(api, cast):
    services = {s["code"]: s for s in api(None).get("/services").json()}
    assert set(services) == {"pothole", "tree"}
    depth, width = services["pothole"]["attributes"]
    assert depth["code"] == "depth" and depth["required"] and depth["datatype"] == "singlevaluelist"
    assert depth["values"] == [{"key": "shallow", "name": "Shallow"}, {"key": "deep", "name": "Deep"}]
    assert width["datatype"] == "number" and services["pothole"]["default_department"] == "public-works"


def test_it_speaks_the_requested_language(api, cast):
    services = api(None).get("/services", **{"Accept-Language": "es"}).json()
    assert "Bache" in [s["name"] for s in services]
    departments = api(None).get("/departments", **{"Accept-Language": "es"}).json()
    assert {"code": "public-works", "name": "Obras Públicas", "email": "pw@city.test"} in departments


def test_it_lists_areas_with_geometry_only_on_request(api, db):
    layer = AreaLayer.objects.create(slug="ward", label="Wards")
    Area.objects.create(
        layer=layer,
        name="Ward 1",
        geometry=json.dumps(SQUARE),
        min_lon=-71.1,
        min_lat=42.3,
        max_lon=-71.0,
        max_lat=42.4,
    )
    (listed,) = api(None).get("/areas").json()
    assert listed["slug"] == "ward" and listed["areas"] == [
        {"name": "Ward 1", "bbox": [-71.1, 42.3, -71.0, 42.4], "geometry": None}
    ]
    (full,) = api(None).get("/areas", {"geometry": "true", "layer": "ward"}).json()
    assert full["areas"][0]["geometry"] == SQUARE
    assert api(None).get("/areas", {"layer": "district"}).json() == []


def test_it_tells_the_caller_who_they_are(api, cast):
    me = api("bob", "read", departments=[cast.public_works]).get("/me").json()
    assert me["email"] == "bob@demo.test" and me["role"] == "staff" and me["departments"] == ["public-works"]
    assert me["token"]["scope"] == "read" and me["token"]["departments"] == ["public-works"]
    assert api(None).get("/me").status_code == 401
