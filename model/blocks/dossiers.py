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

Two-tier local government (``two_tier``): the district level is abolished during
``two_tier.year`` (1 Jul 2025) and the commune-level units are merged into larger ones that take
over district tasks. The district series ends with that year (NaN after it; the year's value is
the level's state at abolition), and at the end of that year the commune series becomes the mix
``(1 - w) * commune + w * district`` of shares and of ceilings, ``w`` being the share of the new
communes' work dossiers that were district tasks (:func:`merge_communes`, ``docs/dossiers.md``).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Annotated

import numpy as np
from pydantic import BaseModel, Field, field_validator, model_validator
from scipy.special import expit, logit
from vnsim.blocks.block import (
    Block,
    Draws,
    Effects,
    Ending,
    LeverTarget,
    TriggerSource,
    Variable,
)
from vnsim.errors import InputError, Message, Num
from vnsim.quantity import Quantity, quantity, resolve

SERIES = ("admin_fully_online", "ministry_province", "district", "commune")
LEVELS = ("ministry_province", "district", "commune")
#: Columns of the state arrays that the merger of communes reads and changes.
DISTRICT, COMMUNE = SERIES.index("district"), SERIES.index("commune")

#: Largest logit step that matters: |logit| of any float64 share below 1 is under 745, so
#: steps beyond this saturate anyway. Clipping to it keeps any finite shock free of overflow.
MAX_STEP = 1e4


def _share(field: str, v: Quantity) -> Quantity:
    """A number written for a share field must lie in [0, 1]; a named input is checked per
    draw when the block starts."""
    if isinstance(v, float) and not 0.0 <= v <= 1.0:
        raise ValueError(
            Message("{field} {value} is not a share in [0, 1]", field=field, value=Num(v, ""))
        )
    return v


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
        return _share("base_value", v)

    @field_validator("ceiling")
    @classmethod
    def _ceiling_in_range(cls, v: Quantity) -> Quantity:
        if isinstance(v, float) and not 0.0 < v <= 1.0:
            raise ValueError(Message("ceiling {value} is not in (0, 1]", value=Num(v, "")))
        return v

    @field_validator("rate")
    @classmethod
    def _rate_finite(cls, v: Quantity) -> Quantity:
        if isinstance(v, float) and not math.isfinite(v):
            raise ValueError(Message("rate must be finite"))
        return v

    @model_validator(mode="after")
    def _base_below_ceiling(self) -> Series:
        if isinstance(self.base_value, float) and isinstance(self.ceiling, float):
            if self.base_value > self.ceiling:
                raise ValueError(
                    Message(
                        "base_value {base} exceeds ceiling {ceiling}",
                        base=Num(self.base_value, ""),
                        ceiling=Num(self.ceiling, ""),
                    )
                )
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


_TWO_TIER_SOURCE = (
    "district level abolished and commune-level units merged 10,035 -> 3,321 from 1 Jul 2025: "
    "Constitution amendment and revised Law on Organisation of Local Government passed "
    "16 Jun 2025 (baochinhphu English, 1 Jul 2025; Viet Nam News, 4 Jul 2025; Lao Dong), "
    "targets_2026_2030.md §2; district_task_share: assumption (no count of dossiers by level)"
)


class TwoTier(BaseModel, extra="forbid"):
    """The two-tier local government: districts abolished and communes merged in ``year``."""

    year: int = Field(
        2025,
        ge=1990,
        le=2100,
        description="Year during which the district level is abolished and the communes merged "
        "(1 Jul 2025); the district series ends with this year's value [year]",
    )
    district_task_share: Annotated[Quantity, Field(json_schema_extra={"plausible": (0.0, 0.7)})] = (
        quantity(
            "share",
            "share of the merged communes' work dossiers that were district-level tasks: "
            "the weight of the district series in the commune series after the merger",
            0.3,
        )
    )
    source: str = Field(
        _TWO_TIER_SOURCE, description="where the year and the weight come from, or 'assumption'"
    )

    @field_validator("district_task_share")
    @classmethod
    def _weight_is_share(cls, v: Quantity) -> Quantity:
        return _share("district_task_share", v)


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
    two_tier: TwoTier = Field(
        default_factory=TwoTier,
        description="Two-tier local government from 1 Jul 2025: the district series ends, the "
        "commune series takes in district tasks",
    )


@dataclass(frozen=True)
class DossierState:
    """Adoption state of all series; every array has shape ``(draw, series)``.

    ``progress`` is the share as a fraction of its ceiling (0-1); ``ceiling`` is a share 0-1;
    ``rate`` is the logit slope in 1/yr. Columns follow :data:`SERIES`. ``year`` is the calendar
    year the state describes (None when the caller keeps no calendar).
    """

    progress: np.ndarray
    ceiling: np.ndarray
    rate: np.ndarray
    year: int | None = None


def start(
    settings: Settings, inputs: dict[str, np.ndarray], n_draws: int, year: int | None = None
) -> DossierState:
    """The state at the base year ``year`` from the settings and the sampled uncertain inputs.

    Raises ``ValueError`` if any draw has a ceiling outside (0, 1] or a base value outside
    [0, ceiling]: the scenario's distributions must keep them apart.
    """
    cols: dict[str, list[np.ndarray]] = {"base": [], "ceiling": [], "rate": []}
    for name in SERIES:
        s: Series = getattr(settings, name)
        base = resolve(s.base_value, inputs, n_draws).astype(float)
        ceiling = resolve(s.ceiling, inputs, n_draws).astype(float)
        rate = resolve(s.rate, inputs, n_draws).astype(float)
        series = f"dossiers.{name}"
        if not np.all((ceiling > 0) & (ceiling <= 1)):
            raise InputError(
                Message("{series}: ceiling outside (0, 1] in some draws", series=series)
            )
        if not np.all((base >= 0) & (base <= ceiling)):
            raise InputError(
                Message("{series}: base_value outside [0, ceiling] in some draws", series=series)
            )
        if not np.all(np.isfinite(rate)):
            raise InputError(Message("{series}: rate not finite in some draws", series=series))
        cols["base"].append(base)
        cols["ceiling"].append(ceiling)
        cols["rate"].append(rate)
    base, ceiling, rate = (np.stack(cols[k], axis=1) for k in ("base", "ceiling", "rate"))
    progress = np.clip(base / ceiling, 0.0, 1.0)
    return DossierState(progress=progress, ceiling=ceiling, rate=rate, year=year)


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
    return dataclasses.replace(state, progress=progress)


def merge_communes(state: DossierState, weight: np.ndarray) -> DossierState:
    """The state after the merger of communes: they take over district tasks.

    The commune share and ceiling become ``(1 - w) * commune + w * district`` (shares 0-1), so
    the new progress ``s / m`` stays in [0, 1]; the commune's rate and every other series are
    unchanged. A volume-weighted mean: ``w`` is the share of the merged communes' work dossiers
    that were district tasks.

    Parameters
    ----------
    weight
        ``w``, share 0-1 per draw, shape ``(draw,)``.
    """
    w = np.asarray(weight, dtype=float)
    if w.shape != state.rate.shape[:1]:
        raise ValueError(f"weight must have shape {state.rate.shape[:1]}")
    if not np.all((w >= 0) & (w <= 1)):
        raise ValueError("weight must lie in [0, 1]")
    share, ceiling = shares(state), state.ceiling
    mixed = (1.0 - w) * share[:, COMMUNE] + w * share[:, DISTRICT]
    top = (1.0 - w) * ceiling[:, COMMUNE] + w * ceiling[:, DISTRICT]
    # the mean of two positive ceilings is at least the smaller one; the maximum only keeps
    # rounding (of subnormal ceilings) from making it 0
    top = np.maximum(top, np.minimum(ceiling[:, COMMUNE], ceiling[:, DISTRICT]))
    progress, new_ceiling = state.progress.copy(), ceiling.copy()
    # each share is within its own ceiling, so the mix is within the mixed ceiling; the clip
    # only removes float rounding
    progress[:, COMMUNE] = np.clip(mixed / top, 0.0, 1.0)
    new_ceiling[:, COMMUNE] = top
    return dataclasses.replace(state, progress=progress, ceiling=new_ceiling)


def shares(state: DossierState) -> np.ndarray:
    """Shares 0-1 of every series, shape ``(draw, series)``, each within [0, its ceiling]."""
    return state.ceiling * state.progress


def observed_shares(state: DossierState, district_last_year: int) -> np.ndarray:
    """Shares 0-1 as the results show them, shape ``(draw, series)``: the district series is
    NaN in years after ``district_last_year`` (the level no longer exists)."""
    share = shares(state)
    if state.year is not None and state.year > district_last_year:
        share[:, DISTRICT] = np.nan
    return share


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

    def endings(self, settings: Settings) -> tuple[Ending, ...]:
        year = settings.two_tier.year
        return (
            Ending(
                "dossiers_online",
                year,
                {"level": "district"},
                ("dossiers.district", "dossiers.district.rate", "dossiers.district.jump"),
                Message(
                    "the district level is abolished in {year} (two-tier local government, "
                    "{section})",
                    year=year,
                    section="dossiers.two_tier",
                ),
            ),
        )

    def start(self, prepared: Settings, draws: Draws) -> DossierState:
        return start(prepared, dict(draws.inputs), draws.n, int(draws.years[0]))

    def step(
        self, prepared: Settings, state: DossierState, time: int, effects: Effects, draws: Draws
    ) -> DossierState:
        rate = np.stack([effects.at(f"dossiers.{s}.rate", time) for s in SERIES], -1)
        gap = np.stack([effects.at(f"dossiers.{s}.jump", time) for s in SERIES], -1)
        state = dataclasses.replace(advance(state, rate, gap), year=int(time))
        # the merger takes effect within its year, so that year's end value is post-merger;
        # a run whose base year is the merger year or later starts from merged communes
        if time == prepared.two_tier.year:
            weight = resolve(prepared.two_tier.district_task_share, dict(draws.inputs), draws.n)
            if not np.all((weight >= 0) & (weight <= 1)):
                raise InputError(
                    Message(
                        "{field} outside [0, 1] in some draws",
                        field="dossiers.two_tier.district_task_share",
                    )
                )
            state = merge_communes(state, weight.astype(float))
        return state

    def observe(self, prepared: Settings, state: DossierState) -> dict[str, np.ndarray]:
        share = observed_shares(state, prepared.two_tier.year)
        return {"admin_fully_online": share[:, 0], "dossiers_online": share[:, 1:]}


BLOCK = DossiersBlock()
