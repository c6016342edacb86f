"""What each audience may see of a case: one table, read by every page, feed, API and message.

Every place that shows a case to someone asks this module, with the audience it serves, which
events, which fields, what free text and how precise a location that audience gets. A new channel
names its audience here (or adds one) instead of keeping a list of its own. Decision 14 in
docs/decisions.md explains each row.

Free text for public audiences is masked: e-mail addresses, phone numbers and similar identifiers
that residents and staff write into descriptions and messages ("call me at 617-555-0199") are
replaced by a neutral label. Staff always see the original.
"""

import re
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers
from django.conf import settings
from django.utils.translation import gettext as _

from .models import EventKind


class Audience(StrEnum):
    STAFF = "staff"  # city staff who may see the case; contact details also need `view_contact`
    REPORTER = "reporter"  # the holder of the tracking link, and the reporter's own API token
    PUBLIC_PAGE = "public_page"  # the public case page and the nearby cases shown while reporting
    OPEN311 = "open311"  # GeoReport v2 GETs: anonymous, read by any app
    WEBHOOK = "webhook"  # other city systems and their vendors
    OPEN_DATA = "open_data"  # bulk downloads, copied and joined with other data for years
    FOLLOWER = "follower"  # e-mails to people who said "me too" or follow a case
    CHANNEL = "channel"  # replies on SMS, messaging and social channels, which third parties carry


class Text(StrEnum):
    FULL = "full"
    MASKED = "masked"  # identifiers replaced
    NONE = "none"


# The events that say how a case is progressing, without anyone's words.
PROGRESS = frozenset(
    {
        EventKind.SUBMITTED,
        EventKind.ACKNOWLEDGED,
        EventKind.STATUS,
        EventKind.REOPENED,
        EventKind.MERGED,
        EventKind.FOLLOWED,
    }
)
ALL_KINDS = frozenset(EventKind)
# Of the public events, those whose text is a staff member's or the resident's own words.
WORDS = frozenset({EventKind.REPLY, EventKind.COMMENT})


@dataclass(frozen=True)
class View:
    """What one audience sees. The defaults are the least: nothing an audience is not given here."""

    events: frozenset = frozenset()  # the event kinds shown (of the public ones, unless `internal`)
    internal: bool = False  # internal events and internal photos
    messages: Text = Text.NONE  # what staff wrote on the timeline (public replies)
    comments: bool = False  # the text of the resident's own comments
    description: Text = Text.NONE  # the description, and the place as typed (people write numbers there too)
    reason: Text = Text.NONE  # the staff's status reason ("status_notes")
    address: bool = False
    decimals: int | None = None  # coordinates rounded to this many decimals; None: exact
    location: bool = True
    staff_names: bool = False  # who acted; residents are always "resident" (decision 29)
    routing: bool = False  # tags, areas and external ids


# 3 decimals: ~110 m north-south, ~85 m east-west at 40° latitude, a block, so a point no longer
# names a house whose resident may be the reporter.
BLOCK = 3
_MASKED = {"description": Text.MASKED, "reason": Text.MASKED, "address": True}

POLICY = {
    Audience.STAFF: View(
        events=ALL_KINDS,
        internal=True,
        messages=Text.FULL,
        comments=True,
        description=Text.FULL,
        reason=Text.FULL,
        address=True,
        staff_names=True,
        routing=True,
    ),
    # The reporter reads their own words and what staff wrote to them, as written.
    Audience.REPORTER: View(
        events=ALL_KINDS,
        messages=Text.FULL,
        comments=True,
        description=Text.FULL,
        reason=Text.FULL,
        address=True,
    ),
    # Case numbers are sequential, so public pages can be walked: the progress and the masked
    # description, never what anyone wrote on the timeline.
    Audience.PUBLIC_PAGE: View(events=PROGRESS, description=Text.MASKED, address=True),
    # Anonymous and read by any app; notes are event types with a generated summary.
    Audience.OPEN311: View(events=ALL_KINDS, routing=True, **_MASKED),
    Audience.WEBHOOK: View(events=ALL_KINDS, messages=Text.MASKED, routing=True, **_MASKED),
    # Copied, indexed and joined for years: no free text, no address, a block's precision.
    Audience.OPEN_DATA: View(decimals=BLOCK, routing=True),
    # Followers are strangers to the reporter: that the case moved, and a link to its public page.
    Audience.FOLLOWER: View(location=False),
    # Carried by third parties (SMS carriers, messaging and social platforms).
    Audience.CHANNEL: View(events=PROGRESS | WORDS, messages=Text.MASKED, **_MASKED),
}


# The columns each audience may get in bulk (staff exports, open data). Reporter contact details
# are in none: bulk export of personal data belongs to the audited privacy tools.
COLUMNS = {
    Audience.STAFF: frozenset(
        {
            *("number", "service", "service_name", "department", "status", "priority", "channel"),
            *("assignee", "address", "description", "tags", "source", "source_id"),
            *("created_at", "updated_at", "acknowledged_at", "resolved_at", "closed_at", "expected_at"),
        }
    ),
    Audience.OPEN_DATA: frozenset(
        {
            *("number", "service", "service_name", "department", "department_name", "status"),
            *("created_at", "updated_at", "closed_at"),
        }
    ),
}


def view(audience) -> View:
    return POLICY[Audience(audience)]


def columns(audience) -> frozenset:
    return COLUMNS[Audience(audience)]


# ---------------------------------------------------------------- events and photos


def events(case_or_events, audience):
    """The timeline events `audience` may see, as a queryset (oldest first for a case)."""
    seen = view(audience)
    queryset = case_or_events.events.all() if hasattr(case_or_events, "events") else case_or_events
    if not seen.internal:
        queryset = queryset.filter(public=True)
    if seen.events != ALL_KINDS:
        queryset = queryset.filter(kind__in=seen.events)
    return queryset


def photos(case_or_photos, audience):
    queryset = case_or_photos.attachments.all() if hasattr(case_or_photos, "attachments") else case_or_photos
    return queryset if view(audience).internal else queryset.filter(public=True)


def sees(event, audience) -> bool:
    """Whether `audience` sees that `event` happened."""
    seen = view(audience)
    return event.kind in seen.events and (event.public or seen.internal)


def message(event, audience) -> str:
    """An event's text as `audience` may read it ("" when it may not)."""
    seen = view(audience)
    if not event.message or not sees(event, audience):
        return ""
    if event.kind == EventKind.COMMENT and not seen.comments:
        return ""
    how = seen.reason if event.kind in PROGRESS else seen.messages
    return shown(event.message, how)


def actor(event, audience) -> str | None:
    """Who acted, for audiences that may know: staff by name, residents as "resident"."""
    return (event.actor_label or None) if view(audience).staff_names else None


# ---------------------------------------------------------------- the case's own fields


def description(case, audience) -> str:
    return shown(case.description, view(audience).description)


def reason(case, audience) -> str:
    return shown(case.status_reason, view(audience).reason)


def address(case, audience) -> str:
    """The place as written: masked wherever the description is (people type phone numbers there too)."""
    seen = view(audience)
    return shown(case.address, seen.description) if seen.address else ""


def location(case, audience) -> tuple[float | None, float | None]:
    return coordinate(case.latitude, audience), coordinate(case.longitude, audience)


def coordinate(value, audience):
    seen = view(audience)
    if value is None or not seen.location:
        return None
    return value if seen.decimals is None else round(value, seen.decimals)


def shown(text, how: Text) -> str:
    if not text or how == Text.NONE:
        return ""
    return text if how == Text.FULL else mask(text)


# ---------------------------------------------------------------- masking identifiers

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# A local number without its area code ("555-0199"), which the phone matcher cannot tell from others:
# an exchange never starts with 0 or 1, which keeps ranges such as "100-2000 cars" as they are.
LOCAL_PHONE = re.compile(r"(?<![\w-])[2-9]\d{2}[-.]\d{4}(?![\w-])")
SSN = re.compile(r"(?<![\w-])\d{3}-\d{2}-\d{4}(?![\w-])")
CARD = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")


def mask(text: str) -> str:
    """`text` with e-mail addresses, phone numbers, social security and card numbers replaced."""
    if not text:
        return text or ""
    text = EMAIL.sub(_("[e-mail removed]"), text)
    text = CARD.sub(_card, text)
    text = SSN.sub(_("[number removed]"), text)
    text = _mask_phones(text)
    return LOCAL_PHONE.sub(_("[phone number removed]"), text)


def _mask_phones(text):
    valid = phonenumbers.Leniency.VALID
    matches = list(phonenumbers.PhoneNumberMatcher(text, settings.PHONE_REGION, leniency=valid))
    for match in reversed(matches):  # from the end, so earlier offsets stay right
        text = text[: match.start] + _("[phone number removed]") + text[match.end :]
    return text


def _card(match):
    digits = [int(d) for d in re.sub(r"\D", "", match.group(0))]
    return _("[number removed]") if _luhn(digits) else match.group(0)


def _luhn(digits):
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0
