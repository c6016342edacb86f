from datetime import datetime, time

from civicdesk.routing.engine import Facts, Rule, keyword_pattern, route


def rule(id, **kw):
    return Rule(id=id, name=f"r{id}", **kw)


def test_it_takes_the_first_match():
    rules = [rule(1, services=frozenset({"tree"}), department="parks"), rule(2, department="public-works")]
    assert route(Facts(service="tree"), rules).department == "parks"
    assert route(Facts(service="pothole"), rules).department == "public-works"


def test_it_goes_on_when_a_rule_says_keep_going():
    rules = [rule(1, tags=("school",), keep_going=True), rule(2, priority=2), rule(3, department="never")]
    decision = route(Facts(service="x"), rules)
    assert decision.tags == ["school"] and decision.priority == 2 and decision.department is None
    assert [r[0] for r in decision.rules] == [1, 2]


def test_it_reports_no_match_for_triage():
    assert not route(Facts(service="x"), [rule(1, services=frozenset({"y"}))]).matched


def test_it_matches_areas_keywords_answers_channel_priority():
    r = rule(
        1,
        areas=frozenset({("ward", "3")}),
        pattern=keyword_pattern("oak, maple tree"),
        answers=(("size", "large"),),
        channels=frozenset({"phone"}),
        priorities=frozenset({1, 2}),
    )
    good = Facts(
        service="tree",
        areas={"ward": "3"},
        description="An OAK fell",
        answers={"size": "large"},
        channel="phone",
        priority=2,
    )
    assert route(good, [r]).matched
    for change in [
        {"areas": {"ward": "4"}},
        {"description": "an oaktree"},
        {"answers": {"size": "small"}},
        {"channel": "web"},
        {"priority": 3},
    ]:
        assert not route(Facts(**(good.__dict__ | change)), [r]).matched


def test_it_matches_multivalue_answers_and_regex_patterns():
    r = rule(1, answers=(("hazards", "wires"),), pattern=keyword_pattern(r"re:gas\s+smell"))
    assert route(
        Facts(service="x", answers={"hazards": ["wires", "fire"]}, description="Gas  smell"), [r]
    ).matched


def test_it_matches_time_windows_including_overnight():
    night = rule(1, from_time=time(22), to_time=time(6), weekdays=frozenset({5, 6}))
    saturday_late = datetime(2026, 11, 21, 23, 30)
    saturday_noon = datetime(2026, 11, 21, 12, 0)
    monday_late = datetime(2026, 11, 23, 23, 30)
    assert route(Facts(service="x", when=saturday_late), [night]).matched
    assert not route(Facts(service="x", when=saturday_noon), [night]).matched
    assert not route(Facts(service="x", when=monday_late), [night]).matched


def test_it_collects_splits_without_repeats():
    rules = [rule(1, split_to=("water", "parks"), keep_going=True), rule(2, split_to=("parks",))]
    assert route(Facts(service="x"), rules).split_to == ["water", "parks"]
