"""Fits of adoption curves to observed national points (the priors of the dossier block).

A logistic path toward a ceiling, ``share = ceiling * expit(offset + rate * (year - year0))``,
fitted by least squares, and a linear-in-time competitor. See ``docs/dossiers.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares
from scipy.special import expit, logit


@dataclass(frozen=True)
class AdoptionFit:
    """Least-squares fit of ``share = ceiling * expit(offset + rate * (year - year0))``.

    ``covariance`` is over ``params`` — (offset, rate) or, when the ceiling was fitted,
    (offset, rate, logit(ceiling)) — and is NaN when the data cannot estimate it (as many
    points as parameters and no ``share_sd``). ``residual_sd`` is in share points (NaN then too).
    """

    year0: float
    offset: float
    rate: float
    ceiling: float
    ceiling_fitted: bool
    covariance: np.ndarray
    residual_sd: float
    n_obs: int

    @property
    def params(self) -> np.ndarray:
        p = [self.offset, self.rate]
        return np.array([*p, logit(self.ceiling)] if self.ceiling_fitted else p)

    def predict(self, years: np.ndarray) -> np.ndarray:
        """Fitted shares 0-1 at ``years``."""
        return self.ceiling * expit(self.offset + self.rate * (np.asarray(years) - self.year0))

    def sample(self, z: np.ndarray, widen: float = 2.0) -> dict[str, np.ndarray]:
        """Parameter draws from standard normals ``z`` of shape ``(draw, n_params)``.

        Draws are ``params + widen * L z`` with ``L L' = covariance``. NLS standard errors of
        diffusion models overstate precision (Boswijk & Franses 2005), so the default doubles
        them; the factor 2 is an assumption to revisit with a rolling-origin check once a longer
        series exists. Returns ``offset``, ``rate`` (1/yr), ``ceiling`` (share), each ``(draw,)``.
        """
        if not np.all(np.isfinite(self.covariance)):
            raise ValueError("covariance not identified: give share_sd or more points")
        chol = np.linalg.cholesky(self.covariance + 1e-14 * np.eye(len(self.params)))
        theta = self.params + widen * np.asarray(z) @ chol.T
        ceiling = expit(theta[:, 2]) if self.ceiling_fitted else np.full(len(theta), self.ceiling)
        return {"offset": theta[:, 0], "rate": theta[:, 1], "ceiling": ceiling}


def fit_adoption(
    years: np.ndarray,
    shares: np.ndarray,
    ceiling: float | None = None,
    *,
    share_sd: float | None = None,
) -> AdoptionFit:
    """Fit the logistic path to observed shares with ``scipy.optimize.least_squares``.

    Parameters
    ----------
    years, shares
        Observation years and shares 0-1, shape ``(n,)``.
    ceiling
        Fixed ceiling (share); ``None`` fits it too (then on the logit scale, bounded to
        [max(shares), 0.999]).
    share_sd
        Known measurement sd of the shares (share points). Used for the covariance instead of
        the residual sd — the only option when there are as many points as parameters.
    """
    years, shares = np.asarray(years, dtype=float), np.asarray(shares, dtype=float)
    n_params = 2 if ceiling is not None else 3
    if len(years) < n_params:
        raise ValueError(f"{len(years)} points cannot identify {n_params} parameters")
    year0 = float(years[0])
    dt = years - year0

    def curve(theta: np.ndarray) -> np.ndarray:
        m = ceiling if ceiling is not None else expit(theta[2])
        return m * expit(theta[0] + theta[1] * dt)

    m0 = ceiling if ceiling is not None else min(0.999, max(0.95, 1.2 * shares.max()))
    f = np.clip(shares / m0, 1e-3, 1 - 1e-3)
    slope, intercept = np.polyfit(dt, logit(f), 1)  # start from the logit-linear line
    theta0 = [intercept, slope] + ([] if ceiling is not None else [logit(m0)])
    bounds = (-np.inf, np.inf)
    if ceiling is None:
        top = logit(0.999)
        low = min(logit(min(max(shares.max(), 1e-6), 0.999)), top - 1e-6)
        theta0[2] = float(np.clip(theta0[2], low, top))
        bounds = ([-np.inf, -np.inf, low], [np.inf, np.inf, top])
    res = least_squares(lambda th: curve(th) - shares, theta0, bounds=bounds, x_scale="jac")
    dof = len(years) - n_params
    residual_sd = float(np.sqrt(np.sum(res.fun**2) / dof)) if dof > 0 else math.nan
    sd = share_sd if share_sd is not None else residual_sd
    jtj = res.jac.T @ res.jac
    if math.isfinite(sd) and np.linalg.matrix_rank(jtj) == n_params:
        covariance = sd**2 * np.linalg.inv(jtj)
    else:
        covariance = np.full((n_params, n_params), math.nan)
    th = res.x
    return AdoptionFit(
        year0=year0,
        offset=float(th[0]),
        rate=float(th[1]),
        ceiling=float(ceiling if ceiling is not None else expit(th[2])),
        ceiling_fitted=ceiling is None,
        covariance=covariance,
        residual_sd=residual_sd,
        n_obs=len(years),
    )


@dataclass(frozen=True)
class LinearFit:
    """Linear-in-time competitor (Solvak et al. 2019): ``share = level + slope * (year - year0)``.

    ``slope`` in share/yr; ``covariance`` over (level, slope), NaN with only two points.
    """

    year0: float
    level: float
    slope: float
    covariance: np.ndarray

    def predict(self, years: np.ndarray) -> np.ndarray:
        """Shares at ``years``, clipped to [0, 1]."""
        return np.clip(self.level + self.slope * (np.asarray(years) - self.year0), 0.0, 1.0)


def fit_linear(years: np.ndarray, shares: np.ndarray) -> LinearFit:
    """Ordinary least-squares line through observed shares (share 0-1 against year)."""
    years, shares = np.asarray(years, dtype=float), np.asarray(shares, dtype=float)
    year0 = float(years[0])
    design = np.column_stack([np.ones_like(years), years - year0])
    coef, *_ = np.linalg.lstsq(design, shares, rcond=None)
    dof = len(years) - 2
    if dof > 0:
        s2 = float(np.sum((shares - design @ coef) ** 2) / dof)
        covariance = s2 * np.linalg.inv(design.T @ design)
    else:
        covariance = np.full((2, 2), math.nan)
    return LinearFit(year0=year0, level=float(coef[0]), slope=float(coef[1]), covariance=covariance)
