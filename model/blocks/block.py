"""The Block interface: what every model block declares, and the three functions it provides.

A block is one subsystem of the model (the IT market, online dossiers, e-government). It
declares, in one place, the scenario section it reads (``settings``), the variables it writes
(name, dims, unit, bounds), the lever targets it accepts (with the unit of a lever's size) and
the variables a trigger may watch. The engine calls

* ``prepare(settings, data)`` once per ensemble (fits, observed starting points; frozen),
* ``start(prepared, draws)`` -> the state at the first time of the block's clock,
* ``step(prepared, state, time, effects, draws)`` -> the state at the next time,
* ``observe(prepared, state)`` -> the block's variables at that time, ``{name: (draw, ...)}``,

all pure and vectorised over a leading ``draw`` axis. A block steps on a yearly clock or on the
UN survey editions (``clock``). A part of a variable that ceases to exist within a run (the
district level after 2025) is declared by ``endings(settings)``, where the results check and the
scenario checks of triggers and lever effects read it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel
from vnsim.uncertainty import Streams

TimeAxis = Literal["year", "edition"]


@dataclass(frozen=True)
class Variable:
    """One results variable: ``dims`` after the leading ``draw`` axis, e.g. ``("year", "level")``.

    ``bounds`` (inclusive, None for unbounded) say which values are possible; ``summary`` says
    whether the run summary lists its quantiles (for the focus country where it has ``country``);
    ``nan_at_start`` that it is NaN at the first time of its axis (e.g. growth in the base year).
    Parts that end within a run depend on the scenario and are declared by the block
    (:meth:`Block.endings`); :meth:`undefined` combines both.
    """

    name: str
    dims: tuple[str, ...]
    unit: str
    description: str
    bounds: tuple[float | None, float | None] = (None, None)
    dtype: str = "float64"
    summary: bool = True
    nan_at_start: bool = False

    @property
    def time(self) -> TimeAxis | None:
        """The variable's time axis, if any."""
        return next((d for d in self.dims if d in ("year", "edition")), None)  # type: ignore[return-value]

    @property
    def itemsize(self) -> int:
        return np.dtype(self.dtype).itemsize

    def undefined(
        self, coords: Mapping[str, Sequence[Any]], endings: Iterable[Ending] = ()
    ) -> np.ndarray:
        """Where the variable is declared to have no value, shape of ``dims`` (no draw axis).

        True at the first time if ``nan_at_start``, and after the last year of each of the
        ``endings`` of this variable, at the coordinates it selects. ``coords`` holds the labels
        of every dim (years or editions on the time axis).
        """
        mask = np.zeros(tuple(len(coords[d]) for d in self.dims), bool)
        if self.time is None:
            return mask
        axis = self.dims.index(self.time)
        if self.nan_at_start:
            mask[(slice(None),) * axis + (0,)] = True
        for ending in endings:
            if ending.variable != self.name:
                continue
            part = np.ones(mask.shape, bool)
            for i, d in enumerate(self.dims):
                if d == self.time:
                    keep = np.asarray(coords[d]) > ending.last_year
                elif d in ending.select:
                    keep = np.array([str(c) == ending.select[d] for c in coords[d]], bool)
                else:
                    continue
                # broadcast the dim's vector along its own axis only
                part &= keep.reshape([-1 if k == i else 1 for k in range(mask.ndim)])
            mask |= part
        return mask


@dataclass(frozen=True)
class Ending:
    """A part of a results variable that ceases to exist after ``last_year`` (e.g. an abolished
    level of government): NaN from the next year on, in every draw.

    ``select`` picks the part (``{"level": "district"}``); ``names`` are the trigger sources and
    lever targets that watch or act on it, which a scenario may not use after ``last_year``;
    ``reason`` says why, with its source, for planners' messages.
    """

    variable: str
    last_year: int
    select: Mapping[str, str] = field(default_factory=dict)
    names: tuple[str, ...] = ()
    reason: str = ""


@dataclass(frozen=True)
class LeverTarget:
    """What a lever effect may act on (``market.growth``), and the unit of its size.

    ``kind`` says how intensities combine: ``"rate"`` effects add ``size x intensity`` every year;
    a ``"jump"`` closes the share ``size`` of a remaining gap when the intensity rises (several
    jumps in a year combine as ``1 - prod(1 - j)``). ``by_country`` effects name the countries
    they act on. ``plausible`` is the range of a size per unit of intensity that a planner can
    defend, in ``unit``; a size outside it is warned about when a scenario is checked.
    """

    name: str
    unit: str
    description: str
    kind: Literal["rate", "jump"] = "rate"
    by_country: bool = False
    plausible: tuple[float, float] | None = None


@dataclass(frozen=True)
class TriggerSource:
    """A variable a lever trigger may watch: ``name`` in scenario files, read from ``variable``
    at ``select`` (e.g. ``{"level": "commune"}``) in the trigger's year."""

    name: str
    variable: str
    unit: str
    select: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Draws:
    """What a block may read about the chunk of draws it simulates.

    ``inputs`` are the sampled uncertain inputs, ``{name: (draw,)}``; ``streams`` gives this
    chunk's random numbers (the same for a draw whatever the chunking); ``years`` is the
    scenario's yearly clock, base year first.
    """

    inputs: Mapping[str, np.ndarray]
    streams: Streams
    years: np.ndarray

    @property
    def n(self) -> int:
        return self.streams.n_draws


@dataclass(frozen=True)
class Effects:
    """Lever effects on one block's targets, as yearly paths ``(draw, year, key)``.

    ``keys`` are ``(target, country)`` pairs (``country`` is None for targets not by country);
    values are in each target's own unit per year (rates) or shares of the gap (jumps).
    """

    years: np.ndarray
    keys: tuple[tuple[str, str | None], ...]
    paths: np.ndarray

    def path(self, target: str, country: str | None = None) -> np.ndarray:
        """The yearly path of one target, ``(draw, year)``; zeros where no lever acts on it."""
        try:
            return self.paths[:, :, self.keys.index((target, country))]
        except ValueError:
            return np.zeros(self.paths.shape[:2])

    def at(self, target: str, year: int, country: str | None = None) -> np.ndarray:
        """One target's effect in ``year``, ``(draw,)``."""
        return self.path(target, country)[:, int(year - self.years[0])]


@dataclass(frozen=True)
class DataSources:
    """Data a block's ``prepare`` uses instead of the packaged data (e.g. a backtest's vintage).

    None = the data layer's default (packaged data plus the user's added editions).
    """

    surveys: pd.DataFrame | None = None
    #: last year of the scenario's horizon
    end_year: int = 2030
    #: vintage: only data published by the end of this year (None = all data)
    as_of: int | None = None


class Block(ABC):
    """One model block. Subclasses set the class attributes and implement the three functions."""

    #: scenario section (and prefix of its lever targets and trigger sources)
    name: ClassVar[str]
    #: pydantic model of the scenario section
    settings: ClassVar[type[BaseModel]]
    clock: ClassVar[TimeAxis] = "year"
    variables: ClassVar[tuple[Variable, ...]]
    lever_targets: ClassVar[tuple[LeverTarget, ...]] = ()
    triggers: ClassVar[tuple[TriggerSource, ...]] = ()
    #: whether the block draws random numbers; a block without noise is a function of the
    #: inputs and levers, so its observations can condition the draws (vnsim.core.history)
    noise: ClassVar[bool] = True

    def prepare(self, settings: Any, data: DataSources) -> Any:
        """Everything fixed for an ensemble (fits, observed start); default: the settings."""
        del data
        return settings

    def coords(self, prepared: Any) -> dict[str, Sequence[Any]]:
        """Coordinates of the block's dimensions other than ``draw`` and time."""
        del prepared
        return {}

    def times(self, prepared: Any, years: np.ndarray) -> list[int]:
        """The block's clock: years, or the survey editions it observes and simulates."""
        del prepared
        return [int(y) for y in years]

    def horizon_problems(self, settings: Any, base_year: int, end_year: int) -> list[str]:
        """What in the settings does not fit the scenario's horizon (default nothing)."""
        del settings, base_year, end_year
        return []

    def data_problems(self, settings: Any, as_of: int | None) -> list[tuple[tuple, str]]:
        """What in the settings the data of vintage ``as_of`` cannot support, as
        ``(location in the section, message)`` pairs (default nothing)."""
        del settings, as_of
        return []

    def endings(self, settings: Any) -> tuple[Ending, ...]:
        """Parts of the block's variables that end within a run, from the block's scenario
        section (default none); the block must write NaN there."""
        del settings
        return ()

    def provenance(self, prepared: Any) -> dict[str, str]:
        """Attributes a run records about the block's data (default none)."""
        del prepared
        return {}

    def effect_scale(self, prepared: Any, effect: Any) -> float:
        """Factor turning a lever effect's size into the target's own unit (default 1)."""
        del prepared, effect
        return 1.0

    @abstractmethod
    def start(self, prepared: Any, draws: Draws) -> Any:
        """The state at the first time of the block's clock."""

    @abstractmethod
    def step(self, prepared: Any, state: Any, time: int, effects: Effects, draws: Draws) -> Any:
        """The state at ``time``, the next time of the clock."""

    @abstractmethod
    def observe(self, prepared: Any, state: Any) -> dict[str, np.ndarray]:
        """The block's variables at the state's time, ``{name: (draw, ...)}``."""
