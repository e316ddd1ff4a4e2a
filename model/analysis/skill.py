"""Forecast skill of EGDI world ranks and values: scores, baselines and the rolling origin.

Scores (forecasting_methods.md §6.2) for an ensemble ``(draw, country)`` against the observed
``(country,)``: fair-ensemble CRPS (``scoringrules``; one member gives the absolute error),
absolute error of the median, central 80 % and 95 % interval coverage (``inverted_cdf``
quantiles, so interval ends are attainable values) and the randomised PIT (Czado, Gneiting &
Held 2009, for integer ranks). Each is reported overall and per third of the table, the thirds
cut on the **origin** rank (known when the forecast is made).

Baselines, each fitted on editions up to the origin only:

* ``persistence``: the origin's EGDI and rank (one member: its CRPS is the absolute error);
* ``noisy_persistence``: origin EGDI plus Gaussian noise whose sd minimises the world-rank
  CRPS over the edition pairs before the origin;
* ``bootstrap``: level-matched bootstrap of the last pair's EGDI z-score changes (each country
  draws from the 40 countries nearest in level; forecasting_methods.md §1.4), mapped back to
  values with the origin's mean and sd.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pandas as pd
import scoringrules

THIRDS: tuple[str, ...] = ("top", "middle", "bottom")


def crps(samples: np.ndarray, obs: np.ndarray) -> np.ndarray:
    """Fair ensemble CRPS per country; ``samples`` ``(draw, country)``, ``obs`` ``(country,)``.

    ``scoringrules``' probability-weighted-moment estimator equals the fair estimator (Zamo &
    Naveau 2018) at O(m log m) cost; its pairwise form needs an ``(m, m)`` array per country.
    """
    x = np.asarray(samples, float)
    if x.shape[0] == 1:
        return np.abs(x[0] - np.asarray(obs, float))
    return np.asarray(scoringrules.crps_ensemble(obs, x, m_axis=0, estimator="pwm"))


def pit(samples: np.ndarray, obs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Randomised PIT ``P(X < y) + U · P(X = y)`` per country (exact for discrete ranks)."""
    x, y = np.asarray(samples), np.asarray(obs)
    below, tie = (x < y).mean(0), (x == y).mean(0)
    return below + rng.uniform(size=y.shape) * tie


def interval_hits(samples: np.ndarray, obs: np.ndarray, level: float) -> np.ndarray:
    """Whether each observation lies in the central ``level`` interval, ``(country,)`` bool."""
    a = (1.0 - level) / 2.0
    lo = np.quantile(samples, a, axis=0, method="inverted_cdf")
    hi = np.quantile(samples, 1.0 - a, axis=0, method="inverted_cdf")
    return (lo <= obs) & (obs <= hi)


def thirds(origin_rank: np.ndarray) -> np.ndarray:
    """Third of the table (0 top, 1 middle, 2 bottom) from the origin ranks ``(country,)``."""
    order = np.argsort(np.argsort(origin_rank))
    return np.minimum(3 * order // len(order), 2)


def score_table(
    samples: np.ndarray, obs: np.ndarray, third: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    """Per-country scores: ``crps, abs_error, cov80, cov95, pit, third``."""
    med = np.quantile(samples, 0.5, axis=0, method="inverted_cdf")
    return pd.DataFrame(
        {
            "crps": crps(samples, obs),
            "abs_error": np.abs(med - obs),
            "cov80": interval_hits(samples, obs, 0.8),
            "cov95": interval_hits(samples, obs, 0.95),
            "pit": pit(samples, obs, rng),
            "third": np.asarray(THIRDS)[third],
        }
    )


def rank_within(values: np.ndarray) -> np.ndarray:
    """Ranks (1 = highest) across the last axis."""
    return np.argsort(np.argsort(-values, axis=-1), axis=-1) + 1


def _egdi(surveys: pd.DataFrame, edition: int) -> pd.Series:
    f = surveys[surveys["survey_year"] == edition].set_index("iso3")["egdi"].astype(float)
    return f[f > 0]


def noisy_persistence_sd(
    surveys: pd.DataFrame, origin: int, grid: Sequence[float] = tuple(np.linspace(0.005, 0.08, 16))
) -> float:
    """Noise sd (EGDI units) minimising the world-rank CRPS over the pairs before ``origin``.

    Only editions up to ``origin`` are read; the ensemble per trial is small (200 members, a
    fixed seed) since only the ordering of the trial sds matters.
    """
    eds = sorted(e for e in surveys["survey_year"].unique() if 2008 <= e <= origin)
    best, best_sd = np.inf, float(grid[0])
    rng = np.random.default_rng(0)
    for sd in grid:
        total = 0.0
        for a, b in itertools.pairwise(eds):
            x0, x1 = _egdi(surveys, a), _egdi(surveys, b)
            both = x0.index.intersection(x1.index)
            sim = x0[both].to_numpy() + sd * rng.standard_normal((200, len(both)))
            total += crps(rank_within(sim), rank_within(x1[both].to_numpy())).mean()
        if total < best:
            best, best_sd = total, float(sd)
    return best_sd


def bootstrap_egdi(
    surveys: pd.DataFrame,
    origin: int,
    countries: Sequence[str],
    n_draws: int,
    rng: np.random.Generator,
    neighbours: int = 40,
) -> np.ndarray:
    """Level-matched bootstrap of EGDI for ``countries``, ``(draw, country)`` (values)."""
    eds = sorted(e for e in surveys["survey_year"].unique() if e <= origin)
    x0, x1 = _egdi(surveys, eds[-2]), _egdi(surveys, origin)
    both = x0.index.intersection(x1.index)
    z0 = ((x0 - x0.mean()) / x0.std(ddof=0))[both].to_numpy()
    z1 = (x1 - x1.mean()) / x1.std(ddof=0)
    order = np.argsort(z0)
    levels, changes = z0[order], (z1[both].to_numpy() - z0)[order]
    k = min(neighbours, len(levels))
    start = z1.reindex(list(countries)).fillna(z1.min()).to_numpy()
    first = np.clip(np.searchsorted(levels, start) - k // 2, 0, len(levels) - k)
    z = start + changes[first + rng.integers(0, k, (n_draws, len(start)))]
    z = (z - z.mean(1, keepdims=True)) / z.std(1, keepdims=True)
    return x1.mean() + x1.std(ddof=0) * z


def forecast_methods(
    surveys: pd.DataFrame,
    frames: dict[str, pd.DataFrame],
    origin: int,
    target: int,
    n_draws: int,
    seed: int,
    terms: frozenset[str] | None = None,
) -> tuple[list[str], dict[str, np.ndarray]]:
    """EGDI ensembles ``(draw, country)`` of the model and the baselines for ``target``.

    Every method sees ``surveys`` cut at ``origin`` (and the model sub-indicators published by
    then); ``target`` is only the edition to forecast.
    """
    from vnsim.fit import dynamics

    cut = surveys[surveys["survey_year"] <= origin]
    params = dynamics.fit(
        cut, frames, origin, terms=dynamics.DEFAULT_TERMS if terms is None else terms
    )
    seeds = np.random.SeedSequence([seed, origin]).spawn(len(dynamics.STREAMS) + 2)
    rngs = {k: np.random.default_rng(s) for k, s in zip(dynamics.STREAMS, seeds, strict=False)}
    model = dynamics.simulate(params, [target], n_draws, rngs)["egdi"][:, 0]
    countries = list(params.countries)
    x0 = surveys[surveys["survey_year"] == origin].set_index("iso3")["egdi"].reindex(countries)
    sd = noisy_persistence_sd(cut, origin)
    noise = np.random.default_rng(seeds[-2]).standard_normal((n_draws, len(countries)))
    return countries, {
        "model": model,
        "persistence": x0.to_numpy(float)[None, :],
        "noisy_persistence": x0.to_numpy(float)[None, :] + sd * noise,
        "bootstrap": bootstrap_egdi(
            cut, origin, countries, n_draws, np.random.default_rng(seeds[-1])
        ),
    }


def score_origin(
    surveys: pd.DataFrame,
    countries: Sequence[str],
    ensembles: dict[str, np.ndarray],
    origin: int,
    target: int,
    seed: int = 0,
) -> pd.DataFrame:
    """Per-country scores of each method's world rank and EGDI value at ``target``.

    Ranks are recomputed among the countries assessed (EGDI > 0) at both editions.
    """
    x0, x1 = _egdi(surveys, origin), _egdi(surveys, target)
    keep = [c for c in countries if c in x0.index and c in x1.index]
    pos = np.array([list(countries).index(c) for c in keep])
    obs_val = x1[keep].to_numpy()
    third = thirds(rank_within(x0[keep].to_numpy()))
    rows = []
    for method, ens in ensembles.items():
        rng = np.random.default_rng([seed, origin, len(rows)])
        for quantity, sim, obs in (
            ("rank", rank_within(ens[:, pos]), rank_within(obs_val)),
            ("value", ens[:, pos], obs_val),
        ):
            t = score_table(sim, obs, third, rng)
            t.insert(0, "country", keep)
            t[["method", "quantity", "origin", "target"]] = method, quantity, origin, target
            rows.append(t)
    return pd.concat(rows, ignore_index=True)


def summarise(scores: pd.DataFrame, by: Sequence[str] = ("method", "quantity")) -> pd.DataFrame:
    """Mean of each score (coverage as a share) over the rows of each group."""
    cols = ["crps", "abs_error", "cov80", "cov95"]
    return scores.groupby(list(by))[cols].mean()


def pit_histogram(scores: pd.DataFrame, bins: int = 10) -> pd.DataFrame:
    """Share of PIT values in each of ``bins`` equal bins, rows (method, quantity)."""
    edges = np.linspace(0, 1, bins + 1)
    return (
        scores.groupby(["method", "quantity"])["pit"]
        .apply(lambda p: pd.Series(np.histogram(p, edges)[0] / len(p), index=range(bins)))
        .unstack()
    )
