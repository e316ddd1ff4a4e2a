"""Scenario quantities: a number in a stated unit, or the name of an uncertain input.

Block settings declare each numeric field with :func:`quantity`, which records its unit in the
JSON Schema. A scenario may give the number directly, or name an entry of its ``uncertain:``
section; the loader then checks that the entry's unit is the field's unit.
"""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from pydantic import Field, StringConstraints

#: Name of an uncertain input: lower-case identifier, as written in the ``uncertain:`` section.
InputName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]

#: A number in the field's unit, or the name of an uncertain input with that unit.
Quantity = float | InputName

#: Units a scenario may use. Spelled once here so that messages and the schema agree.
UNITS = {
    "USD bn": "billions of US dollars",
    "share": "fraction between 0 and 1",
    "share/yr": "fractional change per year (0.2 = 20 % a year)",
    "1/yr": "rate per year",
    "index points": "points on a 0-1 index",
    "index points/yr": "points on a 0-1 index gained per year",
    "logit": "change in log-odds",
    "per 100/yr": "change of an ITU indicator per year (percentage points, or per 100 inhabitants)",
    "years": "years",
    "intensity": "lever intensity (0 = off, 1 = as planned)",
    "1": "dimensionless",
}


def quantity(unit: str, description: str, default: Any = ..., **kwargs: Any) -> Any:
    """A pydantic ``Field`` for a :data:`Quantity` in ``unit``.

    The unit goes into the JSON Schema (``"unit"``) and is checked against referenced inputs.
    """
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}")
    return Field(
        default,
        description=f"{description} [{unit}]",
        json_schema_extra={"unit": unit},
        **kwargs,
    )


def resolve(value: float | str, inputs: dict[str, np.ndarray], n_draws: int) -> np.ndarray:
    """The per-draw values of a quantity, shape ``(draw,)``.

    ``inputs`` maps uncertain-input names to their sampled values for the current draws.
    """
    if isinstance(value, str):
        return inputs[value]
    return np.full(n_draws, float(value))
