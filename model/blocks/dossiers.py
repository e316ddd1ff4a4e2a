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
from dataclasses import dataclass
from typing import Annotated

import numpy as np
from pydantic import BaseModel, Field, field_validator, model_validator
from scipy.special import expit, logit
from vnsim.blocks.block import Block, Draws, Effects, LeverTarget, TriggerSource, Variable
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
    ceiling: Annotated[Quantity, Field(json_schema_extra={"plausible": (0.3, 1.0)})] = quantity(
        "share", "long-run ceiling of the share (0 < m <= 1)"
    )
    rate: Annotated[Quantity, Field(json_schema_extra={"plausible": (0.0, 2.0)})] = quantity(
        "1/yr", "logit slope of progress toward the ceiling"
    )
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
# explicit (uncertain) values, so these only serve quick runs and examples; the fully-online
# default goes through both national readings, so a run with defaults agrees with them.
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
            base_value=0.222,
            ceiling=0.91,
            rate=0.572,
            source=(
                "base and rate: the logistic path at ceiling 0.91 through ≈5 % fully online in "
                "2019 (National Committee review, Kon Tum portal, Jul 2024) and 45.8 % in 2024 "
                "(MIC / EMC, Jan 2025; outcomes_2022_2024 §2), read at 2022; "
                f"{_CEILING_SOURCE}"
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


def adoption_path(
    base: float | np.ndarray, ceiling: float | np.ndarray, rate: float | np.ndarray, t: np.ndarray
) -> np.ndarray:
    """Closed-form logistic path without shocks: ``m * expit(logit(s0 / m) + rate * t)``.

    ``t`` is years since the base; arguments broadcast. Shares 0-1.
    """
    x = logit(np.asarray(base) / np.asarray(ceiling))  # ±inf at s0 = 0 or m: stays there
    return np.asarray(ceiling) * expit(x + np.asarray(rate) * np.asarray(t))


class DossiersBlock(Block):
    """Online dossiers as a model block (yearly clock)."""

    name = "dossiers"
    settings = Settings
    noise = False  # shares follow from the inputs and levers alone
    variables = (
        Variable(
            "admin_fully_online",
            ("year",),
            "share 0-1",
            "Administrative-procedure dossiers processed fully online (national)",
            (0.0, 1.0),
        ),
        Variable(
            "dossiers_online",
            ("year", "level"),
            "share 0-1",
            "Work dossiers processed online, by government level",
            (0.0, 1.0),
        ),
    )
    lever_targets = (
        *(
            LeverTarget(
                f"dossiers.{s}.rate", "1/yr", "added to the logit slope", plausible=(-0.2, 1.0)
            )
            for s in SERIES
        ),
        *(
            LeverTarget(
                f"dossiers.{s}.jump",
                "share",
                "share of the remaining gap closed (a mandate)",
                kind="jump",
                plausible=(0.0, 0.9),
            )
            for s in SERIES
        ),
    )
    triggers = (
        TriggerSource("dossiers.admin_fully_online", "admin_fully_online", "share"),
        *(TriggerSource(f"dossiers.{s}", "dossiers_online", "share", {"level": s}) for s in LEVELS),
    )

    def coords(self, prepared: Settings) -> dict[str, tuple[str, ...]]:
        return {"level": LEVELS}

    def start(self, prepared: Settings, draws: Draws) -> DossierState:
        return start(prepared, dict(draws.inputs), draws.n)

    def step(
        self, prepared: Settings, state: DossierState, time: int, effects: Effects, draws: Draws
    ) -> DossierState:
        rate = np.stack([effects.at(f"dossiers.{s}.rate", time) for s in SERIES], -1)
        gap = np.stack([effects.at(f"dossiers.{s}.jump", time) for s in SERIES], -1)
        return advance(state, rate, gap)

    def observe(self, prepared: Settings, state: DossierState) -> dict[str, np.ndarray]:
        share = shares(state)
        return {"admin_fully_online": share[:, 0], "dossiers_online": share[:, 1:]}


BLOCK = DossiersBlock()
