import pytest

from civicdesk.lib.phones import e164, readable


@pytest.mark.parametrize(
    "typed",
    ["(617) 555-0100", "617-555-0100", "617.555.0100", "+1 617 555 0100", "16175550100", " 6175550100 "],
)
def test_it_writes_every_spelling_of_a_number_in_e164(typed):
    assert e164(typed, "US") == "+16175550100"


def test_it_reads_national_numbers_in_the_given_region():
    assert e164("612 34 56 78", "ES") == "+34612345678"
    assert e164("+34 612 34 56 78", "US") == "+34612345678"


@pytest.mark.parametrize("typed", ["555-0100", "call me", "12", "617-555-0100 ext 5"])
def test_it_keeps_what_it_cannot_write_in_e164_as_typed(typed):
    assert e164(f"  {typed} ", "US") == typed


def test_it_leaves_empty_empty():
    assert e164("", "US") == "" and e164(None, "US") == ""


def test_it_shows_e164_as_people_write_it():
    assert readable("+16175550100") == "+1 617-555-0100"
    assert readable("555-0100") == "555-0100"
