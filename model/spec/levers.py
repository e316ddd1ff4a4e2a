"""Policy levers: dated intensity schedules, conditional triggers, and their effects.

A lever has an *intensity* per year (0 = off, 1 = as planned), from dated values such as
``{2022: 0.5, 2024: 1.0}``, a start year, an optional linear ramp and an end year. Each of its
*effects* acts on one model variable with a size per unit of intensity (a number or an uncertain
input) after a lag. A *trigger* makes the lever conditional, draw by draw: "if the commune share is
below 40 % in 2023, the mandate starts in 2024". Triggers are vectorised: one mask per draw.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Literal, Self

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from vnsim.blocks import LEVER_TARGETS, TRIGGER_SOURCES, LeverTarget
from vnsim.egdi import TiiIndicator
from vnsim.errors import Message
from vnsim.quantity import Quantity

#: What an effect can act on, and the unit of its size per unit of intensity (from the blocks).
EFFECT_UNITS: dict[str, str] = {name: t.unit for name, t in LEVER_TARGETS.items()}

#: What a trigger can watch, with its unit (from the blocks).
TRIGGER_UNITS: dict[str, str] = {name: t.unit for name, t in TRIGGER_SOURCES.items()}

EffectTarget = Literal[tuple(EFFECT_UNITS)]  # type: ignore[valid-type]
TriggerVariable = Literal[tuple(TRIGGER_UNITS)]  # type: ignore[valid-type]
ISO3 = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Year = Annotated[int, Field(ge=1990, le=2100)]

#: Intensities a planner can defend: off to twice the plan [intensity]; up to 10 is accepted.
PLAUSIBLE_INTENSITY = (0.0, 2.0)
#: Yearly change of a raw ITU indicator a lever can plausibly add, per unit of intensity
#: [per 100/yr]: internet users rose by at most a few points a year in fast-growing countries.
PLAUSIBLE_INDICATOR = (-5.0, 10.0)
Intensity = Annotated[
    float, Field(ge=0, le=10, json_schema_extra={"plausible": PLAUSIBLE_INTENSITY})
]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Effect(_Section):
    """One effect of a lever: ``size`` per unit of intensity on ``target``, ``lag`` years later.

    Units of ``size`` by target: ``market.growth`` share/yr added to log growth; ``egov.*`` index
    points gained per year (accumulating); ``dossiers.<series>.rate`` 1/yr added to the logit slope;
    ``dossiers.<series>.jump`` share of the remaining gap to the ceiling closed when the intensity
    rises (a mandate).
    """

    target: EffectTarget = Field(description="Model variable the lever acts on")
    size: Quantity = Field(description="Effect per unit of intensity, in the target's unit")
    lag: int = Field(0, ge=0, le=10, description="Years between intensity and effect [years]")
    countries: list[ISO3] = Field(
        default_factory=lambda: ["VNM"],
        description="ISO3 codes (effects on targets by country, e.g. egov.*, only)",
    )
    indicator: TiiIndicator | None = Field(
        None,
        description="egov.tii only: give `size` as a yearly change of this raw ITU indicator "
        "[per 100/yr], translated into TII points through the UN formula",
    )
    indicator_sd: float | None = Field(
        None,
        gt=0,
        description="Cross-country sd of the indicator, to use instead of the packaged ITU "
        "data's in the origin's data year (an assumption) [per 100]",
    )

    @model_validator(mode="after")
    def _indicator(self) -> Self:
        if self.indicator is not None and self.target != "egov.tii":
            raise ValueError(Message("'indicator' applies to target egov.tii only"))
        return self

    @property
    def unit(self) -> str:
        """Unit of ``size``."""
        return "per 100/yr" if self.indicator else EFFECT_UNITS[self.target]

    @property
    def plausible(self) -> tuple[float, float] | None:
        """Range of ``size`` a planner can defend, in :attr:`unit` per unit of intensity."""
        return PLAUSIBLE_INDICATOR if self.indicator else LEVER_TARGETS[self.target].plausible


class Trigger(_Section):
    """Condition, checked per draw at the end of ``year``, for the lever to act at all."""

    variable: TriggerVariable = Field(description="Variable watched")
    year: Year = Field(description="Year whose value is checked")
    below: float | None = Field(None, description="Fire if the value is below this")
    above: float | None = Field(None, description="Fire if the value is above this")

    @model_validator(mode="after")
    def _one_bound(self) -> Self:
        if (self.below is None) == (self.above is None):
            raise ValueError(Message("give exactly one of 'below' or 'above'"))
        return self


class Lever(_Section):
    """A policy lever with a dated intensity schedule."""

    description: str = Field("", description="What the lever is, in words")
    description_vi: str = Field("", description="The description in Vietnamese")
    source: str = Field(description="Source of the schedule and effect sizes, or 'assumption: …'")
    source_vi: str = Field("", description="The source in Vietnamese")
    schedule: dict[Year, Intensity] = Field(
        default_factory=dict,
        description="Dated intensities {year: intensity}; empty = 1 from start [intensity]",
    )
    interpolation: Literal["step", "linear"] = Field("step", description="Between dated values")
    start: Year | None = Field(None, description="First year in effect (default: first dated year)")
    ramp: int = Field(0, ge=0, le=30, description="Years to reach full intensity [years]")
    end: Year | None = Field(None, description="Last year in effect (default: none)")
    effects: list[Effect] = Field(min_length=1, description="What the lever changes")
    trigger: Trigger | None = Field(None, description="Optional condition per draw")

    @model_validator(mode="after")
    def _dates(self) -> Self:
        first = self.first_year()
        if self.end is not None and first is not None and self.end < first:
            raise ValueError(
                Message(
                    "end ({end}) is before the first year in effect ({first})",
                    end=self.end,
                    first=first,
                )
            )
        if self.trigger is not None and first is not None and self.trigger.year >= first:
            raise ValueError(
                Message(
                    "trigger year ({year}) must be before the lever's first year ({first}): a "
                    "condition can only start a measure after it is observed",
                    year=self.trigger.year,
                    first=first,
                )
            )
        if self.trigger is not None and first is None:
            raise ValueError(Message("a triggered lever needs a 'start' or a dated schedule"))
        return self

    def first_year(self) -> int | None:
        """First year the lever is in effect, or None if it is on from the base year."""
        if self.start is not None:
            return self.start
        return min(self.schedule) if self.schedule else None


def planned_intensity(
    lever: Lever, years: np.ndarray, scale: float = 1.0, start: int | None = None
) -> np.ndarray:
    """Intensity of a lever in each year, before any trigger, shape ``(year,)``.

    Parameters
    ----------
    years
        Calendar years, shape ``(year,)``.
    scale
        Multiplies the whole schedule (what-it-takes searches and sensitivity).
    start
        Moves the lever to start in this year, shifting its dated schedule and end with it.
    """
    years = np.asarray(years)
    first = lever.first_year()
    shift = 0 if start is None or first is None else start - first
    if first is None:
        first = int(years[0]) if start is None else start
    first += shift
    if lever.schedule:
        points = np.array(sorted(lever.schedule)) + shift
        values = np.array([lever.schedule[y] for y in sorted(lever.schedule)])
        if lever.interpolation == "linear":
            level = np.interp(years, points, values, left=0.0)
        else:
            idx = np.searchsorted(points, years, side="right") - 1
            level = np.where(idx >= 0, values[np.clip(idx, 0, None)], 0.0)
    else:
        level = np.ones(years.shape)
    on = years >= first
    if lever.end is not None:
        on &= years <= lever.end + shift
    ramp = np.clip((years - first + 1) / lever.ramp, 0.0, 1.0) if lever.ramp else 1.0
    return scale * level * ramp * on


def fires(trigger: Trigger, value: np.ndarray) -> np.ndarray:
    """Which draws meet the trigger's condition, shape ``(draw,)`` bool."""
    if trigger.below is not None:
        return value < trigger.below
    return value > trigger.above


def lagged(intensity: np.ndarray, lag: int) -> np.ndarray:
    """Intensity shifted ``lag`` years later along the last axis, zeros before it."""
    if lag == 0:
        return intensity
    out = np.zeros_like(intensity)
    out[..., lag:] = intensity[..., :-lag]
    return out


def combine_jumps(jumps: Sequence[np.ndarray]) -> np.ndarray:
    """One jump equivalent to several in the same year: each closes its fraction of what is left.

    ``1 - prod(1 - j_k)``; order-independent. Shapes broadcast; result in [0, 1].
    """
    remaining = np.ones(np.broadcast_shapes(*(np.shape(j) for j in jumps)))
    for j in jumps:
        remaining = remaining * (1.0 - np.asarray(j, dtype=float))
    return 1.0 - remaining


EffectKey = tuple[str, str | None]


def effect_paths(
    levers: Mapping[str, Lever],
    intensity: Mapping[str, np.ndarray],
    sizes: Mapping[tuple[str, int], np.ndarray],
    targets: Mapping[str, LeverTarget],
    shape: tuple[int, int],
) -> tuple[tuple[EffectKey, ...], np.ndarray]:
    """Yearly effects of all levers on the given targets, ``(draw, year, key)``.

    Parameters
    ----------
    levers
        The scenario's levers.
    intensity
        Each lever's intensity after triggers, ``(draw, year)``.
    sizes
        Each effect's size per unit of intensity, ``(draw,)``, keyed by ``(lever, effect index)``
        and already in the target's own unit.
    targets
        The targets to compute (one block's); effects on other targets are left out.
    shape
        ``(draw, year)`` of the paths.

    Returns
    -------
    The keys ``(target, country)`` (country None for targets not by country), in order of first
    appearance, and their paths. A rate adds ``size x lagged intensity``; a jump closes
    ``1 - (1 - size)**rise`` of the gap when the lagged intensity rises by ``rise``, so a mandate
    phased in over several years closes as much as one taken at once.
    """
    parts: dict[EffectKey, list[np.ndarray]] = {}
    for name, lever in levers.items():
        for i, eff in enumerate(lever.effects):
            target = targets.get(eff.target)
            if target is None:
                continue
            lag = lagged(intensity[name], eff.lag)
            if target.kind == "jump":
                rise = np.clip(lag - lagged(lag, 1), 0.0, None)
                keep = 1.0 - np.clip(sizes[name, i], 0.0, 1.0)
                part = 1.0 - keep[:, None] ** rise
            else:
                part = sizes[name, i][:, None] * lag
            for country in eff.countries if target.by_country else [None]:
                parts.setdefault((eff.target, country), []).append(part)
    keys = tuple(parts)
    n, years = shape
    paths = np.zeros((n, years, len(keys)))
    for k, key in enumerate(keys):
        if targets[key[0]].kind == "jump":
            paths[:, :, k] = combine_jumps(parts[key])
        else:
            total = np.zeros((n, years))
            for part in parts[key]:
                total += part
            paths[:, :, k] = total
    return keys, paths
