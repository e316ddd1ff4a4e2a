"""The benchmark's floor part runs and records its ratios (no timing is asserted)."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def bench():
    path = ROOT / "benchmarks" / "run.py"
    spec = importlib.util.spec_from_file_location("vnsim_benchmarks", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_floor_part_records_the_ratios(bench, tmp_path):
    # a stand-in for ../shared/bench/floor.py (absent from a fresh clone): same command line
    floor = tmp_path / "floor.py"
    floor.write_text("import sys\nimport numpy\nprint(int(sys.argv[1]) * int(sys.argv[2]))\n")
    out = bench.floor_part(floor, bench.DEFAULT_SCENARIO, draws=64, repeats=2)
    assert out["command"].endswith(f"floor.py 64 {bench.FLOOR_EDITIONS}")
    assert len(out["runs"]) == 2
    # 64 draws are too few to fork workers for
    assert [r["whole_run_executor"] for r in out["runs"]] == ["inprocess", "inprocess"]
    for key in ("ratio_egov_child", "ratio_whole_run", "floor_s", "egov_inprocess_s"):
        assert out["median"][key] > 0
    # the stand-in has no arithmetic, so this ratio (to the floor less its start-up) is noise
    assert math.isfinite(out["median"]["ratio_egov_inprocess"])
    egov = out["runs"][0]["egov"]
    assert egov["editions"] == [2024, 2026, 2028, 2030]
    assert set(egov["egov_split_s"]) == {"start", "advance", "observe"}
    assert "floor" in bench.table({"machine": bench.machine(), "ensembles": [], "floor": out})


def test_floor_part_is_skipped_without_the_floor(bench, tmp_path, capsys):
    missing = tmp_path / "no_floor.py"
    json_out = tmp_path / "out.json"
    args = ["--draws", "--no-speed", "--floor", str(missing), "--json", str(json_out)]
    assert bench.main(args) == 0
    assert f"no floor script at {missing}" in capsys.readouterr().out
    assert "skipped" in json_out.read_text()
