"""Administrators manage people in the admin: roles and departments decide what staff see."""

import pytest

from civicdesk.accounts.models import User
from civicdesk.cases.models import Case
from civicdesk.test import PASSWORD


@pytest.fixture
def admin_client(client, cast):
    assert client.login(email="root@demo.test", password=PASSWORD)
    return client


def user_form(user, **changes):
    return {
        "email": user.email,
        "full_name": user.full_name,
        "phone": user.phone,
        "preferred_language": user.preferred_language,
        "preferred_channel": user.preferred_channel,
        "role": user.role,
        "departments": [d.pk for d in user.departments.all()],
        "is_active": "on",
    } | changes


def test_it_lets_the_administrator_change_a_role_and_departments(admin_client, cast):
    url = f"/admin/accounts/user/{cast.bob.pk}/change/"
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(
        url, user_form(cast.bob, role="supervisor", departments=[cast.public_works.pk, cast.parks.pk])
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    bob = User.objects.get(pk=cast.bob.pk)
    assert bob.role == "supervisor" and set(bob.departments.all()) == {cast.public_works, cast.parks}
    assert not bob.is_staff  # supervisors work in /staff/, not in the admin
    tree_case = Case.objects.create(number="26-900001", service=cast.tree, department=cast.parks)
    assert list(Case.objects.visible_to(bob)) == [tree_case]


def test_it_opens_the_admin_to_someone_made_administrator(admin_client, client, cast):
    admin_client.post(f"/admin/accounts/user/{cast.erin.pk}/change/", user_form(cast.erin, role="admin"))
    erin = User.objects.get(pk=cast.erin.pk)
    assert erin.is_staff and erin.is_superuser
    admin_client.logout()
    assert client.login(email="erin@demo.test", password=PASSWORD)
    assert client.get("/admin/").status_code == 200


def test_it_lets_the_administrator_add_a_staff_member(admin_client, cast):
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "email": "Frank@Demo.test",
            "full_name": "Frank Fixer",
            "role": "staff",
            "departments": [cast.public_works.pk],
            "password1": "a-long-enough-passphrase",
            "password2": "a-long-enough-passphrase",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    frank = User.objects.get(email="frank@demo.test")
    assert frank.role == "staff" and list(frank.departments.all()) == [cast.public_works]
    assert frank.check_password("a-long-enough-passphrase") and not frank.is_staff


def test_it_lists_people_with_role_and_departments(admin_client, cast):
    page = admin_client.get("/admin/accounts/user/", {"role__exact": "staff"}).content.decode()
    assert "bob@demo.test" in page and "carol@demo.test" in page and "dave@demo.test" not in page
    assert "public-works" in page and "parks" in page


def test_it_refuses_an_address_that_differs_only_in_case(admin_client, cast):
    response = admin_client.post(
        f"/admin/accounts/user/{cast.carol.pk}/change/", user_form(cast.carol, email="BOB@demo.test")
    )
    assert (
        response.status_code == 200
        and "Someone already uses this e-mail address." in response.content.decode()
    )
    assert User.objects.get(pk=cast.carol.pk).email == "carol@demo.test"
