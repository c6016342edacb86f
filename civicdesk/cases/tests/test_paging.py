"""Keyset pagination over a nullable sort key, forwards and backwards, on the real database."""

from datetime import timedelta

import pytest
from django.utils import timezone

from civicdesk.cases.models import Case
from civicdesk.cases.paging import Key, decode_cursor, encode_cursor, paginate
from civicdesk.cases.queries import SORTS

KEYS = SORTS["priority"][1]


@pytest.fixture
def cases(cast, report):
    now = timezone.now()
    made = []
    for i in range(11):
        case = report(priority=1 + i % 3)
        # Some without a due time, some sharing one: ties must still page exactly.
        due = None if i % 4 == 0 else now + timedelta(hours=i % 3)
        Case.objects.filter(pk=case.pk).update(expected_at=due)
        made.append(case)
    return made


def walk(keys, size, **start):
    pages, cursor = [], start
    while True:
        page = paginate(Case.objects.all(), keys, size=size, **cursor)
        pages.append([c.pk for c in page.items])
        if not page.next_cursor:
            return pages, page
        cursor = {"after": page.next_cursor}


@pytest.mark.parametrize("sort", list(SORTS))
@pytest.mark.parametrize("size", [1, 3, 4, 20])
def test_it_visits_every_case_once_in_sort_order(cases, sort, size):
    keys = SORTS[sort][1]
    expected = [c.pk for c in paginate(Case.objects.all(), keys, size=100).items]
    pages, _last = walk(keys, size)
    assert [pk for page in pages for pk in page] == expected
    assert len(expected) == 11


def test_it_puts_cases_without_a_due_time_last_within_a_priority(cases):
    listed = paginate(Case.objects.all(), KEYS, size=100).items
    for priority in (1, 2, 3):
        dues = [c.expected_at for c in listed if c.priority == priority]
        assert dues == sorted(d for d in dues if d) + [None] * dues.count(None)


@pytest.mark.parametrize("size", [1, 3, 4])
def test_it_pages_backwards_to_the_same_pages(cases, size):
    pages, last = walk(KEYS, size)
    backwards, page = [], last
    while page.previous_cursor:
        page = paginate(Case.objects.all(), KEYS, size=size, before=page.previous_cursor)
        backwards.insert(0, [c.pk for c in page.items])
    assert backwards == pages[:-1]
    assert page.previous_cursor is None


def test_it_starts_over_on_a_mangled_cursor(cases):
    first = paginate(Case.objects.all(), KEYS, size=3)
    for junk in ("", "@@@", "bm90IGpzb24", encode_cursor(first.items[0], KEYS[:2])):
        assert [c.pk for c in paginate(Case.objects.all(), KEYS, size=3, after=junk).items] == [
            c.pk for c in first.items
        ]


def test_it_round_trips_cursor_values(cases):
    case = Case.objects.exclude(expected_at=None).first()
    values = decode_cursor(encode_cursor(case, KEYS), KEYS, Case)
    assert values == [case.priority, case.expected_at, case.created_at, case.pk]
    assert decode_cursor(encode_cursor(case, [Key("id")]), [Key("id")], Case) == [case.pk]
