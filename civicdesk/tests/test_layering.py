"""The layering of docs/architecture.md, enforced: import-linter's contracts in pyproject.toml, plus no
import cycle between modules of different apps. Function-level imports count like any other.

Each of the four violations issue 8 found is put back into the import graph, one at a time, to show
the check fails on it; they are added to the graph, not to the code, so no file is touched.
"""

import copy
import functools
from pathlib import Path

import grimp
import pytest
from importlinter.adapters.building import GraphBuilder
from importlinter.api import read_configuration  # also configures import-linter (readers, timer, builder)
from importlinter.application.app_config import settings as linter_settings
from importlinter.application.use_cases import lint_imports

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
PACKAGE = "civicdesk"


@functools.cache
def _real_graph():
    """The package's import graph, as `lint-imports` builds it (tests included: the contracts say
    a test may import any part it tests)."""
    return grimp.build_graph(PACKAGE, cache_dir=None)


def graph_with(*imports):
    """A copy of the real graph with extra `(importer, imported)` imports, as if written in the code."""
    graph = copy.deepcopy(_real_graph())
    for importer, imported in imports:
        for module in (importer, imported):
            if module not in graph.modules:
                graph.add_module(module)
        graph.add_import(importer=importer, imported=imported, line_number=1, line_contents="(put back)")
    return graph


class _FixedGraph(GraphBuilder):
    def __init__(self, graph):
        self.graph = graph

    def build(self, root_package_names, cache_dir, include_external_packages=False, **options):
        return copy.deepcopy(self.graph)


def broken_contracts(graph):
    """The ids of the pyproject.toml contracts `graph` breaks (lint-imports prints why)."""
    ids = [options["id"] for options in read_configuration(str(PYPROJECT))["contracts_options"]]
    builder = linter_settings.GRAPH_BUILDER
    linter_settings.configure(GRAPH_BUILDER=_FixedGraph(graph))
    try:
        return {
            contract
            for contract in ids
            if not lint_imports(
                str(PYPROJECT),
                limit_to_contracts=(contract,),
                cache_dir=None,
                is_debug_mode=True,
                no_logo=True,
            )
        }
    finally:
        linter_settings.configure(GRAPH_BUILDER=builder)


def app_of(module):
    return module.split(".")[1]


def cycles_between_apps(graph):
    """Direct imports from one app to another whose target imports the importer back (maybe
    indirectly). Tests are left out: they may import any part they test."""
    graph = copy.deepcopy(graph)
    for module in [m for m in graph.modules if ".tests." in f"{m}."]:
        graph.remove_module(module)
    return sorted(
        (importer, imported)
        for importer in graph.modules
        if importer.count(".") >= 1
        for imported in graph.find_modules_directly_imported_by(importer)
        if imported.count(".") >= 1
        and app_of(importer) != app_of(imported)
        and graph.chain_exists(importer=imported, imported=importer)
    )


def test_it_keeps_every_contract():
    assert broken_contracts(_real_graph()) == set(), "run `.venv/bin/lint-imports` for the offending imports"


def test_it_finds_no_import_cycle_between_modules_of_different_apps():
    assert cycles_between_apps(_real_graph()) == []


def test_it_counts_imports_made_inside_functions():
    # WebhooksConfig.ready() imports notify.delivery in its body: the graph must hold that import.
    assert _real_graph().direct_import_exists(
        importer="civicdesk.webhooks.apps", imported="civicdesk.notify.delivery"
    )


@pytest.mark.parametrize(
    ("importer", "imported", "breaks"),
    [
        # lib/ imports no domain (lib.fulltext is what remains in lib of the old lib.search)
        ("civicdesk.lib.fulltext", "civicdesk.cases.models", {"layers", "acyclic"}),
        # adapters do not import each other
        ("civicdesk.api.cases", "civicdesk.staff.queue", {"layers"}),
        ("civicdesk.api.cases", "civicdesk.staff.paging", {"layers"}),
        # the domain imports no page, wire format or the demo city (and the demo imports the domain)
        ("civicdesk.cases.management.commands.load_demo", "civicdesk.demo.load", {"layers", "acyclic"}),
        # places is domain: it may not borrow the transfer app's file readers (an integration)
        ("civicdesk.places.importer", "civicdesk.transfer.readers", {"layers"}),
        # no cycle between apps (webhooks.sender imports notify.delivery)
        ("civicdesk.notify.delivery", "civicdesk.webhooks.sender", {"layers", "acyclic"}),
    ],
)
def test_it_fails_when_a_violation_is_put_back(importer, imported, breaks):
    assert broken_contracts(graph_with((importer, imported))) == breaks


def test_it_fails_on_a_module_cycle_through_the_actions_calls_into_the_apps_they_run():
    """cases.actions may call routing.rules (the acyclic contract ignores that import), but routing
    importing the actions back would be a cycle between modules: found by the module check."""
    graph = graph_with(("civicdesk.routing.rules", "civicdesk.cases.actions"))
    assert ("civicdesk.cases.actions", "civicdesk.routing.rules") in cycles_between_apps(graph)
    assert cycles_between_apps(graph_with(("civicdesk.notify.delivery", "civicdesk.webhooks.sender")))
