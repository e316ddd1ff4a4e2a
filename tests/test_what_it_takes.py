"""What-it-takes searches, on a small stand-in ensemble and on the engine."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from vnsim.analysis.scorecard import attainment
from vnsim.analysis.what_it_takes import default_bounds, what_it_takes
from vnsim.spec.targets import Target
from vnsim.uncertainty import Streams

FIXTURES = Path(__file__).parent / "fixtures" / "targets"
YEARS = np.arange(2022, 2031)


def toy_scenario(draws: int = 200, seed: int = 3) -> SimpleNamespace:
    return SimpleNamespace(
        name="toy",
        levers={"programme": None, "other": None},
        horizon=SimpleNamespace(base_year=2022, end_year=2030),
        ensemble=SimpleNamespace(draws=draws, seed=seed),
    )


def toy_simulate(
    scenario, draws=None, seed=None, *, lever_scale=None, lever_start=None, inputs=None
) -> xr.Dataset:
    """Market growing at an uncertain rate plus 4 points a year per unit of lever intensity.

    Every draw's base size, growth and yearly shocks come from :class:`Streams`, so two calls
    with the same seed share them (as the engine does).
    """
    draws = scenario.ensemble.draws if draws is None else draws
    seed = scenario.ensemble.seed if seed is None else seed
    streams = Streams(seed, 0, draws)
    base = 8 + 4 * streams.uniform("toy.base")
    growth = 0.08 + 0.12 * streams.uniform("toy.growth")
    shock = 0.03 * streams.normal("toy.shock", (YEARS.size - 1,))
    scale = (lever_scale or {}).get("programme", 1.0)
    start = (lever_start or {}).get("programme", 2023)
    on = (YEARS[1:] >= start).astype(float)
    log_growth = np.log1p(growth)[:, None] + 0.04 * scale * on + shock
    size = base[:, None] * np.exp(
        np.concatenate([np.zeros((draws, 1)), np.cumsum(log_growth, 1)], 1)
    )
    return xr.Dataset(
        {"market_size": (("draw", "year"), size)}, coords={"draw": np.arange(draws), "year": YEARS}
    )


def market_target(threshold: float, year: int = 2025) -> Target:
    return Target(
        id="market",
        description="m",
        description_vi="thị trường",
        indicator="market_size",
        comparison=">=",
        threshold=threshold,
        unit="USD bn",
        year=year,
        source={"decision": "test", "confidence": "U"},
    )


def p_at(scn, target, **kw) -> float:
    return attainment(toy_simulate(scn, **kw), target)


@settings(max_examples=12, deadline=None)
@given(p=st.floats(0.1, 0.95), threshold=st.floats(16, 22))
def test_scale_found_meets_and_just_below_does_not(p, threshold):
    scn, t = toy_scenario(), market_target(threshold)
    res = what_it_takes(scn, t, "programme", p, bounds=(0, 6), tol=0.005, simulate=toy_simulate)
    if res.value is None:
        assert p_at(scn, t, lever_scale={"programme": 6.0}) < p
        return
    if res.value == 0:
        assert p_at(scn, t, lever_scale={"programme": 0.0}) >= p
        return
    # re-run independently: the value meets the level, a value just below it does not
    assert p_at(scn, t, lever_scale={"programme": res.value}) == res.achieved >= p
    assert res.below is not None and res.below < res.value <= res.below + 2 * 0.005
    assert p_at(scn, t, lever_scale={"programme": res.below}) == res.below_probability < p
    assert res.evaluations == len(res.history) < 40


def test_scale_edge_cases_and_messages():
    scn = toy_scenario()
    easy = what_it_takes(scn, market_target(5), "programme", 0.8, simulate=toy_simulate)
    assert easy.value == 0.0 and easy.achieved == 1.0 and "lower bound" in easy.message
    hard = what_it_takes(scn, market_target(200), "programme", 0.8, simulate=toy_simulate)
    assert hard.value is None and np.isnan(hard.achieved) and "not reachable" in hard.message
    assert hard.evaluations == 2
    assert hard.to_dict()["value"] is None
    with pytest.raises(KeyError, match="no lever named 'progamme'"):
        what_it_takes(scn, market_target(20), "progamme", simulate=toy_simulate)
    with pytest.raises(ValueError):
        what_it_takes(scn, market_target(20), "programme", 1.5, simulate=toy_simulate)


def test_more_probability_takes_more_intensity():
    scn, t = toy_scenario(), market_target(19)
    found = [
        what_it_takes(scn, t, "programme", p, simulate=toy_simulate).value for p in (0.3, 0.6, 0.9)
    ]
    assert all(v is not None for v in found)
    assert found[0] <= found[1] <= found[2]
    assert found[0] < found[2]


def test_latest_start_year():
    scn, t = toy_scenario(), market_target(22, year=2028)
    res = what_it_takes(scn, t, "programme", 0.7, search="start", simulate=toy_simulate)
    assert res.value is not None and 2023 <= res.value < 2028
    assert p_at(scn, t, lever_start={"programme": res.value}) >= 0.7
    assert res.below == res.value + 1
    assert p_at(scn, t, lever_start={"programme": res.value + 1}) < 0.7
    assert res.evaluations <= 2 + int(np.ceil(np.log2(2030 - 2023)))


# --- on the engine -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine_scenario():
    # the engine caches the e-government fit per settings and data, so repeated runs are cheap
    from vnsim.spec.scenario import load_scenario

    return load_scenario(FIXTURES / "small_scenario.yaml")


def test_engine_scale_search(engine_scenario):
    from vnsim.run.simulate import simulate

    t = market_target(20)
    res = what_it_takes(
        engine_scenario, t, "market_programme", 0.6, bounds=(0, 4), draws=64, tol=0.02
    )
    assert res.value is not None, res.message
    again = attainment(
        simulate(engine_scenario, 64, res.seed, lever_scale={"market_programme": res.value}), t
    )
    assert again == res.achieved >= 0.6
    if res.below is not None:
        below = attainment(
            simulate(engine_scenario, 64, res.seed, lever_scale={"market_programme": res.below}), t
        )
        assert below < 0.6 and res.value - res.below <= 0.04


def test_default_bounds_follow_the_horizon_and_the_trigger():
    scn = toy_scenario()
    assert default_bounds(scn, "programme", "scale") == (0.0, 5.0)
    assert default_bounds(scn, "programme", "start") == (2023, 2030)
    # a triggered lever can start only after the year its condition is checked
    scn.levers["programme"] = SimpleNamespace(trigger=SimpleNamespace(year=2025))
    assert default_bounds(scn, "programme", "start") == (2026, 2030)
    res = what_it_takes(
        scn, market_target(30), "programme", 0.5, search="start", simulate=toy_simulate
    )
    assert res.bounds == (2026.0, 2030.0)
    assert {int(x) for x, _ in res.history} <= set(range(2026, 2031))
