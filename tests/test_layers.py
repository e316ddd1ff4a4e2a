"""Layers only point down: the import-linter contracts of pyproject.toml hold, and no two
modules of the package import each other, even through imports inside functions."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from itertools import combinations
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
    "importlinter"
]
CONTRACTS = [c["id"] for c in CONFIG["contracts"]]

#: Imports that break the layers today (pyproject.toml lists them for the contracts), each in a
#: file being rewritten by its owner (issue 10).
KNOWN_BAD_IMPORTS = [
    tuple(line.split(" -> "))
    for line in next(c for c in CONFIG["contracts"] if c["id"] == "layers").get(
        "ignore_imports", []
    )
]


def lint_imports(contract: str) -> subprocess.CompletedProcess:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("import-linter is not installed (pip install -e '.[dev]')")
    return subprocess.run(
        [exe, "--config", "pyproject.toml", "--contract", contract, "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def module_cycles(graph: grimp.ImportGraph) -> set[tuple[str, str]]:
    """Pairs of modules ``(a, b)``, ``a < b``, each importing the other directly or through
    a chain of other modules."""
    return {
        (a, b)
        for a, b in combinations(sorted(graph.modules), 2)
        if graph.chain_exists(a, b) and graph.chain_exists(b, a)
    }


def test_the_contracts_cover_layers_and_the_cli():
    kinds = {c["id"]: c["type"] for c in CONFIG["contracts"]}
    assert kinds == {"layers": "layers", "cli-on-top": "protected"}
    layers = next(c for c in CONFIG["contracts"] if c["id"] == "layers")
    assert layers["layers"][0] == "cli" and layers["layers"][-1] == "errors"
    assert layers["exhaustive"], "a new top-level module must be given a layer"


@pytest.mark.parametrize("contract", CONTRACTS)
def test_import_contract_is_kept(contract):
    result = lint_imports(contract)
    assert result.returncode == 0, result.stdout + result.stderr


def test_cycle_finder_sees_cycles_through_other_modules():
    graph = grimp.ImportGraph()
    for importer, imported in [("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.c", "p.d")]:
        graph.add_import(importer=importer, imported=imported)
    assert module_cycles(graph) == {("p.a", "p.b"), ("p.a", "p.c"), ("p.b", "p.c")}


@pytest.fixture
def package_graph() -> grimp.ImportGraph:
    # grimp reads every import statement, those inside functions included
    return grimp.build_graph("vnsim", cache_dir=None)


def test_imports_inside_functions_are_in_the_graph(package_graph):
    # vnsim.cli.run imports the plan only inside its command (to start fast)
    assert package_graph.direct_import_exists(
        importer="vnsim.cli.run", imported="vnsim.core.planning"
    )


def test_no_import_cycle_but_through_the_known_bad_imports(package_graph):
    for importer, imported in KNOWN_BAD_IMPORTS:
        package_graph.remove_import(importer=importer, imported=imported)
    assert module_cycles(package_graph) == set()


def test_no_import_cycle_at_all(package_graph):
    assert module_cycles(package_graph) == set()
