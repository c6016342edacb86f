"""Routing decisions: pure Python, no database.

`route(facts, rules)` walks the ordered rules; the first that matches decides, unless it says
"continue", in which case later matches add to the decision. Rules are plain snapshots (`Rule`) built
from the admin-edited `RoutingRule` rows, so a decision costs microseconds and can be dry-run.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, time


@dataclass(frozen=True)
class Facts:
    """What routing may look at, for one case."""

    service: str
    group: str = ""
    areas: dict = field(default_factory=dict)  # layer -> area name
    description: str = ""
    answers: dict = field(default_factory=dict)
    channel: str = "web"
    priority: int = 3
    when: datetime | None = None  # local time of submission


@dataclass(frozen=True)
class Rule:
    id: int
    name: str
    services: frozenset = frozenset()
    groups: frozenset = frozenset()
    areas: frozenset = frozenset()  # of (layer, name)
    pattern: re.Pattern | None = None
    answers: tuple = ()  # of (code, value)
    channels: frozenset = frozenset()
    priorities: frozenset = frozenset()
    weekdays: frozenset = frozenset()  # 0 = Monday
    from_time: time | None = None
    to_time: time | None = None
    # actions
    department: str | None = None
    assignee: int | None = None
    priority: int | None = None
    tags: tuple = ()
    split_to: tuple = ()  # department codes that each get a sub-case
    keep_going: bool = False


@dataclass
class Decision:
    department: str | None = None
    assignee: int | None = None
    priority: int | None = None
    tags: list = field(default_factory=list)
    split_to: list = field(default_factory=list)
    rules: list = field(default_factory=list)  # (id, name) of every rule that acted

    @property
    def matched(self):
        return bool(self.rules)


def keyword_pattern(text):
    """Admin input -> regex: `re:...` is a regular expression; otherwise comma-separated words."""
    text = (text or "").strip()
    if not text:
        return None
    if text.startswith("re:"):
        return re.compile(text[3:], re.IGNORECASE)
    words = [re.escape(w.strip()) for w in text.split(",") if w.strip()]
    return re.compile(r"\b(?:" + "|".join(words) + r")\b", re.IGNORECASE) if words else None


def _in_window(rule, when):
    if when is None:
        return not (rule.weekdays or rule.from_time or rule.to_time)
    if rule.weekdays and when.weekday() not in rule.weekdays:
        return False
    if rule.from_time is None and rule.to_time is None:
        return True
    start, end, now = rule.from_time or time.min, rule.to_time or time.max, when.time()
    # A window like 22:00-06:00 wraps past midnight.
    return start <= now < end if start <= end else (now >= start or now < end)


def _answer_matches(facts, code, value):
    given = facts.answers.get(code)
    return value in given if isinstance(given, list) else str(given) == str(value)


def matches(rule, facts):
    return (
        (not rule.services or facts.service in rule.services)
        and (not rule.groups or facts.group in rule.groups)
        and (not rule.areas or any(facts.areas.get(layer) == name for layer, name in rule.areas))
        and (rule.pattern is None or rule.pattern.search(facts.description or "") is not None)
        and all(_answer_matches(facts, code, value) for code, value in rule.answers)
        and (not rule.channels or facts.channel in rule.channels)
        and (not rule.priorities or facts.priority in rule.priorities)
        and _in_window(rule, facts.when)
    )


def _apply(rule, decision):
    decision.rules.append((rule.id, rule.name))
    if rule.department:
        decision.department = rule.department
    if rule.assignee:
        decision.assignee = rule.assignee
    if rule.priority:
        decision.priority = rule.priority
    decision.tags += [t for t in rule.tags if t not in decision.tags]
    decision.split_to += [d for d in rule.split_to if d not in decision.split_to]


def route(facts, rules):
    """Apply the first matching rule (and following ones while a matched rule says keep going)."""
    decision = Decision()
    for rule in rules:
        if matches(rule, facts):
            _apply(rule, decision)
            if not rule.keep_going:
                break
    return decision
