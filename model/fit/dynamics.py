"""Bounded, shape-preserving dynamics of the EGDI components of every UN member state (v2).

Each component's forecast for edition ``E`` is a **base index** ``B`` in [0, 1] (min 0, max 1,
as every published component) passed through an **edition shock** that moves the level and the
spread of the whole table but keeps 0, 1 and every country's order::

    index_E = expit(a_E + exp(β_E) · logit(B_E))          (0 and 1 stay 0 and 1)
    (a_E, β_E) = trend · [on] + scale · t_ν                 one draw per edition and component

* **TII** (and the HCI with the term ``hci_inputs``) — built with the UN pipeline
  (:mod:`vnsim.fit.pipeline`) from raw sub-indicators of data year ``E − 2``. Each indicator
  ``x`` with ceiling ``K`` moves on the logit scale, ``y = logit(x / K)``::

      y[t+1] = y[t] + α + λ · y[t] + σ · ε               (pooled per indicator, fitted yearly)

  (``k`` years in one exact step), so values saturate at ``K`` (100 % for internet users; the
  120 cap of the pipeline does the rest for subscriptions). Values already published for the
  data year are used as they are, with a revision error on the logit scale (**nowcasting**);
  countries still missing start from their latest published value. The published index at the
  origin differs from the rebuilt one (inputs the public data lack, the UN's gap filling); that
  **persistent residual** ``r = published − rebuilt`` is its table-wide mean (carried) plus
  each country's deviation, which decays, ``dev[E] = ρ · dev[E−2]``. The countries' order
  comes from ``rebuilt_E + mean + ρ·dev``, the table's shape from ``rebuilt_E + r`` (a copula,
  :func:`reorder`), so the decay does not pull the published shape back to the rebuilt one.
* **HCI** by default — the origin's published table, moved only by its edition shocks: its
  rebuilt changes forecast worse than persistence (docs/egov_v2.md §5).
* **OSI** — no public inputs. Its cross-country order is a Gaussian copula: ``q`` are the
  normal scores of the origin's ranks and each edition::

      q* = ρ_o · q + φ · Δq + u_c + s · exp(γ · q) · ε ,   q_E = normal scores of ranks of q*

  (``φ`` the reversal of the previous change, ``u_c`` a shrunken country effect, ``γ``
  level-dependent noise: each one a term the backtest keeps or drops). ``B_E`` is the origin's
  OSI quantile function read at the new ranks, so the level distribution is carried exactly and
  only the edition shock (with its trend) moves it.

Edition-shock scales come from the quantile maps between consecutive editions (``logit`` of the
published quantiles regressed on ``logit`` of the base's), drawn from a Student-t with
``ν = 4`` scaled to the pairs' root-mean-square deviation with a stated floor: wider tails than
the few observed pairs, never a resampling of them.

All simulation arrays are ``(draw, country)`` float32 (indicators ``(draw, indicator,
country)``); random numbers come from the ``numpy.random.Generator`` passed in per stream.
:func:`fit` uses only editions up to the origin and sub-indicators published by its vintage.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special, stats
from vnsim.fit import pipeline

COMPONENTS: tuple[str, str, str] = ("osi", "tii", "hci")

#: Terms of the model; :func:`fit` takes a subset, chosen by the rolling-origin backtest.
TERMS: frozenset[str] = frozenset(
    {
        "osi_reversal",
        "osi_country_effect",
        "osi_level_noise",
        "level_trend",
        "residual_decay_tii",
        "residual_decay_hci",
        "residual_noise",
        "tii_inputs",
        "hci_inputs",
    }
)
#: Chosen by the rolling-origin backtest (docs/egov_v2.md): the other terms did not help.
DEFAULT_TERMS: frozenset[str] = frozenset(
    {"level_trend", "residual_decay_tii", "osi_reversal", "tii_inputs"}
)

#: Sub-indicators simulated for each component and their saturation level K (units of the data).
#: Internet users and literacy cannot pass 100 %; subscriptions pass 100 per 100 (the pipeline's
#: 120 cap binds first), schooling ceilings are above every observed value (assumptions).
CEILINGS: dict[str, float] = {
    "internet_users_pct": 100.0,
    "mobile_cellular_per100": 200.0,
    "active_mobile_broadband_per100": 200.0,
    "fixed_broadband_per100": 100.0,
    "adult_literacy_pct": 100.0,
    "expected_years_schooling": 25.0,
    "mean_years_schooling": 16.0,
}
TII_INPUTS: tuple[str, ...] = tuple(pipeline.TII_CAPS)
HCI_INPUTS: tuple[str, ...] = (
    "adult_literacy_pct",
    "expected_years_schooling",
    "mean_years_schooling",
)
HCI_INPUT_WEIGHTS: tuple[float, ...] = (1.0 / 3.0, 2.0 / 9.0, 2.0 / 9.0)

#: Years between a data year and its publication (ITU: the next year; UNDP's HDR: two years).
PUBLICATION_LAG: dict[str, int] = {
    **dict.fromkeys(TII_INPUTS, 1),
    "adult_literacy_pct": 1,
    "expected_years_schooling": 2,
    "mean_years_schooling": 2,
}
#: Literacy is surveyed every few years: the latest value within 20 years stands (SOURCES.md).
CARRY: dict[str, int] = {"adult_literacy_pct": 20}
#: Assumed literacy of the member states UIS never surveys (mostly high-income countries).
LITERACY_FILL = 99.0
DATA_LAG = 2  # edition E uses data year E - 2 (SOURCES.md correlation check)
NEVER = 9999  # data year given to never-covered countries: they are not projected
HELD = frozenset({"adult_literacy_pct"})  # surveyed rarely: the latest value stands
SHOCK_DF = 4.0
#: Revision error (logit scale, scale of a t3) of the latest published data years; the two
#: ITU vintages of internet users in the shared data differ by mean |Δlogit| 0.09–0.16 for
#: 2020–2022 and by almost nothing for 2016 (research/egov_v2_backtest.py, docs/egov_v2.md).
REVISION_SD = 0.1
REVISED_YEARS = 3
STALE_YEARS = 3
SHOCK_FLOOR = np.array([0.05, 0.03])  # minimum scale of (a, β): a stated prior, not data


@dataclass(frozen=True)
class LogisticDrift:
    """Yearly logit-scale dynamics of one sub-indicator (see the module equation)."""

    ceiling: float
    intercept: float  # α per year
    slope: float  # λ per year
    sigma: float  # σ per year, logit units
    revision: float  # σ_rev of a published value, logit units


@dataclass(frozen=True)
class EditionShock:
    """Distribution of one component's edition shock ``(a, β)``: ``trend + scale · t_ν``."""

    trend: np.ndarray  # (2,)
    scale: np.ndarray  # (2,)
    df: float = SHOCK_DF
    observed: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))  # (pair, 2)


@dataclass(frozen=True)
class OsiCopula:
    """Normal-score dynamics of the OSI order."""

    persistence: float  # ρ_o
    reversal: float  # φ
    noise: float  # s
    level_noise: float  # γ
    country_effect: np.ndarray  # (country,) u_c


@dataclass(frozen=True)
class InputState:
    """Sub-indicators of one component as published by the vintage, for every country."""

    names: tuple[str, ...]
    value: np.ndarray  # (indicator, country) latest published value, filled
    year: np.ndarray  # (indicator, country) its data year


@dataclass(frozen=True)
class EgovParams:
    """Everything :func:`simulate` needs, fitted at one origin (frozen, picklable)."""

    origin: int
    terms: frozenset[str]
    countries: tuple[str, ...]
    published: np.ndarray  # (comp, country) index at the origin
    osi_scores: np.ndarray  # (country,) normal scores of the origin's OSI ranks
    osi_change: np.ndarray  # (country,) their change into the origin (0 if unknown)
    osi: OsiCopula
    shocks: dict[str, EditionShock]
    drift: dict[str, LogisticDrift]
    inputs: dict[str, InputState]  # "tii", "hci"
    residual: np.ndarray  # (2, country) published − rebuilt at the origin, TII and HCI
    residual_decay: np.ndarray  # (2,) ρ
    residual_sigma: np.ndarray  # (2,) σ_r


def logit_scaled(x: np.ndarray, ceiling: float, eps: float = 1e-3) -> np.ndarray:
    """``logit(x / ceiling)`` with the share clipped to ``[eps, 1 − eps]``."""
    return special.logit(np.clip(np.asarray(x) / ceiling, eps, 1.0 - eps))


def ranks_of(x: np.ndarray) -> np.ndarray:
    """0-based ranks (ascending) across the last axis with one sort (a scatter, not two sorts)."""
    order = np.argsort(x, axis=-1, kind="stable")
    ranks = np.empty_like(order)
    seq = np.broadcast_to(np.arange(x.shape[-1]), x.shape)
    np.put_along_axis(ranks, order, seq, axis=-1)
    return ranks


def normal_scores(x: np.ndarray) -> np.ndarray:
    """Normal scores ``Φ⁻¹((rank − ½) / n)`` across the last axis (ties broken by position)."""
    n = x.shape[-1]
    table = stats.norm.ppf((np.arange(n) + 0.5) / n).astype(np.float32)
    return table[ranks_of(x)]


def quantile_map(index: np.ndarray, a: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Edition shock ``expit(a + exp(β)·logit(index))``; 0 and 1 stay put, order is kept.

    Parameters
    ----------
    index
        Base index in [0, 1], shape ``(draw, country)``.
    a, beta
        Shift and log-spread, shape ``(draw,)``.
    """
    with np.errstate(divide="ignore"):
        y = special.logit(index)
    a32, b32 = np.asarray(a, np.float32)[:, None], np.exp(np.asarray(beta, np.float32))[:, None]
    return special.expit(a32 + b32 * y).astype(np.float32, copy=False)


def reorder(level: np.ndarray, order: np.ndarray) -> np.ndarray:
    """The values of ``level`` re-assigned to countries in the order of ``order`` (last axis).

    The result has exactly the cross-country distribution of ``level`` (its shape and its 0 and
    1) and the ranks of ``order``: a copula of the two.
    """
    out = np.empty_like(level)
    np.put_along_axis(out, np.argsort(order, axis=-1), np.sort(level, axis=-1), axis=-1)
    return out


def fit_quantile_map(base: np.ndarray, published: np.ndarray) -> np.ndarray:
    """``(a, β)`` mapping the base's quantiles onto the published ones (logit scale, OLS).

    Uses the 5 %–95 % quantiles, which the min–max endpoints do not pin.
    """
    p = np.linspace(0.05, 0.95, 19)
    qb = logit_scaled(np.nanquantile(base, p), 1.0, 0.005)
    qp = logit_scaled(np.nanquantile(published, p), 1.0, 0.005)
    slope, intercept = np.polyfit(qb, qp, 1)
    return np.array([intercept, np.log(max(slope, 1e-3))])


def edition_shock(maps: np.ndarray, trend: bool) -> EditionShock:
    """Shock distribution from the per-pair quantile maps ``maps`` ``(pair, 2)``.

    With ``trend`` the mean of the pairs is the expected move per edition (its standard error
    is added to the scale); without it the shock is centred on no move.
    """
    maps = np.asarray(maps, float).reshape(-1, 2)
    centre = maps.mean(0) if trend and len(maps) else np.zeros(2)
    dev = maps - centre
    rms = np.sqrt((dev**2).mean(0)) if len(maps) else np.zeros(2)
    se = rms / np.sqrt(max(len(maps), 1)) if trend else 0.0
    scale = np.maximum(np.sqrt(rms**2 + se**2), SHOCK_FLOOR)
    return EditionShock(trend=centre, scale=scale, observed=maps)


def fit_drift(
    frame: pd.DataFrame, ceiling: float, last_year: int, window: int = 6
) -> LogisticDrift:
    """Pooled yearly logit dynamics of one indicator from ``frame`` (``iso3, year, value``).

    Year pairs ``(t, t + 1)`` with ``t + 1`` in the ``window`` years up to ``last_year``
    (the last year the vintage has published). The slope and intercept are OLS; σ is the
    robust (MAD) scale of the residuals, so revisions and reporting breaks do not inflate it.
    """
    f = frame[(frame["year"] <= last_year) & (frame["year"] >= last_year - window)]
    wide = f.pivot_table(index="iso3", columns="year", values="value")
    y = logit_scaled(wide.to_numpy(float), ceiling)
    y0, y1 = y[:, :-1].ravel(), y[:, 1:].ravel()
    ok = np.isfinite(y0) & np.isfinite(y1)
    if ok.sum() < 20:
        return LogisticDrift(ceiling, 0.0, 0.0, 0.1, 0.05)
    slope, intercept = np.polyfit(y0[ok], (y1 - y0)[ok], 1)
    e = (y1 - y0)[ok] - (intercept + slope * y0[ok])
    sigma = float(stats.median_abs_deviation(e, scale="normal"))
    return LogisticDrift(ceiling, float(intercept), float(slope), sigma, revision=REVISION_SD)


def start_inputs(
    state: InputState, drift: Mapping[str, LogisticDrift], n_draws: int, rng: np.random.Generator
) -> np.ndarray:
    """Logit-scale sub-indicators as published, with revision error, ``(draw, indicator, country)``.

    Only the last :data:`REVISED_YEARS` data years are revised; the error is Student-t with 3
    degrees of freedom (most values never change, a few move a lot: two ITU vintages of
    internet users, 2016–2022, differ by a mean 0.003 logit for 2016 and 0.16 for 2022).
    """
    k, c = state.value.shape
    y = np.empty((n_draws, k, c), np.float32)
    for i, name in enumerate(state.names):
        d = drift[name]
        recent = state.year[i] > state.year[i][state.year[i] < NEVER].max() - REVISED_YEARS
        y[:, i] = logit_scaled(state.value[i], d.ceiling)[None, :]
        if d.revision > 0:
            err = d.revision * rng.standard_t(3.0, (n_draws, int(recent.sum())))
            y[:, i, recent] += err.astype(np.float32)
    return y


def advance_inputs(
    y: np.ndarray,
    state: InputState,
    drift: Mapping[str, LogisticDrift],
    start: int,
    year: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Move logit sub-indicators ``y`` ``(draw, indicator, country)`` from data year ``start``
    to ``year``. A country moves only in years after its latest published value, so published
    values are nowcasts, not forecasts.

    The yearly step is linear in ``y`` with Gaussian noise, so ``k`` years are one exact step::

        y[t+k] = g·y[t] + α·(g − 1)/λ + σ·√((g² − 1)/((1 + λ)² − 1))·ε,   g = (1 + λ)^k

    with ``k`` per country (0 for countries already published), one draw of ``ε``.
    """
    y = y.copy()
    n, _, c = y.shape
    for i, name in enumerate(state.names):
        d = drift[name]
        k = np.clip(year - np.maximum(state.year[i], start), 0, None).astype(float)
        if not k.any():
            continue
        lam = 1.0 + d.slope
        g = lam**k
        if abs(d.slope) > 1e-9:
            mean = d.intercept * (g - 1.0) / d.slope
            sd = d.sigma * np.sqrt((g**2 - 1.0) / (lam**2 - 1.0))
        else:
            mean, sd = d.intercept * k, d.sigma * np.sqrt(k)
        noise = rng.standard_normal((n, c), dtype=np.float32)
        y[:, i] = (
            g.astype(np.float32) * y[:, i] + mean.astype(np.float32) + sd.astype(np.float32) * noise
        )
    return y


def input_values(
    y: np.ndarray, state: InputState, drift: Mapping[str, LogisticDrift]
) -> np.ndarray:
    """Sub-indicators in their units from the logit state, ``(draw, indicator, country)``."""
    k = np.array([drift[name].ceiling for name in state.names], np.float32)[None, :, None]
    return k * special.expit(y)


def input_state(
    frames: Mapping[str, pd.DataFrame],
    names: Sequence[str],
    countries: Sequence[str],
    as_of: int,
    fill: Mapping[str, float] | None = None,
) -> InputState:
    """Latest value and data year of each sub-indicator published by the end of ``as_of``.

    Countries never covered get the ``fill`` value (or the cross-country median) with a data
    year far ahead, so they stay put: the persistent residual carries their level.
    """
    value = np.empty((len(names), len(countries)))
    year = np.empty((len(names), len(countries)), int)
    for i, name in enumerate(names):
        f = frames[name]
        f = f[f["year"] <= as_of - PUBLICATION_LAG.get(name, 1)].dropna(subset=["value"])
        last = f.sort_values("year").groupby("iso3").last().reindex(list(countries))
        default = (fill or {}).get(name, float(last["value"].median()))
        value[i] = last["value"].fillna(default).to_numpy(float)
        # a value older than STALE_YEARS is projected from STALE_YEARS before the latest year
        # only: the UN itself carries old figures, and the persistent residual holds the level
        latest = int(last["year"].max()) if last["year"].notna().any() else as_of
        year[i] = last["year"].clip(lower=latest - STALE_YEARS).fillna(NEVER).to_numpy(int)
    return InputState(tuple(names), value, year)


def rebuild(
    frames: Mapping[str, pd.DataFrame], countries: Sequence[str], edition: int
) -> dict[str, np.ndarray]:
    """TII and HCI rebuilt from the data of year ``edition − 2`` (gaps filled), ``(country,)``."""
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


def fit_residuals(
    surveys: pd.DataFrame,
    frames: Mapping[str, pd.DataFrame],
    editions: Sequence[int],
    decay: tuple[bool, bool],
) -> tuple[dict[int, pd.DataFrame], np.ndarray, np.ndarray, dict[str, list[np.ndarray]]]:
    """Residual ``published − rebuilt`` per edition, its AR(1) ``ρ, σ_r`` and quantile maps.

    Returns
    -------
    (residuals per edition ``(country × [tii, hci])``, ρ ``(2,)``, σ_r ``(2,)``,
    per component the quantile maps ``(a, β)`` of the pairs).
    """
    res: dict[int, pd.DataFrame] = {}
    offset: dict[int, pd.Series] = {}
    rebuilt: dict[int, pd.DataFrame] = {}
    for e in editions:
        countries = surveys.loc[surveys["survey_year"] == e, "iso3"].tolist()
        rebuilt[e] = pd.DataFrame(rebuild(frames, countries, e), index=countries)
        raw = _published(surveys, e, countries)[["tii", "hci"]] - rebuilt[e]
        offset[e] = raw.mean()
        res[e] = raw - offset[e]
    rho, sigma = np.ones(2), np.full(2, 0.03)
    maps: dict[str, list[np.ndarray]] = {"tii": [], "hci": []}
    pairs = list(itertools.pairwise(editions))
    for j, comp in enumerate(("tii", "hci")):
        xs = [res[a][comp].reindex(res[b].index).to_numpy() for a, b in pairs]
        ys = [res[b][comp].to_numpy() for _, b in pairs]
        x, y = (np.concatenate(v) if v else np.zeros(0) for v in (xs, ys))
        ok = np.isfinite(x) & np.isfinite(y)
        if ok.sum() > 10:
            xv, yv = x[ok], y[ok]
            rho[j] = float(np.clip((xv * yv).sum() / (xv * xv).sum(), 0, 1)) if decay[j] else 1.0
            sigma[j] = float(np.sqrt(np.mean((yv - rho[j] * xv) ** 2)))
        for a, b in pairs:
            # the table-wide mean of the residual is the edition's method offset, carried in
            # full; only each country's deviation from it decays
            carried = res[a][comp].reindex(rebuilt[b].index).fillna(0.0) * rho[j]
            carried += offset[a][comp]
            full = res[a][comp].reindex(rebuilt[b].index).fillna(0.0) + offset[a][comp]
            level = pipeline.rescale01((rebuilt[b][comp] + full).to_numpy())
            base = reorder(level, (rebuilt[b][comp] + carried).to_numpy())
            pub = _published(surveys, b, rebuilt[b].index)[comp].to_numpy()
            maps[comp].append(fit_quantile_map(base, pub))
    full = {e: res[e] + offset[e] for e in res}
    return full, rho, sigma, maps


def _scores(values: pd.Series) -> pd.Series:
    """Normal scores of published values (average ranks for ties)."""
    r = stats.rankdata(values.to_numpy(float))
    return pd.Series(stats.norm.ppf((r - 0.5) / len(r)), index=values.index)


def fit_osi(
    surveys: pd.DataFrame, editions: Sequence[int], countries: Sequence[str], terms: frozenset[str]
) -> tuple[OsiCopula, np.ndarray, np.ndarray, list[np.ndarray]]:
    """Copula dynamics of the OSI order on consecutive ``editions`` (the last is the origin).

    Returns
    -------
    (copula, origin normal scores ``(country,)``, their last change ``(country,)``, quantile maps
    of the pairs).
    """
    q = {e: _scores(_published(surveys, e, _members(surveys, e))["osi"]) for e in editions}
    rows, maps = [], []
    for i, (a, b) in enumerate(itertools.pairwise(editions)):
        both = q[a].index.intersection(q[b].index)
        prev = q[editions[i - 1]] if i > 0 else None
        lag = (q[a] - prev).reindex(both).fillna(0.0) if prev is not None else 0.0 * q[a][both]
        rows.append(pd.DataFrame({"q0": q[a][both], "lag": lag, "q1": q[b][both]}))
        osi = [surveys.loc[surveys["survey_year"] == e, "osi"].to_numpy(float) for e in (a, b)]
        maps.append(fit_quantile_map(*osi))
    panel = pd.concat(rows)
    cols = ["q0", "lag"] if "osi_reversal" in terms else ["q0"]
    coef, *_ = np.linalg.lstsq(panel[cols].to_numpy(), panel["q1"].to_numpy(), rcond=None)
    e = panel["q1"].to_numpy() - panel[cols].to_numpy() @ coef
    gamma = 0.0
    if "osi_level_noise" in terms:
        gamma = float(np.polyfit(panel["q0"].to_numpy(), np.log(np.abs(e) + 1e-6), 1)[0])
    e = e / np.exp(gamma * panel["q0"].to_numpy())
    effect = pd.Series(0.0, index=list(countries))
    if "osi_country_effect" in terms:
        effect = _shrunken_means(pd.Series(e, index=panel.index)).reindex(effect.index).fillna(0)
        e = e - effect.reindex(panel.index).fillna(0.0).to_numpy()
    copula = OsiCopula(
        persistence=float(coef[0]),
        reversal=float(coef[1]) if len(coef) > 1 else 0.0,
        noise=float(np.sqrt(np.mean(e**2))),
        level_noise=gamma,
        country_effect=effect.to_numpy(float),
    )
    origin, before = editions[-1], editions[-2] if len(editions) > 1 else None
    scores = q[origin].reindex(list(countries)).to_numpy(float)
    change = np.zeros(len(countries))
    if before is not None:
        change = (q[origin] - q[before]).reindex(list(countries)).fillna(0.0).to_numpy(float)
    return copula, scores, change, maps


def _members(surveys: pd.DataFrame, edition: int) -> list[str]:
    return surveys.loc[surveys["survey_year"] == edition, "iso3"].tolist()


def _shrunken_means(resid: pd.Series) -> pd.Series:
    """Country means of residuals shrunk toward 0 (one-way random effects, moments)."""
    g = resid.groupby(level=0)
    n, mean = g.size(), g.mean()
    within = float(
        ((resid - mean.reindex(resid.index).to_numpy()) ** 2).sum() / max(len(resid) - len(n), 1)
    )
    tau2 = max(0.0, float(np.mean(mean**2 - within / n)))
    return mean * (tau2 / (tau2 + within / n)) if tau2 > 0 else mean * 0.0


def published_frames(frames: Mapping[str, pd.DataFrame], as_of: int) -> dict[str, pd.DataFrame]:
    """Sub-indicator rows published by the end of ``as_of`` (data year ≤ as_of − lag)."""
    return {k: f[f["year"] <= as_of - PUBLICATION_LAG.get(k, 1)] for k, f in frames.items()}


def fit_drifts(
    frames: Mapping[str, pd.DataFrame], as_of: int, revision: Mapping[str, float] | None = None
) -> dict[str, LogisticDrift]:
    """Yearly logit dynamics of every sub-indicator on the data published by ``as_of``."""
    drift = {}
    for name in (*TII_INPUTS, *HCI_INPUTS):
        last = as_of - PUBLICATION_LAG[name]
        d = (
            LogisticDrift(CEILINGS[name], 0.0, 0.0, 0.0, 0.0)
            if name in HELD
            else fit_drift(frames[name], CEILINGS[name], last)
        )
        if revision is not None and name in revision:
            d = LogisticDrift(d.ceiling, d.intercept, d.slope, d.sigma, float(revision[name]))
        drift[name] = d
    return drift


def fit(
    surveys: pd.DataFrame,
    frames: Mapping[str, pd.DataFrame],
    origin: int,
    *,
    terms: frozenset[str] = DEFAULT_TERMS,
    as_of: int | None = None,
    first_osi_edition: int = 2008,
    first_pipeline_edition: int = 2010,
    revision: Mapping[str, float] | None = None,
) -> EgovParams:
    """Fit every part of the v2 dynamics on data published by the vintage.

    Parameters
    ----------
    surveys
        Survey history (``survey_year, iso3, osi, tii, hci``); editions after ``origin`` are
        dropped first.
    frames
        Sub-indicator name -> ``iso3, year, value`` (the names of :data:`CEILINGS`); rows
        published after ``as_of`` are dropped first (:data:`PUBLICATION_LAG`).
    origin
        Last observed edition (the start of simulations).
    terms
        Subset of :data:`TERMS`.
    as_of
        Vintage year (default ``origin``: the end of the origin's year).
    revision
        Revision sd (logit units) per sub-indicator; default each indicator's yearly σ.
    """
    unknown = set(terms) - TERMS
    if unknown:
        raise ValueError(f"unknown terms {sorted(unknown)}; choose from {sorted(TERMS)}")
    as_of = origin if as_of is None else as_of
    surveys = surveys[surveys["survey_year"] <= origin]
    frames = published_frames(frames, as_of)
    editions = sorted(int(e) for e in surveys["survey_year"].unique())
    countries = _members(surveys, origin)
    osi_eds = [e for e in editions if e >= first_osi_edition]
    copula, scores, change, osi_maps = fit_osi(surveys, osi_eds, countries, frozenset(terms))
    pipe_eds = [e for e in editions if e >= first_pipeline_edition]
    res, rho, sigma, maps = fit_residuals(
        surveys, frames, pipe_eds, ("residual_decay_tii" in terms, "residual_decay_hci" in terms)
    )
    trend = "level_trend" in terms
    shocks = {"osi": edition_shock(np.array(osi_maps), trend)}
    for k in ("tii", "hci"):
        if f"{k}_inputs" not in terms:  # the table is held: shocks map published to published
            pub = [surveys.loc[surveys["survey_year"] == e, k].to_numpy(float) for e in pipe_eds]
            maps[k] = [fit_quantile_map(a, b) for a, b in itertools.pairwise(pub)]
        shocks[k] = edition_shock(np.array(maps[k]), trend)
    drift = fit_drifts(frames, as_of, revision)
    inputs = {
        "tii": input_state(frames, TII_INPUTS, countries, as_of),
        "hci": input_state(
            frames, HCI_INPUTS, countries, as_of, {"adult_literacy_pct": LITERACY_FILL}
        ),
    }
    return EgovParams(
        origin=origin,
        terms=frozenset(terms),
        countries=tuple(countries),
        published=_published(surveys, origin, countries).to_numpy(float).T,
        osi_scores=scores,
        osi_change=change,
        osi=copula,
        shocks=shocks,
        drift=drift,
        inputs=inputs,
        residual=res[origin].reindex(countries).fillna(0.0).to_numpy(float).T,
        residual_decay=rho,
        # the rebuilt index already moves with the simulated sub-indicators, so extra residual
        # noise double-counts (backtest: rank coverage 0.92 with it, 0.82 without)
        residual_sigma=sigma if "residual_noise" in terms else np.zeros(2),
    )


#: Random streams :func:`simulate` reads (the engine maps each to its chunk-invariant stream).
STREAMS: tuple[str, ...] = ("osi", "inputs", "residual", "shock")


def osi_step(
    params: EgovParams, q: np.ndarray, dq: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """One edition of the OSI copula: new normal scores ``(draw, country)`` float32."""
    c = params.osi
    eps = rng.standard_normal(q.shape, dtype=np.float32)
    latent = c.persistence * q + c.reversal * dq + c.country_effect.astype(np.float32)
    latent += c.noise * np.exp(c.level_noise * q) * eps
    return normal_scores(latent)


def draw_shock(
    shock: EditionShock, steps: int, n_draws: int, rng: np.random.Generator
) -> np.ndarray:
    """Edition shock ``(a, β)`` over ``steps`` editions, shape ``(draw, 2)``.

    Student-t with :data:`SHOCK_DF` degrees of freedom scaled to unit variance times the fitted
    scale: the fitted spread, with tails wider than the pairs it came from.
    """
    t = rng.standard_t(shock.df, (n_draws, 2)) * np.sqrt((shock.df - 2.0) / shock.df)
    return steps * shock.trend + np.sqrt(steps) * shock.scale * t


def _compose(acc: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Compose logit-affine maps: apply ``acc`` then ``new`` (both ``(draw, 2)`` as (a, β))."""
    return np.column_stack([new[:, 0] + np.exp(new[:, 1]) * acc[:, 0], acc[:, 1] + new[:, 1]])


def rank_desc(x: np.ndarray) -> np.ndarray:
    """World ranks (1 = highest) across the last axis, int16."""
    return (ranks_of(-x) + 1).astype(np.int16)


def simulate(
    params: EgovParams,
    editions: Sequence[int],
    n_draws: int,
    rngs: Mapping[str, np.random.Generator],
) -> dict[str, np.ndarray]:
    """Simulate every member state's components for ``editions`` after the origin.

    Parameters
    ----------
    editions
        Increasing editions after ``params.origin`` (2-year steps; a 4-year gap is two steps).
    rngs
        One generator per name in :data:`STREAMS`.

    Returns
    -------
    ``osi, tii, hci, egdi`` float32 and ``egdi_rank`` int16, each ``(draw, edition, country)``.
    """
    n, c, m = n_draws, len(params.countries), len(editions)
    out = {k: np.empty((n, m, c), np.float32) for k in (*COMPONENTS, "egdi")}
    out["egdi_rank"] = np.empty((n, m, c), np.int16)
    q = np.broadcast_to(params.osi_scores.astype(np.float32), (n, c)).copy()
    dq = np.broadcast_to(params.osi_change.astype(np.float32), (n, c)).copy()
    osi_table = np.sort(params.published[0]).astype(np.float32)
    osi_scores_table = normal_scores(np.arange(c, dtype=np.float32))
    used = [k for k in ("tii", "hci") if f"{k}_inputs" in params.terms]
    y = {k: start_inputs(params.inputs[k], params.drift, n, rngs["inputs"]) for k in used}
    year = {k: int(params.inputs[k].year.min()) for k in y}
    resid = np.broadcast_to(params.residual.astype(np.float32), (n, 2, c)).copy()
    offset = resid.mean(axis=2, keepdims=True)  # method offset: carried, not decayed
    osi_map = np.zeros((n, 2))
    held = {k: np.zeros((n, 2)) for k in ("tii", "hci")}
    prev = params.origin
    for j, edition in enumerate(editions):
        steps = max(1, round((edition - prev) / 2))
        for _ in range(steps):
            q_new = osi_step(params, q, dq, rngs["osi"])
            q, dq = q_new, q_new - q
        ranks = np.searchsorted(osi_scores_table, q)  # q holds normal scores: exact ranks
        osi_map = _compose(osi_map, draw_shock(params.shocks["osi"], steps, n, rngs["shock"]))
        out["osi"][:, j] = quantile_map(osi_table[ranks], osi_map[:, 0], osi_map[:, 1])
        rho, sig = params.residual_decay**steps, params.residual_sigma * np.sqrt(steps)
        eps = rngs["residual"].standard_normal((n, 2, c), dtype=np.float32)
        r32, s32 = rho.astype(np.float32)[None, :, None], sig.astype(np.float32)[None, :, None]
        resid = offset + r32 * (resid - offset) + s32 * eps
        for i, comp in enumerate(("tii", "hci")):
            shock = draw_shock(params.shocks[comp], steps, n, rngs["shock"])
            if f"{comp}_inputs" not in params.terms:
                # held at the origin's published table; only the edition shocks move it
                held[comp] = _compose(held[comp], shock)
                origin_index = params.published[1 + i].astype(np.float32)[None, :]
                out[comp][:, j] = quantile_map(origin_index, *held[comp].T)
                continue
            state = params.inputs[comp]
            y[comp] = advance_inputs(
                y[comp], state, params.drift, year[comp], edition - DATA_LAG, rngs["inputs"]
            )
            year[comp] = max(year[comp], edition - DATA_LAG)
            x = input_values(y[comp], state, params.drift)
            raw = pipeline.tii(x) if comp == "tii" else pipeline.hci(x, HCI_INPUT_WEIGHTS)
            # order from the decayed residual, table shape from the carried one: the decay says
            # which countries' gaps are transient, not that the published shape reverts
            level = pipeline.rescale01(raw + params.residual[i].astype(np.float32))
            base = reorder(level, raw + resid[:, i])
            out[comp][:, j] = quantile_map(base, shock[:, 0], shock[:, 1])
        out["egdi"][:, j] = (out["osi"][:, j] + out["tii"][:, j] + out["hci"][:, j]) / 3.0
        out["egdi_rank"][:, j] = rank_desc(out["egdi"][:, j])
        prev = edition
    return out
