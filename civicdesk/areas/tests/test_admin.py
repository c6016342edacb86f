"""Administrators import and inspect areas in the admin, with the same checks as the command."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from civicdesk.areas import locate
from civicdesk.areas.actions import import_file
from civicdesk.areas.models import Area, AreaLayer
from civicdesk.test import PASSWORD

from .conftest import bow_tie, collection, feature, polygon, square

IMPORT = "/admin/areas/arealayer/import/"
WARDS = collection(feature("1", polygon(square(0, 0))), feature("2", polygon(square(1, 0))))


@pytest.fixture
def admin_client(client, cast):
    assert client.login(email="root@demo.test", password=PASSWORD)
    return client


def upload(client, text, **fields):
    form = {
        "layer": "ward",
        "name_property": "name",
        "file": SimpleUploadedFile("wards.geojson", text.encode()),
    }
    return client.post(IMPORT, form | fields)


def test_it_imports_an_uploaded_file_and_shows_the_layer(admin_client):
    response = upload(admin_client, WARDS, label="Wards")
    layer = AreaLayer.objects.get(slug="ward")
    assert response.status_code == 302 and response.url == reverse(
        "admin:areas_arealayer_change", args=[layer.pk]
    )
    assert sorted(layer.areas.values_list("name", flat=True)) == ["1", "2"] and layer.label == "Wards"
    page = admin_client.get(response.url).content.decode()
    assert "Imported 2 areas into layer ward" in page  # the admin capitalises messages
    assert f"{IMPORT}?layer=ward&amp;replace=on" in page
    assert locate.areas_for(0.5, 1.5) == {"ward": "2"}


def test_it_refuses_a_bad_upload_with_the_feature_and_reason(admin_client):
    response = upload(admin_client, collection(feature("1", polygon(square(0, 0))), feature("2", bow_tie())))
    page = response.content.decode()
    assert response.status_code == 200 and "Nothing was imported." in page
    assert "feature 2: invalid geometry: Self-intersection[0.5 0.5]" in page
    assert not AreaLayer.objects.exists()


def test_it_refuses_to_overwrite_a_layer_unless_replace_is_ticked(admin_client):
    upload(admin_client, WARDS)
    one = collection(feature("9", polygon(square(0, 0))))
    assert "already has 2 areas" in upload(admin_client, one).content.decode()
    assert upload(admin_client, one, replace="on").status_code == 302
    assert list(Area.objects.values_list("name", flat=True)) == ["9"]


def test_it_lists_layers_with_their_area_counts_and_an_import_link(admin_client):
    import_file(WARDS, "ward", "name", label="Wards")
    page = admin_client.get("/admin/areas/arealayer/").content.decode()
    assert "Wards" in page and '<td class="field-area_count">2</td>' in page and IMPORT in page
    form = admin_client.get(f"{IMPORT}?layer=ward").content.decode()
    assert 'name="layer" value="ward"' in form


def test_it_shows_the_geometry_read_only_with_its_vertex_count(admin_client):
    import_file(WARDS, "ward", "name")
    area = Area.objects.get(name="1")
    page = admin_client.get(f"/admin/areas/area/{area.pk}/change/").content.decode()
    assert "5 vertices" in page and json.loads(area.geometry)["type"] == "Polygon"
    assert '"type":"Polygon"' in page.replace("&quot;", '"')
    assert 'name="geometry"' not in page  # no field to edit it


def test_it_forgets_a_deleted_area_at_once(admin_client):
    import_file(WARDS, "ward", "name")
    assert locate.areas_for(0.5, 0.5) == {"ward": "1"}
    area = Area.objects.get(name="1")
    admin_client.post(f"/admin/areas/area/{area.pk}/delete/", {"post": "yes"})
    assert locate.areas_for(0.5, 0.5) == {}


def test_it_keeps_a_single_city_boundary_in_the_admin(admin_client):
    import_file(json.dumps(polygon(square(0, 0, 2))), "city", "name", city_boundary=True)
    layer = AreaLayer.objects.create(slug="limits", label="Limits")
    response = admin_client.post(
        f"/admin/areas/arealayer/{layer.pk}/change/",
        {"slug": "limits", "label": "Limits", "is_city_boundary": "on"},
    )
    assert "Another layer is already the city boundary" in response.content.decode()
    assert not AreaLayer.objects.get(pk=layer.pk).is_city_boundary


def test_it_keeps_people_who_are_not_administrators_out_of_the_import(client, cast):
    assert client.login(email="dave@demo.test", password=PASSWORD)
    response = upload(client, WARDS)
    assert response.status_code == 302 and "/admin/login/" in response.url
    assert not AreaLayer.objects.exists()
