"""read_filters, the one reader of list filters (staff queue and exports, REST API, open data)."""

from datetime import date

import pytest
from django.http import QueryDict

from civicdesk.cases.queries import read_filters


def test_it_reads_each_filter_as_the_value_its_filter_uses():
    data = QueryDict(
        "status=active&service=pothole&department=mine&assignee=42&channel=phone&overdue=true"
        "&created_from=2024-01-31&created_to=2024-02-01&q=+oak+&sort=due"
    )
    parsed = read_filters(data)
    assert parsed.errors == {}
    assert parsed.values == {
        "status": "active",
        "service": "pothole",
        "department": "mine",
        "assignee": "42",
        "channel": "phone",
        "overdue": True,
        "created_from": date(2024, 1, 31),
        "created_to": date(2024, 2, 1),
        "q": "oak",
        "sort": "due",
    }


def test_it_takes_a_blank_value_for_a_missing_one():
    assert read_filters({"status": "", "q": "   ", "overdue": ""}).values == {}


@pytest.mark.parametrize(
    ("name", "text", "says"),
    [
        ("status", "sleeping", "must be one of active, finished, new"),
        ("channel", "pigeon", "must be one of web"),
        ("sort", "random", "must be one of priority"),
        ("service", "no such", "must look like “pothole”"),
        ("assignee", "someone", "must look like “me”"),
        ("assignee", "0", "must look like “me”"),
        ("overdue", "maybe", "must be true or false"),
        ("created_from", "yesterday", "must be a date written YYYY-MM-DD"),
        ("created_to", "2024-13-01", "must be a date written YYYY-MM-DD"),
        ("created_to", "9999-12-31", "must be a date in the years 1900 to 9000"),
        ("q", "x" * 201, "at most 200 characters"),
    ],
)
def test_it_names_the_parameter_and_the_problem_of_a_bad_value(name, text, says):
    parsed = read_filters({name: text})
    assert name not in parsed.values
    [message] = parsed.errors[name]
    assert message.startswith(f"“{name}”") and says in message


def test_it_reads_only_the_filters_asked_for_under_their_public_names():
    data = {"since": "2024-01-01", "until": "someday", "status": "active", "created_from": "2030-01-01"}
    parsed = read_filters(
        data, names=("created_from", "created_to"), aliases={"since": "created_from", "until": "created_to"}
    )
    assert parsed.values == {"created_from": date(2024, 1, 1)}
    assert list(parsed.errors) == ["until"] and parsed.errors["until"][0].startswith("“until” must be a date")


def test_it_reads_false_flags_as_false():
    assert read_filters({"overdue": "false"}).values == {"overdue": False}
    assert read_filters({"overdue": "0"}).values == {"overdue": False}
