from django.urls import reverse

from civicdesk.residents import directory


def test_administrators_see_residents_with_their_contact_points(client, cast):
    resident = directory.resident_for(email="rita@example.org", name="Rita")
    client.force_login(cast.root)
    assert (
        "Rita" in client.get(reverse("admin:residents_resident_changelist"), {"q": "rita@"}).content.decode()
    )
    page = client.get(reverse("admin:residents_resident_change", args=[resident.pk])).content.decode()
    assert "rita@example.org" in page
    assert client.get(reverse("admin:residents_residentevent_changelist")).status_code == 200
