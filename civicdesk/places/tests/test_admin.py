from django.test import Client


def test_root_reads_imports_and_points_and_can_change_neither(town, cast):
    client = Client()
    client.force_login(cast.root)

    imports = client.get("/admin/places/addressimport/")
    points = client.get("/admin/places/addresspoint/", {"q": "main 7"})

    assert imports.status_code == 200 and b"openaddresses.csv" in imports.content
    assert points.status_code == 200
    assert b"7 Main St #4B, Riverton" in points.content and b"12 Main St" not in points.content
    assert client.get("/admin/places/addresspoint/add/").status_code == 403
