"""Every change to the directory that staff make: one transactional function each, with an audit row."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicdesk.cases import permissions

from .models import ChannelPreference, ContactPoint, Resident, ResidentEvent, ResidentEventKind

# What a merge fills in on the target when the target has nothing; the target's own values win.
PREFERENCE_FIELDS = ("display_name", "language", "preferred_channel", "consent_source")


def _actor_label(actor):
    return str(actor)[:150] if actor is not None else ""


def _locked(*residents):
    # Fixed order, so two opposite merges cannot deadlock.
    ids = sorted(r.pk for r in residents)
    locked = {r.pk: r for r in Resident.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    return [locked[r.pk] for r in residents]


def record_contact_view(actor, residents):
    """Seeing residents' contact details is itself audited, one row per resident shown."""
    permissions.require(actor, "view_residents")
    ResidentEvent.objects.bulk_create(
        ResidentEvent(
            resident=resident,
            kind=ResidentEventKind.CONTACT_VIEWED,
            actor=actor,
            actor_label=_actor_label(actor),
        )
        for resident in residents
    )


def merge(actor, source, target):
    """Merge `source` into `target`: its contact points and account move (its cases follow them),
    the target's empty preferences are filled from it, and "do not contact" from either side wins.
    Returns the event that records exactly what moved, for `unmerge`."""
    permissions.require(actor, "manage_residents")
    with transaction.atomic():
        source, target = _locked(source, target)
        _check_merge(source, target)
        points = list(source.contact_points.values_list("pk", flat=True))
        ContactPoint.objects.filter(pk__in=points).update(resident=target)
        fields = _merged_preferences(source, target)
        moved_account = source.account_id
        if moved_account:
            source.account = None
            source.save(update_fields=["account"])
            target.account_id = moved_account
        now = timezone.now()
        source.merged_into, source.updated_at = target, now
        source.save(update_fields=["merged_into", "updated_at"])
        target.updated_at = now
        target.save(update_fields=[*fields, "account", "updated_at"])
        return ResidentEvent.objects.create(
            resident=target,
            other=source,
            kind=ResidentEventKind.MERGED,
            actor=actor,
            actor_label=_actor_label(actor),
            changes={"contact_points": points, "account": moved_account, "fields": fields},
        )


def _check_merge(source, target):
    if source.pk == target.pk:
        raise ValidationError({"target": _("A resident cannot be merged into itself.")})
    if source.merged_into_id or target.merged_into_id:
        raise ValidationError({"target": _("One of these residents was already merged. Reload the page.")})
    if source.account_id and target.account_id:
        raise ValidationError(
            {"target": _("Both residents have an account: a resident record holds one account.")}
        )


def _merged_preferences(source, target):
    """Set the target's preferences; return {field: [target's old value, new value]} for undo."""
    changed = {}
    for field in PREFERENCE_FIELDS:
        old, theirs = getattr(target, field), getattr(source, field)
        new = old or theirs
        if field == "preferred_channel" and theirs == ChannelPreference.NONE:
            new = theirs  # a refusal to be contacted is never lost by merging
        if new != old:
            setattr(target, field, new)
            changed[field] = [old, new]
    return changed


def unmerge(actor, event):
    """Undo a merge: what moved goes back (contact points, account, the target's preferences as
    they were), the source stands alone again. Refused once anything moved on since."""
    permissions.require(actor, "manage_residents")
    with transaction.atomic():
        event = ResidentEvent.objects.select_for_update().get(pk=event.pk)
        if not event.can_undo:
            raise ValidationError(_("This merge was already undone."))
        target, source = _locked(event.resident, event.other)
        changes = event.changes
        points = ContactPoint.objects.filter(pk__in=changes["contact_points"])
        if source.merged_into_id != target.pk or points.exclude(resident=target).exists():
            raise ValidationError(_("These residents changed since the merge; it can no longer be undone."))
        moved_on = any(getattr(target, field) != new for field, (_old, new) in changes["fields"].items())
        if (
            target.merged_into_id
            or moved_on
            or (changes["account"] and target.account_id != changes["account"])
        ):
            # A preference set or an account moved since: undoing would overwrite a later decision.
            raise ValidationError(_("These residents changed since the merge; it can no longer be undone."))
        points.update(resident=source)
        for field, (old, _new) in changes["fields"].items():
            setattr(target, field, old)
        now = timezone.now()
        if changes["account"]:
            target.account = None
            target.save(update_fields=["account"])
            source.account_id = changes["account"]
        target.updated_at = now
        target.save(update_fields=[*changes["fields"], "account", "updated_at"])
        source.merged_into, source.updated_at = None, now
        source.save(update_fields=["merged_into", "account", "updated_at"])
        undo = ResidentEvent.objects.create(
            resident=target,
            other=source,
            kind=ResidentEventKind.UNMERGED,
            actor=actor,
            actor_label=_actor_label(actor),
            changes={"undoes": event.pk},
        )
        event.undone_by = undo
        event.save(update_fields=["undone_by"])
        return undo
