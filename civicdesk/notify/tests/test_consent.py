"""A resident's contact preference decides what they are sent (notify.outbox.may_contact), checked
when each message is sent (notify.outbox.may_send)."""

import pytest
from django.test import override_settings
from django.urls import reverse

from civicdesk.cases import actions
from civicdesk.cases.workflow import Status
from civicdesk.notify.delivery import WITHHELD, deliver_due
from civicdesk.notify.models import OutboxMessage
from civicdesk.notify.outbox import may_contact


def prefer(user, channel):
    user.preferred_channel = channel
    user.save(update_fields=["preferred_channel"])


def sent_to(address):
    """The kinds of e-mail that went to `address`, once every queued message was tried."""
    deliver_due()
    sent = OutboxMessage.objects.filter(recipient=address, status=OutboxMessage.Status.SENT)
    return list(sent.order_by("pk").values_list("kind", flat=True))


def file_case(cast, **who):
    return actions.submit_case(service=cast.pothole, answers={"depth": "deep"}, description="Hole", **who)


def resolve(case, cast):
    return actions.change_status(case, cast.root, Status.RESOLVED, reason="Filled", message="Done.")


def test_it_sends_nothing_about_cases_to_a_resident_who_asked_not_to_be_contacted_but_a_reset(
    client, cast, smtp_server
):
    prefer(cast.alice, "none")
    with override_settings(MAILERS=smtp_server.mailers):
        case = file_case(cast, reporter=cast.alice)
        actions.reply(case, cast.root, "We are on it.")
        resolve(case, cast)
        assert sent_to("alice@demo.test") == []  # no acknowledgement, reply or resolution

        response = client.post(reverse("account_reset_password"), {"email": "alice@demo.test"})
        assert response.status_code == 302
        deliver_due()
    assert [m["To"] for m in smtp_server.messages] == ["alice@demo.test"]  # the reset she asked for
    assert "/accounts/password/reset/key/" in smtp_server.messages[0].get_body(("plain",)).get_content()


def test_it_writes_by_e_mail_to_a_resident_who_prefers_a_channel_not_built_yet(cast):
    prefer(cast.alice, "sms")
    case = file_case(cast, reporter=cast.alice)
    assert sent_to("alice@demo.test") == ["acknowledgement"]
    assert OutboxMessage.objects.get(case=case).channel == "email"


def test_it_keeps_to_the_preference_of_the_account_that_verified_a_typed_address(cast):
    prefer(cast.alice, "none")
    case = file_case(cast, reporter_email="Alice@Demo.TEST")  # her address, typed without signing in
    actions.reply(case, cast.root, "We are on it.")
    resolve(case, cast)
    assert sent_to("Alice@Demo.TEST") == []
    withheld = OutboxMessage.objects.filter(case=case)
    assert sorted(withheld.values_list("kind", "status", "last_error", "body")) == [
        (kind, "cancelled", WITHHELD, "") for kind in ("acknowledgement", "reply", "resolved")
    ]
    file_case(cast, reporter_email="stranger@example.org")  # no account verified it: they asked
    assert sent_to("stranger@example.org") == ["acknowledgement"]


def test_it_honours_a_preference_changed_after_the_message_was_queued(cast):
    case = file_case(cast, reporter=cast.alice)  # queued while she accepted e-mail
    actions.reply(case, cast.root, "We are on it.")
    prefer(cast.alice, "none")
    assert sent_to("alice@demo.test") == []
    prefer(cast.alice, "email")
    resolve(case, cast)
    assert sent_to("alice@demo.test") == ["resolved"]


def test_it_does_not_silence_anyone_with_an_unverified_address(cast):
    from allauth.account.models import EmailAddress

    prefer(cast.alice, "none")
    EmailAddress.objects.create(user=cast.alice, email="neighbour@example.org", verified=False)
    file_case(cast, reporter_email="neighbour@example.org")
    assert sent_to("neighbour@example.org") == ["acknowledgement"]


def test_it_sends_nothing_about_a_case_an_agent_filed_with_an_opted_out_address_but_a_reset(
    client, cast, smtp_server
):
    prefer(cast.alice, "none")
    with override_settings(MAILERS=smtp_server.mailers):
        case = file_case(cast, reporter_email="alice@demo.test", channel="phone", actor=cast.erin)
        assert case.reporter is None
        actions.reply(case, cast.root, "We are on it.")
        resolve(case, cast)
        deliver_due()
        assert smtp_server.messages == []

        response = client.post(reverse("account_reset_password"), {"email": "alice@demo.test"})
        assert response.status_code == 302
        deliver_due()
    assert [m["To"] for m in smtp_server.messages] == ["alice@demo.test"]
    assert sent_to("alice@demo.test") == ["account"]


def test_it_keeps_a_follower_without_an_account_link_to_the_preference_of_its_address(cast):
    case = file_case(cast, reporter_email="res@example.org")
    prefer(cast.alice, "none")
    actions.follow(case, email="alice@demo.test")  # not signed in: a confirmation, which she asked for
    case.followers.filter(email="alice@demo.test").update(confirmed=True)
    resolve(case, cast)
    assert sent_to("alice@demo.test") == ["follow_confirm"]


def test_it_keeps_followers_with_accounts_to_their_preference(cast):
    case = file_case(cast, reporter_email="res@example.org")
    prefer(cast.alice, "none")
    actions.follow(case, user=cast.alice)
    actions.follow(case, user=cast.bob)
    actions.follow(case, email="typed@example.org")  # not signed in: a confirmation first
    actions.follow(case, user=cast.carol, email="carol.home@example.org")  # another address: confirm it
    case.followers.filter(email__in=["typed@example.org", "carol.home@example.org"]).update(confirmed=True)
    prefer(cast.carol, "none")
    resolve(case, cast)
    assert sent_to("alice@demo.test") == []
    assert sent_to("bob@demo.test") == ["resolved"]
    assert sent_to("typed@example.org") == ["follow_confirm", "resolved"]
    # Carol asked for the confirmation herself, so it went; the update did not.
    assert sent_to("carol.home@example.org") == ["follow_confirm"]


@pytest.mark.parametrize(
    "preference, kind, allowed",
    [
        ("email", "acknowledgement", True),
        ("sms", "resolved", True),
        ("none", "acknowledgement", False),
        ("none", "resolved", False),
        ("none", "reply", False),
        ("none", "follow_confirm", True),
        ("none", "account", True),
    ],
)
def test_it_decides_consent_in_one_rule(cast, preference, kind, allowed):
    prefer(cast.alice, preference)
    case = file_case(cast, reporter=cast.alice)
    assert may_contact(case, kind) is allowed
    assert may_contact(cast.alice, kind) is allowed
    assert may_contact(file_case(cast, reporter_email="x@example.org"), kind) is True


def test_it_says_on_the_profile_that_sms_falls_back_to_e_mail(client, cast):
    client.force_login(cast.alice)
    page = client.get(reverse("portal-profile")).content.decode()
    assert "Text messages (SMS) are not available yet" in page and "password reset, still arrive" in page
    client.cookies["django_language"] = "es"
    page = client.get(reverse("portal-profile"), headers={"accept-language": "es"}).content.decode()
    assert "no están disponibles todavía" in page
