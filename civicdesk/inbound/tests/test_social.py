"""The generic signed social webhook: valid, missing, wrong, stale and replayed signatures; posts
become cases or join the case they name or whose link was seen; direct messages are conversations."""

import time

import pytest
from django.test import override_settings
from django.urls import reverse

from civicdesk.cases import actions as case_actions
from civicdesk.cases.models import Case, Channel
from civicdesk.inbound.models import Conversation, InboundMessage
from civicdesk.residents.models import ContactPoint

from .messaging_helpers import SOCIAL_SECRET, post_social, social_item


@pytest.fixture(autouse=True)
def _secret():
    with override_settings(SOCIAL_WEBHOOK_SECRET=SOCIAL_SECRET):
        yield


def deliver(client, capture, data, **kwargs):
    with capture(execute=True):
        return post_social(client, data, **kwargs)


def test_a_signed_post_becomes_a_case_with_its_place(client, cast, django_capture_on_commit_callbacks):
    item = social_item(lat=42.3601, lon=-71.0589)
    assert deliver(client, django_capture_on_commit_callbacks, item).status_code == 200
    case = Case.objects.get()
    assert case.channel == Channel.SOCIAL
    assert (float(case.latitude), float(case.longitude)) == (42.3601, -71.0589)
    assert "https://social.example/p/1" in case.description
    assert not Conversation.objects.exists()  # a public post is not a conversation
    assert ContactPoint.objects.filter(kind="social", value="ana_l").exists()


def test_it_refuses_missing_wrong_and_stale_signatures(client, db):
    assert post_social(client, social_item(), signature="").status_code == 401
    assert post_social(client, social_item(), secret="guess").status_code == 403
    assert post_social(client, social_item(), timestamp=str(int(time.time()) - 301)).status_code == 403
    assert not InboundMessage.objects.exists()


def test_it_refuses_a_replayed_id_and_makes_one_case(client, cast, django_capture_on_commit_callbacks):
    assert deliver(client, django_capture_on_commit_callbacks, social_item()).status_code == 200
    assert deliver(client, django_capture_on_commit_callbacks, social_item()).status_code == 409
    assert deliver(client, django_capture_on_commit_callbacks, social_item(text="Changed")).status_code == 409
    assert Case.objects.count() == 1


def test_it_refuses_a_malformed_item(client, db):
    assert post_social(client, social_item(kind="story")).status_code == 400
    assert post_social(client, social_item(text="")).status_code == 400
    assert post_social(client, social_item(lat=1.0)).status_code == 400
    assert post_social(client, ["not", "an", "object"]).status_code == 400


def test_a_post_naming_a_case_number_joins_that_case(client, cast, django_capture_on_commit_callbacks):
    case = case_actions.submit_case(service=cast.tree, description="A fallen tree", channel=Channel.WEB)
    text = f"Still waiting on {case.number}, the tree is still there"
    deliver(
        client, django_capture_on_commit_callbacks, social_item(text=text, link="https://social.example/p/9")
    )
    assert Case.objects.count() == 1
    assert InboundMessage.objects.get().case == case
    # Linked for staff to see, not a comment in the reporter's name on their tracking page.
    assert not case.events.filter(kind="comment").exists()


def test_a_post_with_a_link_seen_before_joins_its_case(client, cast, django_capture_on_commit_callbacks):
    deliver(client, django_capture_on_commit_callbacks, social_item("p1"))
    deliver(client, django_capture_on_commit_callbacks, social_item("p2", text="Reposting this"))
    case = Case.objects.get()
    assert set(InboundMessage.objects.values_list("case", flat=True)) == {case.pk}
    assert not case.events.filter(kind="comment").exists()


def test_direct_messages_are_a_conversation(client, cast, django_capture_on_commit_callbacks):
    deliver(client, django_capture_on_commit_callbacks, social_item("d1", kind="direct", link=""))
    deliver(
        client,
        django_capture_on_commit_callbacks,
        social_item("d2", kind="direct", text="Any news?", link=""),
    )
    case = Case.objects.get()
    conversation = Conversation.objects.get(case=case)
    assert (conversation.channel, conversation.address) == ("social", "@Ana_L")
    assert case.events.filter(kind="comment", message="Any news?").exists()


def test_staff_see_a_linked_post_in_the_case_thread(client, cast, django_capture_on_commit_callbacks):
    case = case_actions.submit_case(
        service=cast.tree, description="A fallen tree", channel=Channel.WEB, reporter_email="r@example.org"
    )
    text = f"Look at this, {case.number} is still not fixed"
    deliver(client, django_capture_on_commit_callbacks, social_item(text=text))
    client.force_login(cast.carol)
    page = client.get(reverse("staff-case", args=[case.number])).content.decode()
    section = page[page.index('id="conversation-title"') : page.index('id="timeline-title"')]
    assert ">Conversation<" in section
    assert "is still not fixed" in section
    assert "by e-mail" not in section
