"""The UN's normalisation pipeline for the TII and HCI, rebuilt from the public sub-indicators.

Each component is a min–max rescale, across the member states of one edition, of a (weighted)
mean of z-scores of its raw indicators (egdi_methodology.md §1.1–§3):

* TII (from 2020): internet users (%), mobile-cellular, active mobile-broadband and fixed-broadband
  subscriptions per 100; mobile-cellular and active mobile-broadband capped at 120 before the
  z-score; equal weights.
* HCI: adult literacy 1/3, combined gross enrolment 2/9, expected years of schooling 2/9, mean
  years of schooling 2/9. The combined gross enrolment ratio is not in the public data
  (data/subindicators/SOURCES.md); :data:`HCI_WEIGHTS` keep its weight and
  :func:`composite` renormalises over the indicators actually supplied.

All maths works on arrays whose **last axis is the country**, with any leading axes (draws,
editions, indicators), so the same functions serve the fit and the simulation. z-scores use the
population sd (``ddof=0``) as the UN does. Only :func:`indicator_table` touches DataFrames: it
turns long ``iso3, year, value`` tables into the ``(indicator, country)`` array of one data year.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from vnsim.egdi import rescale01

#: TII indicators (2020 method) and the cap applied to each before standardising (None = none).
TII_CAPS: dict[str, float | None] = {
    "internet_users_pct": None,
    "mobile_cellular_per100": 120.0,
    "active_mobile_broadband_per100": 120.0,
    "fixed_broadband_per100": None,
}

#: HCI indicators and their UN weights (the 2014 method on; egdi_methodology.md §3).
HCI_WEIGHTS: dict[str, float] = {
    "adult_literacy_pct": 1.0 / 3.0,
    "gross_enrolment_pct": 2.0 / 9.0,
    "expected_years_schooling": 2.0 / 9.0,
    "mean_years_schooling": 2.0 / 9.0,
}

#: The gross-enrolment term rebuilt from the tertiary ratio only (the combined ratio is not public).
GER_PROXY = "gross_enrolment_tertiary_pct"


def zscore(x: np.ndarray) -> np.ndarray:
    """z-score across countries (last axis) with the population sd, as the UN does.

    Parameters
    ----------
    x
        Raw values, shape ``(..., country)``, gaps already filled (:func:`fill_median`).
    """
    mu = x.mean(axis=-1, keepdims=True)
    return (x - mu) / x.std(axis=-1, keepdims=True)


def composite(z: np.ndarray, weights: Sequence[float]) -> np.ndarray:
    """Weighted mean of standardised indicators, ``(..., indicator, country) -> (..., country)``.

    Weights are renormalised to sum to one over the indicators supplied, which is how the UN
    formula reads when one indicator is left out.
    """
    w = np.asarray(weights, dtype=z.dtype)
    return np.einsum("i,...ic->...c", w / w.sum(), z)


def tii(raw: np.ndarray, caps: Sequence[float | None] | None = None) -> np.ndarray:
    """Telecommunication Infrastructure Index from raw indicators.

    Parameters
    ----------
    raw
        Shape ``(..., indicator, country)``, in the order of :data:`TII_CAPS` unless ``caps`` is
        given (per 100 inhabitants; internet users in %).
    caps
        Cap per indicator (None = uncapped); default :data:`TII_CAPS`.

    Returns
    -------
    TII in [0, 1], shape ``(..., country)``.
    """
    caps = list(TII_CAPS.values()) if caps is None else list(caps)
    cap = np.array([np.inf if c is None else c for c in caps], dtype=raw.dtype)
    capped = np.minimum(raw, cap[:, None])
    return rescale01(composite(zscore(capped), np.ones(len(caps))))


def hci(raw: np.ndarray, weights: Sequence[float] | None = None) -> np.ndarray:
    """Human Capital Index from raw indicators.

    Parameters
    ----------
    raw
        Shape ``(..., indicator, country)`` in the order of :data:`HCI_WEIGHTS` unless
        ``weights`` is given (literacy and enrolment in %, schooling in years).
    weights
        Weight per supplied indicator (renormalised); default the UN weights.

    Returns
    -------
    HCI in [0, 1], shape ``(..., country)``.
    """
    weights = list(HCI_WEIGHTS.values()) if weights is None else list(weights)
    return rescale01(composite(zscore(raw), weights))


def indicator_table(
    frames: Mapping[str, pd.DataFrame],
    countries: Sequence[str],
    year: int,
    *,
    carry: int = 3,
    carry_by: Mapping[str, int] | None = None,
    published_through: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """Values of each indicator for one data year, as the UN would find them (the one data reader).

    Parameters
    ----------
    frames
        Indicator name -> long table with columns ``iso3, year, value``.
    countries
        ISO3 codes of the rows wanted (the edition's member states).
    year
        Data year (an edition ``E`` mostly uses ``E - 2``; see SOURCES.md's correlation check).
    carry
        A missing year is filled with the latest value of the ``carry`` years before it (the UN
        fills gaps from the most recent figure; egdi_methodology.md §1.1).
    carry_by
        Per-indicator override of ``carry`` (literacy is surveyed rarely: 20 years).
    published_through
        Per-indicator last data year published by the forecast's vintage; later rows are ignored,
        so a fit at an origin never sees data published after it.

    Returns
    -------
    DataFrame indexed by ``countries``, one column per indicator, NaN where nothing was found.
    """
    out = {}
    for name, frame in frames.items():
        k = (carry_by or {}).get(name, carry)
        last = min(year, (published_through or {}).get(name, year))
        f = frame[(frame["year"] <= last) & (frame["year"] >= year - k)]
        latest = f.sort_values("year").groupby("iso3")["value"].last()
        out[name] = latest.reindex(list(countries))
    return pd.DataFrame(out, index=pd.Index(list(countries), name="iso3"))


def fill_median(table: pd.DataFrame, fill: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Fill gaps with a stated value per indicator (``fill``) or else the cross-country median.

    The filled values only serve to place a country in the z-scores; the published index at the
    origin corrects its level (:mod:`vnsim.fit.egov`, the persistent residual).
    """
    filled = table.copy()
    for name in filled.columns:
        value = (fill or {}).get(name, float(filled[name].median()))
        filled[name] = filled[name].fillna(value)
    return filled


def correlation(rebuilt: pd.Series, published: pd.Series) -> dict[str, float]:
    """Pearson and Spearman correlation and the number of countries both have."""
    both = pd.concat([rebuilt, published], axis=1, join="inner").dropna()
    return {
        "pearson": float(both.corr(method="pearson").iloc[0, 1]),
        "spearman": float(both.corr(method="spearman").iloc[0, 1]),
        "n": float(len(both)),
    }
