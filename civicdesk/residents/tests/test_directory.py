"""Resolution: contact values normalised, one resident per person, found by any contact point."""

import pytest
from django.core.exceptions import ValidationError

from civicdesk.cases.models import Channel
from civicdesk.residents import directory
from civicdesk.residents.models import ContactKind, ContactPoint, Resident, ResidentEvent


def points(resident):
    return set(resident.contact_points.values_list("kind", "value"))


def test_it_normalises_each_kind_of_contact_value():
    assert directory.normalise(ContactKind.EMAIL, "  Rita@Example.ORG ") == "rita@example.org"
    assert directory.normalise(ContactKind.PHONE, "(617) 555-0100") == "+16175550100"
    assert directory.normalise(ContactKind.WHATSAPP, "+1 617 555 0100") == "+16175550100"
    assert directory.normalise(ContactKind.TELEGRAM, " @RitaR ") == "ritar"


def test_it_creates_a_resident_with_its_contact_points(db):
    resident = directory.resident_for(email="Rita@Example.org", phone="617-555-0100", name="Rita")
    assert resident.display_name == "Rita"
    assert points(resident) == {("email", "rita@example.org"), ("phone", "+16175550100")}
    assert ResidentEvent.objects.filter(resident=resident, kind="created").count() == 1


def test_it_finds_the_same_resident_by_any_spelling_of_any_contact_point(db):
    rita = directory.resident_for(email="rita@example.org", phone="617-555-0100")
    assert directory.resident_for(email="RITA@example.org ") == rita
    assert directory.resident_for(phone="+1 (617) 555 0100") == rita
    assert directory.find(phone="6175550100") == rita
    assert Resident.objects.count() == 1


def test_it_adds_a_new_contact_point_to_the_resident_found(db):
    rita = directory.resident_for(email="rita@example.org")
    assert directory.resident_for(email="rita@example.org", phone="617-555-0100") == rita
    assert ("phone", "+16175550100") in points(rita)


def test_it_leaves_a_contact_point_held_by_another_resident_where_it_is(db):
    rita = directory.resident_for(email="rita@example.org")
    other = directory.resident_for(phone="617-555-0100")
    assert directory.resident_for(email="rita@example.org", phone="617-555-0100") == rita
    assert points(other) == {("phone", "+16175550100")}


def test_it_links_an_account_and_its_e_mail(cast):
    resident = directory.resident_for(account=cast.alice)
    assert resident.account == cast.alice and resident.display_name == "Alice Resident"
    assert ("email", "alice@demo.test") in points(resident)
    assert directory.resident_for(email="alice@demo.test") == resident
    assert directory.find(account=cast.alice) == resident


def test_it_refuses_to_resolve_nothing(db):
    with pytest.raises(ValidationError):
        directory.resident_for(email="", phone="  ")
    assert directory.find(email="") is None


def test_it_gets_the_existing_resident_when_another_request_created_it_first(db, monkeypatch):
    """The race: our lookup saw nobody, another request then created the resident. Our insert
    hits the unique constraint and the second lookup returns theirs; nothing is duplicated."""
    theirs = directory.resident_for(email="rita@example.org")
    real_find = directory.find
    calls = []

    def stale_first_lookup(**kwargs):
        calls.append(kwargs)
        return None if len(calls) == 1 else real_find(**kwargs)

    monkeypatch.setattr(directory, "find", stale_first_lookup)
    assert directory.resident_for(email="rita@example.org") == theirs
    assert len(calls) == 2
    assert Resident.objects.count() == 1 and ContactPoint.objects.count() == 1


def test_it_finds_a_residents_cases_on_every_channel(cast, report):
    by_mail = report(channel=Channel.EMAIL, reporter_email="Rita@Example.org")
    by_sms = report(channel=Channel.SMS, reporter_phone="(617) 555-0100")
    by_account = report(channel=Channel.WEB, reporter=cast.alice)
    report(channel=Channel.EMAIL, reporter_email="someone@example.org")
    rita = directory.resident_for(email="rita@example.org", phone="+16175550100")
    assert set(directory.cases_of(rita)) == {by_mail, by_sms}
    alice = directory.resident_for(account=cast.alice)
    assert set(directory.cases_of(alice)) == {by_account}


def test_it_searches_by_contact_point_or_name(db):
    rita = directory.resident_for(email="rita@example.org", phone="617-555-0100", name="Rita Reporter")
    directory.resident_for(email="sam@example.org", name="Sam")
    assert list(directory.search("617 555 0100")) == [rita]
    assert list(directory.search("RITA@example.org")) == [rita]
    assert list(directory.search("rita@")) == [rita]
    assert list(directory.search("reporter")) == [rita]
    assert list(directory.search("nobody")) == []
    assert list(directory.search("")) == []


def test_it_links_an_account_to_the_resident_already_holding_its_e_mail(cast):
    earlier = directory.resident_for(email="alice@demo.test", phone="617-555-0100")
    assert directory.resident_for(account=cast.alice) == earlier
    earlier.refresh_from_db()
    assert earlier.account == cast.alice and Resident.objects.count() == 1


def test_an_account_never_takes_over_a_record_through_a_phone_or_an_unverified_address(cast):
    from allauth.account.models import EmailAddress

    victim = directory.resident_for(phone="617-555-0100", email="victim@example.org")
    cast.alice.phone = "617-555-0100"  # typed on her profile: proves nothing
    cast.alice.save(update_fields=["phone"])
    EmailAddress.objects.create(user=cast.alice, email="victim@example.org", verified=False)
    own = directory.resident_for(account=cast.alice)
    assert own != victim and own.account == cast.alice
    # A case of hers that carries the victim's phone finds the victim's record, without linking.
    assert directory.resident_for(account=cast.bob, phone="617-555-0100") == victim
    victim.refresh_from_db()
    assert victim.account is None
    assert ("phone", "+16175550100") not in points(own)


def test_a_contact_point_found_on_a_resident_merged_meanwhile_goes_to_the_merge_target(cast, monkeypatch):
    """The race: our lookup found the resident, then staff merged it into another before we added
    the new phone. The phone must follow the merge, not land on the merged (hidden) record."""
    from civicdesk.residents import actions

    source = directory.resident_for(email="rita@example.org")
    target = directory.resident_for(email="rita.m@example.org")
    real_find = directory.find

    def merged_after_the_lookup(**kwargs):
        found = real_find(**kwargs)
        if found == source and not Resident.objects.get(pk=source.pk).merged_into_id:
            actions.merge(cast.erin, source, target)
        return found

    monkeypatch.setattr(directory, "find", merged_after_the_lookup)
    assert directory.resident_for(email="rita@example.org", phone="617-555-0100") == target
    assert ContactPoint.objects.get(value="+16175550100").resident == target
    assert points(target) == {
        ("email", "rita.m@example.org"),
        ("email", "rita@example.org"),
        ("phone", "+16175550100"),
    }
