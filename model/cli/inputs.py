"""What the commands read from their arguments: scenario files and run folders.

Each path the user names is checked here, so every command refuses a missing file or a folder
that is not a run with the same :class:`~vnsim.errors.UserError` message.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from vnsim.errors import Message, UserError

DEFAULT_SCENARIO = Path("scenarios") / "baseline.yaml"
#: Languages of the commands that print or draw for readers.
LANGUAGES = ("en", "vi")
TARGETS_HELP = "target set file or name (default decision_942_2025)"


def scenario_path(arg: str | None) -> Path:
    """The scenario file named on the command line, or the default one; it must exist.

    The default is ``scenarios/baseline.yaml`` of the current folder when there is one (a
    project checkout), else the shipped baseline (:func:`vnsim.datasets.shipped_scenarios`),
    so that ``vnsim run`` works from any folder. Whether it is a regular file of a readable size
    is checked when it is opened (:func:`vnsim.errors.read_input`), so a FIFO or a device is
    refused, never read.
    """
    from vnsim.datasets import shipped_scenarios

    if arg:
        path = Path(arg)
    else:
        path = (
            DEFAULT_SCENARIO
            if DEFAULT_SCENARIO.is_file()
            else shipped_scenarios() / "baseline.yaml"
        )
    if not path.exists():
        if arg:
            raise UserError(Message("{path}: no such scenario file", path=str(path)))
        raise UserError(
            Message(
                "{path}: no such scenario file (name a scenario file; vnsim scenarios list "
                "shows the shipped ones)",
                path=str(path),
            )
        )
    return path


def open_runs(folders: list[str]) -> dict[str, Any]:
    """Run folders by scenario name (made unique: ``name (2)``), each opened lazily.

    Returns ``{name: xarray.Dataset}`` in the order given.
    """
    from vnsim.run import store

    runs: dict[str, Any] = {}
    for folder in folders:
        path = Path(folder)
        if not path.is_dir() or not (path / "ensemble.nc").is_file():
            raise UserError(f"{folder}: not a vnsim run folder (no ensemble.nc)")
        try:
            ds = store.open_run(path)
        except (OSError, ValueError) as exc:  # truncated or not NetCDF at all
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise UserError(
                f"{folder}/ensemble.nc: cannot be read ({reason}); `vnsim verify {folder}` "
                "checks the run folder"
            ) from None
        name = str(ds.attrs.get("scenario", path.name))
        key, n = name, 1
        while key in runs:
            n += 1
            key = f"{name} ({n})"
        runs[key] = ds
    return runs


# argparse types: a number no command can use is a usage error (exit 2), never a bug


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def seed(text: str) -> int:
    """A random seed: a whole number, 0 or more."""
    value = _integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more (got {value})")
    return value


def vintage(text: str) -> int:
    """The year of a vintage (``--as-of``): a whole number from 1990 to 2100."""
    value = _integer(text)
    if not 1990 <= value <= 2100:
        raise argparse.ArgumentTypeError(f"must be a year from 1990 to 2100 (got {value})")
    return value


def vintage_or_none(text: str) -> int | None:
    """A vintage year, or ``none``."""
    return None if text.strip().lower() == "none" else vintage(text)


def count(text: str) -> int:
    """A number of draws (or of anything else counted): a whole number, 1 or more."""
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (got {value})")
    return value


def power_of_two(text: str) -> int:
    """A base sample size of a Sobol' design: 2, 4, 8, …"""
    value = _integer(text)
    if value < 2 or value & (value - 1):
        raise argparse.ArgumentTypeError(f"must be a power of 2, at least 2 (got {value})")
    return value


def probability(text: str) -> float:
    """A required probability, above 0 and at most 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value <= 1:  # also refuses nan
        raise argparse.ArgumentTypeError(f"must be above 0 and at most 1 (got {text})")
    return value
