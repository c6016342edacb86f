"""Which service an inbound text is about. The seam a classifier replaces (issue 11): same call,
same answer shape."""

import re
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from civicdesk.cases import catalogue, policy
from civicdesk.cases.models import Service


@dataclass
class Suggestion:
    service: object  # a Service, or None when unsure
    score: float


def suggest_service(text):
    """The catalogue service whose keywords or names (English and translations) the text names most.

    Services with required questions are left out: an e-mail cannot answer them, and staff
    recategorise from triage. Unsure (nothing matched, or a tie) gives Suggestion(None, 0).
    """
    scored = _scored(text)
    if not scored or (len(scored) > 1 and scored[0][0] == scored[1][0]):
        return Suggestion(None, 0)
    return Suggestion(scored[0][1], float(scored[0][0]))


def rank_services(text, limit=3):
    """The services the text names, best first, at most `limit`: the choices an SMS offers by number."""
    return [service for _score, service in _scored(text)[:limit]]


def _scored(text):
    words = (text or "").lower()
    scored = []
    for service in catalogue.all_services():
        if any(attribute.required for attribute in service.attributes.all()):
            continue
        score = sum(1 for term in _terms(service) if re.search(rf"\b{re.escape(term)}\b", words))
        if score:
            scored.append((score, service))
    scored.sort(key=lambda pair: (-pair[0], pair[1].name))
    return scored


def _terms(service):
    names = [service.name] + [t.get("name", "") for t in (service.translations or {}).values()]
    terms = service.keywords.split(",") + names
    return {term.strip().lower() for term in terms if len(term.strip()) >= 3}


def triage_service():
    """What a case is filed under when the text names no service: an inactive service with no
    department, so its cases go to the triage queue and residents never see it offered. Read from
    memory like the catalogue (a Service save is a policy change); created, uncached, when missing."""
    return _triage.get() or _create_triage_service()


def _create_triage_service():
    service, _created = Service.objects.get_or_create(
        code=settings.INBOUND_TRIAGE_SERVICE,
        defaults={
            "name": str(_("Not sorted yet")),
            "active": False,
            "translations": {"es": {"name": "Sin clasificar"}},
        },
    )
    return service


def _triage_service():
    # Its questions prefetched, as the catalogue's: submit_case reads them.
    services = Service.objects.filter(code=settings.INBOUND_TRIAGE_SERVICE).prefetch_related("attributes")
    return services.first()


_triage = policy.cache("inbound-triage", _triage_service)
