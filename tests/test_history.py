"""Conditioning a plan on observations (vnsim.core.history): which readings are used, a case
with a known posterior, the shipped baseline against the 2024 reading, and the refusal."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from vnsim import datasets
from vnsim.core import engine, history, planning
from vnsim.core.conditioning import ConditioningError
from vnsim.run import executors
from vnsim.spec.scenario import load_scenario

BASELINE = datasets.shipped_scenarios() / "baseline.yaml"


def observation(series: str, start: str, end: str, value: float, sd: float, published: str):
    """One row in the layout of datasets.load_observations()."""
    return {
        "series": series,
        "period_start": pd.Timestamp(start),
        "period_end": pd.Timestamp(end),
        "value": value,
        "unit": "share 0-1",
        "sd": sd,
        "definition": "test reading",
        "source": "made for this test",
        "published": pd.Timestamp(published),
        "precision": "day",
    }


def scenario_file(tmp_path, **changes) -> object:
    """The baseline with top-level sections replaced, as a real YAML file, loaded."""
    data = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    data.update(changes)
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_scenario(path)


# --- which readings ----------------------------------------------------------------------------


def test_the_full_year_reading_supersedes_the_mid_year_one_and_earlier_years_inform_priors():
    chosen, unused = history.readings(load_scenario(BASELINE))
    assert [(r.observation.name, r.observation.value) for r in chosen] == [
        ("admin_fully_online 2024", 0.458)
    ]
    reasons = dict(unused)
    assert "before the base year 2022" in reasons["admin_fully_online 2019 (2019-01-01/2019-12-31)"]
    assert (
        "superseded by 2024-01-01/2024-12-31"
        in reasons["admin_fully_online 2024 (2024-01-01/2024-06-30)"]
    )
    assert "not a simulated series" in reasons["ict_sector_revenue 2024 (2024-01-01/2024-12-31)"]


def test_a_vintage_sees_only_what_was_published_by_then(tmp_path):
    as_2024 = scenario_file(tmp_path, as_of=2024)
    chosen, _ = history.readings(as_2024)  # the full-year figure came out in January 2025
    assert [(r.observation.value, r.observation.sd) for r in chosen] == [(0.43, 0.05)]
    as_2022 = scenario_file(tmp_path, as_of=2022)
    assert history.readings(as_2022)[0] == []


def test_the_inputs_resampled_are_those_of_the_observed_block():
    scenario = load_scenario(BASELINE)
    names = history.driving_inputs(scenario, history._observed_blocks()["admin_fully_online"])
    assert {"admin_base_2022", "admin_adoption_rate", "effect_online_services_dossiers"} <= names
    assert not names & {"market_growth", "market_base_2022", "effect_broadband_fixed"}


# --- a case with a known answer ------------------------------------------------------------------


def test_a_normal_prior_and_a_normal_reading_give_the_conjugate_posterior(tmp_path):
    """Observed at the base year, the share *is* its uncertain base value: a normal prior
    N(0.30, 0.05) and a reading 0.38 ± 0.03 have the posterior N(0.3588, 0.0257)."""
    data = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    data["uncertain"]["admin_base_2022"] = {
        "dist": "truncated_normal",
        "mean": 0.30,
        "sd": 0.05,
        "low": 0.0,
        "high": 0.8,  # 10 sd away: the truncation is negligible
        "unit": "share",
        "source": "test prior",
    }
    data["uncertain"]["adoption_ceiling"] = {
        "dist": "fixed",
        "value": 0.9,
        "unit": "share",
        "source": "test",
    }
    path = tmp_path / "conjugate.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    scenario = load_scenario(path)
    reading = pd.DataFrame(
        [observation("admin_fully_online", "2022-01-01", "2022-12-31", 0.38, 0.03, "2023-01-31")]
    )
    p = planning.plan(scenario, 4_000, 11, observations=reading)
    prior_var, obs_var = 0.05**2, 0.03**2
    post_var = 1 / (1 / prior_var + 1 / obs_var)
    post_mean = post_var * (0.30 / prior_var + 0.38 / obs_var)
    base = engine.run_chunk(p, 0, p.draws, through=2022)["admin_fully_online"][:, 0]
    se = np.sqrt(post_var / p.conditioning.ess)
    assert abs(base.mean() - post_mean) < 4 * se
    assert base.std() == pytest.approx(np.sqrt(post_var), rel=0.1)
    # the prior's mean is far outside: conditioning did something
    assert abs(base.mean() - 0.30) > 10 * se


# --- the shipped baseline and the 2024 reading ---------------------------------------------------


@pytest.fixture(scope="module")
def baseline_plan():
    return planning.plan(load_scenario(BASELINE), 1_000)


def test_the_baseline_agrees_with_the_2024_reading_within_its_error(baseline_plan):
    share = executors.run(baseline_plan)["admin_fully_online"]
    y2024 = share[:, 2024 - int(baseline_plan.years[0])]
    assert abs(np.median(y2024) - 0.458) < 0.02
    lo, hi = np.quantile(y2024, [0.05, 0.95])
    assert 0.458 - 2.5 * 0.02 < lo < 0.458 < hi < 0.458 + 2.5 * 0.02
    prior = planning.plan(baseline_plan.scenario, 1_000, condition=False)
    unconditioned = executors.run(prior)["admin_fully_online"][:, 2024 - int(prior.years[0])]
    width = np.subtract(*np.quantile(unconditioned, [0.95, 0.05]))
    assert width > 3 * (hi - lo)  # the priors alone spread far wider than the reading


def test_conditioning_is_part_of_the_plan_whatever_the_chunks(baseline_plan):
    whole = executors.run(baseline_plan)
    chunked = executors.run(baseline_plan, chunk_size=137)
    for name in ("admin_fully_online", "dossiers_online", "market_size", "egdi_rank"):
        np.testing.assert_array_equal(whole[name], chunked[name])
    again = planning.plan(baseline_plan.scenario, 1_000)
    for name, values in baseline_plan.inputs.items():
        np.testing.assert_array_equal(values, again.inputs[name])


def test_inputs_of_other_blocks_keep_their_prior_design(baseline_plan):
    prior = planning.plan(baseline_plan.scenario, 1_000, condition=False)
    assert "market_growth" not in baseline_plan.conditioning.resampled
    np.testing.assert_array_equal(
        prior.inputs["market_growth"], baseline_plan.inputs["market_growth"]
    )
    resampled = baseline_plan.inputs["admin_base_2022"]
    assert np.unique(resampled).size < np.unique(prior.inputs["admin_base_2022"]).size
    assert np.isin(resampled, prior.inputs["admin_base_2022"]).all()  # prior draws, repeated


def test_the_run_records_what_it_was_conditioned_on(baseline_plan):
    attrs = baseline_plan.provenance()
    assert attrs["conditioned_on"] == "admin_fully_online 2024 = 0.458 ± 0.02"
    assert "EMC" in attrs["conditioning_sources"]
    assert 50 <= attrs["effective_sample_size"] <= 1_000
    assert attrs["ess_floor"] == 50
    assert attrs["as_of"] == "all data"


# --- the refusal -------------------------------------------------------------------------------


def test_priors_that_cannot_reach_the_reading_are_refused_naming_it_and_the_inputs(tmp_path):
    data = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    data["uncertain"]["admin_adoption_rate"].update(low=0.05, high=0.15)  # far too slow
    path = tmp_path / "slow.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConditioningError) as info:
        planning.plan(load_scenario(path), 1_000)
    message = info.value.report()
    assert "admin_fully_online 2024" in message and "0.458" in message
    assert "admin_adoption_rate" in message or "admin_base_2022" in message
    assert "conditioning: {observations: false}" in message
    off = planning.plan(load_scenario(path), 1_000, condition=False)  # the prior still runs
    assert off.conditioning is None


def test_the_history_runs_only_the_blocks_it_needs_with_the_same_values(baseline_plan):
    """Simulating only the observed block (and those triggers read) gives its values exactly
    as the full calendar does; the e-government block, which nothing observed depends on, is
    not run."""
    full = engine.run_chunk(baseline_plan, 0, 300, through=2024)
    part = engine.run_chunk(baseline_plan, 0, 300, through=2024, blocks={"dossiers"})
    np.testing.assert_array_equal(part["admin_fully_online"], full["admin_fully_online"])
    assert np.isnan(part["egdi"]).all() and not np.isnan(full["egdi"][:, 0]).any()
    chosen, _ = history.readings(baseline_plan.scenario)
    values = history.simulated(baseline_plan, chosen)
    reading = chosen[0]
    np.testing.assert_array_equal(
        values[reading.observation.name][:300],
        full[reading.variable][:, reading.year - int(baseline_plan.years[0])],
    )
