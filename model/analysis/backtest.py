"""Rolling-origin backtest of the e-government model: EGDI values and world ranks, out of sample.

For every origin edition the survey frame is **cut to what was published by the end of the
origin's year** (:func:`vintage`) before anything is fitted or simulated; the model and the
baselines only ever receive that cut. The observed target editions are attached afterwards, only
to score. Each origin forecasts every later edition in the data (the *targets*); the ones 1 and 2
editions ahead (h = 1, 2 years; h = 2, 4 years) are scored. h = 1 is the headline.

Methods, each fitted only on editions <= origin:

* ``model``: :mod:`vnsim.blocks.egov`, refitted at the origin, no levers (:func:`model_forecast`,
  the only place that calls the block).
* ``persistence``: the origin's EGDI and rank, one member (its CRPS is its absolute error).
* ``noisy_persistence``: the origin's EGDI plus Gaussian noise whose sd is the one on
  :data:`SD_GRID` with the lowest world-rank CRPS over the edition pairs ``h`` apart up to the
  origin (:func:`noisy_persistence_sd`).
* ``bootstrap``: level-matched bootstrap of the last observed pair's EGDI z-changes, mapped back
  to EGDI with the origin's mean and sd (:func:`bootstrap_forecast`).

Scores per country (:func:`score_forecast`), for world rank and for EGDI value: fair ensemble
CRPS (``scoringrules``, PWM estimator), absolute error of the ensemble median, whether the
central 80 % and 95 % intervals (``inverted_cdf`` quantiles) hold the observation, and the
randomised PIT ``P(X < y) + U·P(X = y)``. Ranks are recomputed among the countries assessed
(EGDI > 0) at both the origin and the target (1 + number ahead; the observed order is the UN's
published rank order, which the UN computes on unrounded scores). Countries fall into thirds of
that table by their **origin** rank. :func:`summarise` pools the scores over origins, per origin
and per third.

``vnsim backtest`` (:mod:`vnsim.cli.backtest`) runs it and writes the files; the chart is
:func:`vnsim.present.charts.plot_backtest`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scoringrules
import xarray as xr
from vnsim import __version__, datasets
from vnsim.blocks import egov
from vnsim.egdi import rank_desc
from vnsim.uncertainty import Streams

METHODS: tuple[str, ...] = ("model", "noisy_persistence", "bootstrap", "persistence")
#: What is scored: the world rank (places) and the EGDI value (index 0-1).
QUANTITIES: tuple[str, ...] = ("rank", "value")
#: Variables of the model's forecast, as :func:`vnsim.blocks.egov.observe` names them.
VARIABLES: tuple[str, ...] = ("osi", "tii", "hci", "egdi", "egdi_rank")
#: The five origins of issue 12: each has at least one later edition to score.
DEFAULT_ORIGINS: tuple[int, ...] = (2014, 2016, 2018, 2020, 2022)
HORIZONS: tuple[int, ...] = (1, 2)
#: First edition of the biennial series; earlier editions were differently built readiness
#: indices, so noisy persistence learns its noise from pairs of editions from 2008 on.
FIRST_PAIR_EDITION = 2008
#: Candidate noise sd of noisy persistence, EGDI points (0-1 scale); the optimum lies inside.
SD_GRID: np.ndarray = np.round(np.arange(0.0025, 0.15001, 0.0025), 4)
#: Members used to choose the sd: fixed, so the sd does not depend on ``--draws``.
SD_FIT_DRAWS = 100
#: Start levels the bootstrap draws its change from (forecasting_methods.md §1.4).
NEIGHBOURS = 40
THIRDS: tuple[str, ...] = ("top", "middle", "bottom")
PIT_BINS = 10
SCORE_COLUMNS: tuple[str, ...] = ("crps", "abs_error", "cov80", "cov95", "pit")


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


def model_forecast(
    cut: pd.DataFrame,
    origin: int,
    editions: list[int],
    draws: int,
    seed: int,
    terms: frozenset[str] | None = None,
) -> tuple[tuple[str, ...], dict[str, np.ndarray]]:
    """The e-government model refitted on ``cut`` and simulated to ``editions``, no levers.

    The only place the backtest calls :mod:`vnsim.blocks.egov`. The block loads the other data
    it uses (ITU indicators) as published by the end of ``origin`` itself (``as_of``).

    Parameters
    ----------
    cut
        Survey rows published by the end of the origin's year (:func:`vintage`).
    editions
        Target editions, increasing, all after ``origin``.
    draws, seed
        Ensemble size and seed; random numbers come from ``Streams(seed, 0, draws)``.
    terms
        Model terms (None = the default; :mod:`vnsim.analysis.terms` compares others).

    Returns
    -------
    (countries, {variable: array}) with ``osi, tii, hci, egdi`` float32 (index 0-1) and
    ``egdi_rank`` int16, each of shape ``(draw, edition, country)``.
    """
    if int(cut["survey_year"].max()) > origin:
        raise ValueError("model_forecast must receive data cut at the origin")
    chosen = None if terms is None else sorted(terms)
    settings = egov.Settings(origin=origin, editions=list(editions), terms=chosen)
    model = egov.prepare(cut, settings, end_year=max(editions), as_of=origin)
    streams = Streams(seed, 0, draws)
    state = egov.start(model, streams)
    no_levers = np.zeros((draws, len(model.countries), 3), np.float32)
    seen: dict[str, list[np.ndarray]] = {v: [] for v in VARIABLES}
    for edition in editions:
        state = egov.advance(model, state, edition, no_levers, streams)
        observed = egov.observe(model, state)
        for v in VARIABLES:
            seen[v].append(observed[v])
    return tuple(model.countries), {v: np.stack(a, axis=1) for v, a in seen.items()}


def _edition(surveys: pd.DataFrame, year: int) -> pd.DataFrame:
    """One edition's rows indexed by ISO3 (``egdi``, ``egdi_rank``, ...)."""
    return surveys[surveys["survey_year"] == year].set_index("iso3")


def _noisy(egdi: np.ndarray, sd: float, noise: np.ndarray) -> np.ndarray:
    """Noisy persistence members: ``egdi + sd·noise`` kept on the index's 0-1 scale."""
    return np.clip(egdi + sd * noise, 0.0, 1.0)


def _pairs(surveys: pd.DataFrame, origin: int, horizon: int) -> list[tuple[int, int]]:
    """Edition pairs ``horizon`` editions apart, both from 2008 to the origin."""
    years = surveys["survey_year"]
    eds = sorted(int(e) for e in years[(years >= FIRST_PAIR_EDITION) & (years <= origin)].unique())
    return list(zip(eds, eds[horizon:], strict=False))


def noisy_persistence_sd(
    surveys: pd.DataFrame, origin: int, horizon: int, seed: int, grid: np.ndarray = SD_GRID
) -> float:
    """Noise sd (EGDI points) of noisy persistence ``horizon`` editions ahead.

    The value on ``grid`` whose world-rank CRPS, averaged over the edition pairs ``horizon``
    apart from 2008 to ``origin`` (countries assessed at both; rows after the origin are never
    read), is lowest. The same noise (``SD_FIT_DRAWS`` members per pair) is used for every
    candidate, so the choice is smooth in the sd. NaN if no such pair exists.
    """
    pairs = _pairs(surveys, origin, horizon)
    if not pairs:
        return float("nan")
    streams = Streams(seed, 0, SD_FIT_DRAWS)
    total = np.zeros(len(grid))
    for a, b in pairs:
        start, end = _edition(surveys, a), _edition(surveys, b)
        both = start.index[start["egdi"] > 0].intersection(end.index[end["egdi"] > 0])
        x0 = start.loc[both, "egdi"].to_numpy(float)
        observed = rank_desc(-end.loc[both, "egdi_rank"].to_numpy(float))
        noise = streams.normal(f"backtest.noisy_persistence.fit.{a}.{b}", (both.size,))
        for k, sd in enumerate(grid):
            total[k] += crps(rank_desc(_noisy(x0, sd, noise)), observed).mean()
    return float(grid[np.argmin(total)])


def noisy_persistence_forecast(
    cut: pd.DataFrame,
    origin: int,
    countries: tuple[str, ...],
    editions: list[int],
    draws: int,
    seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Origin EGDI plus Gaussian noise, each edition its own sd (:func:`noisy_persistence_sd`).

    An edition further ahead than any pair up to the origin (e.g. 2024 from 2014) is not
    scored; it gets the h = 1 sd times sqrt(h), the random-walk growth.

    Returns
    -------
    EGDI ``(draw, edition, country)`` float32 and the sd of each edition ``(edition,)``.
    """
    x0 = _edition(cut, origin).loc[list(countries), "egdi"].to_numpy(float)
    sds = np.array(
        [noisy_persistence_sd(cut, origin, h, seed) for h in range(1, len(editions) + 1)]
    )
    steps = np.arange(1, len(editions) + 1)
    sds = np.where(np.isnan(sds), sds[0] * np.sqrt(steps), sds)
    streams = Streams(seed, 0, draws)
    out = np.empty((draws, len(editions), len(countries)), np.float32)
    for j, (edition, sd) in enumerate(zip(editions, sds, strict=True)):
        noise = streams.normal(f"backtest.noisy_persistence.{origin}.{edition}", (len(countries),))
        out[:, j] = _noisy(x0, sd, noise)
    return out, sds


def _egdi_z(frame: pd.DataFrame) -> tuple[pd.Series, float, float]:
    """EGDI z-scores of one edition (by ISO3) and the mean and sd they are taken with, both
    across the assessed countries (EGDI > 0)."""
    x = frame["egdi"].astype(float)
    ok = x[x > 0]
    mean, sd = float(ok.mean()), float(ok.std(ddof=0))
    return (x - mean) / sd, mean, sd


def bootstrap_forecast(
    cut: pd.DataFrame, origin: int, countries: tuple[str, ...], n_steps: int, draws: int, seed: int
) -> np.ndarray:
    """Level-matched bootstrap of past EGDI z-changes (forecasting_methods.md §1.4).

    Each step, each country's EGDI z-score moves by a change drawn from the :data:`NEIGHBOURS`
    countries whose z-score at the start of the last pair up to the origin was closest to its
    current level; all countries are then re-standardised. The z-scores are mapped back to EGDI
    with the origin edition's mean and sd (assessed countries) and kept on the 0-1 scale.

    Returns
    -------
    EGDI ``(draw, step, country)`` float32, steps 1..``n_steps``, countries as given.
    """
    editions = sorted(int(e) for e in cut["survey_year"].unique() if e <= origin)
    f0, f1 = _edition(cut, editions[editions.index(origin) - 1]), _edition(cut, origin)
    (z0, _, _), (z1, mean, sd) = _egdi_z(f0), _egdi_z(f1)
    both = f0.index[f0["egdi"] > 0].intersection(f1.index[f1["egdi"] > 0])
    start_levels = z0.loc[both].to_numpy()
    order = np.argsort(start_levels)
    levels = start_levels[order]
    changes = (z1.loc[both] - z0.loc[both]).to_numpy()[order]
    k = min(NEIGHBOURS, levels.size)
    streams = Streams(seed, 0, draws)
    z = np.broadcast_to(z1.loc[list(countries)].to_numpy(), (draws, len(countries))).copy()
    out = np.empty((draws, n_steps, len(countries)), np.float32)
    for step in range(n_steps):
        # window of k start levels around each current level, in sorted order
        first = np.clip(np.searchsorted(levels, z) - k // 2, 0, levels.size - k)
        pick = first + streams.integers(f"backtest.bootstrap.{origin}.{step + 1}", k, z.shape[1:])
        z = z + changes[pick]
        z = (z - z.mean(axis=1, keepdims=True)) / z.std(axis=1, keepdims=True)
        out[:, step] = np.clip(mean + sd * z, 0.0, 1.0)
    return out


def forecast_origin(
    cut: pd.DataFrame, origin: int, editions: list[int], draws: int, seed: int
) -> xr.Dataset:
    """Every method's forecast of ``editions`` from the vintage ``cut`` (no observed target).

    Returns
    -------
    Dataset over ``(draw, edition, country)``: the model's :data:`VARIABLES`,
    ``egdi_noisy_persistence`` and ``egdi_bootstrap``; ``egdi_persistence`` over
    ``(edition, country)`` (one member); the origin's ``origin_egdi`` and ``origin_egdi_rank``
    over ``country``. Attributes say how it was made.
    """
    if int(cut["survey_year"].max()) > origin:
        raise ValueError("forecast_origin must receive data cut at the origin")
    countries, model = model_forecast(cut, origin, editions, draws, seed)
    noisy, sds = noisy_persistence_forecast(cut, origin, countries, editions, draws, seed)
    start = _edition(cut, origin).loc[list(countries)]
    x0 = start["egdi"].to_numpy(np.float32)
    cube = ("draw", "edition", "country")
    data = {v: (cube, a) for v, a in model.items()}
    data["egdi_noisy_persistence"] = (cube, noisy)
    if sorted(cut["survey_year"].unique()).index(origin) > 0:
        boot = bootstrap_forecast(cut, origin, countries, len(editions), draws, seed)
        data["egdi_bootstrap"] = (cube, boot)
    data["egdi_persistence"] = (("edition", "country"), np.tile(x0, (len(editions), 1)))
    data["origin_egdi"] = (("country",), x0)
    data["origin_egdi_rank"] = (("country",), start["egdi_rank"].to_numpy(np.int16))
    coords = {"draw": np.arange(draws), "edition": list(editions), "country": list(countries)}
    ds = xr.Dataset(data, coords=coords)
    ds.attrs.update(_attrs(origin, draws, seed, sds))
    return ds


def _attrs(origin: int, draws: int, seed: int, sds: np.ndarray) -> dict[str, Any]:
    """What a reader of a forecast file needs to re-score it without vnsim."""
    return {
        "title": f"vnsim rolling-origin backtest: forecasts from the {origin} edition",
        "origin": int(origin),
        "vintage": f"survey rows published by {origin}-12-31",
        "seed": int(seed),
        "draws": int(draws),
        "vnsim_version": __version__,
        "methods": "model noisy_persistence bootstrap persistence",
        "variables": "osi tii hci egdi (index 0-1) and egdi_rank (1 = best, among all "
        "countries of the origin edition) are the model's; egdi_<method> the baselines' EGDI",
        "persistence": "egdi_persistence is one member (no draw axis): score it as an ensemble "
        "of size 1, so its CRPS is its absolute error; its rank is origin_egdi_rank",
        "noisy_persistence_sd": np.asarray(sds, float),
        "noisy_persistence_sd_rule": "per edition ahead h, the SD_GRID value with the lowest "
        "rank CRPS over the edition pairs h apart from 2008 to the origin; beyond those, the "
        "h = 1 sd times sqrt(h)",
        "observed": "observed_egdi and observed_egdi_rank (edition, country) are what the UN "
        "published for each target (NaN and 0 where a country is not in the edition); added "
        "after forecasting, for scoring only",
        "scoring": "ranks are recomputed among countries with EGDI > 0 at the origin and the "
        "target: forecast ranks from each member's EGDI (1 + number higher), observed and "
        "persistence ranks from the published rank order; thirds of that table by origin rank; "
        "CRPS = scoringrules.crps_ensemble(obs, x, m_axis=0, estimator='pwm')",
    }


def with_observed(ds: xr.Dataset, surveys: pd.DataFrame) -> xr.Dataset:
    """``ds`` with the published EGDI and rank of each target edition (for scoring only)."""
    countries = list(ds["country"].values)
    egdi, rank = [], []
    for edition in ds["edition"].values:
        frame = _edition(surveys, int(edition)).reindex(countries)
        egdi.append(frame["egdi"].to_numpy(np.float32))
        rank.append(frame["egdi_rank"].fillna(0).to_numpy(np.int16))
    return ds.assign(
        observed_egdi=(("edition", "country"), np.stack(egdi)),
        observed_egdi_rank=(("edition", "country"), np.stack(rank)),
    )


def crps(ensemble: np.ndarray, obs: np.ndarray) -> np.ndarray:
    """Fair ensemble CRPS per column (``scoringrules``, PWM estimator), in the units of ``obs``.

    Parameters
    ----------
    ensemble
        Members, shape ``(member, country)``; one member gives its absolute error (the fair
        estimator divides by ``m - 1``).
    obs
        Observations, shape ``(country,)``.
    """
    x = np.asarray(ensemble, float)
    y = np.asarray(obs, float)
    if x.shape[0] == 1:
        return np.abs(x[0] - y)
    return np.asarray(scoringrules.crps_ensemble(y, x, m_axis=0, estimator="pwm"))


def randomised_pit(ensemble: np.ndarray, obs: np.ndarray, u: np.ndarray) -> np.ndarray:
    """``P(X < y) + u·P(X = y)`` per column; uniform on [0, 1] for a calibrated forecast of an
    integer (or tied) quantity when ``u`` is uniform. Shapes ``(member, n)``, ``(n,)``, ``(n,)``."""
    x = np.asarray(ensemble, float)
    y = np.asarray(obs, float)
    return (x < y).mean(axis=0) + u * (x == y).mean(axis=0)


def score_forecast(ensemble: np.ndarray, obs: np.ndarray, u: np.ndarray) -> dict[str, np.ndarray]:
    """Per-column scores of an ensemble ``(member, n)`` against ``obs`` ``(n,)``.

    Returns
    -------
    ``crps``, ``abs_error`` (of the median), ``cov80``/``cov95`` (1.0 if the central interval
    from ``inverted_cdf`` quantiles holds the observation, else 0.0) and ``pit``
    (:func:`randomised_pit` with ``u``), each ``(n,)``.
    """
    x = np.asarray(ensemble, float)
    y = np.asarray(obs, float)
    out = {"crps": crps(x, y), "abs_error": np.abs(np.median(x, axis=0) - y)}
    for level in (80, 95):
        a = (1 - level / 100) / 2
        lo = np.quantile(x, a, axis=0, method="inverted_cdf")
        hi = np.quantile(x, 1 - a, axis=0, method="inverted_cdf")
        out[f"cov{level}"] = ((lo <= y) & (y <= hi)).astype(float)
    out["pit"] = randomised_pit(x, y, u)
    return out


def thirds(rank: np.ndarray) -> np.ndarray:
    """Third of the table of each rank ``(n,)`` among ``n`` countries: top, middle, bottom."""
    rank = np.asarray(rank)
    return np.asarray(THIRDS)[np.minimum(3 * (rank - 1) // rank.size, 2)]


def score_origin(ds: xr.Dataset, horizons: tuple[int, ...] = HORIZONS) -> pd.DataFrame:
    """Per-country scores of every method in one forecast file (:func:`forecast_origin` with
    :func:`with_observed`); reads nothing but ``ds``.

    Returns
    -------
    Rows (method, quantity, origin, target, horizon, country, third, crps, abs_error, cov80,
    cov95, pit).
    """
    origin, seed = int(ds.attrs["origin"]), int(ds.attrs["seed"])
    editions = [int(e) for e in ds["edition"].values]
    methods = [m for m in METHODS if m == "model" or f"egdi_{m}" in ds]
    frames = []
    for h in (h for h in horizons if h <= len(editions)):
        t = editions[h - 1]
        at = ds.sel(edition=t)
        both = (at["origin_egdi"].values > 0) & (at["observed_egdi"].values > 0)
        origin_rank = rank_desc(-at["origin_egdi_rank"].values[both].astype(float))
        observed = {
            "rank": rank_desc(-at["observed_egdi_rank"].values[both].astype(float)),
            "value": at["observed_egdi"].values[both],
        }
        u = Streams(seed, 0, 1).uniform(f"backtest.pit.{origin}.{t}", (int(both.sum()),))[0]
        for m in methods:
            values = np.atleast_2d(at["egdi" if m == "model" else f"egdi_{m}"].values[..., both])
            forecast = {
                "rank": origin_rank[None] if m == "persistence" else rank_desc(values),
                "value": values,
            }
            for q in QUANTITIES:
                scores = score_forecast(forecast[q], observed[q], u)
                frames.append(
                    pd.DataFrame(
                        {
                            "method": m,
                            "quantity": q,
                            "origin": origin,
                            "target": t,
                            "horizon": h,
                            "country": ds["country"].values[both],
                            "third": thirds(origin_rank),
                            **scores,
                        }
                    )
                )
    return pd.concat(frames, ignore_index=True)


def _aggregate(scores: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Mean scores, median absolute error and PIT histogram of ``scores`` grouped ``by``."""
    grouped = scores.groupby(by, sort=False)
    table = grouped.agg(
        n=("crps", "size"),
        crps=("crps", "mean"),
        mae=("abs_error", "mean"),
        median_ae=("abs_error", "median"),
        cov80=("cov80", "mean"),
        cov95=("cov95", "mean"),
    )
    # bin k holds PIT in [k/10, (k+1)/10); a PIT of exactly 1 goes in the last bin
    bins = np.minimum((scores["pit"].to_numpy() * PIT_BINS).astype(int), PIT_BINS - 1)
    hist = pd.crosstab([scores[c] for c in by], bins, normalize="index")
    hist = hist.reindex(columns=range(PIT_BINS), fill_value=0.0)
    hist.columns = [f"pit_{k}" for k in range(PIT_BINS)]
    hist.index.names = by
    return table.join(hist).reset_index()


def summarise(scores: pd.DataFrame) -> pd.DataFrame:
    """Summary of per-country scores (:func:`score_origin`), three ways.

    Returns
    -------
    Rows with ``group`` "pooled" (over origins), "origin" (one origin and its target at the
    horizon, ``origin`` and ``target`` set) or
    "third" (pooled over origins, one third of the table by origin rank, ``third`` set), per
    method, quantity and horizon; columns ``n`` (countries × origins), ``crps``, ``mae`` (mean
    absolute error of the median), ``median_ae`` (its median), ``cov80``, ``cov95`` and
    ``pit_0`` … ``pit_9`` (share of PIT values in each tenth; 0.1 each when calibrated).
    """
    key = ["method", "quantity", "horizon"]
    parts = {
        "pooled": _aggregate(scores, key),
        "origin": _aggregate(scores, [*key, "origin", "target"]),
        "third": _aggregate(scores, [*key, "third"]),
    }
    out = pd.concat([p.assign(group=g) for g, p in parts.items()], ignore_index=True)
    out[["origin", "target"]] = out[["origin", "target"]].astype("Int64")
    first = ["group", *key, "origin", "target", "third"]
    out = out[first + [c for c in out.columns if c not in first]]
    order = {
        "group": list(parts),
        "method": list(METHODS),
        "quantity": list(QUANTITIES),
        "third": list(THIRDS),
    }
    ranks = {c: out[c].map({v: i for i, v in enumerate(vals)}) for c, vals in order.items()}
    sort = pd.DataFrame(ranks).assign(horizon=out["horizon"], origin=out["origin"])
    index = sort.sort_values(["group", "quantity", "horizon", "origin", "third", "method"]).index
    return out.loc[index].reset_index(drop=True)


@dataclass(frozen=True)
class BacktestResult:
    """A rolling-origin backtest: forecasts, per-country scores and their summary.

    ``forecasts`` maps each origin to its Dataset (:func:`forecast_origin` with the observed
    targets), ``scores`` holds one row per method, quantity, origin, target and country,
    ``summary`` is :func:`summarise` of it.
    """

    scores: pd.DataFrame
    summary: pd.DataFrame
    draws: int
    seed: int
    origins: tuple[int, ...] = ()
    forecasts: dict[int, xr.Dataset] | None = None

    def pooled(self) -> pd.DataFrame:
        """Pooled scores: rows (method, horizon), columns ``<quantity>_<score>`` (e.g.
        ``rank_crps``, ``value_cov80``)."""
        s = self.summary[self.summary["group"] == "pooled"]
        wide = s.pivot_table(
            index=["method", "horizon"],
            columns="quantity",
            values=["crps", "mae", "median_ae", "cov80", "cov95"],
        )
        wide.columns = [f"{q}_{score}" for score, q in wide.columns]
        cols = [f"{q}_{s}" for q in QUANTITIES for s in ("crps", "mae", "median_ae", "cov80")]
        cols += [f"{q}_cov95" for q in QUANTITIES]
        methods = [m for m in METHODS if m in wide.index.get_level_values(0)]
        return wide.loc[methods, [c for c in cols if c in wide.columns]]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: settings and the summary table."""
        summary = self.summary.astype(object).where(self.summary.notna(), None)
        return {
            "draws": self.draws,
            "seed": self.seed,
            "origins": list(self.origins),
            "summary": summary.to_dict(orient="records"),
        }

    def write(self, folder: str | Path) -> list[Path]:
        """Write ``forecast_<origin>.nc`` (netCDF4 via h5netcdf), ``backtest_scores.csv`` and
        ``backtest_summary.csv`` to ``folder``; return the paths."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        paths = []
        for origin, ds in (self.forecasts or {}).items():
            path = out / f"forecast_{origin}.nc"
            ds.to_netcdf(path, engine="h5netcdf")
            paths.append(path)
        for name, table in (("scores", self.scores), ("summary", self.summary)):
            path = out / f"backtest_{name}.csv"
            table.to_csv(path, index=False, float_format="%.6g")
            paths.append(path)
        return paths


def run_backtest(
    surveys: pd.DataFrame | None = None,
    origins: tuple[int, ...] | None = None,
    horizons: tuple[int, ...] = HORIZONS,
    draws: int = 1000,
    seed: int = 0,
) -> BacktestResult:
    """Rolling-origin backtest of EGDI values and world ranks for the model and the baselines.

    Parameters
    ----------
    surveys
        Full survey history; each origin sees only the rows of its vintage (:func:`vintage`).
        Default: the packaged history plus the user's added editions.
    origins
        Origin editions (editions in ``surveys`` with a later one); default
        :data:`DEFAULT_ORIGINS`.
    horizons
        Editions ahead that are scored (1 = next edition in the data).
    """
    if surveys is None:
        surveys = datasets.load_surveys()
    editions = sorted(int(e) for e in surveys["survey_year"].unique())
    origins = DEFAULT_ORIGINS if origins is None else tuple(int(o) for o in origins)
    unknown = [o for o in origins if o not in editions[:-1]]
    if unknown:
        raise ValueError(
            f"origins {unknown} are not survey editions with a later one "
            f"({', '.join(map(str, editions[:-1]))})"
        )
    forecasts, scores = {}, []
    for origin in origins:
        targets = [e for e in editions if e > origin]
        cut = vintage(surveys, origin)  # nothing published after the origin's year
        ds = with_observed(forecast_origin(cut, origin, targets, draws, seed), surveys)
        forecasts[origin] = ds
        scores.append(score_origin(ds, horizons))
    table = pd.concat(scores, ignore_index=True)
    return BacktestResult(
        scores=table,
        summary=summarise(table),
        draws=draws,
        seed=seed,
        origins=origins,
        forecasts=forecasts,
    )
