"""Build the whole demo city in one transaction: all of Riverton or nothing."""

import random
from collections import Counter

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from civicdesk.notify.models import OutboxMessage
from civicdesk.places.importer import import_file

from . import DEMO_SEED, addresses
from .city import build_accounts, build_catalogue
from .histories import CASE_COUNT, City, plan_cases, play
from .policy import build_policy


def load(seed=DEMO_SEED, count=CASE_COUNT, now=None):
    """Create Riverton in an empty database. Returns a summary for the command to print."""
    rng = random.Random(seed)
    now = now or timezone.now()
    with transaction.atomic():
        departments, services = build_catalogue()
        build_policy(departments, services)
        people = build_accounts(departments)
        cases = play(rng, City(departments, services, people), plan_cases(rng, now, count), now)
        silenced = _silence_outbox()
        streets = import_file(addresses.FILE, source="riverton-demo", replace=True)
    return {
        "departments": len(departments),
        "services": len(services),
        "accounts": len(people),
        "cases": len(cases),
        "statuses": Counter(case.status for case in cases),
        "silenced": silenced,
        "addresses": streets.imported,
    }


def _silence_outbox():
    """The demo's acknowledgements and replies are history: mark them sent so nobody is e-mailed.

    The delivery tasks queued on commit then find nothing to claim and do nothing.
    """
    return OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).update(
        status=OutboxMessage.Status.SENT, sent_at=F("created_at")
    )
