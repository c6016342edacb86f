"""Merging duplicate residents and undoing it: what moves, what stays, and who may."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from civicdesk.cases.models import Case, Channel
from civicdesk.residents import actions, directory
from civicdesk.residents.models import ContactPoint, Resident, ResidentEvent


def snapshot(resident):
    resident.refresh_from_db()
    return {
        "points": set(resident.contact_points.values_list("kind", "value")),
        "account": resident.account_id,
        "merged_into": resident.merged_into_id,
        **{field: getattr(resident, field) for field in actions.PREFERENCE_FIELDS},
    }


def test_a_resident_who_wrote_by_e_mail_then_by_sms_is_one_resident_after_a_merge(cast, report):
    by_mail = report(channel=Channel.EMAIL, reporter_email="rita@example.org")
    by_sms = report(channel=Channel.SMS, reporter_phone="+1 617 555 0100")
    mail_resident = directory.resident_for(email=by_mail.reporter_email)
    sms_resident = directory.resident_for(phone=by_sms.reporter_phone)
    assert mail_resident != sms_resident
    versions = dict(Case.objects.values_list("pk", "version"))

    actions.merge(cast.erin, sms_resident, mail_resident)

    assert set(directory.cases_of(mail_resident)) == {by_mail, by_sms}
    assert not directory.cases_of(sms_resident).exists()
    assert directory.resident_for(phone="617-555-0100") == mail_resident
    assert list(directory.search("rita@example.org")) == [mail_resident]  # the source is hidden
    assert dict(Case.objects.values_list("pk", "version")) == versions  # no case row was touched


def test_it_undoes_a_merge_exactly(cast, report):
    target = directory.resident_for(email="rita@example.org", name="")
    source = directory.resident_for(phone="617-555-0100", account=cast.alice, name="Alice", language="es")
    source.preferred_channel = "none"
    source.save()
    before = snapshot(target), snapshot(source)

    merge = actions.merge(cast.dave, source, target)
    merged = snapshot(target)
    assert merged["points"] == before[0]["points"] | before[1]["points"]
    assert merged["account"] == cast.alice.pk and merged["display_name"] == "Alice"
    assert merged["preferred_channel"] == "none" and merged["language"] == "es"
    assert snapshot(source)["merged_into"] == target.pk and not snapshot(source)["points"]

    undo = actions.unmerge(cast.dave, merge)
    assert (snapshot(target), snapshot(source)) == before
    merge.refresh_from_db()
    assert merge.undone_by == undo and not merge.can_undo
    with pytest.raises(ValidationError):
        actions.unmerge(cast.dave, merge)


def test_the_targets_own_preferences_win_except_a_refusal_to_be_contacted(cast):
    target = directory.resident_for(email="a@example.org", name="Rita", language="en")
    target.preferred_channel = "sms"
    target.save()
    source = directory.resident_for(email="b@example.org", name="R.", language="es")
    source.preferred_channel = "none"
    source.save()
    actions.merge(cast.erin, source, target)
    target.refresh_from_db()
    assert (target.display_name, target.language, target.preferred_channel) == ("Rita", "en", "none")
    assert not target.may_be_contacted


def test_an_account_holders_own_preferences_are_the_residents(cast):
    cast.alice.preferred_channel = "sms"
    cast.alice.preferred_language = "es"
    cast.alice.save()
    resident = directory.resident_for(account=cast.alice)
    resident.preferred_channel = "email"
    resident.save()
    assert resident.effective_channel == "sms" and resident.effective_language == "es"


@pytest.mark.parametrize("problem", ["itself", "merged_source", "merged_target", "two_accounts"])
def test_it_refuses_impossible_merges(cast, problem):
    source = directory.resident_for(email="a@example.org", account=cast.alice)
    target = directory.resident_for(email="b@example.org")
    if problem == "itself":
        target = source
    elif problem in ("merged_source", "merged_target"):
        third = directory.resident_for(email="c@example.org")
        actions.merge(cast.erin, target if problem == "merged_target" else source, third)
    else:
        target.account = cast.bob
        target.save()
    with pytest.raises(ValidationError):
        actions.merge(cast.erin, source, target)


def test_it_refuses_to_undo_once_the_contact_points_moved_on(cast):
    a, b, c = (directory.resident_for(email=f"{n}@example.org") for n in "abc")
    first = actions.merge(cast.erin, a, b)
    actions.merge(cast.erin, b, c)
    with pytest.raises(ValidationError):
        actions.unmerge(cast.erin, first)
    assert ContactPoint.objects.filter(resident=c).count() == 3


@pytest.mark.parametrize("person", ["alice", "bob", "carol"])
def test_only_roles_that_manage_residents_may_merge_or_undo(cast, person):
    source = directory.resident_for(email="a@example.org")
    target = directory.resident_for(email="b@example.org")
    with pytest.raises(PermissionDenied):
        actions.merge(getattr(cast, person), source, target)
    merge = actions.merge(cast.root, source, target)
    with pytest.raises(PermissionDenied):
        actions.unmerge(getattr(cast, person), merge)
    assert Resident.objects.get(pk=source.pk).merged_into == target
    assert ResidentEvent.objects.filter(kind="merged").count() == 1


def test_it_refuses_to_undo_a_merge_over_a_preference_set_since(cast):
    target = directory.resident_for(email="a@example.org", name="Rita")
    source = directory.resident_for(email="b@example.org", name="R.")
    source.preferred_channel = "sms"
    source.save()
    merge = actions.merge(cast.erin, source, target)  # the target took "sms"
    target.refresh_from_db()
    target.preferred_channel = "none"  # she told an agent afterwards
    target.save()
    with pytest.raises(ValidationError):
        actions.unmerge(cast.erin, merge)
    target.refresh_from_db()
    assert target.preferred_channel == "none"


def test_a_refusal_kept_by_a_merge_wins_over_the_linked_account_and_stops_e_mail(cast):
    from civicdesk.notify.outbox import may_contact

    with_account = directory.resident_for(account=cast.alice)  # alice@demo.test, prefers e-mail
    refused = directory.resident_for(email="alice.home@example.org")
    refused.preferred_channel = "none"
    refused.save()
    actions.merge(cast.erin, refused, with_account)
    with_account.refresh_from_db()
    assert not with_account.may_be_contacted
    case = Case(reporter_email="alice.home@example.org")
    assert may_contact(case, "acknowledgement") is False
    assert may_contact(case, "follow_confirm") is True  # what she asks for herself still goes
    assert may_contact(Case(reporter_email="someone@example.org"), "acknowledgement") is True
