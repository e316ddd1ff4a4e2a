"""Rolling-origin hindcast of EGDI world ranks over past UN survey editions.

For every origin edition the survey frame is **cut at the origin before anything is fitted or
simulated** (:func:`forecast_ranks` only ever receives the cut frame); the observed target
editions are read afterwards, only to score. Each origin forecasts 1 and 2 editions ahead in the
actual edition list (h = 1: the next edition, 2 years; h = 2: the one after, 4 years; e.g. from
2018 the targets are 2020 and 2022).

Methods scored in the same run (forecasting_methods.md §1.4, §6):

* ``model``: :mod:`vnsim.blocks.egov`, refitted on editions <= origin, no levers.
* ``persistence``: the origin edition's rank (a point forecast; its CRPS is the absolute error,
  its intervals have width 0).
* ``bootstrap``: level-matched bootstrap of past changes: each country's EGDI z-score moves by a
  change drawn from the 40 countries whose z-score at the start of the last observed edition pair
  was closest to its current level; all countries are re-standardised and re-ranked per draw.

Ranks are compared among the countries present in both the origin and the target edition, all
re-ranked within that set (1 + number of countries ahead; observed order is the UN's rank order,
which the UN computes on unrounded scores).

Scores per (method, origin, horizon): ``rank_mae`` (of the median), ``rank_mae_30_100`` (countries
observed at ranks 30–100), ``rank_crps`` (fair ensemble CRPS on integer ranks), ``cov80``/``cov95``
and ``width80``/``width95`` (central intervals from the ``inverted_cdf`` quantiles, so their ends
are ranks), ``brier_top50`` (P(rank <= 50)), and ``n`` (countries scored).

Run ``python -m vnsim.analysis.backtest`` for the full backtest (prints the pooled table); the
chart of the pooled scores is :func:`vnsim.present.charts.plot_backtest`.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from vnsim import datasets
from vnsim.blocks import egov
from vnsim.egdi import rank_desc
from vnsim.uncertainty import Streams

METHODS: tuple[str, ...] = ("model", "bootstrap", "persistence")
METRICS: tuple[str, ...] = (
    "rank_mae",
    "rank_mae_30_100",
    "rank_crps",
    "cov80",
    "width80",
    "cov95",
    "width95",
    "brier_top50",
)

def crps_fair(samples: np.ndarray, obs: np.ndarray) -> np.ndarray:
    """Fair ensemble CRPS (Ferro 2014; Zamo & Naveau 2018) per column.

    Parameters
    ----------
    samples
        Ensemble, shape ``(member, country)``; one member gives the absolute error.
    obs
        Observations, shape ``(country,)``.
    """
    x = np.sort(np.asarray(samples, float), axis=0)
    m = x.shape[0]
    abs_err = np.abs(x - np.asarray(obs, float)).mean(axis=0)
    if m == 1:
        return abs_err
    k = np.arange(1, m + 1)[:, None]
    spread = (x * (2 * k - m - 1)).sum(axis=0) / (m * (m - 1))  # sum_{i<j}|xi - xj| / (m(m-1))
    return abs_err - spread


def score_ranks(sim: np.ndarray, obs: np.ndarray) -> dict[str, float]:
    """Scores of simulated ranks ``(draw, country)`` against observed ranks ``(country,)``."""
    sim = np.asarray(sim)
    obs = np.asarray(obs)
    med = np.median(sim, axis=0)
    mid = (obs >= 30) & (obs <= 100)
    out = {
        "rank_mae": float(np.abs(med - obs).mean()),
        "rank_mae_30_100": float(np.abs(med - obs)[mid].mean()),
        "rank_crps": float(crps_fair(sim, obs).mean()),
    }
    for level in (80, 95):
        a = (1 - level / 100) / 2
        lo = np.quantile(sim, a, axis=0, method="inverted_cdf")
        hi = np.quantile(sim, 1 - a, axis=0, method="inverted_cdf")
        out[f"cov{level}"] = float(((lo <= obs) & (obs <= hi)).mean())
        out[f"width{level}"] = float((hi - lo).mean())
    p = (sim <= 50).mean(axis=0)
    out["brier_top50"] = float(((p - (obs <= 50)) ** 2).mean())
    out["n"] = float(obs.size)
    return out


def _egdi_z(frame: pd.DataFrame) -> pd.Series:
    """EGDI z-scores of one edition across assessed countries (EGDI > 0), indexed by ISO3."""
    x = frame.set_index("iso3")["egdi"].astype(float)
    ok = x > 0
    return (x - x[ok].mean()) / x[ok].std(ddof=0)


def bootstrap_baseline(
    surveys: pd.DataFrame, origin: int, steps: list[int], streams: Streams, neighbours: int = 40
) -> dict[int, np.ndarray]:
    """Level-matched bootstrap of past EGDI z-changes (forecasting_methods.md §1.4).

    Parameters
    ----------
    surveys
        History; only editions <= ``origin`` are used.
    steps
        Target step counts (1 = next edition), each forecast by repeating the step.

    Returns
    -------
    step -> EGDI z-scores, shape ``(draw, country)``, countries in the origin edition's order.
    """
    surveys = surveys[surveys["survey_year"] <= origin]
    editions = sorted(surveys["survey_year"].unique())
    prev = editions[editions.index(origin) - 1]
    f0 = surveys[surveys["survey_year"] == prev]
    f1 = surveys[surveys["survey_year"] == origin]
    z0, z1 = _egdi_z(f0), _egdi_z(f1)
    both = pd.Index(f0.loc[f0["egdi"] > 0, "iso3"]).intersection(
        pd.Index(f1.loc[f1["egdi"] > 0, "iso3"])
    )
    start_levels = z0.loc[both].to_numpy()
    order = np.argsort(start_levels)
    levels = start_levels[order]
    changes = (z1.loc[both] - z0.loc[both]).to_numpy()[order]
    k = min(neighbours, levels.size)
    z = np.broadcast_to(z1.to_numpy(), (streams.n_draws, z1.size)).copy()
    out = {}
    for step in range(1, max(steps) + 1):
        # window of k start levels around each current level, in sorted order
        first = np.clip(np.searchsorted(levels, z) - k // 2, 0, levels.size - k)
        pick = first + streams.integers(f"baseline.{origin}.{step}", k, (z.shape[1],))
        z = z + changes[pick]
        z = (z - z.mean(axis=1, keepdims=True)) / z.std(axis=1, keepdims=True)
        if step in steps:
            out[step] = z.copy()
    return out


def forecast_ranks(
    cut: pd.DataFrame,
    origin: int,
    targets: list[int],
    draws: int,
    seed: int,
    settings: egov.Settings | None = None,
) -> tuple[tuple[str, ...], dict[str, dict[int, np.ndarray]]]:
    """Forecast EGDI of every origin country for each target edition from data <= origin.

    Returns
    -------
    (countries, {method: {target: values}}) where values are EGDI ``(draw, country)`` for
    ``model``, EGDI z-scores ``(draw, country)`` for ``bootstrap`` and minus the origin rank
    ``(1, country)`` for ``persistence`` (all "higher is better").
    """
    if cut["survey_year"].max() > origin:
        raise ValueError("forecast_ranks must receive data cut at the origin")
    base = settings or egov.Settings()
    settings = base.model_copy(update={"origin": origin, "editions": list(targets)})
    model = egov.prepare(cut, settings, as_of=origin)
    streams = Streams(seed, 0, draws)
    state = egov.start(model, streams)
    zero = np.zeros((draws, len(model.countries), 3), np.float32)
    out: dict[str, dict[int, np.ndarray]] = {"model": {}, "bootstrap": {}, "persistence": {}}
    for t in targets:
        state = egov.advance(model, state, t, zero, streams)
        out["model"][t] = egov.observe(model, state)["egdi"]
    editions = sorted(cut["survey_year"].unique())
    steps = {t: i + 1 for i, t in enumerate(targets)}
    if editions.index(origin) > 0:
        boot = bootstrap_baseline(cut, origin, list(steps.values()), Streams(seed, 0, draws))
        out["bootstrap"] = {t: boot[steps[t]] for t in targets}
    rank0 = (
        cut[cut["survey_year"] == origin].set_index("iso3").loc[list(model.countries), "egdi_rank"]
    )
    out["persistence"] = {t: -rank0.to_numpy(float)[None, :] for t in targets}
    return model.countries, out


@dataclass(frozen=True)
class BacktestResult:
    """Scores of a rolling-origin backtest (tidy: method, origin, horizon, target_edition,
    metric, value)."""

    scores: pd.DataFrame
    draws: int
    seed: int
    origins: tuple[int, ...] = field(default=())

    def pooled(self) -> pd.DataFrame:
        """Mean of each score over origins, rows (method, horizon), columns metrics."""
        s = self.scores[self.scores["metric"] != "n"]
        table = s.pivot_table(
            index=["method", "horizon"], columns="metric", values="value", aggfunc="mean"
        )
        cols = [m for m in METRICS if m in table.columns]
        order = [m for m in METHODS if m in table.index.get_level_values(0)]
        return table.loc[order, cols]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: settings, per-target scores and the pooled table."""
        pooled = self.pooled().reset_index()
        return {
            "draws": self.draws,
            "seed": self.seed,
            "origins": list(self.origins),
            "scores": self.scores.to_dict(orient="records"),
            "pooled": pooled.to_dict(orient="records"),
        }


#: Default origins: every edition from 2012 (the first with two earlier pairs to fit) on.
FIRST_ORIGIN = 2012


def default_origins(editions: list[int]) -> tuple[int, ...]:
    """Every edition from :data:`FIRST_ORIGIN` that has a later one to score."""
    return tuple(e for e in sorted(editions)[:-1] if e >= FIRST_ORIGIN)


def vintage(surveys: pd.DataFrame, origin: int) -> pd.DataFrame:
    """The survey rows a forecaster had at the end of the origin edition's year: those
    published by then (the ``published`` column of :func:`vnsim.datasets.load_surveys`, the
    mechanism of ``vnsim run --as-of``), or, for a frame without it, editions <= origin."""
    if "published" in surveys:
        cut = surveys[surveys["published"] <= datasets.end_of_year(int(origin))]
    else:
        cut = surveys[surveys["survey_year"] <= origin]
    if cut.empty or int(cut["survey_year"].max()) != origin:
        raise ValueError(
            f"origin {origin} is not the latest edition published by the end of {origin}"
        )
    return cut.copy()


def run_backtest(
    surveys: pd.DataFrame | None = None,
    origins: tuple[int, ...] | None = None,
    horizons: tuple[int, ...] = (1, 2),
    draws: int = 1000,
    seed: int = 0,
    settings: egov.Settings | None = None,
) -> BacktestResult:
    """Rolling-origin hindcast of world EGDI ranks for the model and the two baselines.

    Parameters
    ----------
    surveys
        Full survey history; each origin sees only editions <= origin. Default: the packaged
        history plus the user's added editions (:func:`vnsim.datasets.load_surveys`).
    origins
        Origin editions (editions in ``surveys``); default every edition from
        :data:`FIRST_ORIGIN` that has a later one. Each sees the data of its vintage
        (:func:`vintage`).
    horizons
        Editions ahead (1 = next edition in the data).
    settings
        Base egov settings (origin and editions are set per origin).
    """
    if surveys is None:
        surveys = datasets.load_surveys()
    editions = sorted(int(e) for e in surveys["survey_year"].unique())
    origins = default_origins(editions) if origins is None else origins
    unknown = [o for o in origins if o not in editions]
    if unknown:
        raise ValueError(
            f"origins {unknown} are not survey editions ({', '.join(map(str, editions))})"
        )
    rows = []
    for origin in origins:
        i = editions.index(origin)
        targets = [editions[i + h] for h in horizons if i + h < len(editions)]
        if not targets:
            continue
        cut = vintage(surveys, origin)  # nothing published after the origin's year
        countries, fc = forecast_ranks(cut, origin, targets, draws, seed, settings)
        for h in horizons:
            if i + h >= len(editions):
                continue
            t = editions[i + h]
            obs = surveys[surveys["survey_year"] == t].set_index("iso3")["egdi_rank"]
            common = [c for c in countries if c in obs.index]
            pos = np.array([countries.index(c) for c in common])
            observed = rank_desc(-obs.loc[common].to_numpy(float))
            for method, by_target in fc.items():
                if t not in by_target:
                    continue
                sim = rank_desc(by_target[t][:, pos])
                for metric, value in score_ranks(sim, observed).items():
                    rows.append((method, origin, h, t, metric, value))
    scores = pd.DataFrame(
        rows, columns=["method", "origin", "horizon", "target_edition", "metric", "value"]
    )
    return BacktestResult(scores=scores, draws=draws, seed=seed, origins=tuple(origins))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Rolling-origin backtest of EGDI world ranks")
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--origins", type=int, nargs="+")
    args = parser.parse_args(argv)
    origins = tuple(args.origins) if args.origins else None
    result = run_backtest(datasets.load_surveys(), origins, draws=args.draws, seed=args.seed)
    with pd.option_context("display.width", 200, "display.max_columns", 40, "display.precision", 3):
        print(result.pooled())
        s = result.scores
        print(
            s[s["metric"].isin(["rank_crps", "rank_mae", "cov80"])].pivot_table(
                index=["origin", "horizon", "target_edition"],
                columns=["metric", "method"],
                values="value",
            )
        )


if __name__ == "__main__":
    main()
