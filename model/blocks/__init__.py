"""The model's blocks and the one registry of them and of every results variable.

Adding a block is one new module (a :class:`~vnsim.blocks.block.Block`) and one line in
:data:`BLOCKS`: the scenario schema, lever targets, triggers, results, summary and target sets
read their declarations from here.
"""

from __future__ import annotations

from typing import Any

from vnsim.blocks import dossiers, egov, market
from vnsim.blocks.block import Block, Ending, LeverTarget, TriggerSource, Variable

BLOCKS: tuple[Block, ...] = (market.BLOCK, dossiers.BLOCK, egov.BLOCK)

#: Variables the engine writes whatever the blocks (levers, triggers, sampled inputs).
ENGINE_VARIABLES: tuple[Variable, ...] = (
    Variable(
        "lever_intensity",
        ("year", "lever"),
        "intensity",
        "Lever intensity after triggers",
        (0.0, None),
        summary=False,
    ),
    Variable(
        "trigger_fired",
        ("lever",),
        "1",
        "Whether the lever's trigger fired (True if none)",
        dtype="bool",
        summary=False,
    ),
    Variable(
        "trigger_year",
        ("lever",),
        "year",
        "Year the trigger fired (-1 = not fired)",
        dtype="int16",
        summary=False,
    ),
    Variable(
        "inputs", ("input",), "various", "Sampled value of each uncertain input", summary=False
    ),
)

#: Every results variable by name: the blocks' in registry order, then the engine's.
VARIABLES: dict[str, Variable] = {
    v.name: v for v in (*(v for b in BLOCKS for v in b.variables), *ENGINE_VARIABLES)
}

#: Every lever target and trigger source by name.
LEVER_TARGETS: dict[str, LeverTarget] = {t.name: t for b in BLOCKS for t in b.lever_targets}
TRIGGER_SOURCES: dict[str, TriggerSource] = {t.name: t for b in BLOCKS for t in b.triggers}


def block_of(target: str) -> Block:
    """The block a lever target or trigger source belongs to (its prefix before the dot)."""
    prefix = target.split(".", 1)[0]
    return next(b for b in BLOCKS if b.name == prefix)


def endings(scenario: Any) -> tuple[Ending, ...]:
    """Every part of a results variable that ends within a run of ``scenario`` (a validated
    scenario, or anything with one settings attribute per block name)."""
    return tuple(e for b in BLOCKS for e in b.endings(getattr(scenario, b.name)))
