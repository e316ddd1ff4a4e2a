"""Variance-based (Sobol) sensitivity of outcomes and target attainment to uncertain inputs.

Which of a scenario's uncertain inputs (and, optionally, lever intensity scales) drive the 2025
market size, Viet Nam's 2026 EGDI rank, or whether a target is met? First-order (S1) and total
(ST) Sobol indices answer that, estimated with SALib: a Saltelli design in the unit hypercube
(:func:`SALib.sample.sobol.sample`), mapped to each input's distribution with
:func:`vnsim.uncertainty.transform` and passed to the engine as ``inputs=``; a lever's scale is
mapped uniformly onto its range and passed as ``lever_scale=``; then
:func:`SALib.analyze.sobol.analyze` (Saltelli 2010 S1, Jansen ST, bootstrap intervals).

The engine's own randomness (yearly shocks, e-government noise, bootstrap parameter draws)
depends on the seed and the draw index only. The Saltelli design has ``n`` base rows and
``k + 2`` matrices (A, the k "A with column j from B", B). Each matrix is run as its own ensemble
of ``n`` draws with the **same seed**, so base row ``i`` of every matrix gets the shocks of draw
``i``: the shocks act as one more input that is *shared* by all matrices of a row. Consequences:

* ST of an input is its total effect including its interactions with the shocks, and an input
  with no effect gets ST = 0 exactly (A and A_B^j give identical outputs), not the noise floor
  that independent shocks per row would give;
* S1 of an input is its first-order effect averaged over the shocks;
* the shocks' own total index is estimated separately (row ``input = "shocks"``) from one extra
  run of matrix A under a different seed: ST_shocks = E[(f(A, e) - f(A, e'))^2] / (2 Var Y).

A target's probability of being met is the mean of the indicator "draw meets the target"; its
sensitivity is the Sobol decomposition of that 0/1 indicator function (default output names
``met:<target id>``). Indices of an indicator are noisier than those of a continuous outcome:
look at the confidence columns.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import sobol as sobol_sample
from vnsim.analysis.scorecard import NotMeasured, indicator_values, met
from vnsim.analysis.what_it_takes import Simulate, _engine_simulate
from vnsim.spec.targets import Target, TargetSet, load_targets
from vnsim.uncertainty import transform

Output = Callable[[xr.Dataset], np.ndarray]

COLUMNS = ["output", "input", "S1", "S1_conf", "ST", "ST_conf"]
#: Name of the row giving the total index of the engine's own random shocks.
SHOCKS = "shocks"
LEVER_PREFIX = "lever:"


def outcome_name(target: Target) -> str:
    """The name of a target's indicator as an output: ``"egdi_rank VNM edition 2026 [rank]"``."""
    selection = [x for x in (target.country, target.level) if x]
    return " ".join([target.indicator, *selection, target.when_label]) + f" [{target.unit}]"


def key_outcomes(targets: TargetSet | None = None) -> dict[str, Output]:
    """The continuous indicators of a target set (default: the default set), each once,
    ``{name: Dataset -> (draw,)}``."""
    targets = load_targets() if targets is None else targets
    return {outcome_name(t): (lambda ds, t=t: indicator_values(ds, t)) for t in targets.targets}


def target_outcomes(targets: TargetSet) -> dict[str, Output]:
    """``met:<id>`` -> 1.0 if the draw meets the target, else 0.0, shape ``(draw,)``."""
    return {f"met:{t.id}": (lambda ds, t=t: met(ds, t).astype(float)) for t in targets.targets}


def uncertain_factors(scenario: Any) -> dict[str, tuple[str, dict[str, float]]]:
    """The scenario's non-fixed uncertain inputs: ``{name: (dist, params)}``."""
    return {
        name: (spec.dist, spec.params())
        for name, spec in getattr(scenario, "uncertain", {}).items()
        if spec.dist != "fixed"
    }


def saltelli_matrices(k: int, n: int, seed: int) -> np.ndarray:
    """SALib's Saltelli design without second-order terms, shape ``(n, k + 2, k)`` in [0, 1).

    ``[:, 0]`` is A, ``[:, 1 + j]`` is A with column j from B, ``[:, k + 1]`` is B; flattening
    the first two axes gives SALib's row order.
    """
    if n < 2 or n & (n - 1):
        raise ValueError(f"n must be a power of 2 (Sobol' sequence balance), got {n}")
    problem = {"num_vars": k, "names": [f"x{j}" for j in range(k)], "bounds": [[0.0, 1.0]] * k}
    x = sobol_sample.sample(problem, n, calc_second_order=False, scramble=True, seed=seed)
    return x.reshape(n, k + 2, k)


def sobol_indices(
    scenario: Any,
    outputs: Mapping[str, Output] | None = None,
    n: int = 256,
    levers: Mapping[str, tuple[float, float]] | None = None,
    seed: int = 0,
    *,
    targets: TargetSet | str | Path | None = None,
    shocks: bool = True,
    num_resamples: int = 200,
    conf_level: float = 0.95,
    simulate: Simulate | None = None,
) -> pd.DataFrame:
    """First-order and total Sobol indices of each output with respect to each input.

    Parameters
    ----------
    scenario
        A :class:`vnsim.spec.scenario.Scenario`; its non-fixed ``uncertain`` inputs are the factors.
    outputs
        ``{name: f(ds) -> (draw,)}``; default: for every target of ``targets`` (default set if
        None), its indicator (:func:`key_outcomes`) and its met/not-met indicator ``met:<id>``.
    n
        Base sample size (power of 2); the engine runs ``n`` draws ``k + 2`` times (``k + 3``
        with ``shocks``), ``k`` = number of factors.
    levers
        ``{lever: (low, high)}``: also treat these levers' intensity scales as factors, uniform on
        the range (factor names ``lever:<name>``). Needs an engine that takes per-draw scales.
    seed
        Seed of the design scramble, the engine and the bootstrap.
    shocks
        Also estimate the total index of the engine's own random shocks (row ``"shocks"``).

    Returns
    -------
    DataFrame with columns ``output, input, S1, S1_conf, ST, ST_conf`` (half-widths of the
    ``conf_level`` bootstrap intervals). An output that does not vary, or that the run does not
    hold, gets NaN indices.
    """
    factors = uncertain_factors(scenario)
    lever_ranges = dict(levers or {})
    names = [*factors, *(f"{LEVER_PREFIX}{name}" for name in lever_ranges)]
    if not names:
        raise ValueError("the scenario has no non-fixed uncertain input and no lever was given")
    if outputs is None:
        ts = targets if isinstance(targets, TargetSet) else load_targets(targets)
        outputs = {**key_outcomes(ts), **target_outcomes(ts)}
    design = _Design(scenario, factors, lever_ranges, n, simulate or _engine_simulate())
    u = saltelli_matrices(len(names), n, seed)
    runs = [design.run(u[:, m], seed) for m in range(len(names) + 2)]
    reseeded = design.run(u[:, 0], seed + 1) if shocks else None
    analysis = _Analysis(names, shocks, num_resamples, conf_level, seed)
    rows: list[dict[str, Any]] = []
    for out_name, fn in outputs.items():
        rows += analysis.rows(out_name, *_outcome(fn, runs, reseeded))
    return pd.DataFrame(rows, columns=COLUMNS)


@dataclass
class _Design:
    """Runs of the engine at rows of the unit hypercube: uncertain inputs mapped to their
    distributions, lever scales mapped onto their ranges."""

    scenario: Any
    factors: dict[str, tuple[str, dict[str, float]]]
    lever_ranges: dict[str, tuple[float, float]]
    n: int
    simulate: Simulate

    def run(self, unit: np.ndarray, run_seed: int) -> xr.Dataset:
        """One ensemble of ``n`` draws; ``unit`` has shape ``(n, k)``, in [0, 1)."""
        inputs = {
            name: transform(dist, params, unit[:, j])
            for j, (name, (dist, params)) in enumerate(self.factors.items())
        }
        scales = {
            lever: lo + (hi - lo) * unit[:, len(self.factors) + j]
            for j, (lever, (lo, hi)) in enumerate(self.lever_ranges.items())
        }
        return self.simulate(
            self.scenario, self.n, run_seed, inputs=inputs, lever_scale=scales or None
        )


def _outcome(
    fn: Output, runs: list[xr.Dataset], reseeded: xr.Dataset | None
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """An output over the design, shape ``(n, k + 2)``, and over matrix A reseeded, ``(n,)``;
    ``(None, None)`` when the runs do not hold it (e.g. a year off the horizon)."""
    try:
        y = np.stack([np.asarray(fn(ds), dtype=float) for ds in runs], axis=1)
        y_shocked = np.asarray(fn(reseeded), dtype=float) if reseeded is not None else None
    except (NotMeasured, KeyError):
        return None, None
    return y, y_shocked


@dataclass
class _Analysis:
    """SALib's Sobol analysis of one output, as rows of the result table."""

    names: list[str]
    shocks: bool
    num_resamples: int
    conf_level: float
    seed: int

    def __post_init__(self) -> None:
        # one generator for the shocks' bootstrap over all outputs, as the rows are made in turn
        self.rng = np.random.default_rng(self.seed)

    def rows(
        self, output: str, y: np.ndarray | None, y_shocked: np.ndarray | None
    ) -> list[dict[str, Any]]:
        """One row per input (and one for the shocks); NaN indices when ``y`` is missing or
        constant over A and B (e.g. a target met in every draw): no variance to share out."""
        if y is None or not np.isfinite(y).all() or np.ptp(y[:, [0, -1]]) <= np.finfo(float).eps:
            names = [*self.names, *([SHOCKS] if self.shocks else [])]
            return [_row(output, name, np.nan, np.nan, np.nan, np.nan) for name in names]
        k = len(self.names)
        problem = {"num_vars": k, "names": self.names, "bounds": [[0.0, 1.0]] * k}
        with warnings.catch_warnings():
            # a bootstrap resample of a 0/1 output can be constant over A and B; SALib warns and
            # scores that resample 0, which widens the interval: fine for a confidence column
            warnings.filterwarnings("ignore", message="Constant values encountered")
            res = sobol_analyze.analyze(
                problem,
                y.ravel(),
                calc_second_order=False,
                num_resamples=self.num_resamples,
                conf_level=self.conf_level,
                seed=self.seed,
            )
        out = [
            _row(output, name, res["S1"][j], res["S1_conf"][j], res["ST"][j], res["ST_conf"][j])
            for j, name in enumerate(self.names)
        ]
        if self.shocks and y_shocked is not None:
            st, conf = _shock_total(
                y[:, 0], y_shocked, y, self.num_resamples, self.conf_level, self.rng
            )
            out.append(_row(output, SHOCKS, np.nan, np.nan, st, conf))
        return out


def _row(output: str, name: str, s1: float, s1_conf: float, st: float, st_conf: float) -> dict:
    return {
        "output": output,
        "input": name,
        "S1": float(s1),
        "S1_conf": float(s1_conf),
        "ST": float(st),
        "ST_conf": float(st_conf),
    }


def _shock_total(
    y_a: np.ndarray,
    y_a_reseeded: np.ndarray,
    y_all: np.ndarray,
    num_resamples: int,
    conf_level: float,
    rng: np.random.Generator,
) -> tuple[float, float]:
    """Jansen total index of the shocks and its bootstrap half-width.

    ``y_a`` and ``y_a_reseeded`` are matrix A's outputs under two seeds, shape ``(n,)``;
    ``y_all`` (``(n, k + 2)``) gives the output variance, as in SALib (A and B rows).
    """
    from scipy.stats import norm

    def estimate(idx: np.ndarray) -> float:
        var = np.var(np.r_[y_all[idx, 0], y_all[idx, -1]])
        return float(0.5 * np.mean((y_a[idx] - y_a_reseeded[idx]) ** 2) / var) if var else np.nan

    n = y_a.size
    st = estimate(np.arange(n))
    boot = np.array([estimate(rng.integers(0, n, n)) for _ in range(num_resamples)])
    return st, float(norm.ppf(0.5 + conf_level / 2) * np.nanstd(boot, ddof=1))
