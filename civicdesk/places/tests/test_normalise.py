"""How addresses are taken apart (no database)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicdesk.places.normalise import Street, house_value, parse, street_key


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Main Street", "main st"),
        ("MAIN ST.", "main st"),
        ("N Main St", "n main st"),
        ("Main Street North", "n main st"),
        ("North Avenue", "north ave"),  # a directional that is the whole name stays the name
        ("Court St", "court st"),  # a type word that is the name stays the name
        ("3rd Avenue", "3 ave"),
        ("Third Ave", "3 ave"),
        ("Calle de la Reina", "reina st"),
        ("C/ Mayor", "mayor st"),
        ("Avenida de la Constitución", "constitucion ave"),
        ("Tercera Avenida", "3 ave"),
        ("Martin Luther King Jr Boulevard", "martin luther king jr blvd"),
        ("Ocean Pkwy", "ocean pkwy"),
        ("Ocean Parkway", "ocean pkwy"),
        ("Kings Hwy", "kings hwy"),
        ("St Marks Pl", "st marks pl"),
        ("!!!", ""),
    ],
)
def test_it_gives_one_key_to_the_spellings_of_a_street(name, key):
    assert street_key(name) == key


@pytest.mark.parametrize(
    ("text", "street", "number", "unit"),
    [
        ("12 Main St", Street("main", "st"), "12", ""),
        ("12 main street apt 4", Street("main", "st"), "12", "4"),
        ("12 Main St #4", Street("main", "st"), "12", "4"),
        ("12 Main St, Unit 4B", Street("main", "st"), "12", "4B"),
        ("12B Main St", Street("main", "st"), "12B", ""),
        ("412 N Main St", Street("main", "st", "n"), "412", ""),
        ("12 Mian Stret", Street("mian", "st"), "12", ""),  # a slip in a long type word
        ("Calle Mayor 12", Street("mayor", "st"), "12", ""),
        ("Calle Mayor, 12", Street("mayor", "st"), "12", ""),
        ("Calle Mayor número 12", Street("mayor", "st"), "12", ""),
        ("C/ Mayor nº 12, piso 3", Street("mayor", "st"), "12", "3"),
        ("Avenida de la Constitución n.º 5", Street("constitucion", "ave"), "5", ""),
        ("Calle Mayor 12 2º B", Street("mayor", "st"), "12", "2O B"),  # floor and door
        ("Calle Mayor número 12 bajo izq", Street("mayor", "st"), "12", "BAJO IZQ"),
        ("número 12 Calle Mayor", Street("mayor", "st"), "12", ""),
        ("Avenida 5 de Mayo 20", Street("5 mayo", "ave"), "20", ""),
        ("Calle 8 12", Street("8", "st"), "12", ""),  # a street named 8
        ("Calle 8", Street("8", "st"), "", ""),
    ],
)
def test_it_reads_number_street_and_unit(text, street, number, unit):
    query = parse(text)
    assert (query.street, query.number, query.unit, query.cross) == (street, number, unit, None)


@pytest.mark.parametrize(
    "text",
    [
        "Main St and 3rd",
        "Main St & 3rd",
        "main st @ 3rd",
        "Main St / Third",
        "corner of Main St and 3rd",
        "the corner of Main Street and Third",
        "intersection of Main St and 3rd",
        "Main St at 3rd",
        "Main y 3rd",
        "esquina de Main y Tercera",
        "Main esquina con 3ra",
    ],
)
def test_it_reads_two_streets_that_meet(text):
    query = parse(text)
    assert query.street.core == "main" and query.cross.core == "3" and not query.number


def test_a_town_after_a_number_written_last_is_a_town():
    assert parse("Calle Mayor 12 Madrid").city == "madrid"
    assert parse("Main St 12 Riverton").city == "riverton"


def test_it_reads_city_and_postcode_after_commas():
    query = parse("12 Main St, Riverton, MA 01901")
    assert (query.number, query.city, query.postcode) == ("12", "riverton", "01901")
    assert parse("Calle Mayor 12, 28013 Madrid").city == "madrid"


@pytest.mark.parametrize("text", ["", "   ", ",,,", "#", "& /"])
def test_it_finds_no_street_in_empty_text(text):
    assert parse(text) is None


def test_it_reads_the_value_of_a_house_number():
    assert [house_value(n) for n in ("12", "12B", "12-14", " 7 ", "B", "", "12345678901")] == [
        12,
        12,
        12,
        7,
        None,
        None,
        None,
    ]


@given(st.text(max_size=120))
def test_any_text_is_read_without_error(text):
    query = parse(text)
    assert query is None or query.street.core


@given(st.text(alphabet="0123456789 ,#&/-abcnoy.ºªñé", max_size=40))
def test_numbers_punctuation_and_spanish_marks_are_read_without_error(text):
    query = parse(text)
    assert query is None or (query.street.core and (query.cross is None or query.cross.core))
