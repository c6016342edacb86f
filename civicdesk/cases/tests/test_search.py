"""civicdesk.cases.search on whichever database the suite runs against (SQLite and PostgreSQL)."""

import math

import pytest
from django.db import connection

from civicdesk.cases import actions, numbers
from civicdesk.cases.models import Case
from civicdesk.cases.search import ensure_search_schema, search_cases, search_terms


def submit(cast, description, address="", service=None, answers=None):
    service = service or cast.tree
    return actions.submit_case(service=service, description=description, address=address, answers=answers)


def found(text, **options):
    return set(search_cases(Case.objects.all(), text, **options).values_list("number", flat=True))


@pytest.fixture
def cases(cast):
    return {
        "oak": submit(cast, "A large oak branch fell on the path", "12 Elm Street"),
        "lamp": submit(cast, "Streetlight flickers all night", "4 Main St."),
        "html": submit(cast, "<script>alert('hi')</script> see foo@bar.com", "Plaza Mayor"),
        "accent": submit(cast, "Árbol caído en la acera", "Calle Úbeda 3"),
    }


def test_it_splits_text_into_the_words_the_indexes_hold():
    assert search_terms("Main-St. foo@bar.com <b>x</b> x") == ["main", "st", "foo", "bar", "com", "b", "x"]
    assert search_terms("  ,;  ") == []
    assert search_terms("snake_case") == ["snake", "case"]


def test_it_finds_words_in_description_and_address(cases):
    assert found("oak") == {cases["oak"].number}
    assert found("elm street") == {cases["oak"].number}
    assert found("MAIN") == {cases["lamp"].number}


def test_it_needs_every_word(cases):
    assert found("oak flickers") == set()


def test_it_matches_longer_words_as_prefixes_but_short_words_whole(cases):
    assert found("streetl") == {cases["lamp"].number}
    assert found("stree") == {cases["oak"].number, cases["lamp"].number}
    assert found("st") == {cases["lamp"].number}
    assert found("q") == set()


def test_it_finds_a_case_by_its_number(cases):
    number = cases["html"].number
    assert found(number) == {number}
    assert found(number.split("-")[1]) == {number}


def test_it_treats_punctuation_and_markup_as_word_breaks(cases):
    assert found("bar") == {cases["html"].number}
    assert found("foo@bar.com") == {cases["html"].number}
    assert found("script alert") == {cases["html"].number}


def test_it_ignores_case_but_keeps_accents(cases):
    assert found("árbol úbeda") == {cases["accent"].number}
    assert found("ÁRBOL") == {cases["accent"].number}
    assert found("arbol") == set()


def test_it_finds_words_in_replies_and_notes(cast, cases):
    actions.reply(cases["oak"], cast.root, "A crew with a chainsaw is on the way")
    actions.add_note(cases["lamp"], cast.root, "Contractor ticket ZX81 raised")
    assert found("chainsaw") == {cases["oak"].number}
    assert found("zx81") == {cases["lamp"].number}
    assert found("zx81", include_internal=False) == set()
    assert found("chainsaw", include_internal=False) == {cases["oak"].number}


def test_it_finds_words_in_residents_comments(cast, cases):
    actions.resident_comment(cases["lamp"], "It buzzes like a wasp")
    assert found("wasp") == found("wasp", include_internal=False) == {cases["lamp"].number}


def test_it_matches_words_spread_over_the_case_and_its_messages(cast, cases):
    actions.reply(cases["oak"], cast.root, "Chainsaw crew booked")
    assert found("oak chainsaw") == {cases["oak"].number}


def test_it_follows_changes_and_deletions(cases):
    Case.objects.filter(pk=cases["oak"].pk).update(description="Willow roots lifting the pavement")
    assert found("oak") == set()
    assert found("willow") == {cases["oak"].number}
    Case.objects.filter(pk=cases["lamp"].pk).delete()
    assert found("main") == set()


def test_it_keeps_the_rest_of_the_query(cast, cases):
    pothole = submit(cast, "Oak tree roots broke the road", service=cast.pothole, answers={"depth": "deep"})
    narrowed = search_cases(Case.objects.filter(service=cast.pothole), "oak")
    assert list(narrowed) == [pothole]
    assert found("") == set(Case.objects.values_list("number", flat=True))


def test_it_repairs_sqlite_triggers_dropped_by_a_table_rebuild(cases):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite-only: PostgreSQL's expression indexes survive table changes")
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER case_fts_update")
    Case.objects.filter(pk=cases["oak"].pk).update(description="Willow")
    assert found("willow") == set()  # the stale index this guards against
    assert ensure_search_schema(connection) is True
    assert found("willow") == {cases["oak"].number}
    assert ensure_search_schema(connection) is False


def test_it_uses_the_gin_indexes_on_postgresql(cases, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL-only: checks the query plan")
    monkeypatch.setattr("civicdesk.cases.search.LIST_UP_TO", 0)  # the sub-query, not a list of ids...
    # ...nor a test of each row, whatever PostgreSQL's statistics of these tiny tables say
    monkeypatch.setattr("civicdesk.cases.search.COMMON_SHARE", math.inf)
    queryset = search_cases(Case.objects.all(), "oak")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.explain()
    assert "case_search_idx" in plan
    assert "case_event_search_idx" in plan


def test_it_searches_what_people_wrote_not_system_text(cast, cases):
    actions.change_status(cases["oak"], cast.root, "rejected", reason="Zebracrossing belongs to the state")
    assert found("zebracrossing") == set()
    actions.reply(cases["oak"], cast.root, "Zebracrossing team informed")
    assert found("zebracrossing") == {cases["oak"].number}


@pytest.mark.parametrize(
    ("list_up_to", "common_share"),
    # math.inf: never "common", whatever PostgreSQL's statistics of these tiny tables say.
    [(2000, math.inf), (1, math.inf), (0, math.inf), (0, 0)],
    ids=["list", "list-or-sub-query", "sub-query", "each-row-on-postgresql"],
)
def test_it_answers_the_same_whether_matches_go_as_a_list_a_sub_query_or_a_test_of_each_row(
    cast, cases, monkeypatch, list_up_to, common_share
):
    monkeypatch.setattr("civicdesk.cases.search.LIST_UP_TO", list_up_to)
    monkeypatch.setattr("civicdesk.cases.search.COMMON_SHARE", common_share)
    actions.add_note(cases["lamp"], cast.root, "Oak tree nearby too")
    assert found("oak") == {cases["oak"].number, cases["lamp"].number}
    assert found("oak", include_internal=False) == {cases["oak"].number}
    assert found("oak elm") == {cases["oak"].number}
    assert found("nothing") == set()
    if list_up_to == 0:  # the sub-query, or on PostgreSQL with a common word, the test of each row
        row_by_row = connection.vendor == "postgresql" and common_share == 0
        assert ("UNION" in str(search_cases(Case.objects.all(), "oak").query)) != row_by_row


def test_it_looks_up_a_whole_case_number_exactly(cast, cases):
    other = submit(cast, f"See also {cases['oak'].number}")
    assert found(cases["oak"].number) == {cases["oak"].number}
    assert other.number not in found(cases["oak"].number)


def test_it_looks_up_a_seven_digit_case_number_exactly(cast, cases):
    """The millionth case of a year has a seventh digit (numbers.format_number)."""
    millionth = cases["lamp"]
    millionth.number = numbers.format_number(2026, 1_000_001)
    millionth.save(update_fields=["number"])
    assert millionth.number == "26-1000001"
    mention = submit(cast, "Same as 26-1000001 and 1000001")
    assert found("26-1000001") == {"26-1000001"}  # the number, not the words of a case quoting it
    assert mention.number in found("1000001")
