import csv
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from conftest import require_component

DATA = Path(settings.BASE_DIR).parent / "shared" / "data"


@pytest.fixture(autouse=True)
def fresh_locator():
    """Each test's database starts over (rolled back), so the process-wide area locator must too."""
    from civicdesk.areas import locate

    locate.invalidate()
    yield
    locate.invalidate()


@pytest.fixture
def shared_data():
    if not (DATA / "nyc311-100.csv").exists():
        require_component(f"the shared NYC/Boston data in {DATA}")
    return DATA


class Run:
    """One `import_cases` run: its last line's counts and the rows of its report."""

    def __init__(self, output, report_path):
        self.output = output
        self.last_line = output.strip().splitlines()[-1]
        with report_path.open(newline="", encoding="utf-8") as file:
            self.report = list(csv.DictReader(file))

    @property
    def counts(self):
        words = self.last_line.replace(",", "").split()
        return {words[i]: int(words[i + 1]) for i in (0, 2, 4)}

    def reasons(self):
        return {row["source_id"]: row["reason"] for row in self.report}


@pytest.fixture
def import_cases(tmp_path):
    """Run the real command: `import_cases(path, "--format", "nyc311", ...)` -> Run."""

    def run(path, *args):
        report = tmp_path / f"report-{len(list(tmp_path.iterdir()))}.csv"
        out, err = io.StringIO(), io.StringIO()
        call_command("import_cases", str(path), *args, "--report", str(report), stdout=out, stderr=err)
        return Run(out.getvalue(), report)

    return run


def data_rows(path):
    """Records in a CSV file, counted independently of the importer (blank lines are not records)."""
    with open(path, newline="", encoding="utf-8") as file:
        return sum(1 for row in csv.reader(file) if row) - 1


@pytest.fixture
def report_many(cast):
    """`report_many(n)`: n fallen-tree cases (more than a queue page), their numbers."""
    from civicdesk.cases import actions

    def make(count):
        return [actions.submit_case(service=cast.tree, description=f"Tree {n}").number for n in range(count)]

    return make
