import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from civicdesk.cases import actions


def test_it_lists_my_cases_from_every_channel(client, cast):
    web = actions.submit_case(service=cast.tree, description="Tree down", reporter=cast.alice)
    phone = actions.submit_case(
        service=cast.tree,
        description="Branch",
        channel="phone",
        reporter_email="alice@demo.test",
        actor=cast.erin,
    )
    other = actions.submit_case(service=cast.tree, description="Not hers", reporter_email="x@example.org")
    client.force_login(cast.alice)
    page = client.get(reverse("portal-my-cases")).content.decode()
    assert web.number in page and phone.number in page and other.number not in page


def test_it_ignores_unverified_addresses(client, cast):
    EmailAddress.objects.filter(user=cast.alice).update(verified=False)
    phone = actions.submit_case(service=cast.tree, description="Branch", reporter_email="alice@demo.test")
    client.force_login(cast.alice)
    assert phone.number not in client.get(reverse("portal-my-cases")).content.decode()


def test_it_needs_a_login_for_my_cases(client, cast):
    response = client.get(reverse("portal-my-cases"))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_it_saves_the_profile_and_language(client, cast):
    client.force_login(cast.alice)
    response = client.post(
        reverse("portal-profile"),
        {"full_name": "Alice R", "phone": "555", "preferred_language": "es", "preferred_channel": "sms"},
    )
    assert response.status_code == 302 and response.cookies["django_language"].value == "es"
    cast.alice.refresh_from_db()
    assert (cast.alice.preferred_language, cast.alice.preferred_channel) == ("es", "sms")


@pytest.mark.parametrize("language", ["zz;x=1", "de", ""])
def test_it_refuses_a_language_the_site_does_not_offer(client, cast, language):
    client.force_login(cast.alice)
    data = {"full_name": "Alice R", "phone": "", "preferred_language": language, "preferred_channel": "email"}
    response = client.post(reverse("portal-profile"), data)
    assert response.status_code == 200 and "django_language" not in response.cookies
    cast.alice.refresh_from_db()
    assert cast.alice.preferred_language == "en"


def test_it_serves_an_accessible_login_page(client, cast):
    page = client.get(reverse("account_login")).content.decode()
    assert 'lang="en"' in page and 'id="main"' in page and "Skip to main content" in page
