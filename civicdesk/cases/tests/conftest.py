import pytest

from civicdesk.cases import actions


@pytest.fixture
def report(cast):
    """A case as a resident reports it: `report(priority=..., ...)` (potholes get their question answered)."""

    def make(service=None, **fields):
        service = service or cast.pothole
        if service == cast.pothole:
            fields.setdefault("answers", {"depth": "deep"})
        fields.setdefault("description", "A hole in the road")
        return actions.submit_case(service=service, **fields)

    return make
