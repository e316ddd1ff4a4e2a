"""IT application market: size in USD bn, year by year, for every draw.

Definition adopted (no official series exists under the plan's name "thị trường ứng dụng CNTT",
see ``shared/docs/vietnam_targets.md`` §3.3): **domestic software and IT-services revenue**, the
part of the ICT industry that sells IT *applications* rather than hardware. It is the only
definition whose recent level (VINASA: "> 13 bn USD" around 2021) is compatible with the plan's
25–30 bn USD for 2025 at 20–30 % a year; hardware-inclusive ICT revenue (≈ 136 bn USD in 2021)
is an order of magnitude larger. The base value stays a scenario input so another definition
can be run.

Growth is simulated in logs, as recommended in ``forecasting_methods.md`` §4.2::

    g_t = log(1 + growth) + lever_t + e_t,      e_t = persistence * e_{t-1} + scale * eps_t
    size_t = size_{t-1} * exp(g_t)

with ``eps_t`` Student-t (heavy tails) and AR(1) persistence so that multi-year bands widen
faster than sqrt(T).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator
from vnsim.blocks.block import Block, Draws, Effects, LeverTarget, TriggerSource, Variable
from vnsim.errors import InputError
from vnsim.quantity import Quantity, quantity, resolve
from vnsim.uncertainty import Streams


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

    # numbers are checked here so that a planner gets file:line; named inputs in start()
    @field_validator("growth")
    @classmethod
    def _growth_above_minus_one(cls, v: Quantity) -> Quantity:
        if isinstance(v, float) and not v > -1:
            raise ValueError("growth must be above -1 (-100 %)")
        return v

    @field_validator("shock_scale")
    @classmethod
    def _scale_non_negative(cls, v: Quantity) -> Quantity:
        if isinstance(v, float) and v < 0:
            raise ValueError("shock_scale must be 0 or more")
        return v

    @field_validator("persistence")
    @classmethod
    def _persistence_in_unit_interval(cls, v: Quantity) -> Quantity:
        if isinstance(v, float) and not 0 <= v < 1:
            raise ValueError("persistence must be in [0, 1)")
        return v


@dataclass(frozen=True)
class MarketState:
    """Market size and the last growth shock, each shape ``(draw,)``."""

    size: np.ndarray  # USD bn
    shock: np.ndarray  # log-growth shock of the last year
    growth: np.ndarray  # per-draw mean log growth, log(1 + growth)
    scale: np.ndarray
    persistence: np.ndarray


def start(settings: Settings, inputs: dict[str, np.ndarray], n_draws: int) -> MarketState:
    """The market at the base year for ``n_draws`` draws."""
    growth = resolve(settings.growth, inputs, n_draws)
    persistence = resolve(settings.persistence, inputs, n_draws)
    if np.any(growth <= -1):
        raise InputError("market growth must be above -1 (-100 %) in every draw")
    if np.any((persistence < 0) | (persistence >= 1)):
        raise InputError("market persistence must be in [0, 1) in every draw")
    return MarketState(
        size=resolve(settings.base_value, inputs, n_draws),
        shock=np.zeros(n_draws),
        growth=np.log1p(growth),
        scale=resolve(settings.shock_scale, inputs, n_draws),
        persistence=persistence,
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
    size = state.size * np.exp(state.growth + lever + shock)
    return MarketState(size, shock, state.growth, state.scale, state.persistence)


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
