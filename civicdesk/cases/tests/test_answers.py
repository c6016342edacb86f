"""Answers to a service's questions, one per Open311 datatype: stored clean or refused on their field."""

import pytest
from django.core.exceptions import ValidationError

from civicdesk.cases import actions
from civicdesk.cases.models import Case, CaseEvent, Datatype, Service, ServiceAttribute

CHOICES = [{"key": "red", "name": "Red"}, {"key": "blue", "name": "Blue"}]


@pytest.fixture
def survey(cast):
    """A service with one optional question of every datatype."""
    service = Service.objects.create(code="survey", name="Survey", default_department=cast.public_works)
    for order, (code, datatype) in enumerate(
        [
            ("count", Datatype.NUMBER),
            ("seen_at", Datatype.DATETIME),
            ("colour", Datatype.SINGLE),
            ("colours", Datatype.MULTI),
            ("plate", Datatype.STRING),
            ("story", Datatype.TEXT),
        ]
    ):
        ServiceAttribute.objects.create(
            service=service, code=code, label=code, datatype=datatype, order=order, values=CHOICES
        )
    return service


def refused(service, **fields):
    with pytest.raises(ValidationError) as error:
        actions.submit_case(service=service, **fields)
    assert not Case.objects.exists() and not CaseEvent.objects.exists()
    return error.value.message_dict


def test_it_stores_each_datatype_in_a_normal_form(survey):
    case = actions.submit_case(
        service=survey,
        answers={
            "count": " 12 ",
            "seen_at": "2026-05-01T14:30:00-04:00",
            "colour": "red",
            "colours": ["red", "blue"],
            "plate": " ABC 123 ",
            "story": "It was there all week.",
        },
    )
    case.refresh_from_db()
    assert case.attributes == {
        "count": 12,
        "seen_at": "2026-05-01T14:30:00-04:00",
        "colour": "red",
        "colours": ["red", "blue"],
        "plate": "ABC 123",
        "story": "It was there all week.",
    }
    assert actions.submit_case(service=survey, answers={"count": "2.5"}).attributes == {"count": 2.5}


@pytest.mark.parametrize(
    ("answers", "field", "message"),
    [
        ({"count": "a dozen"}, "count", "Enter a number."),
        ({"count": "NaN"}, "count", "Enter a number."),
        ({"count": "Infinity"}, "count", "Enter a number."),
        ({"count": ["1", "2"]}, "count", "Give a single value."),
        ({"seen_at": "2026-05-01T14:30:00"}, "seen_at", "Give the time zone with the date and time."),
        (
            {"seen_at": "last Tuesday"},
            "seen_at",
            "Enter a date and time, for example 2026-05-01T14:30:00-04:00.",
        ),
        ({"colour": ["red", "blue"]}, "colour", "Choose only one answer."),
        ({"colour": "green"}, "colour", "“green” is not one of the choices."),
        ({"colours": ["red", "purple"]}, "colours", "“purple” is not one of the choices."),
        ({"plate": "x" * 201}, "plate", "Use at most 200 characters."),
        ({"story": "x" * 4001}, "story", "Use at most 4000 characters."),
        ({"mood": "happy"}, "mood", "This service has no question “mood”."),
    ],
)
def test_it_refuses_a_wrong_answer_on_its_own_field(survey, answers, field, message):
    assert refused(survey, answers=answers) == {f"attribute[{field}]": [message]}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"description": "x" * 4001}, {"description": ["Use at most 4000 characters (you used 4001)."]}),
        ({"address": "x" * 301}, {"address": ["Use at most 300 characters (you used 301)."]}),
        ({"reporter_email": "not-an-address"}, {"reporter_email": ["Enter a valid e-mail address."]}),
        ({"priority": 9}, {"priority": ["Choose a priority from the list."]}),
        ({"priority": "urgent"}, {"priority": ["Choose a priority from the list."]}),
        ({"channel": "pigeon"}, {"channel": ["Unknown channel."]}),
        ({"latitude": 42.3}, {"longitude": ["Enter a number."]}),
        ({"latitude": "nan", "longitude": "1"}, {"latitude": ["Enter a number."]}),
    ],
)
def test_it_refuses_bad_case_fields_with_a_field_message(survey, fields, expected):
    assert refused(survey, **fields) == expected


def test_it_reports_all_problems_of_a_new_case_at_once(survey):
    message = refused(
        survey,
        description="x" * 4001,
        address="x" * 301,
        reporter_email="nope",
        answers={"count": "many", "colour": ["red", "blue"]},
    )
    assert set(message) == {
        "description",
        "address",
        "reporter_email",
        "attribute[count]",
        "attribute[colour]",
    }


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({"count": "1e5000"}, "count"),
        ({"count": "1e100000000"}, "count"),  # beyond the decimal context: overflowed before
        ({"seen_at": "2026-13-45T10:00:00Z"}, "seen_at"),
    ],
)
def test_it_refuses_absurd_numbers_and_impossible_dates_on_their_field(survey, answers, field):
    message = refused(survey, answers=answers)[f"attribute[{field}]"][0]
    assert message in ("Enter a number.", "Enter a date and time, for example 2026-05-01T14:30:00-04:00.")


def test_it_refuses_an_email_address_longer_than_the_column(survey):
    message = refused(survey, reporter_email="a" * 250 + "@example.org")["reporter_email"][0]
    assert message == "An e-mail address has at most 254 characters."
