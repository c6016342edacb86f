"""match() and nearest() against the test towns' address points (conftest.town), in English and Spanish."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicdesk.lib.geo import metres_between
from civicdesk.places.lookup import ADDRESS, INTERSECTION, STREET, match, nearest

MAIN_AND_3RD = (42.3000, -71.1000)
MAYOR_AND_REAL = (42.3050, -71.1010)


def best(text):
    found = match(text)
    assert found.best is not None, (text, found)
    return found.best


def test_it_matches_an_exact_address_with_full_confidence(town):
    place = best("12 Main St, Riverton")

    assert (place.label, place.confidence, place.kind, place.source) == (
        "12 Main St, Riverton",
        1.0,
        ADDRESS,
        "local",
    )
    assert (place.latitude, place.longitude, place.number, place.street, place.postcode) == (
        42.2999,
        -71.10025,
        "12",
        "Main St",
        "01901",
    )


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("12 Main Street, Riverton", "12 Main St, Riverton"),
        ("12 MAIN ST., RIVERTON", "12 Main St, Riverton"),
        ("7 Elm St", "7 Elm Street, Riverton"),
        ("5 Third Avenue", "5 3rd Ave, Riverton"),
        ("5 3rd Av.", "5 3rd Ave, Riverton"),
        ("5 North Oak Street", "5 N Oak St, Riverton"),
        ("5 Oak St S", "5 S Oak St, Riverton"),
        ("3 Bank Row", "3 Bank Row, Riverton"),
        # Spanish forms
        ("Calle Mayor 12", "12 Calle Mayor, Riverton"),
        ("Calle Mayor, 12", "12 Calle Mayor, Riverton"),
        ("calle mayor número 12", "12 Calle Mayor, Riverton"),
        ("C/ Mayor nº 12", "12 Calle Mayor, Riverton"),
        ("Avenida Tercera 5", "5 3rd Ave, Riverton"),
        ("5 Tercera Avenida", "5 3rd Ave, Riverton"),
    ],
)
def test_it_reads_abbreviations_directionals_ordinals_and_spanish_forms(town, text, label):
    place = best(text)
    assert place.label == label and place.confidence >= 0.95 and place.kind == ADDRESS


@pytest.mark.parametrize(
    ("text", "unit", "label"),
    [
        ("7 Main St Apt 4B, Riverton", "4B", "7 Main St #4B, Riverton"),
        ("7 Main St #2, Riverton", "2", "7 Main St #2, Riverton"),
        ("7 Main St unit 1, Riverton", "1", "7 Main St #1, Riverton"),
        (
            "Calle Mayor 12, piso 3",
            "3",
            "12 Calle Mayor #3, Riverton",
        ),  # no units stored: the typed one is kept
    ],
)
def test_it_keeps_the_unit(town, text, unit, label):
    place = best(text)
    assert (place.unit, place.label) == (unit, label)


def test_a_unit_not_stored_or_not_typed_costs_a_little_confidence(town):
    assert best("7 Main St, Riverton").unit == ""  # the building, not one of its flats
    assert best("7 Main St, Riverton").confidence == 1.0
    assert 0.9 <= best("7 Main St apt 9, Riverton").confidence < 1.0


def test_it_matches_a_misspelt_street_with_less_confidence(town):
    place = best("12 Mian Stret, Riverton")
    assert place.label == "12 Main St, Riverton" and 0.7 <= place.confidence < 0.9


def test_two_places_matching_equally_are_both_returned_and_flagged(town):
    found = match("12 Main St")

    assert found.ambiguous and found.best is None
    assert [place.label for place in found.places] == ["12 Main St, Lakeside", "12 Main St, Riverton"]
    assert found.places[0].confidence == found.places[1].confidence


def test_a_directional_left_out_is_ambiguous_between_the_two_streets(town):
    found = match("5 Oak St")
    assert found.ambiguous
    assert {place.label for place in found.places[:2]} == {"5 N Oak St, Riverton", "5 S Oak St, Riverton"}


def test_a_named_town_settles_it(town):
    found = match("12 Main St, Lakeside MA")
    assert [place.label for place in found.places] == [
        "12 Main St, Lakeside"
    ] and found.best.confidence == 1.0
    assert match("12 main st, LAKE SIDE").best.city == "Lakeside"


def test_a_town_after_a_street_without_its_type_is_the_town(town):
    assert best("12 main lakeside").label == "12 Main St, Lakeside"
    assert best("Calle Mayor 12 Riverton").label == "12 Calle Mayor, Riverton"


def test_a_town_without_the_street_is_looked_past_with_less_confidence(town):
    place = best("Calle Mayor 12, Lakeside")
    assert (place.label, place.confidence) == ("12 Calle Mayor, Riverton", 0.8)


def test_a_number_that_is_not_on_the_street_offers_the_nearest_on_the_same_side(town):
    place = match("40 Main St, Riverton").places[0]
    assert (place.label, place.kind, place.confidence) == ("24 Main St, Riverton", STREET, 0.7)


def test_a_street_without_a_number_is_its_middle(town):
    place = best("Elm Street")
    assert (place.kind, place.label, place.confidence) == (STREET, "Elm Street, Riverton", 0.9)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "asdf",
        "1 Nonexistent Boulevard",
        "12 Zzyzx Rd",
        "Main St and Nowhere Ave",
        "###",
        "x" * 5000,
    ],
)
def test_nothing_matching_is_an_empty_answer_never_a_guess(town, text):
    found = match(text)
    assert found.places == () and not found.ambiguous and found.best is None


@pytest.mark.parametrize(
    ("text", "corner", "label"),
    [
        ("Main St and 3rd Ave", MAIN_AND_3RD, "Main St & 3rd Ave, Riverton"),
        ("Main & 3rd", MAIN_AND_3RD, "Main St & 3rd Ave, Riverton"),
        ("corner of Main Street and Third Avenue", MAIN_AND_3RD, "Main St & 3rd Ave, Riverton"),
        ("3rd Ave / Main St", MAIN_AND_3RD, "3rd Ave & Main St, Riverton"),
        ("esquina de Calle Mayor y Calle Real", MAYOR_AND_REAL, "Calle Mayor & Calle Real, Riverton"),
        ("Calle Mayor esquina con Calle Real", MAYOR_AND_REAL, "Calle Mayor & Calle Real, Riverton"),
        ("Mayor y Real", MAYOR_AND_REAL, "Calle Mayor & Calle Real, Riverton"),
    ],
)
def test_it_puts_an_intersection_where_the_two_streets_meet(town, text, corner, label):
    place = best(text)
    assert (place.kind, place.label) == (INTERSECTION, label)
    assert metres_between(place.latitude, place.longitude, *corner) < 30
    assert place.confidence >= 0.9


def test_streets_that_never_meet_have_no_intersection(town):
    assert match("Main St and Elm Street").places == ()  # 550 m apart
    assert match("Main St and Bank Row").places == ()  # a short block apart, but side by side
    assert match("Calle Mayor y Calle Mayor").places == ()


def test_nearest_finds_the_address_under_a_pin(town):
    place = nearest(42.29991, -71.10024)

    assert (place.label, place.kind) == ("12 Main St, Riverton", ADDRESS)
    assert place.distance_m < 2 and place.confidence > 0.99


def test_nearest_gives_the_building_rather_than_one_of_its_flats(town):
    assert nearest(42.3001, -71.1015).label == "7 Main St, Riverton"


def test_nearest_finds_nothing_beyond_its_reach(town):
    assert nearest(42.2, -71.0) is None
    point = nearest(42.3001, -71.0973, max_metres=30)  # 23 Main St 16 m west, 24 Main St 23 m away
    assert point.label == "23 Main St, Riverton" and 15 < point.distance_m <= 30
    assert nearest(42.3001, -71.0960, max_metres=30) is None


@pytest.mark.parametrize(
    ("latitude", "longitude"), [(200, 0), (0, 400), ("north", 1), (None, None), (float("nan"), 1)]
)
def test_nearest_refuses_what_is_not_a_point(town, latitude, longitude):
    assert nearest(latitude, longitude) is None


def test_without_any_address_points_nothing_matches(db):
    assert match("12 Main St").places == () and nearest(42.3, -71.1) is None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet="0123456789 ,#&/-abcdeilmnorstyMS.ºñ", max_size=40))
def test_any_text_gets_an_answer_not_an_error(town, text):
    found = match(text)
    assert all(0 < place.confidence <= 1 for place in found.places)
    assert found.best is None or not found.ambiguous
