"""The case status machine: one table, pure Python, no database."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_ON_RESIDENT = "waiting_on_resident", _("Waiting on resident")
    REOPENED = "reopened", _("Reopened")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    DUPLICATE = "duplicate", _("Duplicate")
    REJECTED = "rejected", _("Rejected")
    NOT_OUR_RESPONSIBILITY = "not_our_responsibility", _("Not our responsibility")


S = Status
ACTIVE = {S.NEW, S.OPEN, S.IN_PROGRESS, S.WAITING_ON_RESIDENT, S.REOPENED}
# Final outcomes a resident sees as "done"; only resolved/closed-type ones can be reopened.
FINISHED = {S.RESOLVED, S.CLOSED, S.DUPLICATE, S.REJECTED, S.NOT_OUR_RESPONSIBILITY}
NEEDS_REASON = {S.REJECTED, S.NOT_OUR_RESPONSIBILITY}

# from-status -> statuses it may move to. DUPLICATE is reached only through the merge action.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset(
        {
            S.OPEN,
            S.IN_PROGRESS,
            S.WAITING_ON_RESIDENT,
            S.RESOLVED,
            S.DUPLICATE,
            S.REJECTED,
            S.NOT_OUR_RESPONSIBILITY,
        }
    ),
    S.OPEN: frozenset(
        {S.IN_PROGRESS, S.WAITING_ON_RESIDENT, S.RESOLVED, S.DUPLICATE, S.REJECTED, S.NOT_OUR_RESPONSIBILITY}
    ),
    S.IN_PROGRESS: frozenset(
        {S.OPEN, S.WAITING_ON_RESIDENT, S.RESOLVED, S.DUPLICATE, S.REJECTED, S.NOT_OUR_RESPONSIBILITY}
    ),
    S.WAITING_ON_RESIDENT: frozenset(
        {S.OPEN, S.IN_PROGRESS, S.RESOLVED, S.DUPLICATE, S.REJECTED, S.NOT_OUR_RESPONSIBILITY}
    ),
    S.REOPENED: frozenset(
        {
            S.OPEN,
            S.IN_PROGRESS,
            S.WAITING_ON_RESIDENT,
            S.RESOLVED,
            S.DUPLICATE,
            S.REJECTED,
            S.NOT_OUR_RESPONSIBILITY,
        }
    ),
    S.RESOLVED: frozenset({S.CLOSED, S.REOPENED}),
    S.CLOSED: frozenset({S.REOPENED}),
    S.DUPLICATE: frozenset({S.REOPENED}),
    S.REJECTED: frozenset({S.REOPENED}),
    S.NOT_OUR_RESPONSIBILITY: frozenset({S.REOPENED}),
}


class TransitionError(ValueError):
    """A status change the table does not allow."""


class ReasonRequired(TransitionError):
    """An allowed status change that needs a reason the caller did not give."""


def check_transition(current: str, target: str, reason: str = "") -> None:
    if target not in TRANSITIONS:
        raise TransitionError(_("“%(status)s” is not a case status.") % {"status": target})
    if target not in TRANSITIONS[current]:
        raise TransitionError(
            _("A case that is “%(current)s” cannot become “%(target)s”.")
            % {"current": Status(current).label, "target": Status(target).label}
        )
    if target in NEEDS_REASON and not reason.strip():
        raise ReasonRequired(
            _("Give a reason when a case is “%(target)s”.") % {"target": Status(target).label}
        )


def allowed_targets(current: str) -> list[str]:
    return [s for s in Status.values if s in TRANSITIONS[current] and s != S.DUPLICATE]
