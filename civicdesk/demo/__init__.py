"""Riverton, the fictional demo city: its departments, services, people, places and case histories.

All of it is CivicDesk's own invention (no real city's data). `load_demo` builds the city through
the same actions the portal and staff workspace use; `generate_cases` reuses the catalogue and the
places to make millions of synthetic cases for benchmarks.
"""

from django.conf import settings
from django.core.management.base import CommandError

DEMO_SEED = 311


def require_debug(command):
    """Demo and synthetic data never go near a production database."""
    if not settings.DEBUG:
        raise CommandError(
            f"{command} fills the database with invented people and cases, so it runs only when "
            "DEBUG is on (set DEBUG=true). Refusing: DEBUG is off, this may be a production database."
        )
