"""Fit the bounded, shape-preserving dynamics of the EGDI components of every UN member state.

Each component's forecast for edition ``E`` is a **base table** ``B`` in [0, 1] (min 0, max 1, as
every published component) put through an **edition shock** that moves the level and the spread
of the whole table but keeps 0, 1 and every country's order
(:func:`vnsim.fit.copula.quantile_map`)::

    index_E = expit(a_E + exp(β_E) · logit(B_E)),   (a_E, β_E) = trend · [level_trend] + scale · t₄

so no unbounded state can run away from the real frontier (the v1 model's min–max of noisy
z-scores did, squeezing everyone else; issue 12). The parts, each a *term* the rolling-origin
backtest keeps or drops (:data:`TERMS`, :data:`DEFAULT_TERMS`):

* **TII** from its four ITU sub-indicators through the UN pipeline (:mod:`vnsim.fit.pipeline`),
  data year ``E − 2``. Each indicator ``x`` with ceiling ``K`` moves on the logit scale,
  ``y = logit(x / K)``, ``y[t+1] = y[t] + α + λ·y[t] + σ·ε`` (pooled per indicator, fitted on the
  yearly changes of the six years the vintage has published; :mod:`vnsim.fit.indicators`), so
  values saturate. Values already
  published for the data year are **nowcasts**: used as they are, with a revision error. The
  published index differs from the rebuilt one (inputs the public data lack, the UN's gap
  filling); that **persistent residual** is its table-wide mean (a method offset, carried) plus
  each country's deviation, which decays, ``dev_E = ρ · dev_{E−2}`` (``residual_decay_tii``).
* **HCI**: the origin's published table, its order moved by a copula like the OSI's
  (``hci_order``, below), its level and spread by its edition shocks: rebuilt from its public
  inputs (``hci_inputs``) it forecast worse than that (the inputs lack the combined gross
  enrolment ratio; literacy is missing for 43 member states).
* **OSI** has no public inputs. The normal scores ``q`` of the origin's ranks move as
  ``q* = ρ_o·q + φ·Δq + s·ε`` (``φ``: the reversal of the previous change, ``osi_reversal``:
  assessment noise partly undone at the next edition) and ``B_E`` is the origin's OSI quantile
  function read at the new ranks, so its level distribution is carried exactly.
  With ``hci_order`` the HCI table's order moves by a copula of its own,
  ``q* = ρ_h·q + s_h·ε`` fitted on the HCI pairs: each country's HCI moves, as the published
  ones do, while the table's level distribution is carried. With ``heavy_tails`` the copulas'
  ``ε`` are Student-t fitted by maximum likelihood (their residuals are heavy-tailed); with
  ``recent_pairs`` the copulas are fitted on the last :data:`RECENT_PAIRS` pairs only.
* **Edition shocks** ``(a, β)`` per component: the OLS map of the logit of the published 5 %–95 %
  quantiles on those of the base, for every past pair; ``trend`` their mean, ``scale`` their
  root-mean-square deviation plus the standard error of the mean, floored at
  :data:`SHOCK_FLOOR`; drawn from a unit-variance Student-t with :data:`SHOCK_DF` degrees of
  freedom: tails wider than the seven observed pairs, never a resampling of them.

:func:`fit` reads only the editions up to the origin and the sub-indicator rows it is given (the
data layer cuts them by publication date for a vintage). Arrays are ``(country,)`` or
``(indicator, country)`` in the order of :attr:`EgovFit.countries`.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from vnsim.egdi import COMPONENTS
from vnsim.fit import copula, pipeline
from vnsim.fit.indicators import InputState, LogisticDrift, fit_drifts, input_state

#: Terms of the model; :func:`fit` takes a subset, chosen by the rolling-origin backtest.
TERMS: frozenset[str] = frozenset(
    {
        "osi_reversal",
        "osi_level_noise",
        "level_trend",
        "residual_decay_tii",
        "residual_decay_hci",
        "residual_noise",
        "tii_inputs",
        "hci_inputs",
        "hci_order",
        "recent_pairs",
        "heavy_tails",
    }
)
#: Chosen by the rolling-origin backtest (docs/backtest.md, "Choice of terms").
DEFAULT_TERMS: frozenset[str] = frozenset(
    {"level_trend", "residual_decay_tii", "osi_reversal", "tii_inputs", "heavy_tails", "hci_order"}
)

TII_INPUTS: tuple[str, ...] = tuple(pipeline.TII_CAPS)
HCI_INPUTS: tuple[str, ...] = (
    "adult_literacy_pct",
    "expected_years_schooling",
    "mean_years_schooling",
)
HCI_INPUT_WEIGHTS: tuple[float, ...] = (1.0 / 3.0, 2.0 / 9.0, 2.0 / 9.0)
#: Literacy is surveyed every few years: the latest value within 20 years stands (SOURCES.md).
CARRY: dict[str, int] = {"adult_literacy_pct": 20}
#: Assumed literacy of the member states UIS never surveys (mostly high-income countries).
LITERACY_FILL = 99.0
DATA_LAG = 2  # edition E uses data year E - 2 (data/SOURCES.md, correlation check)
SHOCK_DF = 4.0
#: Edition pairs the order copulas are fitted on with the term ``recent_pairs``.
RECENT_PAIRS = 3
SHOCK_FLOOR = np.array([0.05, 0.03])  # minimum scale of (a, β): a stated prior, not data


@dataclass(frozen=True)
class EditionShock:
    """Distribution of one component's edition shock ``(a, β)``: ``trend + scale · t_df``."""

    trend: np.ndarray  # (2,)
    scale: np.ndarray  # (2,)
    df: float = SHOCK_DF
    observed: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))  # (pair, 2)


@dataclass(frozen=True)
class OrderCopula:
    """Normal-score dynamics of a component's order: ``q* = ρ·q + φ·Δq + s·exp(γ·q)·ε``."""

    persistence: float  # ρ
    reversal: float  # φ
    noise: float  # s
    level_noise: float  # γ
    df: float | None  # ε is a Student-t with df degrees of freedom (None: standard normal)
    scores: np.ndarray  # (country,) normal scores of the origin's ranks
    change: np.ndarray  # (country,) their change into the origin (0 if unknown)


@dataclass(frozen=True)
class EgovFit:
    """Everything the simulation needs, fitted at one origin (frozen, picklable)."""

    origin: int
    terms: frozenset[str]
    countries: tuple[str, ...]
    order: dict[str, OrderCopula]  # "osi", and "hci" with the term hci_order
    shocks: dict[str, EditionShock]
    drift: dict[str, LogisticDrift]
    inputs: dict[str, InputState]  # "tii", "hci"
    residual: np.ndarray  # (2, country) published − rebuilt at the origin, TII and HCI
    residual_decay: np.ndarray  # (2,) ρ
    residual_sigma: np.ndarray  # (2,) σ_r per edition (0 unless the term residual_noise)


def edition_shock(maps: np.ndarray, trend: bool) -> EditionShock:
    """Shock distribution from the per-pair quantile maps ``maps`` ``(pair, 2)``.

    With ``trend`` the mean of the pairs is the expected move per edition (its standard error is
    added to the scale); without it the shock is centred on no move.
    """
    maps = np.asarray(maps, float).reshape(-1, 2)
    centre = maps.mean(0) if trend and len(maps) else np.zeros(2)
    rms = np.sqrt(((maps - centre) ** 2).mean(0)) if len(maps) else np.zeros(2)
    se = rms / np.sqrt(max(len(maps), 1)) if trend else 0.0
    scale = np.maximum(np.sqrt(rms**2 + se**2), SHOCK_FLOOR)
    return EditionShock(trend=centre, scale=scale, observed=maps)


def rebuild(
    frames: Mapping[str, pd.DataFrame], countries: Sequence[str], edition: int
) -> dict[str, np.ndarray]:
    """TII and HCI rebuilt from the data of year ``edition − 2``, gaps filled, ``(country,)``."""
    year = edition - DATA_LAG
    t = pipeline.indicator_table({k: frames[k] for k in TII_INPUTS}, countries, year)
    h = pipeline.indicator_table(
        {k: frames[k] for k in HCI_INPUTS}, countries, year, carry_by=CARRY
    )
    t = pipeline.fill_median(t)
    h = pipeline.fill_median(h, {"adult_literacy_pct": LITERACY_FILL})
    return {
        "tii": pipeline.tii(t.to_numpy(float).T),
        "hci": pipeline.hci(h.to_numpy(float).T, HCI_INPUT_WEIGHTS),
    }


def _published(surveys: pd.DataFrame, edition: int, countries: Sequence[str]) -> pd.DataFrame:
    frame = surveys[surveys["survey_year"] == edition].set_index("iso3")
    return frame.reindex(list(countries))[list(COMPONENTS)].astype(float)


def _members(surveys: pd.DataFrame, edition: int) -> list[str]:
    return surveys.loc[surveys["survey_year"] == edition, "iso3"].tolist()


def _residual_ar1(res: dict[int, pd.DataFrame], comp: str, decay: bool) -> tuple[float, float]:
    """AR(1) ``ρ, σ_r`` of each country's residual deviation over consecutive editions."""
    pairs = list(itertools.pairwise(sorted(res)))
    x = np.concatenate([res[a][comp].reindex(res[b].index).to_numpy() for a, b in pairs] or [[]])
    y = np.concatenate([res[b][comp].to_numpy() for _, b in pairs] or [[]])
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() <= 10:
        return 1.0, 0.03
    xv, yv = x[ok], y[ok]
    rho = float(np.clip((xv * yv).sum() / (xv * xv).sum(), 0, 1)) if decay else 1.0
    return rho, float(np.sqrt(np.mean((yv - rho * xv) ** 2)))


def fit_residuals(
    surveys: pd.DataFrame,
    frames: Mapping[str, pd.DataFrame],
    editions: Sequence[int],
    decay: tuple[bool, bool],
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, dict[str, list[np.ndarray]]]:
    """Residual ``published − rebuilt`` of TII and HCI, its AR(1) and the edition quantile maps.

    Returns
    -------
    (residual at the last edition, countries × [tii, hci]; ρ ``(2,)``; σ_r ``(2,)``; per
    component the quantile maps ``(a, β)`` from each pair's base to its published table).
    """
    res: dict[int, pd.DataFrame] = {}
    offset: dict[int, pd.Series] = {}
    rebuilt: dict[int, pd.DataFrame] = {}
    for e in editions:
        countries = _members(surveys, e)
        rebuilt[e] = pd.DataFrame(rebuild(frames, countries, e), index=countries)
        raw = _published(surveys, e, countries)[["tii", "hci"]] - rebuilt[e]
        offset[e] = raw.mean()
        res[e] = raw - offset[e]
    rho, sigma = np.ones(2), np.full(2, 0.03)
    maps: dict[str, list[np.ndarray]] = {"tii": [], "hci": []}
    for j, comp in enumerate(("tii", "hci")):
        rho[j], sigma[j] = _residual_ar1(res, comp, decay[j])
        for a, b in itertools.pairwise(editions):
            # the table-wide mean is the edition's method offset, carried in full; only each
            # country's deviation from it decays, and only in the order, not the table's shape
            dev = res[a][comp].reindex(rebuilt[b].index).fillna(0.0)
            level = pipeline.rescale01((rebuilt[b][comp] + dev + offset[a][comp]).to_numpy())
            base = copula.reorder(level, (rebuilt[b][comp] + rho[j] * dev).to_numpy())
            pub = _published(surveys, b, rebuilt[b].index)[comp].to_numpy()
            maps[comp].append(copula.fit_quantile_map(base, pub))
    last = editions[-1]
    return res[last] + offset[last], rho, sigma, maps


def _scores(values: pd.Series) -> pd.Series:
    """Normal scores of published values (average ranks for ties)."""
    r = stats.rankdata(values.to_numpy(float))
    return pd.Series(stats.norm.ppf((r - 0.5) / len(r)), index=values.index)


def fit_order(
    surveys: pd.DataFrame,
    comp: str,
    editions: Sequence[int],
    countries: Sequence[str],
    *,
    reversal: bool = False,
    level_noise: bool = False,
    heavy_tails: bool = False,
) -> OrderCopula:
    """Copula dynamics of one component's order over consecutive ``editions`` (the last is the
    origin), pooled over countries and pairs; the origin's normal scores in the order of
    ``countries``.

    The noise is Gaussian with the residuals' root mean square, or with ``heavy_tails`` a
    Student-t fitted to them by maximum likelihood (centred): the residuals are heavy-tailed
    (3.7–5.6 degrees of freedom for the OSI), so a Gaussian of the same variance is too wide in
    its middle and too narrow in its tails.
    """
    q = {e: _scores(_published(surveys, e, _members(surveys, e))[comp]) for e in editions}
    rows = []
    for i, (a, b) in enumerate(itertools.pairwise(editions)):
        both = q[a].index.intersection(q[b].index)
        lag = (q[a] - q[editions[i - 1]]).reindex(both).fillna(0.0) if i > 0 else 0.0 * q[a][both]
        rows.append(pd.DataFrame({"q0": q[a][both], "lag": lag, "q1": q[b][both]}))
    panel = pd.concat(rows)
    cols = ["q0", "lag"] if reversal else ["q0"]
    coef, *_ = np.linalg.lstsq(panel[cols].to_numpy(), panel["q1"].to_numpy(), rcond=None)
    e = panel["q1"].to_numpy() - panel[cols].to_numpy() @ coef
    gamma = 0.0
    if level_noise:
        gamma = float(np.polyfit(panel["q0"].to_numpy(), np.log(np.abs(e) + 1e-6), 1)[0])
    e = e / np.exp(gamma * panel["q0"].to_numpy())
    df, noise = None, float(np.sqrt(np.mean(e**2)))
    if heavy_tails:
        df, _, noise = stats.t.fit(e, floc=0.0)
        df, noise = float(np.clip(df, 2.0, 100.0)), float(noise)
    origin = editions[-1]
    change = np.zeros(len(countries))
    if len(editions) > 1:
        change = (q[origin] - q[editions[-2]]).reindex(list(countries)).fillna(0.0).to_numpy(float)
    return OrderCopula(
        persistence=float(coef[0]),
        reversal=float(coef[1]) if len(coef) > 1 else 0.0,
        noise=noise,
        level_noise=gamma,
        df=df,
        scores=q[origin].reindex(list(countries)).to_numpy(float),
        change=change,
    )


def published_maps(surveys: pd.DataFrame, comp: str, editions: Sequence[int]) -> list[np.ndarray]:
    """Quantile maps ``(a, β)`` of a component's published table onto the next, per pair of
    consecutive ``editions``."""
    tables = [surveys.loc[surveys["survey_year"] == e, comp].to_numpy(float) for e in editions]
    return [copula.fit_quantile_map(a, b) for a, b in itertools.pairwise(tables)]


def fit(
    surveys: pd.DataFrame,
    frames: Mapping[str, pd.DataFrame],
    origin: int,
    *,
    terms: frozenset[str] = DEFAULT_TERMS,
    first_osi_edition: int = 2008,
    first_pipeline_edition: int = 2010,
) -> EgovFit:
    """Fit every part of the dynamics on the editions up to ``origin`` and the given data.

    Parameters
    ----------
    surveys
        Survey history (``survey_year, iso3, osi, tii, hci``); editions after ``origin`` are
        dropped first.
    frames
        Sub-indicator name (every key of :data:`CEILINGS`) -> ``iso3, year, value``, as the
        vintage has them (the data layer cuts them by publication date).
    origin
        Last observed edition (the start of simulations).
    terms
        Subset of :data:`TERMS`.
    first_osi_edition, first_pipeline_edition
        First edition of the OSI copula's pairs (biennial from 2008) and of the TII/HCI
        rebuild (the sub-indicators start in the 2000s).
    """
    unknown = set(terms) - TERMS
    if unknown:
        raise ValueError(f"unknown terms {sorted(unknown)}; choose from {sorted(TERMS)}")
    if {"hci_inputs", "hci_order"} <= set(terms):
        raise ValueError("hci_inputs and hci_order are alternatives: choose one")
    surveys = surveys[surveys["survey_year"] <= origin]
    editions = sorted(int(e) for e in surveys["survey_year"].unique())
    countries = _members(surveys, origin)
    osi_eds = [e for e in editions if e >= first_osi_edition]
    # the OSI order has grown steadier edition by edition (residual sd of the normal scores
    # 0.49 in 2008-2010, 0.35 in 2020-2022): with recent_pairs only the latest pairs speak
    order_eds = osi_eds[-RECENT_PAIRS - 1 :] if "recent_pairs" in terms else osi_eds
    order: dict[str, OrderCopula] = {}
    order["osi"] = fit_order(
        surveys,
        "osi",
        order_eds,
        countries,
        reversal="osi_reversal" in terms,
        level_noise="osi_level_noise" in terms,
        heavy_tails="heavy_tails" in terms,
    )
    if "hci_order" in terms:
        order["hci"] = fit_order(
            surveys, "hci", order_eds, countries, heavy_tails="heavy_tails" in terms
        )
    pipe_eds = [e for e in editions if e >= first_pipeline_edition]
    decay = ("residual_decay_tii" in terms, "residual_decay_hci" in terms)
    residual, rho, sigma, maps = fit_residuals(surveys, frames, pipe_eds, decay)
    trend = "level_trend" in terms
    shocks = {"osi": edition_shock(np.array(published_maps(surveys, "osi", osi_eds)), trend)}
    for k in ("tii", "hci"):
        if f"{k}_inputs" not in terms:  # the table is held: shocks map published to published
            maps[k] = published_maps(surveys, k, pipe_eds)
        shocks[k] = edition_shock(np.array(maps[k]), trend)
    fill = {"adult_literacy_pct": LITERACY_FILL}
    return EgovFit(
        origin=origin,
        terms=frozenset(terms),
        countries=tuple(countries),
        order=order,
        shocks=shocks,
        drift=fit_drifts(frames),
        inputs={
            "tii": input_state(frames, TII_INPUTS, countries),
            "hci": input_state(frames, HCI_INPUTS, countries, fill),
        },
        residual=residual.reindex(countries).fillna(0.0).to_numpy(float).T,
        residual_decay=rho,
        # the rebuilt index already moves with the simulated sub-indicators: extra residual
        # noise double-counts (backtest: rank 80 % coverage 0.89 with it, 0.85 without)
        residual_sigma=sigma if "residual_noise" in terms else np.zeros(2),
    )


def rebuilt_correlations(
    surveys: pd.DataFrame, frames: Mapping[str, pd.DataFrame], editions: Sequence[int]
) -> pd.DataFrame:
    """Pearson correlation of the rebuilt TII and HCI with the published ones, per edition.

    ``strict``: the countries with every input in the data year ``E − 2`` (``n`` of them), as
    the UN formula reads; ``filled``: every member state, gaps filled as the fit fills them.
    """
    rows = []
    for e in editions:
        pub = surveys[(surveys["survey_year"] == e) & (surveys["egdi"] > 0)].set_index("iso3")
        countries = list(pub.index)
        filled = rebuild(frames, countries, e)
        row: dict[str, float] = {"edition": e}
        for comp, names, kw in (
            ("tii", TII_INPUTS, {}),
            ("hci", HCI_INPUTS, {"carry_by": CARRY}),
        ):
            table = pipeline.indicator_table({k: frames[k] for k in names}, countries, e - 2, **kw)
            table = table.dropna()
            raw = table.to_numpy(float).T
            index = pipeline.tii(raw) if comp == "tii" else pipeline.hci(raw, HCI_INPUT_WEIGHTS)
            strict = pipeline.correlation(pd.Series(index, table.index), pub[comp])
            row[f"{comp}_strict"], row[f"{comp}_n"] = strict["pearson"], strict["n"]
            both = pd.Series(filled[comp], countries)
            row[f"{comp}_filled"] = pipeline.correlation(both, pub[comp])["pearson"]
        rows.append(row)
    return pd.DataFrame(rows).set_index("edition")
