"""Results: summary table, headline numbers, the streamed ensemble file and atomic run folders."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from vnsim.analysis.summary import headline, summarise
from vnsim.blocks import VARIABLES
from vnsim.core import engine, planning
from vnsim.errors import RunFolderError
from vnsim.run import executors, store
from vnsim.run.simulate import simulate
from vnsim.spec.scenario import load_scenario

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "scenarios"
DRAWS = 96
SEED = 3


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(FIXTURES / "engine.yaml")


@pytest.fixture(scope="module")
def ds(scenario) -> xr.Dataset:
    return simulate(scenario, DRAWS, SEED)


@pytest.fixture(scope="module")
def streamed(scenario, tmp_path_factory):
    """ensemble.nc written chunk by chunk, and the in-memory summary Dataset it returns."""
    p = planning.plan(scenario, DRAWS, SEED)
    path = tmp_path_factory.mktemp("run") / "ensemble.nc"
    writer = store.EnsembleFile(path, p, store.provenance(p))
    # uneven chunks that cross no particular boundary, and in reverse order
    ranges = executors.chunks(DRAWS, 25)
    for start, stop in reversed(ranges):
        writer.write(start, stop, engine.run_chunk(p, start, stop))
    return path, writer.close()


def test_streamed_file_equals_in_memory_simulation(ds, streamed):
    path, _ = streamed
    with store.open_run(path.parent) as disk:
        assert set(VARIABLES) <= set(disk.data_vars)
        for name in VARIABLES:
            assert disk[name].dims == ds[name].dims, name
            assert disk[name].dtype == ds[name].dtype, name
            np.testing.assert_array_equal(disk[name].values, ds[name].values, err_msg=name)
            assert disk[name].attrs["units"] == ds[name].attrs["units"]
            assert disk[name].attrs["description"] == ds[name].attrs["description"]
        for coord in ("draw", "year", "edition", "country", "level", "lever", "input"):
            assert list(disk[coord].values) == list(ds[coord].values), coord
        for key in ("scenario", "scenario_hash", "seed", "draws", "sampler", "data_version"):
            assert disk.attrs[key] == ds.attrs[key], key


def test_streamed_summary_dataset_gives_the_same_summary(ds, streamed):
    _, small = streamed
    assert list(small.country.values) == ["VNM"]
    pd.testing.assert_frame_equal(summarise(small), summarise(ds))
    assert headline(small) == headline(ds)


def test_to_dataset_from_joined_chunks(scenario, ds):
    p = planning.plan(scenario, DRAWS, SEED)
    arrays = executors.run(p, chunk_size=50)
    again = store.to_dataset(p, arrays)
    for name in VARIABLES:
        np.testing.assert_array_equal(again[name].values, ds[name].values, err_msg=name)


def test_manifest_records_what_is_needed_to_reproduce(scenario):
    p = planning.plan(scenario, 8, 5)
    attrs = store.provenance(p)
    m = store.manifest(p, attrs, "x.yaml", "abc")
    for key in (
        "scenario_hash",
        "seed",
        "draws",
        "sampler",
        "data_version",
        "package_version",
        "python",
        "numpy",
        "scenario_resolved",
        "scenario_file",
        "scenario_file_hash",
    ):
        assert key in m, key
    assert m["seed"] == 5 and m["draws"] == 8
    assert m["scenario_resolved"]["name"] == scenario.name
    assert m["numpy"] == np.__version__
    json.dumps(m, default=str)


# --- atomic run folders ---------------------------------------------------------------------


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir())


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_run_folder_leaves_nothing_when_the_body_raises(tmp_path, error):
    target = tmp_path / "runs" / "r1"
    with pytest.raises(error):
        with store.RunFolder(target) as tmp:
            (tmp / "ensemble.nc").write_text("half")
            assert tmp.parent == target.parent and tmp != target
            raise error("stop")
    assert not target.exists()
    assert leftovers(target.parent) == []


def test_run_folder_appears_complete(tmp_path):
    target = tmp_path / "r1"
    with store.RunFolder(target) as tmp:
        (tmp / "summary.csv").write_text("x")
        assert list(target.iterdir()) == []  # claimed, empty, not a finished run
        assert not store.is_finished_run(target)
    assert (target / "summary.csv").read_text() == "x"
    assert (target / "COMPLETE").exists()
    assert leftovers(tmp_path) == ["r1"]


def test_run_folder_refuses_existing_unless_forced(tmp_path):
    target = tmp_path / "r1"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(RunFolderError, match="--force"):
        store.RunFolder(target)
    with pytest.raises(RunFolderError, match="not a vnsim run folder"):
        store.RunFolder(target, force=True)
    (target / "old.txt").unlink()
    with store.RunFolder(target, force=True) as tmp:
        (tmp / "new.txt").write_text("new")
        (tmp / "manifest.json").write_text("{}")
    assert leftovers(target) == ["COMPLETE", "manifest.json", "new.txt"]
    assert leftovers(tmp_path) == ["r1"]
    with store.RunFolder(target, force=True) as tmp:  # a finished run is replaced
        (tmp / "manifest.json").write_text("{}")
    assert leftovers(target) == ["COMPLETE", "manifest.json"]


def test_forced_run_folder_keeps_the_old_one_if_the_body_fails(tmp_path):
    target = tmp_path / "r1"
    target.mkdir()
    for name in ("COMPLETE", "manifest.json"):
        (target / name).write_text("")
    with pytest.raises(RuntimeError), store.RunFolder(target, force=True):
        raise RuntimeError
    assert leftovers(target) == ["COMPLETE", "manifest.json"]
    assert leftovers(tmp_path) == ["r1"]
