"""What it takes: the smallest lever intensity, or the latest start year, that meets a target.

For a target and a lever, the probability of meeting the target is a function of the lever's
intensity scale ``s`` (``lever_scale={lever: s}``) or of its start year ``y``
(``lever_start={lever: y}``). Every evaluation re-runs the ensemble with the **same seed and
number of draws** (common random numbers): each draw keeps its uncertain inputs and shocks, so
only the lever changes between evaluations and P(met) moves monotonically with the lever as long
as every draw's outcome does.

* ``search="scale"``: the smallest ``s`` in ``bounds`` with P(met) >= ``probability``, found with
  :func:`scipy.optimize.brentq` on ``P(s) - probability``. P is a step function of ``s`` (a share
  of draws), so Brent's method converges on the step where P crosses the level; the answer is
  the smallest evaluated ``s`` that meets it, and the report also gives the largest evaluated ``s``
  below it that does not (they are at most ``tol`` apart).
* ``search="start"``: the latest whole start year in ``bounds`` with P(met) >= ``probability``,
  by bisection over years (P falls as the start moves later).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import xarray as xr
from scipy.optimize import brentq
from vnsim.analysis.scorecard import attainment
from vnsim.spec.targets import Target, TargetSet, load_targets

Simulate = Callable[..., xr.Dataset]


@dataclass(frozen=True)
class WhatItTakes:
    """Result of a what-it-takes search.

    ``value`` is the lever scale (intensity multiplier, 1 = as planned) or start year found, or
    None when the requested probability is out of reach within ``bounds``; ``achieved`` is P(met)
    at ``value``. ``below``/``below_probability`` is the nearest evaluated value on the failing
    side (a scale just below ``value``, or the year after ``value``). ``evaluations`` counts
    ensemble runs; ``history`` lists every ``(value, P(met))`` evaluated, in order.
    """

    target: str
    lever: str
    search: Literal["scale", "start"]
    probability: float
    value: float | int | None
    achieved: float
    below: float | int | None
    below_probability: float
    evaluations: int
    draws: int
    seed: int
    bounds: tuple[float, float]
    message: str
    history: tuple[tuple[float, float], ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (NaN becomes None)."""
        out: dict[str, Any] = {}
        for k, v in self.__dict__.items():
            if isinstance(v, float) and np.isnan(v):
                v = None
            out[k] = [list(h) for h in v] if k == "history" else v
        out["bounds"] = list(self.bounds)
        return out


def _engine_simulate() -> Simulate:
    from vnsim.run.simulate import simulate

    return simulate


def _resolve_target(target: Target | str, targets: TargetSet | str | Path | None) -> Target:
    if isinstance(target, Target):
        return target
    ts = targets if isinstance(targets, TargetSet) else load_targets(targets)
    return ts[target]


def ensemble_size(scenario: Any, draws: int | None, seed: int | None) -> tuple[int, int]:
    """The draws and seed to use: the arguments, else the scenario's ``ensemble`` section.

    Fixing both is what makes the evaluations share their random numbers.
    """
    ens = getattr(scenario, "ensemble", None)
    draws = int(draws if draws is not None else getattr(ens, "draws", 1000))
    seed = int(seed if seed is not None else getattr(ens, "seed", 0))
    return draws, seed


def default_bounds(
    scenario: Any, lever: str, search: Literal["scale", "start"]
) -> tuple[float, float]:
    """The range searched by default: a scale in ``(0, 5)``; a start year from the first year
    after the base year (after the lever's trigger year, if it has one) to the end year."""
    if search == "scale":
        return (0.0, 5.0)
    h = scenario.horizon
    levers = getattr(scenario, "levers", None)
    # a triggered lever can start only after its condition is checked
    trigger = getattr(levers[lever], "trigger", None) if levers is not None else None
    first = h.base_year + 1 if trigger is None else max(h.base_year, trigger.year) + 1
    return (first, h.end_year)


@dataclass
class _Evaluations:
    """P(met) of a target at lever settings, each ensemble run once (same draws and seed)."""

    scenario: Any
    target: Target
    lever: str
    search: Literal["scale", "start"]
    probability: float
    draws: int
    seed: int
    bounds: tuple[float, float]
    simulate: Simulate
    cache: dict[float, float] = field(default_factory=dict)
    history: list[tuple[float, float]] = field(default_factory=list)

    def p_met(self, x: float) -> float:
        """P(met) with the lever at scale (or start year) ``x``."""
        if x not in self.cache:
            kw = (
                {"lever_scale": {self.lever: x}}
                if self.search == "scale"
                else {"lever_start": {self.lever: int(x)}}
            )
            run = self.simulate(self.scenario, self.draws, self.seed, **kw)
            self.cache[x] = attainment(run, self.target)
            self.history.append((x, self.cache[x]))
        return self.cache[x]

    def result(self, value: float | None, below: float | None, message: str) -> WhatItTakes:
        """The search's answer, with every evaluation made to find it."""
        return WhatItTakes(
            target=self.target.id,
            lever=self.lever,
            search=self.search,
            probability=self.probability,
            value=value,
            achieved=self.cache[value] if value is not None else float("nan"),
            below=below,
            below_probability=self.cache[below] if below is not None else float("nan"),
            evaluations=len(self.history),
            draws=self.draws,
            seed=self.seed,
            bounds=self.bounds,
            message=message,
            history=tuple(self.history),
        )


def what_it_takes(
    scenario: Any,
    target: Target | str,
    lever: str,
    probability: float = 0.8,
    *,
    search: Literal["scale", "start"] = "scale",
    bounds: tuple[float, float] | None = None,
    draws: int | None = None,
    seed: int | None = None,
    tol: float = 0.01,
    targets: TargetSet | str | Path | None = None,
    simulate: Simulate | None = None,
) -> WhatItTakes:
    """Find the lever setting that meets ``target`` with at least ``probability``.

    Parameters
    ----------
    scenario
        A :class:`vnsim.spec.scenario.Scenario` (anything ``simulate`` accepts).
    target
        A :class:`~vnsim.spec.targets.Target`, or the id of one in ``targets``
        (default set if None).
    lever
        Name of a lever of the scenario.
    probability
        Required P(met), in (0, 1].
    search
        ``"scale"``: smallest intensity multiplier; ``"start"``: latest start year.
    bounds
        Range searched: default :func:`default_bounds`.
    draws, seed
        Ensemble size and seed of every evaluation (default: the scenario's).
    tol
        Precision of a scale (absolute, intensity multiplier); a start year is exact.
    simulate
        Ensemble function with the signature of :func:`vnsim.core.engine.simulate` (default: it).
    """
    if not 0 < probability <= 1:
        raise ValueError(f"probability must be in (0, 1], got {probability}")
    if search not in ("scale", "start"):
        raise ValueError(f"search must be 'scale' or 'start', not {search!r}")
    t = _resolve_target(target, targets)
    sim = simulate or _engine_simulate()
    levers = getattr(scenario, "levers", None)
    if levers is not None and lever not in levers:
        raise KeyError(f"no lever named {lever!r}; levers: {', '.join(levers)}")
    n, s = ensemble_size(scenario, draws, seed)
    lo, hi = (float(b) for b in (bounds or default_bounds(scenario, lever, search)))
    if not lo < hi:
        raise ValueError(f"bounds must be increasing, got {bounds}")
    runs = _Evaluations(scenario, t, lever, search, probability, n, s, (lo, hi), sim)
    if search == "scale":
        return _search_scale(runs.p_met, probability, lo, hi, tol, runs.cache, runs.result)
    return _search_start(runs.p_met, probability, int(np.ceil(lo)), int(np.floor(hi)), runs.result)


def _search_scale(p_met, p, lo, hi, tol, cache, result) -> WhatItTakes:
    if p_met(lo) >= p:
        return result(lo, None, f"met with P >= {p:g} already at the lower bound {lo:g}")
    if p_met(hi) < p:
        return result(
            None,
            hi,
            f"not reachable: P(met) = {cache[hi]:.3f} < {p:g} even at scale {hi:g} (upper bound)",
        )

    def f(x: float) -> float:
        gap = p_met(x) - p
        # P >= p must count as "reached": lift exact hits off zero so brentq keeps bracketing
        return gap if gap < 0 else max(gap, 1e-12)

    brentq(f, lo, hi, xtol=tol, rtol=4 * np.finfo(float).eps, maxiter=200)
    failing = max(x for x, v in cache.items() if v < p)
    value = min(x for x, v in cache.items() if v >= p and x > failing)
    note = ""
    if any(v >= p for x, v in cache.items() if x < failing):
        note = " (P(met) is not monotone in the scale: a smaller tested scale also met it)"
    return result(
        value,
        failing,
        f"smallest scale with P(met) >= {p:g}: {value:.4g} (P = {cache[value]:.3f}); "
        f"scale {failing:.4g} gives P = {cache[failing]:.3f}{note}",
    )


def _search_start(p_met, p, first, last, result) -> WhatItTakes:
    if p_met(first) < p:
        return result(
            None,
            first,
            f"not reachable: P(met) = {p_met(first):.3f} < {p:g} even starting in {first}",
        )
    if p_met(last) >= p:
        return result(last, None, f"met with P >= {p:g} even starting as late as {last}")
    ok, late = first, last  # P(ok) >= p > P(late)
    while late - ok > 1:
        mid = (ok + late) // 2
        if p_met(mid) >= p:
            ok = mid
        else:
            late = mid
    return result(
        ok,
        late,
        f"latest start with P(met) >= {p:g}: {ok} (P = {p_met(ok):.3f}); "
        f"starting in {late} gives P = {p_met(late):.3f}",
    )
