"""Following a case: confirming a typed address and stopping the e-mails are actions with events."""

import json

import pytest

from civicdesk.cases import actions
from civicdesk.cases.models import Case, CaseEvent, CaseFollower, EventKind
from civicdesk.notify.models import OutboxMessage
from civicdesk.webhooks.models import Subscription

ADDRESS = "metoo@example.org"


@pytest.fixture
def follower(cast):
    case = actions.submit_case(service=cast.pothole, answers={"depth": "deep"})
    actions.follow(case, email=ADDRESS)
    return CaseFollower.objects.get(case=case)


def events(kind):
    return list(CaseEvent.objects.filter(kind=kind))


def test_it_confirms_once_with_one_internal_event_naming_no_address(follower):
    version = Case.objects.get(pk=follower.case_id).version
    assert actions.confirm_follower(follower).confirmed
    actions.confirm_follower(follower)  # the link opened twice
    (event,) = events(EventKind.FOLLOWER_CONFIRMED)
    assert not event.public and event.case_id == follower.case_id
    assert ADDRESS not in json.dumps([event.changes, event.message, event.actor_label])
    assert CaseFollower.objects.get(pk=follower.pk).confirmed
    assert Case.objects.get(pk=follower.case_id).version == version  # nothing on the case changed


def test_it_stops_once_keeping_the_follower_counted(follower):
    stopped = actions.stop_following(follower)
    actions.stop_following(follower)
    assert (stopped.email, stopped.confirmed) == ("", False)
    (event,) = events(EventKind.FOLLOWER_STOPPED)
    assert not event.public and ADDRESS not in json.dumps([event.changes, event.message])
    assert CaseFollower.objects.filter(case_id=follower.case_id).count() == 1  # still a report


def test_it_does_not_confirm_an_address_that_was_stopped_meanwhile(follower):
    """The stale copy the confirmation link loaded still has the address; the row no longer does."""
    actions.stop_following(CaseFollower.objects.get(pk=follower.pk))
    assert not actions.confirm_follower(follower).confirmed
    assert CaseFollower.objects.get(pk=follower.pk).email == ""
    assert events(EventKind.FOLLOWER_CONFIRMED) == []


def test_it_attributes_the_event_to_the_followers_account_as_a_resident(cast):
    case = actions.submit_case(service=cast.pothole, answers={"depth": "deep"})
    actions.follow(case, user=cast.alice)
    actions.stop_following(CaseFollower.objects.get(case=case))
    (event,) = events(EventKind.FOLLOWER_STOPPED)
    assert (event.actor, event.actor_label) == (cast.alice, "resident")


def test_it_tells_no_webhook_subscriber(cast, follower):
    Subscription.objects.create(name="GIS", url="https://example.org/hook")
    webhook_rows = OutboxMessage.objects.filter(kind__startswith="case.")
    actions.follow(follower.case, email="other@example.org")  # another report is news to them
    assert webhook_rows.count() == 1
    actions.confirm_follower(follower)
    actions.stop_following(follower)
    assert webhook_rows.count() == 1
