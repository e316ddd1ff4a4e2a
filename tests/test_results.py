"""Results: summary table, headline numbers, the streamed ensemble file and atomic run folders."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from vnsim.core import engine
from vnsim.run import executors, store
from vnsim.run.simulate import simulate
from vnsim.spec.scenario import load_scenario

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "scenarios"
DRAWS = 96
SEED = 3
COLUMNS = [
    "variable",
    "unit",
    "time_kind",
    "time",
    "country",
    "level",
    "mean",
    "p05",
    "p10",
    "p25",
    "p50",
    "p75",
    "p90",
    "p95",
]


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(FIXTURES / "engine.yaml")


@pytest.fixture(scope="module")
def ds(scenario) -> xr.Dataset:
    return simulate(scenario, DRAWS, SEED)


@pytest.fixture(scope="module")
def streamed(scenario, tmp_path_factory):
    """ensemble.nc written chunk by chunk, and the in-memory summary Dataset it returns."""
    p = engine.plan(scenario, DRAWS, SEED)
    path = tmp_path_factory.mktemp("run") / "ensemble.nc"
    writer = store.EnsembleFile(path, p, store.provenance(p))
    # uneven chunks that cross no particular boundary, and in reverse order
    ranges = executors.chunks(DRAWS, 25)
    for start, stop in reversed(ranges):
        writer.write(start, stop, engine.run_chunk(p, start, stop))
    return path, writer.close()


def test_summary_is_tidy_and_matches_direct_quantiles(ds):
    table = store.summarise(ds)
    assert list(table.columns) == COLUMNS
    assert not table.duplicated(["variable", "time", "country", "level"]).any()
    market = table[table.variable == "market_size"].set_index("time")
    assert list(market.index) == list(ds.year.values)
    assert (market.unit == "USD bn").all() and (market.time_kind == "year").all()
    for year in (2022, 2025, 2030):
        values = ds.market_size.sel(year=year).values
        assert market.loc[year, "p50"] == pytest.approx(np.quantile(values, 0.5))
        assert market.loc[year, "p05"] == pytest.approx(np.quantile(values, 0.05))
        assert market.loc[year, "mean"] == pytest.approx(values.mean())
    quantiles = market[["p05", "p10", "p25", "p50", "p75", "p90", "p95"]].to_numpy()
    assert np.all(np.diff(quantiles, axis=1) >= 0)
    # growth has no base-year row
    growth = table[table.variable == "market_growth"]
    assert ds.year.values[0] not in set(growth.time)


def test_summary_levels_countries_and_probabilities(ds):
    table = store.summarise(ds)
    levels = table[table.variable == "dossiers_online"]
    assert set(levels.level) == {"ministry_province", "district", "commune"}
    commune = levels[levels.level == "commune"].set_index("time")
    assert commune.loc[2025, "p50"] == pytest.approx(
        float(ds.dossiers_online.sel(level="commune", year=2025).median())
    )
    ranks = table[table.variable == "egdi_rank"]
    assert set(ranks.country) == {"VNM"} and set(ranks.time) == set(ds.edition.values)
    assert (ranks.time_kind == "edition").all()
    prob = table[table.variable == "P(market_size>=25)"].set_index("time")
    assert (prob.unit == "probability").all()
    for year in ds.year.values:
        assert prob.loc[year, "mean"] == pytest.approx(
            float((ds.market_size.sel(year=year) >= 25).mean())
        )
    top50 = table[table.variable == "P(egdi_rank<=50)"].set_index("time")
    for edition in ds.edition.values:
        assert top50.loc[edition, "mean"] == pytest.approx(
            float((ds.egdi_rank.sel(country="VNM", edition=edition) <= 50).mean())
        )


def test_headline_numbers(ds):
    head = store.headline(ds, year=2025)
    m = ds.market_size.sel(year=2025).values
    market = head["market"]
    assert market["year"] == 2025 and market["unit"] == "USD bn"
    assert market["median"] == pytest.approx(np.quantile(m, 0.5))
    assert market["p10"] == pytest.approx(np.quantile(m, 0.1))
    assert market["p90"] == pytest.approx(np.quantile(m, 0.9))
    assert market["p_at_least_25"] == pytest.approx((m >= 25).mean())
    assert market["p_at_least_30"] == pytest.approx((m >= 30).mean())
    assert head["draws"] == DRAWS and head["seed"] == SEED
    assert [r["edition"] for r in head["egdi_rank"]] == list(ds.edition.values)
    last = head["egdi_rank"][-1]
    rank = ds.egdi_rank.sel(country="VNM", edition=last["edition"]).values
    assert last["median"] == pytest.approx(np.median(rank))
    assert last["p_top_70"] == pytest.approx((rank <= 70).mean())
    assert head["dossiers"]["p_commune_at_least_0.6"] == pytest.approx(
        float((ds.dossiers_online.sel(year=2025, level="commune") >= 0.6).mean())
    )
    json.dumps(head)  # plain JSON types only


def test_headline_without_the_year_leaves_out_year_numbers(ds):
    head = store.headline(ds, year=2040)
    assert "market" not in head and "dossiers" not in head
    assert "egdi_rank" in head


def test_streamed_file_equals_in_memory_simulation(ds, streamed):
    path, _ = streamed
    with store.open_run(path.parent) as disk:
        assert set(store.VARIABLES) <= set(disk.data_vars)
        for name in store.VARIABLES:
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
    pd.testing.assert_frame_equal(store.summarise(small), store.summarise(ds))
    assert store.headline(small) == {**store.headline(ds)}


def test_to_dataset_from_joined_chunks(scenario, ds):
    p = engine.plan(scenario, DRAWS, SEED)
    arrays = executors.run(p, chunk_size=50)
    again = store.to_dataset(p, arrays)
    for name in store.VARIABLES:
        np.testing.assert_array_equal(again[name].values, ds[name].values, err_msg=name)


def test_manifest_records_what_is_needed_to_reproduce(scenario):
    p = engine.plan(scenario, 8, 5)
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
        assert not target.exists()
    assert (target / "summary.csv").read_text() == "x"
    assert (target / "COMPLETE").exists()
    assert leftovers(tmp_path) == ["r1"]


def test_run_folder_refuses_existing_unless_forced(tmp_path):
    target = tmp_path / "r1"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(FileExistsError, match="--force"):
        store.RunFolder(target)
    with store.RunFolder(target, force=True) as tmp:
        (tmp / "new.txt").write_text("new")
    assert leftovers(target) == ["COMPLETE", "new.txt"]
    assert leftovers(tmp_path) == ["r1"]


def test_forced_run_folder_keeps_the_old_one_if_the_body_fails(tmp_path):
    target = tmp_path / "r1"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(RuntimeError), store.RunFolder(target, force=True):
        raise RuntimeError
    assert leftovers(target) == ["old.txt"]
    assert leftovers(tmp_path) == ["r1"]
