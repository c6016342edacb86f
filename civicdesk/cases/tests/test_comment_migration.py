"""Migration cases/0011: residents' comments stored as replies with a "from" key become comments."""

import importlib

import pytest
from django.apps import apps
from django.db import connection

from civicdesk.cases import actions
from civicdesk.cases.models import CaseEvent, EventKind
from civicdesk.cases.search import search_cases

migration = importlib.import_module("civicdesk.cases.migrations.0011_resident_comment_kind")


class SchemaEditor:
    connection = connection


# Committed rows: PostgreSQL cannot build an index while the test's transaction has pending checks.
@pytest.mark.django_db(transaction=True)
def test_it_turns_old_resident_replies_into_comments_and_keeps_them_searchable(cast):
    case = actions.submit_case(service=cast.pothole, description="Hole", answers={"depth": "deep"})
    actions.reply(case, cast.bob, "Crew booked")
    old = CaseEvent.objects.create(
        case=case,
        kind=EventKind.REPLY,
        public=True,
        message="Still a crater",
        changes={"from": [None, "reporter"]},
    )
    migration.forwards(apps, SchemaEditor())
    kinds = dict(
        CaseEvent.objects.filter(case=case, kind__in=["reply", "comment"]).values_list("message", "kind")
    )
    assert kinds == {"Crew booked": EventKind.REPLY, "Still a crater": EventKind.COMMENT}
    assert CaseEvent.objects.get(pk=old.pk).changes == {}
    assert list(search_cases(case.__class__.objects.all(), "crater")) == [case]
    migration.backwards(apps, SchemaEditor())
    assert CaseEvent.objects.get(pk=old.pk).changes == {"from": [None, "reporter"]}
