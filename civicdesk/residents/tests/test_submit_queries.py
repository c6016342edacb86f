"""The directory costs the benchmarked submit path nothing (issue 9): no query more than before."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from civicdesk.cases import actions
from civicdesk.cases.models import Channel

# Measured on main at 6bf69e7, before the directory, with this same test: the same on SQLite and
# PostgreSQL.
QUERIES_BEFORE = {"email": 13, "sms": 12, "account": 13}


@pytest.mark.parametrize("how", sorted(QUERIES_BEFORE))
def test_submitting_a_case_runs_no_more_queries_than_before_the_directory(cast, how):
    fields = {
        "email": {"channel": Channel.EMAIL, "reporter_email": "Rita@Example.org"},
        "sms": {"channel": Channel.SMS, "reporter_phone": "(617) 555-0100"},
        "account": {"channel": Channel.WEB, "reporter": cast.alice, "reporter_phone": "617-555-0101"},
    }[how]
    actions.submit_case(service=cast.pothole, answers={"depth": "deep"}, description="warm the caches")
    with CaptureQueriesContext(connection) as queries:
        case = actions.submit_case(
            service=cast.pothole, answers={"depth": "deep"}, description="A hole", **fields
        )
    assert len(queries) <= QUERIES_BEFORE[how]
    assert case.reporter_phone in ("", "+16175550100", "+16175550101")
