"""Sobol indices: known answers through the input-mapping code path, then the engine."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from vnsim.analysis.sensitivity import COLUMNS, SHOCKS, saltelli_matrices, sobol_indices
from vnsim.uncertainty import Streams

FIXTURES = Path(__file__).parent / "fixtures" / "targets"


def spec(dist: str, **params: float) -> SimpleNamespace:
    """An uncertain input as the scenario gives it: ``dist`` and ``params()``."""
    return SimpleNamespace(dist=dist, params=lambda: params)


def one_output(values: np.ndarray) -> xr.Dataset:
    return xr.Dataset({"y": (("draw",), values)}, coords={"draw": np.arange(values.size)})


def ishigami_simulate(scenario, draws, seed, *, inputs=None, lever_scale=None) -> xr.Dataset:
    x1, x2, x3 = inputs["x1"], inputs["x2"], inputs["x3"]
    return one_output(np.sin(x1) + 7 * np.sin(x2) ** 2 + 0.1 * x3**4 * np.sin(x1))


def test_ishigami_known_indices():
    # Ishigami (a=7, b=0.1) analytic indices: Saltelli et al. (2008), Global Sensitivity
    # Analysis: The Primer, §4.7; Sobol' & Levitan (1999).
    pi = np.pi
    scenario = SimpleNamespace(
        uncertain={
            "x1": spec("uniform", low=-pi, high=pi),
            "x2": spec("uniform", low=-pi, high=pi),
            "x3": spec("uniform", low=-pi, high=pi),
            "fixed_one": spec("fixed", value=1.0),  # fixed inputs are not factors
        }
    )
    df = sobol_indices(
        scenario, {"y": lambda ds: ds["y"].values}, n=1024, seed=1, simulate=ishigami_simulate
    )
    assert list(df.columns) == COLUMNS
    got = df.set_index("input")
    assert list(got.index) == ["x1", "x2", "x3", SHOCKS]
    np.testing.assert_allclose(got.loc[["x1", "x2", "x3"], "S1"], [0.3139, 0.4424, 0.0], atol=0.05)
    np.testing.assert_allclose(
        got.loc[["x1", "x2", "x3"], "ST"], [0.5576, 0.4424, 0.2437], atol=0.05
    )
    assert got.loc[SHOCKS, "ST"] == 0.0  # this model has no shocks
    assert (got.loc[["x1", "x2", "x3"], "ST_conf"] > 0).all()


def linear_simulate(scenario, draws, seed, *, inputs=None, lever_scale=None) -> xr.Dataset:
    """y = 2 x1 + x2 + 0 x3 + scale + e: e is a per-draw shock from the seed, as in the engine."""
    shock = np.sqrt(1 / 12) * Streams(seed, 0, draws).normal("linear.shock")
    scale = (lever_scale or {}).get("programme", 1.0)
    return one_output(2 * inputs["x1"] + inputs["x2"] + 0 * inputs["x3"] + scale + shock)


def test_linear_model_with_shocks_and_a_lever():
    # x1 ~ U(0, 1): var 4/12 after the factor 2; x2 ~ N(5, 1/12); x3 no effect;
    # lever scale ~ U(0, 1): var 1/12; shock var 1/12. Total 7/12.
    scenario = SimpleNamespace(
        uncertain={
            "x1": spec("uniform", low=0.0, high=1.0),
            "x2": spec("normal", mean=5.0, sd=np.sqrt(1 / 12)),
            "x3": spec("triangular", low=0.0, mode=0.2, high=1.0),
        }
    )
    df = sobol_indices(
        scenario,
        {"y": lambda ds: ds["y"].values},
        n=2048,
        seed=3,
        levers={"programme": (0.0, 1.0)},
        simulate=linear_simulate,
    )
    got = df.set_index("input")
    assert list(got.index) == ["x1", "x2", "x3", "lever:programme", SHOCKS]
    expected = pd.Series({"x1": 4 / 7, "x2": 1 / 7, "x3": 0.0, "lever:programme": 1 / 7})
    np.testing.assert_allclose(got.loc[expected.index, "S1"], expected, atol=0.04)
    np.testing.assert_allclose(got.loc[expected.index, "ST"], expected, atol=0.04)
    # common shocks across the design's matrices: an input with no effect has ST exactly 0
    assert got.loc["x3", "ST"] == 0.0
    assert got.loc[SHOCKS, "ST"] == pytest.approx(1 / 7, abs=0.04)
    assert np.isnan(got.loc[SHOCKS, "S1"])


def test_constant_and_missing_outputs_give_nan():
    scenario = SimpleNamespace(uncertain={"x1": spec("uniform", low=0.0, high=1.0)})
    outputs = {
        "constant": lambda ds: np.ones(ds.sizes["draw"]),
        "missing": lambda ds: ds["not_there"].values,
        "y": lambda ds: ds["y"].values,
    }

    def sim(scenario, draws, seed, *, inputs=None, lever_scale=None):
        return one_output(inputs["x1"] ** 2)

    df = sobol_indices(scenario, outputs, n=64, simulate=sim)
    assert len(df) == 3 * 2
    assert df[df.output != "y"][["S1", "ST"]].isna().all().all()
    assert df[(df.output == "y") & (df.input == "x1")]["ST"].iloc[0] == pytest.approx(1, abs=0.05)


def test_design_checks():
    u = saltelli_matrices(3, 8, seed=0)
    assert u.shape == (8, 5, 3) and ((u >= 0) & (u < 1)).all()
    # A_B^j equals A except column j, which comes from B
    for j in range(3):
        keep = [c for c in range(3) if c != j]
        np.testing.assert_array_equal(u[:, 1 + j, keep], u[:, 0, keep])
        np.testing.assert_array_equal(u[:, 1 + j, j], u[:, 4, j])
    with pytest.raises(ValueError, match="power of 2"):
        saltelli_matrices(3, 100, seed=0)
    with pytest.raises(ValueError, match="no non-fixed"):
        sobol_indices(SimpleNamespace(uncertain={}), {}, n=8, simulate=linear_simulate)


# --- on the engine -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine_scenario():
    # the engine caches the e-government fit per settings and data, so repeated runs are cheap
    from vnsim.spec.scenario import load_scenario

    return load_scenario(FIXTURES / "small_scenario.yaml")


def test_engine_small_run(engine_scenario):
    df = sobol_indices(engine_scenario, n=32, seed=5)
    inputs = ["market_base", "market_growth", "unused_input", SHOCKS]
    assert list(df.columns) == COLUMNS
    assert df.groupby("output")["input"].apply(list).map(lambda x: x == inputs).all()
    by = df.set_index(["output", "input"])
    # an uncertain input that nothing refers to has no effect on anything
    finite = df[(df.input == "unused_input") & df.ST.notna()]
    assert len(finite) >= 3
    assert (finite["ST"].abs() < 1e-12).all()
    # the 2025 market is driven by its base and growth, not by e-government shocks alone
    market = by.loc["market_size 2025 [USD bn]"]
    assert market.loc["market_base", "ST"] + market.loc["market_growth", "ST"] > 0.6
    # e-government outcomes depend on no input of this scenario: all their variance is shocks
    rank = by.loc["egdi_rank VNM edition 2026 [rank]"]
    assert abs(rank.loc["market_base", "ST"]) < 1e-12
    assert rank.loc[SHOCKS, "ST"] > 0.5
    assert any(o.startswith("met:") for o in df.output.unique())


def test_engine_lever_scales_as_factors(engine_scenario):
    """Per-draw lever scales reach the engine: a lever on market growth explains part of the
    2025 market and nothing of the e-government rank; the factor is named ``lever:<name>``."""
    df = sobol_indices(engine_scenario, n=32, seed=5, levers={"market_programme": (0.0, 3.0)})
    by = df.set_index(["output", "input"])
    assert by.loc[("market_size 2025 [USD bn]", "lever:market_programme"), "ST"] > 0.05
    assert (
        abs(by.loc[("egdi_rank VNM edition 2026 [rank]", "lever:market_programme"), "ST"]) < 1e-12
    )


def _table(rows):
    from vnsim.analysis.sensitivity import COLUMNS as cols

    return pd.DataFrame(rows, columns=cols)


def test_cli_ranks_by_total_index_within_each_output():
    from vnsim.cli.sensitivity import ranked

    t = _table(
        [
            ("b", "x", 0.1, 0.01, 0.1, 0.01),
            ("b", "y", 0.5, 0.01, 0.6, 0.01),
            ("a", "x", 0.0, 0.01, 0.0, 0.01),
            ("a", "y", 0.2, 0.01, 0.3, 0.01),
        ]
    )
    got = ranked(t)
    assert list(zip(got["output"], got["input"], strict=True)) == [
        ("b", "y"),
        ("b", "x"),
        ("a", "y"),
        ("a", "x"),
    ]


def test_cli_warns_when_the_sample_is_too_small():
    from vnsim.cli.sensitivity import doubts

    fine = _table([("a", "x", 0.2, 0.02, 0.3, 0.02)])
    assert doubts(fine) == []
    small = _table([("a", "x", 0.6, 0.05, 0.3, 0.05), ("a", "y", 0.1, 0.3, 0.2, 0.3)])
    said = doubts(small)
    assert any("S1 above ST" in d and "raise --n" in d for d in said)
    assert any("wider than" in d for d in said)


def test_cli_refuses_n_that_is_not_a_power_of_two(capsys):
    from vnsim.cli import main

    with pytest.raises(SystemExit) as info:
        main(["sensitivity", "--n", "100"])
    assert info.value.code == 2
    assert "power of 2" in capsys.readouterr().err
