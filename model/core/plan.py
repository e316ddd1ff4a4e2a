"""The plan of an ensemble: everything its chunks share, computed once.

A :class:`Plan` holds the uncertain inputs of every draw, every block's preparation and the
overrides of searches and designs; :func:`vnsim.core.planning.plan` makes one. It is frozen and
picklable, so executors can ship it.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from vnsim.blocks import BLOCKS, VARIABLES, Block, endings
from vnsim.core.conditioning import Conditioning
from vnsim.spec.scenario import Scenario

LeverScale = float | np.ndarray


@dataclass(frozen=True)
class Plan:
    """What every chunk of an ensemble needs.

    ``inputs`` holds every uncertain input for every draw, ``{name: (draw,)}``; ``prepared`` each
    block's frozen preparation by block name; ``lever_scale`` multiplies a lever's intensity (a
    number, or ``(draw,)``); ``lever_start`` moves a lever's first year; ``conditioning``
    records the observations the inputs were conditioned on (None: the prior).
    """

    scenario: Scenario
    draws: int
    seed: int
    inputs: Mapping[str, np.ndarray]
    prepared: Mapping[str, object]
    lever_scale: Mapping[str, LeverScale] = field(default_factory=dict)
    lever_start: Mapping[str, int] = field(default_factory=dict)
    data_version: str = ""
    conditioning: Conditioning | None = None

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

    def provenance(self) -> dict[str, str | float]:
        """What the blocks record about their data (e.g. the survey editions used), the
        vintage, and the observations the draws were conditioned on."""
        out: dict[str, str | float] = {}
        for block in BLOCKS:
            out.update(block.provenance(self.prepared[block.name]))
        as_of = self.scenario.as_of
        out["as_of"] = "all data" if as_of is None else str(as_of)
        ended = [
            {"variable": e.variable, "select": dict(e.select), "last_year": e.last_year}
            | {"reason": e.reason}
            for e in endings(self.scenario)
        ]
        out["ended"] = json.dumps(ended, ensure_ascii=False)
        if self.conditioning is not None:
            out.update(self.conditioning.attrs())
        return out
