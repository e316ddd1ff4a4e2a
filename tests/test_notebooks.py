"""The researchers' notebooks: stripped, paired with their py:percent scripts, parameterised.

Running them is ``pytest --nbmake`` (``notebooks`` is in pytest's testpaths); these tests check
what a run cannot: that committed notebooks carry no outputs, that each ``.ipynb`` says the same
as its reviewable ``.py``, and that the first code cell holds the parameters.
"""

from __future__ import annotations

import ast
from pathlib import Path

import jupytext
import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
EXPECTED = (
    "01_targets_after_the_fact",
    "02_scenario_comparison",
    "03_sensitivity_and_what_it_takes",
    "04_forecast_skill",
)
IPYNB = sorted(NOTEBOOKS.glob("*.ipynb"))
# The public API the notebooks may use (modules of the package); anything else is internal.
PUBLIC = {
    "vnsim",
    "vnsim.spec.scenario",
    "vnsim.run.simulate",
    "vnsim.present.charts",
    "vnsim.present.tables",
    "vnsim.spec.targets",
    "vnsim.analysis.what_it_takes",
    "vnsim.analysis.sensitivity",
    "vnsim.analysis.backtest",
    "vnsim.run.store",
    "vnsim.analysis.summary",
    "vnsim.analysis.scorecard",
    "vnsim.analysis.hindsight",
    "vnsim.datasets",
}


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def _code(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


def test_every_notebook_is_there_with_its_script():
    assert [p.stem for p in IPYNB] == list(EXPECTED)
    for stem in EXPECTED:
        assert (NOTEBOOKS / f"{stem}.py").is_file(), f"{stem}.py (jupytext pair) is missing"


@pytest.mark.parametrize("path", IPYNB, ids=_ids(IPYNB))
def test_outputs_are_stripped(path: Path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for i, cell in enumerate(_code(nb)):
        assert cell.get("outputs") == [], f"code cell {i} has outputs"
        assert cell.get("execution_count") is None, f"code cell {i} has an execution count"


@pytest.mark.parametrize("path", IPYNB, ids=_ids(IPYNB))
def test_in_sync_with_py_percent(path: Path):
    script = path.with_suffix(".py")
    from_ipynb = jupytext.read(path)
    from_py = jupytext.read(script, fmt="py:percent")
    left = [(c.cell_type, c.source.strip()) for c in from_ipynb.cells]
    right = [(c.cell_type, c.source.strip()) for c in from_py.cells]
    assert len(left) == len(right), f"{path.name} and {script.name} differ in their cell count"
    for i, (a, b) in enumerate(zip(left, right, strict=True)):
        assert a == b, f"cell {i} differs between {path.name} and {script.name}"
    formats = from_ipynb.metadata.get("jupytext", {}).get("formats", "")
    assert "py:percent" in formats, "notebook metadata does not pair it with py:percent"


@pytest.mark.parametrize("path", IPYNB, ids=_ids(IPYNB))
def test_first_code_cell_is_tagged_parameters(path: Path):
    nb = nbformat.read(path, as_version=4)
    cells = _code(nb)
    assert cells, "no code cell"
    first = cells[0]
    assert "parameters" in first.metadata.get("tags", []), "first code cell lacks the tag"
    assigned = {
        t.id
        for node in ast.parse(first.source).body
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    assert {"DRAWS", "SEED", "LANG"} <= assigned, f"parameters cell assigns {sorted(assigned)}"
    assert "VNSIM_NOTEBOOK_DRAWS" in first.source, "DRAWS must honour VNSIM_NOTEBOOK_DRAWS"
    # only one parameters cell, so papermill injects in one place
    tagged = [c for c in cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1


def non_public_uses(source: str) -> list[str]:
    """What a cell's code uses of vnsim beyond :data:`PUBLIC`: internal modules, private names
    and private attributes (IPython magics are skipped)."""
    source = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("%"))
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "vnsim":
            # `from vnsim.present import charts` imports the public module vnsim.present.charts
            modules = {f"{node.module}.{a.name}" for a in node.names}
            if node.module not in PUBLIC and not modules <= PUBLIC:
                found.append(f"internal module {node.module}")
            found += [f"private name {a.name}" for a in node.names if a.name.startswith("_")]
        elif isinstance(node, ast.Import):
            found += [
                f"internal module {a.name}"
                for a in node.names
                if a.name.split(".")[0] == "vnsim" and a.name not in PUBLIC
            ]
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            if not node.attr.startswith("__"):
                found.append(f"private attribute {node.attr}")
    return found


def test_non_public_uses_are_found():
    source = (
        "%matplotlib inline\n"
        "import vnsim\n"
        "from vnsim.present import charts\n"
        "from vnsim.run.executors import run\n"
        "import vnsim.core.plan\n"
        "from vnsim.run.simulate import _private\n"
        "x = charts._helper\n"
    )
    assert non_public_uses(source) == [
        "internal module vnsim.run.executors",
        "internal module vnsim.core.plan",
        "private name _private",
        "private attribute _helper",
    ]


@pytest.mark.parametrize("path", IPYNB, ids=_ids(IPYNB))
def test_uses_only_public_api(path: Path):
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(_code(nb)):
        assert non_public_uses(cell.source) == [], f"code cell {i}"


def _code_cells(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "code"]


CHART_CALL = ("charts.", "plot_backtest(")


@pytest.mark.parametrize("path", IPYNB, ids=lambda p: p.stem)
def test_every_vnsim_chart_is_displayed(path):
    """A figure vnsim returns is not attached to pyplot: plt.show() would show nothing."""
    for source in _code_cells(path):
        for line in source.splitlines():
            code = line.split("#", 1)[0]
            if any(call in code for call in CHART_CALL) and "import" not in code:
                assert "display(" in code or "=" in code.split("(", 1)[0], line
        if any(call in source for call in CHART_CALL) and "plt.show()" in source:
            assert "plt.subplots" in source, "plt.show() after a vnsim chart shows nothing"


@pytest.mark.parametrize("path", IPYNB, ids=lambda p: p.stem)
def test_parameters_are_plain_values_papermill_can_replace(path):
    """Each parameter is a literal (or an environment lookup) with an apostrophe-free comment,
    so that papermill parses the cell and ``-p NAME value`` changes everything derived from it."""
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    for line in cell.source.splitlines():
        if "#" in line:
            assert "'" not in line.split("#", 1)[1], line
    for node in ast.parse(cell.source).body:
        if isinstance(node, ast.Assign):
            names = {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)}
            assert names <= {"int", "float", "os", "None"}, ast.unparse(node)


@pytest.mark.slow
def test_executed_backtest_notebook_shows_its_chart(monkeypatch):
    """Run notebook 04 with few draws: its chart cell has an image output."""
    from nbclient import NotebookClient

    monkeypatch.setenv("VNSIM_NOTEBOOK_DRAWS", "8")
    nb = nbformat.read(NOTEBOOKS / "04_forecast_skill.ipynb", as_version=4)
    NotebookClient(nb, timeout=600, resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    charts = [c for c in nb.cells if c.cell_type == "code" and "plot_backtest(result" in c.source]
    assert charts
    for cell in charts:
        kinds = {k for out in cell.outputs for k in out.get("data", {})}
        assert "image/png" in kinds, cell.source
