"""IT application market: size in USD bn, year by year, for every draw.

Definition adopted (no official series exists under the plan's name "thị trường ứng dụng CNTT",
see ``shared/docs/vietnam_targets.md`` §3.3): **domestic software and IT-services revenue**, the
part of the ICT industry that sells IT *applications* rather than hardware. It is the only
definition whose recent level (VINASA: "> 13 bn USD" around 2021) is compatible with the plan's
25–30 bn USD for 2025 at 20–30 % a year; hardware-inclusive ICT revenue (≈ 136 bn USD in 2021)
is an order of magnitude larger. The base value stays a scenario input so another definition
can be run, and ``definition_factor`` (default 1) multiplies it: the uncertainty of *which*
revenue the name covers (e.g. VINASA's software and IT services against ICT revenue less
hardware), kept apart from the uncertainty of the figure itself.

Growth is stated in nominal VND (the MIC reference rates are VND-based) while the market and
the plan's targets are in USD, so the VND's yearly depreciation against the USD,
``vnd_depreciation`` (default 0: growth is then read as USD growth), is taken off in logs.
Growth is simulated in logs, as recommended in ``forecasting_methods.md`` §4.2::

    g_t = log(1 + growth) - log(1 + vnd_depreciation) + lever_t + e_t,
    e_t = persistence * e_{t-1} + scale * eps_t,
    size_t = size_{t-1} * exp(g_t),      size_0 = base_value * definition_factor

with ``eps_t`` Student-t (heavy tails) and AR(1) persistence so that multi-year bands widen
faster than sqrt(T). Without shocks or levers one year multiplies the size by
(1 + growth) / (1 + vnd_depreciation); the growth in VND is the USD growth times
(1 + vnd_depreciation), less 1.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator
from vnsim.blocks.block import Block, Draws, Effects, LeverTarget, TriggerSource, Variable
from vnsim.errors import InputError, Message, Num
from vnsim.quantity import Quantity, quantity, resolve
from vnsim.uncertainty import Streams

#: -100 %, the least growth a year can have, in messages.
_MINUS_ALL = Num(-100, "g", percent=True)


class Settings(BaseModel):
    """The scenario's ``market:`` section."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    definition: str = Field(
        "domestic software and IT-services revenue",
        description="What the market counts; the base value must use the same definition",
    )
    base_value: Annotated[Quantity, Field(json_schema_extra={"plausible": (1.0, 100.0)})] = (
        quantity("USD bn", "Market size in the scenario's base year")
    )
    growth: Annotated[Quantity, Field(json_schema_extra={"plausible": (-0.2, 0.5)})] = quantity(
        "share/yr", "Mean annual growth without levers (0.16 = 16 %)"
    )
    shock_scale: Annotated[Quantity, Field(json_schema_extra={"plausible": (0.0, 0.3)})] = quantity(
        "share/yr", "Scale of the yearly shock to log growth (0 = no shocks)", default=0.0
    )
    shock_df: float = Field(
        4.0,
        gt=2.0,
        le=1000.0,
        description="Degrees of freedom of the Student-t shocks (3-5 = heavy tails) [1]",
    )
    persistence: Annotated[Quantity, Field(json_schema_extra={"plausible": (0.0, 0.9)})] = quantity(
        "1", "AR(1) coefficient of the growth shocks, in [0, 1)", default=0.0
    )
    # beyond a 10 % fall or a 5 % rise a year is a currency crisis or a revaluation, not a trend
    vnd_depreciation: Annotated[Quantity, Field(json_schema_extra={"plausible": (-0.05, 0.1)})] = (
        quantity(
            "share/yr",
            "Yearly fall of the VND against the USD (0.02 = the USD buys 2 % more VND each year); "
            "growth is in VND, the market in USD (0 = growth read as USD growth)",
            default=0.0,
        )
    )
    # software alone (≈ 5 bn USD) is ≈ 0.4 of VINASA's 13 bn, ICT revenue less hardware ≈ 1.35
    # (vietnam_targets.md §3.3); a reading outside both is another market
    definition_factor: Annotated[Quantity, Field(json_schema_extra={"plausible": (0.3, 2.0)})] = (
        quantity(
            "1",
            "Multiplier on the base value: the revenue the market's name is read to cover, "
            "relative to the base value's definition (1 = that definition; none is official)",
            default=1.0,
        )
    )

    # numbers are checked here so that a planner gets file:line; named inputs in start()
    @field_validator("growth")
    @classmethod
    def _growth_above_minus_one(cls, v: Quantity) -> Quantity:
        if isinstance(v, float) and not v > -1:
            raise ValueError(Message("growth must be above -1 ({percent})", percent=_MINUS_ALL))
        return v

    @field_validator("shock_scale")
    @classmethod
    def _scale_non_negative(cls, v: Quantity) -> Quantity:
        if isinstance(v, float) and v < 0:
            raise ValueError(Message("shock_scale must be 0 or more"))
        return v

    @field_validator("persistence")
    @classmethod
    def _persistence_in_unit_interval(cls, v: Quantity) -> Quantity:
        if isinstance(v, float) and not 0 <= v < 1:
            raise ValueError(Message("persistence must be in [0, 1)"))
        return v

    @field_validator("vnd_depreciation")
    @classmethod
    def _depreciation_above_minus_one(cls, v: Quantity) -> Quantity:
        if isinstance(v, float) and not v > -1:
            raise ValueError(
                Message(
                    "vnd_depreciation must be above -1 ({percent}): 0.02 means the VND loses "
                    "{two} a year",
                    percent=_MINUS_ALL,
                    two=Num(2, "g", percent=True),
                )
            )
        return v

    @field_validator("definition_factor")
    @classmethod
    def _factor_positive(cls, v: Quantity) -> Quantity:
        if isinstance(v, float) and not v > 0:
            raise ValueError(
                Message("definition_factor must be above 0 (1 = the base value as given)")
            )
        return v


@dataclass(frozen=True)
class MarketState:
    """Market size and the last growth shock, each shape ``(draw,)``."""

    size: np.ndarray  # USD bn
    shock: np.ndarray  # log-growth shock of the last year
    growth: np.ndarray  # per-draw mean log growth in VND, log(1 + growth)
    scale: np.ndarray
    persistence: np.ndarray
    fx: np.ndarray  # per-draw log(1 + vnd_depreciation), taken off the log growth


def _check_draws(values: dict[str, np.ndarray]) -> None:
    """Refuse per-draw values a named input may reach that the model cannot use."""
    # a range check alone would let NaN through (every comparison with NaN is False)
    for name, v in values.items():
        if not np.all(np.isfinite(v)):
            raise InputError(
                Message("market {name} must be a finite number in every draw", name=name)
            )
    if np.any(values["growth"] <= -1):
        raise InputError(
            Message("market growth must be above -1 ({percent}) in every draw", percent=_MINUS_ALL)
        )
    p = values["persistence"]
    if np.any((p < 0) | (p >= 1)):
        raise InputError(Message("market persistence must be in [0, 1) in every draw"))
    if np.any(values["vnd_depreciation"] <= -1):
        raise InputError(
            Message(
                "market vnd_depreciation must be above -1 ({percent}) in every draw: 0.02 means "
                "the VND loses {two} a year against the USD",
                percent=_MINUS_ALL,
                two=Num(2, "g", percent=True),
            )
        )
    if np.any(values["definition_factor"] <= 0):
        raise InputError(
            Message(
                "market definition_factor must be above 0 in every draw (1 = the base value as "
                "given)"
            )
        )


def start(settings: Settings, inputs: dict[str, np.ndarray], n_draws: int) -> MarketState:
    """The market at the base year for ``n_draws`` draws.

    Quantities naming an uncertain input are read from ``inputs`` (each shape ``(draw,)``);
    :class:`InputError` if a draw holds a value the model cannot use.
    """
    names = ("growth", "persistence", "vnd_depreciation", "definition_factor")
    values = {n: resolve(getattr(settings, n), inputs, n_draws) for n in names}
    _check_draws(values)
    return MarketState(
        size=resolve(settings.base_value, inputs, n_draws) * values["definition_factor"],
        shock=np.zeros(n_draws),
        growth=np.log1p(values["growth"]),
        scale=resolve(settings.shock_scale, inputs, n_draws),
        persistence=values["persistence"],
        fx=np.log1p(values["vnd_depreciation"]),
    )


def shocks(settings: Settings, streams: Streams, years: int) -> np.ndarray:
    """Standard Student-t innovations for ``years`` years, shape ``(draw, year)``.

    Drawn once per run so that each draw's shocks do not depend on chunking.
    """
    return streams.student_t("market.shock", settings.shock_df, (years,))


def advance(state: MarketState, lever: np.ndarray, innovation: np.ndarray) -> MarketState:
    """One year of growth.

    Parameters
    ----------
    lever
        Lever effect on growth this year, shape ``(draw,)`` [share/yr, added to log growth].
    innovation
        This year's standard shock, shape ``(draw,)``.
    """
    shock = state.persistence * state.shock + state.scale * innovation
    # growth is in VND and the size in USD: the currency's fall comes off the log growth
    size = state.size * np.exp(state.growth - state.fx + lever + shock)
    return replace(state, size=size, shock=shock)


@dataclass(frozen=True)
class MarketRun:
    """The block's state in a run: the market, its shocks drawn at the start, the year index
    ``t`` (0 = base year) and the growth over the previous year (NaN at the base year)."""

    market: MarketState
    innovations: np.ndarray  # (draw, year) standard shocks
    t: int
    growth: np.ndarray  # (draw,) share/yr


class MarketBlock(Block):
    """The IT application market as a model block (yearly clock)."""

    name = "market"
    settings = Settings
    variables = (
        Variable("market_size", ("year",), "USD bn", "IT application market size", (0.0, None)),
        Variable(
            "market_growth",
            ("year",),
            "share/yr",
            "Market growth over the previous year",
            (-1.0, None),
            nan_at_start=True,  # no growth before the base year
        ),
    )
    lever_targets = (
        LeverTarget(
            "market.growth",
            "share/yr",
            "added to the market's (log) growth",
            plausible=(-0.05, 0.1),
        ),
    )
    triggers = (TriggerSource("market.size", "market_size", "USD bn"),)

    def start(self, prepared: Settings, draws: Draws) -> MarketRun:
        return MarketRun(
            market=start(prepared, dict(draws.inputs), draws.n),
            innovations=shocks(prepared, draws.streams, len(draws.years)),
            t=0,
            growth=np.full(draws.n, np.nan),
        )

    def step(
        self, prepared: Settings, state: MarketRun, time: int, effects: Effects, draws: Draws
    ) -> MarketRun:
        t = state.t + 1
        new = advance(state.market, effects.at("market.growth", time), state.innovations[:, t])
        return MarketRun(new, state.innovations, t, new.size / state.market.size - 1)

    def observe(self, prepared: Settings, state: MarketRun) -> dict[str, np.ndarray]:
        return {"market_size": state.market.size, "market_growth": state.growth}


BLOCK = MarketBlock()
