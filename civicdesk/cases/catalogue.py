"""Active services (with their questions and default department) and departments, from memory.

Every submission reads them; an administrator changes them rarely. Rebuilt when policy changes
(cases.policy). The instances are shared by every request of the process: read them, never change
them.
"""

from . import policy
from .models import Department, Service


class Catalogue:
    def __init__(self):
        services = (
            Service.objects.filter(active=True)
            .select_related("default_department")
            .prefetch_related("attributes")
        )
        self.services = {s.code: s for s in services}
        self.departments = {d.code: d for d in Department.objects.filter(active=True)}


_cache = policy.cache("services", Catalogue)


def service(code):
    """The active service with this code (its questions prefetched), or None."""
    return _cache.get().services.get(code) if isinstance(code, str) else None


def department(code):
    """The active department with this code, or None."""
    return _cache.get().departments.get(code)


def all_services():
    """Every active service (their questions prefetched)."""
    return list(_cache.get().services.values())
