from pathlib import Path

import pytest

from civicdesk.places import local
from civicdesk.places.importer import import_file

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def _fresh_streets():
    """The street index lives in the process: each test's points are its own."""
    local.invalidate()
    yield
    local.invalidate()


@pytest.fixture
def town(db):
    """Riverton's and Lakeside's test streets (data/openaddresses.csv): Main St crosses 3rd Ave at
    (42.3000, -71.1000), Calle Mayor crosses Calle Real at (42.3050, -71.1010); Main St runs through
    both towns; N Oak St and S Oak St; 7 Main St has units 1, 2 and 4B."""
    return import_file(DATA / "openaddresses.csv")
