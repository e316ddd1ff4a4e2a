"""The plan of an ensemble: everything its chunks share, computed once.

:func:`plan` samples the design of uncertain inputs for every draw (Latin hypercube and Sobol
points are not independent per draw, so the design spans the whole ensemble), prepares every
block (fits, observed starting points) on the data in use, and checks the overrides that searches
and sensitivity designs pass. A :class:`Plan` is frozen and picklable, so executors can ship it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from vnsim import datasets
from vnsim.blocks import BLOCKS, VARIABLES, Block
from vnsim.blocks.block import DataSources
from vnsim.spec.scenario import Scenario
from vnsim.uncertainty import design, transform

LeverScale = float | np.ndarray


@dataclass(frozen=True)
class Plan:
    """What every chunk of an ensemble needs.

    ``inputs`` holds every uncertain input for every draw, ``{name: (draw,)}``; ``prepared`` each
    block's frozen preparation by block name; ``lever_scale`` multiplies a lever's intensity (a
    number, or ``(draw,)``); ``lever_start`` moves a lever's first year.
    """

    scenario: Scenario
    draws: int
    seed: int
    inputs: Mapping[str, np.ndarray]
    prepared: Mapping[str, object]
    lever_scale: Mapping[str, LeverScale] = field(default_factory=dict)
    lever_start: Mapping[str, int] = field(default_factory=dict)
    data_version: str = ""

    def __post_init__(self) -> None:
        # a plan whose arrays disagree with its draw count would simulate the wrong draws
        for name, values in self.inputs.items():
            if np.shape(values) != (self.draws,):
                raise ValueError(
                    f"input {name!r} has shape {np.shape(values)}, expected ({self.draws},)"
                )
        for name, value in self.lever_scale.items():
            if np.ndim(value) and np.shape(value) != (self.draws,):
                raise ValueError(
                    f"lever_scale[{name!r}] has shape {np.shape(value)}, "
                    f"expected a number or ({self.draws},)"
                )
        missing = [b.name for b in BLOCKS if b.name not in self.prepared]
        if missing:
            raise ValueError(f"blocks not prepared: {missing}")

    def head(self, draws: int) -> Plan:
        """The plan of the first ``draws`` draws only (the same numbers for those draws)."""
        if not 0 <= draws <= self.draws:
            raise ValueError(f"head({draws}) of a plan of {self.draws} draws")
        return dataclasses.replace(
            self,
            draws=draws,
            inputs={k: v[:draws] for k, v in self.inputs.items()},
            lever_scale={k: v[:draws] if np.ndim(v) else v for k, v in self.lever_scale.items()},
        )

    @property
    def years(self) -> np.ndarray:
        """The yearly clock, base year first."""
        h = self.scenario.horizon
        return np.arange(h.base_year, h.end_year + 1)

    def times(self, block: Block) -> list[int]:
        """The clock of one block (years, or survey editions)."""
        return block.times(self.prepared[block.name], self.years)

    @property
    def editions(self) -> list[int]:
        """Survey editions of the results: the observed origin, then the simulated ones."""
        clocks = [self.times(b) for b in BLOCKS if b.clock == "edition"]
        return clocks[0] if clocks else []

    @property
    def levers(self) -> list[str]:
        return list(self.scenario.levers)

    def coords(self) -> dict[str, np.ndarray]:
        """Coordinates of the results (draw, year, edition and every block's own dims)."""
        out: dict[str, np.ndarray] = {
            "draw": np.arange(self.draws),
            "year": self.years,
            "edition": np.array(self.editions),
        }
        for block in BLOCKS:
            for dim, values in block.coords(self.prepared[block.name]).items():
                out[dim] = np.array(values, dtype=object)
        out["lever"] = np.array(self.levers, dtype=object)
        out["input"] = np.array(list(self.inputs), dtype=object)
        return out

    def draw_bytes(self, countries: int | None = None) -> int:
        """Memory of one draw's results in bytes, from the variable registry and coords.

        ``countries`` counts only that many countries (1: what a run keeps for its summary).
        """
        sizes = {dim: len(values) for dim, values in self.coords().items()}
        if countries is not None:
            sizes["country"] = countries
        return sum(v.itemsize * math.prod(sizes[d] for d in v.dims) for v in VARIABLES.values())

    def provenance(self) -> dict[str, str]:
        """What the blocks record about their data (e.g. the survey editions used)."""
        out: dict[str, str] = {}
        for block in BLOCKS:
            out.update(block.provenance(self.prepared[block.name]))
        return out


def sample_inputs(scenario: Scenario, draws: int, seed: int) -> dict[str, np.ndarray]:
    """Values of every uncertain input for every draw, ``{name: (draw,)}``."""
    names = list(scenario.uncertain)
    unit = design(scenario.ensemble.sampler, draws, len(names), seed)
    return {
        name: transform(spec.dist, spec.params(), unit[:, i])
        for i, (name, spec) in enumerate(scenario.uncertain.items())
    }


def _check_levers(
    scenario: Scenario, lever_scale: Mapping[str, LeverScale], lever_start: Mapping[str, int]
) -> None:
    for name in [*lever_scale, *lever_start]:
        if name not in scenario.levers:
            raise KeyError(f"no lever named {name!r}; levers: {', '.join(scenario.levers)}")
    for name, year in lever_start.items():
        trigger = scenario.levers[name].trigger
        if trigger is not None and year <= trigger.year:
            raise ValueError(
                f"lever {name!r} cannot start in {year}: its trigger is checked at the end of "
                f"{trigger.year}, so it can start in {trigger.year + 1} at the earliest"
            )


def plan(
    scenario: Scenario,
    draws: int | None = None,
    seed: int | None = None,
    *,
    lever_scale: Mapping[str, LeverScale] | None = None,
    lever_start: Mapping[str, int] | None = None,
    inputs: Mapping[str, np.ndarray] | None = None,
    surveys: pd.DataFrame | None = None,
) -> Plan:
    """Prepare an ensemble: sample the design, prepare every block, check overrides.

    Parameters
    ----------
    draws, seed
        Override the scenario's ``ensemble`` section.
    lever_scale, lever_start
        Multiply a lever's intensity (a number, or one per draw with shape ``(draw,)`` for
        sensitivity designs), or move its start year (what-it-takes searches).
    inputs
        Replace sampled uncertain inputs, each shape ``(draw,)`` (sensitivity designs).
    surveys
        Survey history to use; default: packaged data plus the user's added editions.
    """
    draws = scenario.ensemble.draws if draws is None else int(draws)
    seed = scenario.ensemble.seed if seed is None else int(seed)
    lever_scale, lever_start = dict(lever_scale or {}), dict(lever_start or {})
    _check_levers(scenario, lever_scale, lever_start)
    sampled = sample_inputs(scenario, draws, seed)
    for name, values in (inputs or {}).items():
        if name not in sampled:
            raise KeyError(f"no uncertain input named {name!r}")
        sampled[name] = np.asarray(values, dtype=float)
    data = DataSources(surveys=surveys, end_year=scenario.horizon.end_year)
    return Plan(
        scenario=scenario,
        draws=draws,
        seed=seed,
        inputs=sampled,
        prepared={b.name: b.prepare(getattr(scenario, b.name), data) for b in BLOCKS},
        lever_scale=lever_scale,
        lever_start=lever_start,
        data_version=datasets.data_version(),
    )
