"""The run summary and headline: every registered variable's quantiles, every target's P(met)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from vnsim.analysis.scorecard import met
from vnsim.analysis.summary import COLUMNS, headline, summarise
from vnsim.blocks import VARIABLES
from vnsim.run.simulate import simulate
from vnsim.spec.scenario import load_scenario
from vnsim.spec.targets import TargetSet, load_targets

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "scenarios"
DRAWS = 96


@pytest.fixture(scope="module")
def ds() -> xr.Dataset:
    return simulate(load_scenario(FIXTURES / "engine.yaml"), DRAWS, 3)


def test_summary_is_tidy_and_matches_direct_quantiles(ds):
    table = summarise(ds)
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
    assert np.all(np.diff(market[COLUMNS[-7:]].to_numpy(), axis=1) >= 0)
    growth = table[table.variable == "market_growth"]
    assert ds.year.values[0] not in set(growth.time)  # no growth in the base year


def test_summary_lists_every_registered_variable_over_time(ds):
    table = summarise(ds)
    wanted = {n for n, v in VARIABLES.items() if v.summary and v.time is not None}
    assert set(table.variable) - {v for v in table.variable if v.startswith("P(")} == wanted
    levels = table[table.variable == "dossiers_online"]
    assert set(levels.level) == {"ministry_province", "district", "commune"}
    ranks = table[table.variable == "egdi_rank"]
    assert set(ranks.country) == {"VNM"} and set(ranks.time) == set(ds.edition.values)


def test_summary_probabilities_come_from_the_target_set(ds):
    targets = load_targets()
    table = summarise(ds, targets).set_index("variable")
    for t in targets.targets:
        row = table.loc[f"P({t.id})"]
        assert row.unit == "probability" and row.time == t.when
        assert row["mean"] == pytest.approx(float(np.mean(met(ds, t))))
    # another set gives other rows: nothing about thresholds is written in the summary code
    one = TargetSet.model_validate(
        {**targets.model_dump(), "targets": [{**targets.targets[0].model_dump(), "id": "mine"}]}
    )
    probabilities = summarise(ds, one).query("unit == 'probability'")
    assert list(probabilities.variable) == ["P(mine)"]


def test_summary_follows_the_focus_country(ds):
    tha = ds.assign_attrs(focus_country="THA")
    ranks = summarise(tha).query("variable == 'egdi_rank'")
    assert set(ranks.country) == {"THA"}
    assert ranks.set_index("time").loc[2026, "p50"] == pytest.approx(
        float(ds.egdi_rank.sel(country="THA", edition=2026).median())
    )


def test_headline_numbers(ds):
    targets = load_targets()
    head = headline(ds, targets)
    assert head["draws"] == DRAWS and head["target_set"] == targets.name
    by_id = {t["id"]: t for t in head["targets"]}
    assert set(by_id) == set(targets.ids)
    for t in targets.targets:
        if by_id[t.id]["status"] == "not observable" and by_id[t.id]["probability"] is None:
            assert "not observable after 2025" in by_id[t.id]["reason"]  # the district, 2030
            continue
        assert by_id[t.id]["probability"] == pytest.approx(float(np.mean(met(ds, t))))
    assert [r["edition"] for r in head["egdi_rank"]] == list(ds.edition.values)
    last = head["egdi_rank"][-1]
    rank = ds.egdi_rank.sel(country="VNM", edition=last["edition"]).values
    assert last["median"] == pytest.approx(np.median(rank))
    json.dumps(head)  # plain JSON types only
