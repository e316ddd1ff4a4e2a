"""Raw sub-indicator paths: each indicator's saturating logit drift, its values as published
(nowcasts), and the exact multi-year step between data years.

Each indicator ``x`` with ceiling ``K`` moves on the logit scale, ``y = logit(x / K)``::

    y[t+1] = y[t] + α + λ·y[t] + σ·ε          (pooled over countries, fitted yearly)

so values saturate at ``K``. A value already published for a data year is used as it is, with a
revision error (a nowcast, not a forecast); a country still missing moves on from its latest
published value. The e-government fit (:mod:`vnsim.fit.egov`) and block
(:mod:`vnsim.blocks.egov`) use these paths for the TII (and the HCI with ``hci_inputs``).
Arrays are ``(indicator, country)`` for the data and ``(draw, indicator, country)`` float32 for
simulated logit values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special, stats
from vnsim.fit.copula import logit_scaled

#: Saturation level K of each sub-indicator (units of the data). Internet users and literacy
#: cannot pass 100 %; subscriptions pass 100 per 100 (the pipeline's 120 cap binds first);
#: schooling ceilings lie above every observed value (assumptions).
CEILINGS: dict[str, float] = {
    "internet_users_pct": 100.0,
    "mobile_cellular_per100": 200.0,
    "active_mobile_broadband_per100": 200.0,
    "fixed_broadband_per100": 100.0,
    "adult_literacy_pct": 100.0,
    "expected_years_schooling": 25.0,
    "mean_years_schooling": 16.0,
}
HELD = frozenset({"adult_literacy_pct"})  # surveyed rarely: the latest value stands
NEVER = 9999  # data year given to never-covered countries: they are not projected
#: Revision error (logit scale, scale of a t3) of the latest published data years: two ITU
#: vintages of internet users differ by a mean |Δlogit| of 0.003 for 2016 and 0.09–0.16 for
#: 2020–2022 (the older OWID/WDI copy against the current ITU export of the shared data).
REVISION_SD = 0.1
REVISED_YEARS = 3
STALE_YEARS = 3  # a value older than this is projected from this many years before the latest


@dataclass(frozen=True)
class LogisticDrift:
    """Yearly logit-scale dynamics of one sub-indicator: ``Δy = α + λ·y + σ·ε``."""

    ceiling: float
    intercept: float  # α per year
    slope: float  # λ per year
    sigma: float  # σ per year, logit units
    revision: float  # revision scale of a recently published value, logit units


@dataclass(frozen=True)
class InputState:
    """Sub-indicators of one component as the vintage has them, for every country."""

    names: tuple[str, ...]
    value: np.ndarray  # (indicator, country) latest published value, gaps filled
    year: np.ndarray  # (indicator, country) its data year (NEVER: never covered)


def fit_drift(frame: pd.DataFrame, ceiling: float, window: int = 6) -> LogisticDrift:
    """Pooled yearly logit dynamics of one indicator from ``frame`` (``iso3, year, value``).

    Year pairs ``(t, t + 1)`` in the ``window`` years up to the latest year in ``frame``. Slope
    and intercept are OLS; σ is the robust (MAD) scale of the residuals, so revisions and
    reporting breaks do not inflate it.
    """
    last = int(frame["year"].max())
    f = frame[frame["year"] >= last - window]
    wide = f.pivot_table(index="iso3", columns="year", values="value")
    y = logit_scaled(wide.to_numpy(float), ceiling)
    y0, y1 = y[:, :-1].ravel(), y[:, 1:].ravel()
    ok = np.isfinite(y0) & np.isfinite(y1)
    if ok.sum() < 20:  # too little to fit: no drift, a modest stated spread
        return LogisticDrift(ceiling, 0.0, 0.0, 0.1, REVISION_SD)
    slope, intercept = np.polyfit(y0[ok], (y1 - y0)[ok], 1)
    e = (y1 - y0)[ok] - (intercept + slope * y0[ok])
    sigma = float(stats.median_abs_deviation(e, scale="normal"))
    return LogisticDrift(ceiling, float(intercept), float(slope), sigma, REVISION_SD)


def fit_drifts(frames: Mapping[str, pd.DataFrame]) -> dict[str, LogisticDrift]:
    """Yearly logit dynamics of every sub-indicator of :data:`CEILINGS` (those :data:`HELD`
    stay put)."""
    return {
        name: LogisticDrift(ceiling, 0.0, 0.0, 0.0, 0.0)
        if name in HELD
        else fit_drift(frames[name], ceiling)
        for name, ceiling in CEILINGS.items()
    }


def input_state(
    frames: Mapping[str, pd.DataFrame],
    names: Sequence[str],
    countries: Sequence[str],
    fill: Mapping[str, float] | None = None,
) -> InputState:
    """Latest value and data year of each sub-indicator in ``frames``, for every country.

    Countries never covered get the ``fill`` value (or the cross-country median) and the data
    year :data:`NEVER`, so they stay put: the persistent residual carries their level.
    """
    value = np.empty((len(names), len(countries)))
    year = np.empty((len(names), len(countries)), int)
    for i, name in enumerate(names):
        f = frames[name].dropna(subset=["value"])
        last = f.sort_values("year").groupby("iso3").last().reindex(list(countries))
        default = (fill or {}).get(name, float(last["value"].median()))
        value[i] = last["value"].fillna(default).to_numpy(float)
        # the UN itself carries old figures, and the residual holds the level: a value older
        # than STALE_YEARS is projected from STALE_YEARS before the latest year only
        latest = int(last["year"].max())
        year[i] = last["year"].clip(lower=latest - STALE_YEARS).fillna(NEVER).to_numpy(int)
    return InputState(tuple(names), value, year)


def _recent(inputs: InputState) -> np.ndarray:
    """Values among the last :data:`REVISED_YEARS` data years, ``(indicator, country)`` bool."""
    covered = np.where(inputs.year < NEVER, inputs.year, -1)
    return inputs.year > covered.max(axis=1, keepdims=True) - REVISED_YEARS


def start_inputs(inputs: InputState, drift: dict[str, LogisticDrift], t3: np.ndarray) -> np.ndarray:
    """Logit sub-indicators as published, with revision error, ``(draw, indicator, country)``.

    Only the last :data:`REVISED_YEARS` data years are revised; the error is a Student-t with 3
    degrees of freedom (``t3``, ``(draw, indicator, country)``) times each indicator's revision
    scale: most values never change, a few move a lot.
    """
    ceiling = np.array([drift[k].ceiling for k in inputs.names])[:, None]
    revision = np.array([drift[k].revision for k in inputs.names], np.float32)[None, :, None]
    y = logit_scaled(inputs.value, ceiling).astype(np.float32)
    return y[None] + revision * _recent(inputs)[None] * t3.astype(np.float32)


def advance_inputs(
    y: np.ndarray,
    inputs: InputState,
    drift: dict[str, LogisticDrift],
    start: int,
    year: int,
    eps: np.ndarray,
) -> np.ndarray:
    """Move logit sub-indicators ``y`` ``(draw, indicator, country)`` from data year ``start`` to
    ``year``. A country moves only in the years after its latest published value, so published
    values are nowcasts, not forecasts.

    The yearly step is linear in ``y`` with Gaussian noise, so ``k`` years are one exact step::

        y[t+k] = g·y[t] + α·(g − 1)/λ + σ·√((g² − 1)/((1 + λ)² − 1))·ε,   g = (1 + λ)^k

    with ``k`` per country (0 where already published) and one draw of ``ε`` ``(draw, indicator,
    country)``.
    """
    out = y.copy()
    for i, name in enumerate(inputs.names):
        d = drift[name]
        k = np.clip(year - np.maximum(inputs.year[i], start), 0, None).astype(float)
        if not k.any():
            continue
        lam = 1.0 + d.slope
        g = lam**k
        if abs(d.slope) > 1e-9:
            mean = d.intercept * (g - 1.0) / d.slope
            sd = d.sigma * np.sqrt((g**2 - 1.0) / (lam**2 - 1.0))
        else:
            mean, sd = d.intercept * k, d.sigma * np.sqrt(k)
        f32 = np.float32
        out[:, i] = g.astype(f32) * y[:, i] + mean.astype(f32) + sd.astype(f32) * eps[:, i]
    return out


def input_values(y: np.ndarray, inputs: InputState, drift: dict[str, LogisticDrift]) -> np.ndarray:
    """Sub-indicators in their own units from the logit state, ``(draw, indicator, country)``."""
    ceiling = np.array([drift[k].ceiling for k in inputs.names], np.float32)[None, :, None]
    return ceiling * special.expit(y)
