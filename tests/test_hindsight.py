"""Targets judged after the fact (vnsim.analysis.hindsight) and their place in the scorecard
and the ``vnsim targets`` command."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from vnsim.analysis import hindsight, scorecard
from vnsim.cli import main
from vnsim.spec.targets import Target, load_targets


def target(**fields) -> Target:
    base = {
        "id": "t",
        "description": "a target",
        "description_vi": "một mục tiêu",
        "source": {"decision": "test", "confidence": "V"},
    }
    return Target.model_validate(base | fields)


RANK_2024 = {"indicator": "egdi_rank", "country": "VNM", "comparison": "<=", "unit": "rank"}


def test_observed_outcomes_come_from_the_data_of_the_vintage():
    rank = target(**RANK_2024, threshold=50, edition=2024)
    got = hindsight.observed(rank)
    assert got.value == 71 and "UN E-Government Survey 2024" in got.source
    assert hindsight.observed(rank, as_of=2023) is None  # published in September 2024
    asean = target(
        indicator="asean_position", comparison="<=", threshold=3, unit="position", edition=2024
    )
    got = hindsight.observed(asean)
    assert got.value == 5 and "10 ASEAN members" in got.source
    share = target(
        indicator="admin_fully_online", comparison=">=", threshold=0.8, unit="share 0-1", year=2024
    )
    assert hindsight.observed(share).value == 0.458
    # as of 2024 only the mid-year reading exists: it is not the year's outcome
    assert hindsight.observed(share, as_of=2024) is None
    market = target(
        indicator="market_size", comparison=">=", threshold=25, unit="USD bn", year=2024
    )
    assert "no official series" in hindsight.observed(market)


@given(st.lists(st.integers(1, 193), min_size=1, max_size=50), st.integers(1, 193))
def test_pit_is_the_share_below_plus_half_the_ties(values, outcome):
    v = np.array(values, dtype=float)
    got = hindsight.pit(v, outcome)
    assert 0 <= got <= 1
    assert got == pytest.approx((v < outcome).mean() + 0.5 * (v == outcome).mean())


def test_pit_of_known_draws():
    assert hindsight.pit(np.array([1, 2, 3, 4.0]), 3) == 0.625
    assert hindsight.pit(np.array([1, 2, 3, 4.0]), 0) == 0.0
    assert np.isnan(hindsight.pit(np.array([np.nan]), 3))


def test_the_2025_survey_targets_are_judged_and_the_rest_are_ahead():
    judged = hindsight.judged(load_targets())
    assert judged.loc["egdi_rank_top50_2025", "status"] == "missed"
    assert judged.loc["egdi_rank_top50_2025", "observed"] == 71
    assert judged.loc["asean_top3_2025", "status"] == "missed"
    assert judged.loc["market_25bn_2025", "status"] == "not observable"
    assert judged.loc["admin_fully_online_80_2025", "status"] == "forecast"  # 2025 not yet out
    assert judged.loc["egdi_rank_up2_2026", "status"] == "forecast"
    assert judged.loc["egdi_rank_top50_2030", "status"] == "forecast"
    top70 = hindsight.judged(load_targets("decision_749_2025")).loc["egdi_rank_top70_2025"]
    assert (top70["status"], top70["observed"]) == ("missed", 71)  # by one place
    as_2022 = hindsight.judged(load_targets(), as_of=2022)
    assert (as_2022["status"] != "missed").all() and (as_2022["status"] != "met").all()


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "baseline"
    assert main(["run", "--draws", "300", "--out", str(out), "--quiet"]) == 0
    return out


def test_targets_reports_outcomes_beside_the_2022_vintage(run_folder, capsys):
    assert main(["targets", str(run_folder), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    rows = {r["target"]: r for r in doc["rows"]}
    top50 = rows["egdi_rank_top50_2025"]
    assert (top50["status"], top50["observed"]) == ("missed", 71)
    assert 0 <= top50["vintage_probability"] < 0.2  # the 2022 forecast gave it little chance
    assert 0 < top50["vintage_pit"] < 1
    assert rows["egdi_rank_up2_2026"]["vintage_probability"] is None  # not judged yet
    assert doc["vintage"] == 2022
    assert main(["targets", str(run_folder)]) == 0
    text = capsys.readouterr().out
    assert "missed by 21 places: observed 71, UN E-Government Survey 2024" in text
    assert "the 2022 vintage gave P(met) = " in text
    assert main(["targets", str(run_folder), "--targets", "decision_749_2025"]) == 0
    assert "top 70 of the UN EGDI ranking by 2025: missed by 1 place: observed 71" in (
        capsys.readouterr().out
    )
    assert main(["targets", str(run_folder), "--vintage", "none", "--lang", "vi"]) == 0
    text = capsys.readouterr().out
    assert "không đạt" in text and "không có dự báo trước đó để so sánh" in text


def test_the_vintage_probability_is_that_of_an_as_of_run(run_folder):
    from vnsim.datasets import shipped_scenarios
    from vnsim.run import store
    from vnsim.spec.scenario import load_scenario

    ds = store.open_run(run_folder)
    vintage = hindsight.vintage_forecast(
        load_scenario(shipped_scenarios() / "baseline.yaml"), 2022, 300, ds.attrs["seed"]
    )
    assert list(vintage.edition.values[:2]) == [2022, 2024]
    card = scorecard.scorecard({"b": ds}, load_targets(), {"b": vintage}).set_index("target")
    rank = vintage.egdi_rank.sel(country="VNM", edition=2024).values
    assert card.loc["egdi_rank_top50_2025", "vintage_probability"] == pytest.approx(
        np.mean(rank <= 50)
    )
    assert card.loc["egdi_rank_top50_2025", "vintage_pit"] == pytest.approx(hindsight.pit(rank, 71))
    assert pd.isna(card.loc["egdi_rank_top50_2030", "vintage_probability"])


def test_a_target_after_its_series_ended_is_not_observable_rather_than_a_probability(
    run_folder, capsys
):
    from vnsim.analysis.summary import headline
    from vnsim.run import store

    ds = store.open_run(run_folder)
    card = scorecard.scorecard({"b": ds}, load_targets()).set_index("target")
    district = card.loc["work_dossiers_district_90_2030"]
    assert district["status"] == "not observable" and pd.isna(district["probability"])
    assert "not observable after 2025" in district["reason"] and "district" in district["reason"]
    assert card.loc["work_dossiers_district_80_2025", "status"] == "forecast"  # 2025 still exists
    rows = {t["id"]: t for t in headline(ds)["targets"]}
    assert rows["work_dossiers_district_90_2030"]["probability"] is None
    assert main(["targets", str(run_folder), "--vintage", "none"]) == 0
    assert "work_dossiers_district_90_2030: not observable after 2025" in capsys.readouterr().out


def test_the_south_east_asia_position_counts_the_subregion_in_every_edition(run_folder):
    from vnsim.run import store

    seasia = target(
        indicator="southeast_asia_position",
        comparison="<=",
        threshold=3,
        unit="position",
        edition=2024,
    )
    got = hindsight.observed(seasia)
    assert got.value == 5 and "11 countries of South-eastern Asia" in got.source
    ds = store.open_run(run_folder)
    # Timor-Leste is in ASEAN from the 2026 edition on: the two positions then agree
    later = ds.edition[ds.edition >= 2026]
    np.testing.assert_array_equal(
        ds.southeast_asia_position.sel(edition=later), ds.asean_position.sel(edition=later)
    )
    assert (ds.southeast_asia_position.sel(edition=2024) == 5).all()
