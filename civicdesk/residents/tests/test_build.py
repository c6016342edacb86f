"""`civicdesk build_directory`: residents from existing cases, old phones rewritten, safe to rerun."""

from django.core.management import call_command

from civicdesk.cases.models import Case, Channel
from civicdesk.residents import directory
from civicdesk.residents.models import ContactPoint, Resident


def test_it_builds_residents_from_cases_and_adds_nothing_the_second_time(cast, report):
    by_mail = report(channel=Channel.EMAIL, reporter_email="rita@example.org", reporter_phone="617-555-0100")
    by_sms = report(channel=Channel.SMS, reporter_phone="617 555 0100")
    report(channel=Channel.WEB, reporter=cast.alice)
    old = report(channel=Channel.PHONE, reporter_phone="x")
    # A case stored before phones were normalised (the column as typed).
    Case.objects.filter(pk=old.pk).update(reporter_phone="(617) 555-0199")

    call_command("build_directory", batch=2)
    counts = Resident.objects.count(), ContactPoint.objects.count()
    call_command("build_directory")

    assert (Resident.objects.count(), ContactPoint.objects.count()) == counts == (3, 4)
    assert Case.objects.get(pk=old.pk).reporter_phone == "+16175550199"
    rita = directory.find(email="rita@example.org")
    assert set(directory.cases_of(rita)) == {by_mail, by_sms}
    assert directory.find(account=cast.alice).account == cast.alice
