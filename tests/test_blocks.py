"""The Block interface: a fourth block is one module plus one registry line.

The test copies the package, adds ``tests/fixtures/toy_block/toy.py`` as ``vnsim/blocks/toy.py``
and one entry to ``BLOCKS``, touching no other module, and checks in a fresh interpreter that
the toy block's variable reaches ``ensemble.nc``, ``summary.csv``, the scenario schema, lever
targets and what a target set can measure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import vnsim
from vnsim.blocks import BLOCKS, VARIABLES

REPO = Path(__file__).resolve().parents[1]
TOY = Path(__file__).parent / "fixtures" / "toy_block" / "toy.py"

CHECK = r"""
import json, sys
import pandas as pd, xarray as xr
from vnsim.cli import main
from vnsim.spec.scenario import json_schema, load_scenario
from vnsim.spec.targets import INDICATORS, TargetSet
from vnsim.run.simulate import simulate
from vnsim.analysis.scorecard import attainment

scenario, out = sys.argv[1], sys.argv[2]
assert main(["run", scenario, "--draws", "32", "--out", out, "--quiet"]) == 0
ds = xr.open_dataset(out + "/ensemble.nc", engine="h5netcdf")
summary = pd.read_csv(out + "/summary.csv")
mem = simulate(load_scenario(scenario), 32, 1)
target = TargetSet.model_validate({"name": "toy", "title": "t", "title_vi": "t", "targets": [{
    "id": "toy_2025", "description": "toy", "description_vi": "toy", "indicator": "toy_level",
    "comparison": ">=", "threshold": 1.2, "unit": "1", "year": 2025,
    "source": {"decision": "test", "confidence": "V"}}]})
print(json.dumps({
    "nc": ds.toy_level.values.tolist(),
    "summary": sorted(set(summary.variable)),
    "schema": "toy" in json_schema()["properties"],
    "lever": "toy.rate" in json.dumps(json_schema()),
    "indicator": "toy_level" in INDICATORS,
    "p": attainment(mem, target.targets[0]),
}))
"""

SCENARIO = """
extends: baseline.yaml
name: toy-run
toy: {start: 1.0, rate: 0.1}
levers:
  toy_push:
    source: "assumption: test"
    schedule: {2024: 1.0}
    effects: [{target: toy.rate, size: 0.05}]
"""


@pytest.mark.slow
def test_a_fourth_block_is_one_module_and_one_registry_line(tmp_path):
    package = tmp_path / "src" / "vnsim"
    shutil.copytree(
        Path(vnsim.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copytree(REPO / "scenarios", tmp_path / "src" / "scenarios")
    shutil.copy(TOY, package / "blocks" / "toy.py")
    registry = package / "blocks" / "__init__.py"
    text = registry.read_text()
    line = "BLOCKS: tuple[Block, ...] = (market.BLOCK, dossiers.BLOCK, egov.BLOCK)"
    assert line in text
    registry.write_text(
        text.replace(line, line[:-1] + ", toy.BLOCK)").replace(
            "from vnsim.blocks import dossiers, egov, market",
            "from vnsim.blocks import dossiers, egov, market, toy",
        )
    )
    scenario = tmp_path / "src" / "scenarios" / "toy.yaml"
    scenario.write_text(SCENARIO)
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "src"), "VNSIM_DATA_HOME": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-c", CHECK, str(scenario), str(tmp_path / "run")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    # 1.0 in 2022, then +10 %/yr, and +5 points more from the lever's first year 2024
    first = got["nc"][0]
    assert first[:4] == pytest.approx([1.0, 1.1, 1.1 * 1.15, 1.1 * 1.15**2])
    assert "toy_level" in got["summary"]
    assert got["schema"] and got["lever"] and got["indicator"]
    assert got["p"] == 1.0  # 1.1 * 1.15**3 >= 1.2 in every draw
    # the package itself was not changed
    assert "toy" not in {b.name for b in BLOCKS} and "toy_level" not in VARIABLES
