"""The disclosure policy: one test per audience, and the masking of identifiers in free text."""

import pytest

from civicdesk.cases import actions, disclosure
from civicdesk.cases.disclosure import Audience, mask
from civicdesk.cases.models import EventKind, Status

SECRET = "Call me at 617-555-0199 or pat@example.org"
# What the fixture's people wrote that no public audience may read.
PRIVATE = ("617-555-0199", "pat@example.org", "617-555-0142", "617-555-0177", "ZX81", "bob@city.test")


@pytest.fixture
def case(cast):
    """A case with every kind of text: a description and place with identifiers, a staff reply, an
    internal note, a resident's comment and a status reason."""
    case = actions.submit_case(
        service=cast.pothole,
        description=f"Deep hole. {SECRET}",
        address="12 Elm St (ring 617-555-0199)",
        answers={"depth": "deep"},
        latitude=42.361234,
        longitude=-71.057891,
        reporter_email="pat@example.org",
    )
    actions.reply(case, cast.bob, "Crew booked; ask for Bob on 617-555-0142")
    actions.add_note(case, cast.bob, "Internal: contractor ZX81")
    actions.resident_comment(case, "Thanks! My cell is 617-555-0177")
    actions.change_status(case, cast.bob, Status.RESOLVED, reason="Filled by Bob, bob@city.test")
    case.refresh_from_db()
    return case


def texts(case, audience):
    """Everything `audience` reads of the case's free text, joined."""
    words = [disclosure.description(case, audience), disclosure.address(case, audience)]
    words += [disclosure.reason(case, audience)]
    words += [disclosure.message(e, audience) for e in disclosure.events(case, audience)]
    return "\n".join(words)


def kinds(case, audience):
    return set(disclosure.events(case, audience).values_list("kind", flat=True))


def test_it_shows_staff_everything_as_written(case):
    text = texts(case, Audience.STAFF)
    assert SECRET in text and "617-555-0142" in text and "ZX81" in text and "617-555-0177" in text
    assert EventKind.NOTE in kinds(case, Audience.STAFF)
    assert disclosure.location(case, Audience.STAFF) == (42.361234, -71.057891)
    assert "description" in disclosure.columns(Audience.STAFF)
    assert disclosure.actor(case.events.get(kind=EventKind.NOTE), Audience.STAFF) == "Bob Worker"


def test_it_shows_the_reporter_the_public_timeline_as_written_without_internal_notes(case):
    text = texts(case, Audience.REPORTER)
    assert SECRET in text and "617-555-0142" in text and "617-555-0177" in text and "ZX81" not in text
    assert EventKind.NOTE not in kinds(case, Audience.REPORTER)
    assert disclosure.actor(case.events.get(kind=EventKind.REPLY), Audience.REPORTER) is None


def test_it_shows_the_public_page_progress_and_a_masked_description(case):
    text = texts(case, Audience.PUBLIC_PAGE)
    assert "Deep hole." in text and "12 Elm St" in text
    assert not [hidden for hidden in PRIVATE if hidden in text]
    assert kinds(case, Audience.PUBLIC_PAGE) <= disclosure.PROGRESS
    assert disclosure.location(case, Audience.PUBLIC_PAGE) == (42.361234, -71.057891)


def test_it_gives_open311_masked_text_and_no_messages(case):
    text = texts(case, Audience.OPEN311)
    assert "Deep hole." in text and "Filled by Bob" in text
    assert not [hidden for hidden in PRIVATE if hidden in text]
    assert EventKind.REPLY in kinds(case, Audience.OPEN311) and EventKind.NOTE not in kinds(
        case, Audience.OPEN311
    )


def test_it_gives_webhooks_masked_staff_replies_but_not_residents_comments(case):
    text = texts(case, Audience.WEBHOOK)
    assert "Crew booked; ask for Bob on [phone number removed]" in text
    assert "Thanks!" not in text and "ZX81" not in text and "617-555" not in text


def test_it_gives_open_data_no_free_text_and_a_block_sized_location(case):
    assert texts(case, Audience.OPEN_DATA).strip() == ""
    assert disclosure.location(case, Audience.OPEN_DATA) == (42.361, -71.058)
    assert not {"description", "address", "assignee"} & disclosure.columns(Audience.OPEN_DATA)


def test_it_tells_followers_nothing_anyone_wrote_and_no_place(case):
    assert texts(case, Audience.FOLLOWER).strip() == ""
    assert disclosure.location(case, Audience.FOLLOWER) == (None, None)
    assert not kinds(case, Audience.FOLLOWER)


def test_it_masks_channel_replies_carried_by_third_parties(case):
    text = texts(case, Audience.CHANNEL)
    assert "Crew booked" in text and "617-555" not in text and "ZX81" not in text
    assert "Thanks!" not in text  # the resident's own words are not echoed back on a carrier


def test_it_has_a_policy_for_every_audience():
    assert set(disclosure.POLICY) == set(Audience)


@pytest.mark.parametrize(
    "text",
    [
        "call me at 617-555-0199",
        "Call (617) 555 0199 now",
        "my number 6175550199!",
        "or +44 20 7946 0958 abroad",
        "local 555-0199 please",
        "mail Pat.Lee+311@Example.co.uk",
        "SSN 123-45-6789",
        "card 4111 1111 1111 1111",
    ],
)
def test_it_masks_identifiers(text):
    masked = mask(text)
    assert "removed]" in masked
    assert not any(run in masked for run in ("0199", "7946", "Example", "6789", "1111"))


@pytest.mark.parametrize(
    "text",
    [
        "123 Main St, Boston MA 02118",
        "on 2024-01-15 at 10:30",
        "about 40 cm deep, 2 m wide",
        "route 9",
        "Between 100-2000 cars a day",
        "ruta 128 1500",
    ],
)
def test_it_leaves_places_dates_and_measures_alone(text):
    assert mask(text) == text
