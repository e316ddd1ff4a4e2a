"""Online administrative dossiers: logistic adoption toward a ceiling, with mandate jumps.

Four series, kept apart because their definitions differ (see ``docs/dossiers.md``):

* ``admin_fully_online`` — national share of administrative-procedure dossiers processed
  *fully online* (QĐ 942 target: >= 80 % in 2025). Stricter than "submitted online".
* ``ministry_province``, ``district``, ``commune`` — share of (non-secret) *work dossiers*
  processed online at each level (QĐ 749/942 targets: 90 / 80 / 60 % in 2025).

Each series moves on the logit scale of its progress toward a ceiling ``m < 1``
(F = share / m): ``logit(F_{t+1}) = logit(F_t) + rate + rate_shift_t``, so with no shocks
``share_t = m * expit(logit(s_0 / m) + rate * t)``. A mandate closes a fraction ``j`` of the
remaining gap at once (``F -> F + j (1 - F)``), the step shock of the Generalised Bass Model
(Bass, Krishnan & Jain 1994; Guseo et al. 2007) that Denmark's mandatory digital self-service
produced. Within a year the logistic step comes first and the jump second, so a jump of ``j``
in a year leaves exactly a fraction ``1 - j`` of that year's end-of-year gap.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, Field, field_validator, model_validator
from scipy.optimize import least_squares
from scipy.special import expit, logit
from vnsim.errors import InputError
from vnsim.quantity import Quantity, quantity, resolve

SERIES = ("admin_fully_online", "ministry_province", "district", "commune")
LEVELS = ("ministry_province", "district", "commune")

#: Largest logit step that matters: |logit| of any float64 share below 1 is under 745, so
#: steps beyond this saturate anyway. Clipping to it keeps any finite shock free of overflow.
MAX_STEP = 1e4


class Series(BaseModel, extra="forbid"):
    """One adoption series: share at the scenario's base year, ceiling and logit slope."""

    base_value: Quantity = quantity("share", "share at the scenario base year")
    ceiling: Quantity = quantity("share", "long-run ceiling of the share (0 < m <= 1)")
    rate: Quantity = quantity("1/yr", "logit slope of progress toward the ceiling")
    source: str = Field(
        description="where base value, ceiling and rate come from, or 'assumption: ...'"
    )

    @field_validator("base_value")
    @classmethod
    def _base_in_unit_interval(cls, v: Quantity) -> Quantity:
        if isinstance(v, float) and not 0.0 <= v <= 1.0:
            raise ValueError(f"base_value {v} is not a share in [0, 1]")
        return v

    @field_validator("ceiling")
    @classmethod
    def _ceiling_in_range(cls, v: Quantity) -> Quantity:
        if isinstance(v, float) and not 0.0 < v <= 1.0:
            raise ValueError(f"ceiling {v} is not in (0, 1]")
        return v

    @field_validator("rate")
    @classmethod
    def _rate_finite(cls, v: Quantity) -> Quantity:
        if isinstance(v, float) and not math.isfinite(v):
            raise ValueError("rate must be finite")
        return v

    @model_validator(mode="after")
    def _base_below_ceiling(self) -> Series:
        if isinstance(self.base_value, float) and isinstance(self.ceiling, float):
            if self.base_value > self.ceiling:
                raise ValueError(f"base_value {self.base_value} exceeds ceiling {self.ceiling}")
        return self


# Defaults describe base year 2022; docs/dossiers.md derives them. The scenario files pass
# explicit (uncertain) values, so these only serve quick runs and examples.
_RATE_SOURCE = "rate: forecasting_methods §3.3 prior (0.3-0.4/yr, IRS e-file 0.21/yr)"
_CEILING_SOURCE = "ceiling: forecasting_methods §3.3 prior 0.85-0.97 (Danish service ceilings)"


def _work_dossiers(base: float, rate: float) -> Series:
    return Series(
        base_value=base,
        ceiling=0.95,
        rate=rate,
        source=(
            "assumption: no official base value by level exists (vietnam_targets §3.2, [U]); "
            "base is the midpoint of a wide assumed range; ceiling: assumption 0.90-1.0 (internal, "
            f"non-secret work, no citizen exemptions; QĐ 749 aims at 100 % by 2030); {_RATE_SOURCE}"
        ),
    )


class Settings(BaseModel, extra="forbid"):
    """The scenario's ``dossiers:`` section. The base year is the scenario's (the engine's)."""

    admin_fully_online: Series = Field(
        default_factory=lambda: Series(
            base_value=0.13,
            ceiling=0.91,
            rate=0.35,
            source=(
                "base: ≈5 % fully online in 2019 (National Committee review, Kon Tum portal, "
                "Jul 2024; vietnam_targets §3.2) carried to 2022 at the rate prior; "
                f"{_CEILING_SOURCE}; {_RATE_SOURCE}"
            ),
        )
    )
    ministry_province: Series = Field(default_factory=lambda: _work_dossiers(0.55, 0.35))
    district: Series = Field(default_factory=lambda: _work_dossiers(0.50, 0.35))
    commune: Series = Field(default_factory=lambda: _work_dossiers(0.33, 0.25))


@dataclass(frozen=True)
class DossierState:
    """Adoption state of all series; every array has shape ``(draw, series)``.

    ``progress`` is the share as a fraction of its ceiling (0-1); ``ceiling`` is a share 0-1;
    ``rate`` is the logit slope in 1/yr. Columns follow :data:`SERIES`.
    """

    progress: np.ndarray
    ceiling: np.ndarray
    rate: np.ndarray


def start(settings: Settings, inputs: dict[str, np.ndarray], n_draws: int) -> DossierState:
    """The state at the base year from the settings and the sampled uncertain inputs.

    Raises ``ValueError`` if any draw has a ceiling outside (0, 1] or a base value outside
    [0, ceiling]: the scenario's distributions must keep them apart.
    """
    cols: dict[str, list[np.ndarray]] = {"base": [], "ceiling": [], "rate": []}
    for name in SERIES:
        s: Series = getattr(settings, name)
        base = resolve(s.base_value, inputs, n_draws).astype(float)
        ceiling = resolve(s.ceiling, inputs, n_draws).astype(float)
        rate = resolve(s.rate, inputs, n_draws).astype(float)
        if not np.all((ceiling > 0) & (ceiling <= 1)):
            raise InputError(f"dossiers.{name}: ceiling outside (0, 1] in some draws")
        if not np.all((base >= 0) & (base <= ceiling)):
            raise InputError(f"dossiers.{name}: base_value outside [0, ceiling] in some draws")
        if not np.all(np.isfinite(rate)):
            raise InputError(f"dossiers.{name}: rate not finite in some draws")
        cols["base"].append(base)
        cols["ceiling"].append(ceiling)
        cols["rate"].append(rate)
    base, ceiling, rate = (np.stack(cols[k], axis=1) for k in ("base", "ceiling", "rate"))
    return DossierState(progress=np.clip(base / ceiling, 0.0, 1.0), ceiling=ceiling, rate=rate)


def advance(state: DossierState, rate_shift: np.ndarray, jump: np.ndarray) -> DossierState:
    """The state one year later.

    Parameters
    ----------
    rate_shift
        Lever effect on the logit slope this year, 1/yr, shape ``(draw, series)``; any finite value.
    jump
        Fraction (0-1) of the remaining gap to the ceiling closed this year by a mandate, shape
        ``(draw, series)``; applied after the year's logistic step.
    """
    rate_shift = np.asarray(rate_shift, dtype=float)
    jump = np.asarray(jump, dtype=float)
    if rate_shift.shape != state.rate.shape or jump.shape != state.rate.shape:
        raise ValueError(f"rate_shift and jump must have shape {state.rate.shape}")
    if not np.all(np.isfinite(rate_shift)):
        raise ValueError("rate_shift must be finite")
    if not np.all((jump >= 0) & (jump <= 1)):
        raise ValueError("jump must lie in [0, 1]")
    step = np.clip(state.rate, -MAX_STEP, MAX_STEP) + np.clip(rate_shift, -MAX_STEP, MAX_STEP)
    # logit is -inf / +inf at progress 0 / 1, so those stay put, as in the closed form
    progress = expit(logit(state.progress) + step)
    progress = progress + jump * (1.0 - progress)
    return DossierState(progress=progress, ceiling=state.ceiling, rate=state.rate)


def shares(state: DossierState) -> np.ndarray:
    """Shares 0-1 of every series, shape ``(draw, series)``, each within [0, its ceiling]."""
    return state.ceiling * state.progress


def combine_jumps(jumps: Sequence[np.ndarray]) -> np.ndarray:
    """One jump equivalent to several in the same year: each closes its fraction of what is left.

    ``1 - prod(1 - j_k)``; order-independent. Shapes broadcast; result in [0, 1].
    """
    remaining = np.ones(np.broadcast_shapes(*(np.shape(j) for j in jumps)))
    for j in jumps:
        remaining = remaining * (1.0 - np.asarray(j, dtype=float))
    return 1.0 - remaining


def adoption_path(
    base: float | np.ndarray, ceiling: float | np.ndarray, rate: float | np.ndarray, t: np.ndarray
) -> np.ndarray:
    """Closed-form logistic path without shocks: ``m * expit(logit(s0 / m) + rate * t)``.

    ``t`` is years since the base; arguments broadcast. Shares 0-1.
    """
    x = logit(np.asarray(base) / np.asarray(ceiling))  # ±inf at s0 = 0 or m: stays there
    return np.asarray(ceiling) * expit(x + np.asarray(rate) * np.asarray(t))


# ---------------------------------------------------------------------------------------------
# Fitting to observed national points


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
