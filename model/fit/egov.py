"""Fit the dynamics of the EGDI components (OSI, TII, HCI) of all UN member states to the surveys.

State space
-----------
Each component is modelled as its **edition z-score**: the published 0–1 index standardised across
the assessed member states of that edition (population sd, ``ddof=0``). The UN builds every
component as a min–max rescale of a composite, i.e. an affine map, so the z-score of the published
index equals the z-score of the UN's own composite; re-running min–max on simulated z-scores
therefore reproduces the UN pipeline exactly. z-scores remove the edition-wide location and scale,
which change with methodology and carry no information on ranks (forecasting_methods.md §1.2,
§1.4), and, unlike a logit, they have no trouble with the exact 0 and 1 that min–max gives to the
worst and best country of every edition.

Transition between consecutive editions (one step = one biennial edition)
-------------------------------------------------------------------------
For component ``k``, country ``c`` and edition pair ``p`` (edition t -> t+1)::

    Δz[c,p] = a[p] + (b + d[p])·z + g2·z² + g3·z³ + φ·Δz[c,p-1] + u[c] + s[p]·h(z)·ε[c,p]

* ``a[p]`` pair intercept: a common shift, which re-standardisation removes (nuisance).
* ``b·z + g2·z² + g3·z³`` level-dependent gain pooled over countries (a cubic in the current
  level, evaluated on z clipped to the fitted range, so leaders and laggards catch up or saturate
  at their own pace; Raftery et al. 2013 "gain as a function of level").
* ``d[p]`` and ``s[p]``: the **edition shock**. After standardisation a common shift is invisible,
  so what a method change does to the league table is to stretch or compress it (slope ``d[p]``)
  and to reshuffle countries more or less (noise scale ``s[p]``). Both are estimated per edition
  pair, which makes every pair its own break indicator: the 2008→2010 weights, the readiness-index
  era before 2010, the TII indicator change 2018→2020 (and the 120 cap from 2020) and the OSI
  subindices of 2022 each get their own ``(d, s)`` instead of biasing the pooled gain. Simulated
  editions draw one historical pair's ``(d, s)`` (the same pair for the three components), so
  future method changes occur at their historical rate and size.
* ``φ·Δz[c,p-1]``: the previous change. Successive changes are negatively correlated, strongly so
  for OSI (−0.2 … −0.5 per pair in the 2008–2022 data), the signature of assessment noise that
  is partly undone at the next edition (forecasting_methods.md §1.4). Pooled over countries.
* ``u[c]`` country effect, partially pooled: a one-way random-effects (empirical Bayes) estimate
  shrinks each country's mean residual toward 0 by ``τ²/(τ² + σ²/n_c)``, with ``τ²`` from the
  method of moments (0 when the data show no lasting country drift). This avoids the Nickell
  bias of country fixed effects with ≤ 7 pairs per country. ``u`` and ``β`` are fitted by
  backfitting (three rounds).
* ``h(z) = exp(γ1·z + γ2·z²)`` level-dependent noise scale; ``ε`` Student-t with unit variance
  and ``df`` fitted by maximum likelihood per component (heavy tails). Cross-component
  correlation of residuals is small (|ρ| mostly < 0.1 per pair), so components get independent
  noise.

Data window and breaks
----------------------
Pairs whose first edition is ``>= first_edition`` (default 2008: biennial spacing from then on;
2003–2005 were yearly or 3-yearly and an older index) and whose second edition is ``<= origin``.
Rows with EGDI = 0 ("not assessed", see data/SOURCES.md) are left out of the fit.

Parameter uncertainty
---------------------
Replicate 0 is the fit on all countries; replicates 1.. refit everything on countries resampled
with replacement (cluster bootstrap, a country's whole history moves together). Every replicate
re-estimates the country effects of the *original* countries with its own parameters. A simulated
draw picks one replicate. The ``df`` of the noise is the full-sample value (fixed across
replicates so that the shock streams stay chunk-invariant).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats
from threadpoolctl import threadpool_limits
from vnsim.egdi import COMPONENTS

#: Method changes between editions, for the record (each pair has its own shock anyway).
#: Sources: shared docs egdi_methodology.md §1–§4 and data/SOURCES.md.
METHOD_BREAKS: dict[tuple[int, int], str] = {
    (2005, 2008): "readiness index; 3-year gap; 2008 weights OSI 0.34 / TII 0.33 / HCI 0.33",
    (2008, 2010): "2010 renamed EGDI, same 0.34/0.33/0.33 weights",
    (2010, 2012): "equal weights again from 2012",
    (2012, 2014): "HCI adds expected and mean years of schooling (4 indicators)",
    (2016, 2018): "TII: active mobile broadband replaces wireless broadband",
    (2018, 2020): "TII: fixed telephone dropped (4 indicators), 120 cap on each indicator",
    (2020, 2022): "OSI: five subindices, completion of services online scored",
}


def edition_zscores(surveys: pd.DataFrame) -> dict[int, pd.DataFrame]:
    """Per edition, the z-scores of OSI, TII, HCI across assessed countries (EGDI > 0).

    Countries published with EGDI = 0 get z-scores on the same mean and sd, so that they can
    serve as a starting point, but they do not set the mean and sd.

    Returns
    -------
    dict edition -> DataFrame indexed by ISO3 with columns ``osi, tii, hci`` and ``assessed``.
    """
    out: dict[int, pd.DataFrame] = {}
    for edition, frame in surveys.groupby("survey_year"):
        x = frame.set_index("iso3")[list(COMPONENTS)].astype(float)
        assessed = frame.set_index("iso3")["egdi"] > 0
        mu = x[assessed].mean()
        sd = x[assessed].std(ddof=0)
        z = (x - mu) / sd
        z["assessed"] = assessed
        out[int(edition)] = z
    return out


@dataclass(frozen=True)
class EgovFit:
    """Fitted component dynamics (see the module docstring for the equation).

    Arrays indexed ``rep`` (bootstrap replicate, 0 = full sample), ``comp`` (OSI, TII, HCI),
    ``pair`` (fitted edition pairs) and ``country`` (the origin edition's countries).
    """

    origin: int
    countries: tuple[str, ...]
    pairs: tuple[tuple[int, int], ...]
    slope: np.ndarray  # (rep, comp) pooled linear gain b, per edition
    curvature: np.ndarray  # (rep, comp, 2) g2, g3
    pair_slope: np.ndarray  # (rep, comp, pair) d[p], deviation of the pair slope from b
    pair_scale: np.ndarray  # (rep, comp, pair) s[p], noise sd (z units) at h(z) = 1
    lag: np.ndarray  # (rep, comp) φ
    scale_level: np.ndarray  # (rep, comp, 2) γ1, γ2 of h(z)
    tau: np.ndarray  # (rep, comp) sd of the country effects
    u_mean: np.ndarray  # (rep, country, comp) posterior mean of the country effect
    u_sd: np.ndarray  # (rep, country, comp) posterior sd of the country effect
    df: np.ndarray  # (comp,) Student-t degrees of freedom (inf = normal)
    z_range: np.ndarray  # (comp, 2) range of fitted z, used to clip the gain polynomial
    z_origin: np.ndarray  # (country, comp) z-scores at the origin edition
    dz_origin: np.ndarray  # (country, comp) change into the origin edition (0 if unknown)

    @property
    def n_replicates(self) -> int:
        return self.slope.shape[0]


@dataclass
class _Panel:
    """Stacked fitting rows of one component."""

    dz: np.ndarray  # (row,)
    z: np.ndarray  # (row,)
    lag: np.ndarray  # (row,) previous change, 0 when unknown
    pair: np.ndarray  # (row,) pair index
    country: np.ndarray  # (row,) country code (index into a country list)


def _panel(
    zs: dict[int, pd.DataFrame], pairs: list[tuple[int, int]], comp: str, countries: list[str]
):
    code = {c: i for i, c in enumerate(countries)}
    rows = []
    for p, (t0, t1) in enumerate(pairs):
        a, b = zs[t0], zs[t1]
        ok = a.index[a["assessed"]].intersection(b.index[b["assessed"]])
        dz = b.loc[ok, comp] - a.loc[ok, comp]
        lag = pd.Series(0.0, index=ok)
        if p > 0 and pairs[p - 1][1] == t0:
            prev = zs[pairs[p - 1][0]]
            okp = ok.intersection(prev.index[prev["assessed"]])
            lag.loc[okp] = a.loc[okp, comp] - prev.loc[okp, comp]
        rows.append(
            pd.DataFrame(
                {
                    "dz": dz.to_numpy(),
                    "z": a.loc[ok, comp].to_numpy(),
                    "lag": lag.to_numpy(),
                    "pair": p,
                    "country": [code[c] for c in ok],
                }
            )
        )
    f = pd.concat(rows, ignore_index=True)
    return _Panel(
        f["dz"].to_numpy(float),
        f["z"].to_numpy(float),
        f["lag"].to_numpy(float),
        f["pair"].to_numpy(int),
        f["country"].to_numpy(int),
    )


def _design(z: np.ndarray, lag: np.ndarray, pair: np.ndarray, n_pairs: int, z_range) -> np.ndarray:
    zc = np.clip(z, *z_range)
    onehot = np.eye(n_pairs)[pair]
    return np.column_stack([onehot, onehot * zc[:, None], zc**2, zc**3, lag])


def _t_df(x: np.ndarray) -> float:
    """ML degrees of freedom of a unit-variance Student-t for standardised residuals ``x``."""

    def nll(log_nu: float) -> float:
        nu = 2.0 + np.exp(log_nu)
        scale = np.sqrt((nu - 2.0) / nu)
        return -stats.t.logpdf(x, nu, scale=scale).sum()

    res = optimize.minimize_scalar(nll, bounds=(np.log(0.5), np.log(200.0)), method="bounded")
    nu = 2.0 + float(np.exp(res.x))
    return np.inf if nu > 100 else nu


def _fit_component(panel: _Panel, n_pairs: int, n_countries: int, z_range, use_lag: bool):
    """Backfitted pooled regression + random country effects for one component."""
    X = _design(
        panel.z, panel.lag if use_lag else np.zeros_like(panel.lag), panel.pair, n_pairs, z_range
    )
    u = np.zeros(n_countries)
    n_c = np.bincount(panel.country, minlength=n_countries).astype(float)
    tau2 = 0.0
    X_pinv = np.linalg.pinv(X)  # X is fixed across backfitting rounds
    for _ in range(3):
        beta = X_pinv @ (panel.dz - u[panel.country])
        r = panel.dz - X @ beta
        sums = np.bincount(panel.country, weights=r, minlength=n_countries)
        has = n_c > 0
        rbar = np.where(has, sums / np.maximum(n_c, 1), 0.0)
        # one-way random effects, method of moments (unbalanced): within and between variance
        within = ((r - rbar[panel.country]) ** 2).sum() / max((n_c[has] - 1).sum(), 1.0)
        tau2 = max(0.0, float(np.mean(rbar[has] ** 2 - within / n_c[has])))
        shrink = np.where(has, tau2 / (tau2 + within / np.maximum(n_c, 1)), 0.0)
        u = shrink * rbar
    e = r - u[panel.country]
    slopes = beta[n_pairs : 2 * n_pairs]
    b = slopes.mean()
    # level-dependent scale from log|e| (within-pair standardised), then pair scales
    sd_p = np.sqrt(
        np.bincount(panel.pair, weights=e**2, minlength=n_pairs)
        / np.bincount(panel.pair, minlength=n_pairs)
    )
    zc = np.clip(panel.z, *z_range)
    la = np.log(np.abs(e / sd_p[panel.pair]) + 1e-6)
    A = np.column_stack([np.ones_like(zc), zc, zc**2])
    gam, *_ = np.linalg.lstsq(A, la, rcond=None)
    h = np.exp(gam[1] * zc + gam[2] * zc**2)
    e_h = e / h
    s_p = np.sqrt(
        np.bincount(panel.pair, weights=e_h**2, minlength=n_pairs)
        / np.bincount(panel.pair, minlength=n_pairs)
    )
    return {
        "beta": beta,
        "slope": b,
        "pair_slope": slopes - b,
        "curvature": beta[2 * n_pairs : 2 * n_pairs + 2],
        "lag": beta[-1] if use_lag else 0.0,
        "scale_level": gam[1:],
        "pair_scale": s_p,
        "tau2": tau2,
        "within": within,
        "std_resid": e_h / s_p[panel.pair],
    }


def _country_effects(panel: _Panel, X: np.ndarray, beta, tau2, within, n_countries):
    """EB posterior mean and sd of each country's effect under given parameters."""
    r = panel.dz - X @ beta
    n_c = np.bincount(panel.country, minlength=n_countries).astype(float)
    sums = np.bincount(panel.country, weights=r, minlength=n_countries)
    rbar = np.where(n_c > 0, sums / np.maximum(n_c, 1), 0.0)
    noise = np.where(n_c > 0, within / np.maximum(n_c, 1), np.inf)
    shrink = np.where(n_c > 0, tau2 / (tau2 + noise), 0.0) if tau2 > 0 else np.zeros(n_countries)
    mean = shrink * rbar
    var = np.where(n_c > 0, tau2 * (1 - shrink), tau2)
    return mean, np.sqrt(var)


# The fit solves ~100 tiny least-squares problems; multi-threaded BLAS spends more on waking
# threads than on arithmetic (6 s vs 0.5 s measured on 2 cores), and results do not change.
@threadpool_limits.wrap(limits=1, user_api="blas")
def _allocate(replicates: int, pairs: int, countries: int) -> dict[str, np.ndarray]:
    """Zeroed arrays of every fitted parameter, by replicate (see :class:`EgovFit`)."""
    shapes = {
        "slope": (replicates, 3),
        "curvature": (replicates, 3, 2),
        "pair_slope": (replicates, 3, pairs),
        "pair_scale": (replicates, 3, pairs),
        "lag": (replicates, 3),
        "scale_level": (replicates, 3, 2),
        "tau": (replicates, 3),
        "u_mean": (replicates, countries, 3),
        "u_sd": (replicates, countries, 3),
    }
    return {k: np.zeros(shape) for k, shape in shapes.items()}


def _resample(panel: _Panel, rows_of: list[np.ndarray], pick: np.ndarray, pairs: int) -> _Panel:
    """Cluster bootstrap: each drawn country brings all its rows, under a new label.

    The full panel is returned when a pair would keep too few rows to be refitted.
    """
    idx = [rows_of[c] for c in pick]
    rows = np.concatenate(idx)
    labels = np.concatenate([np.full(len(i), j) for j, i in enumerate(idx)])
    sub = _Panel(panel.dz[rows], panel.z[rows], panel.lag[rows], panel.pair[rows], labels)
    return panel if np.bincount(sub.pair, minlength=pairs).min() < 10 else sub


def _effects(
    panel: _Panel, f: dict, pairs: int, z_range: np.ndarray, lagged_change: bool, n_all: int
) -> tuple[np.ndarray, np.ndarray]:
    """Country effects (mean, sd) of every country of the panel under one replicate's fit."""
    lag = panel.lag if lagged_change else np.zeros_like(panel.lag)
    X = _design(panel.z, lag, panel.pair, pairs, z_range)
    return _country_effects(panel, X, f["beta"], f["tau2"], f["within"], n_all)


def _origin_state(
    zs: dict[int, pd.DataFrame],
    editions: list[int],
    origin: int,
    countries: list[str],
    first_edition: int,
    lagged_change: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """z-scores at the origin and their last change, each ``(country, comp)``."""
    z_origin = zs[origin].loc[countries, list(COMPONENTS)].to_numpy(float)
    dz_origin = np.zeros_like(z_origin)
    prev = [e for e in editions if e < origin]
    if lagged_change and prev and prev[-1] >= first_edition:
        zp = zs[prev[-1]]
        both = [c for c in countries if c in zp.index and bool(zp.loc[c, "assessed"])]
        pos = [countries.index(c) for c in both]
        dz_origin[pos] = z_origin[pos] - zp.loc[both, list(COMPONENTS)].to_numpy(float)
    return z_origin, dz_origin


def fit_egov(
    surveys: pd.DataFrame,
    origin: int | None = None,
    *,
    first_edition: int = 2008,
    n_replicates: int = 40,
    lagged_change: bool = True,
    heavy_tails: bool = True,
    seed: int = 0,
) -> EgovFit:
    """Fit the component dynamics on editions ``first_edition .. origin`` only.

    Parameters
    ----------
    surveys
        Survey history, columns ``survey_year, iso3, egdi, osi, tii, hci`` (index 0–1).
        Rows after ``origin`` are dropped before anything else, so a fit never sees them.
    origin
        Last edition used (and the start of simulations); ``None`` = latest in ``surveys``.
    first_edition
        First edition of the earliest fitted pair.
    n_replicates
        Number of parameter replicates (1 = point fit only); replicate 0 is the full-sample fit.
    lagged_change
        Include the previous change ``φ·Δz[t-1]`` (assessment noise undone next edition).
    heavy_tails
        Student-t noise with fitted ``df``; False = normal noise.
    seed
        Seed of the country bootstrap (the fit is deterministic given it).
    """
    origin = int(surveys["survey_year"].max()) if origin is None else origin
    surveys = surveys[surveys["survey_year"] <= origin]
    editions = sorted(int(e) for e in surveys["survey_year"].unique())
    if origin not in editions:
        raise ValueError(f"origin {origin} is not an edition in the data ({editions})")
    zs = edition_zscores(surveys)
    window = [e for e in editions if e >= first_edition]
    pairs = list(itertools.pairwise(window))
    if not pairs:
        raise ValueError(f"no edition pairs between {first_edition} and {origin}")
    countries = list(zs[origin].index)
    all_codes = sorted(set().union(*(zs[e].index for e in window)))
    n_all, P = len(all_codes), len(pairs)
    panels = [_panel(zs, pairs, k, all_codes) for k in COMPONENTS]
    z_range = np.array([[np.quantile(p.z, 0.0), np.quantile(p.z, 1.0)] for p in panels])
    origin_rows = np.array([all_codes.index(c) for c in countries])
    rows_of = [[np.flatnonzero(p.country == c) for c in range(n_all)] for p in panels]

    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(20_22,)))
    R = max(1, int(n_replicates))
    out = _allocate(R, P, len(countries))
    df = np.full(3, np.inf)
    for r in range(R):
        # replicate 0: all countries once; others: countries drawn with replacement
        pick = np.arange(n_all) if r == 0 else rng.integers(0, n_all, n_all)
        for k, panel in enumerate(panels):
            sub = panel if r == 0 else _resample(panel, rows_of[k], pick, P)
            f = _fit_component(sub, P, n_all, z_range[k], lagged_change)
            if r == 0 and heavy_tails:
                df[k] = _t_df(f["std_resid"])
            um, us = _effects(panel, f, P, z_range[k], lagged_change, n_all)
            for name in ("slope", "curvature", "pair_slope", "pair_scale", "lag", "scale_level"):
                out[name][r, k] = f[name]
            out["tau"][r, k] = np.sqrt(f["tau2"])
            out["u_mean"][r, :, k] = um[origin_rows]
            out["u_sd"][r, :, k] = us[origin_rows]

    z_origin, dz_origin = _origin_state(
        zs, editions, origin, countries, first_edition, lagged_change
    )
    return EgovFit(
        origin=origin,
        countries=tuple(countries),
        pairs=tuple(pairs),
        df=df,
        z_range=z_range,
        z_origin=z_origin,
        dz_origin=dz_origin,
        **out,
    )


def simulate_panel(
    fit: EgovFit,
    z0: np.ndarray,
    dz0: np.ndarray,
    n_steps: int,
    rng: np.random.Generator,
    replicate: int = 0,
) -> np.ndarray:
    """Simulate the fitted process forward for one parameter replicate (used to test recovery).

    Parameters
    ----------
    z0, dz0
        Starting z-scores and previous changes, shape ``(country, comp)``.
    n_steps
        Number of editions to simulate.

    Returns
    -------
    z-scores of the start and every simulated edition, shape ``(n_steps + 1, country, comp)``.
    Country effects are the replicate's posterior means; the pair shocks cycle over fitted pairs.
    """
    zs = [z0]
    z, dz = z0.copy(), dz0.copy()
    r = replicate
    for step in range(n_steps):
        p = step % len(fit.pairs)
        zc = np.clip(z, fit.z_range[:, 0], fit.z_range[:, 1])
        gain = (fit.slope[r] + fit.pair_slope[r, :, p]) * zc + fit.curvature[r, :, 0] * zc**2
        gain = gain + fit.curvature[r, :, 1] * zc**3
        scale = fit.pair_scale[r, :, p] * np.exp(
            fit.scale_level[r, :, 0] * zc + fit.scale_level[r, :, 1] * zc**2
        )
        finite = np.isfinite(fit.df)
        df = np.where(finite, fit.df, 5.0)  # placeholder df where the noise is normal
        t = rng.standard_t(df, z.shape) * np.sqrt((df - 2.0) / df)
        eps = np.where(finite, t, rng.standard_normal(z.shape))
        new = z + gain + fit.lag[r] * dz + fit.u_mean[r] + scale * eps
        new = (new - new.mean(0)) / new.std(0)
        dz, z = new - z, new
        zs.append(z)
    return np.stack(zs)
