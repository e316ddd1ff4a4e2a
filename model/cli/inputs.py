"""What the commands read from their arguments: scenario files and run folders.

Each path the user names is checked here, so every command refuses a missing file or a folder
that is not a run with the same :class:`~vnsim.errors.UserError` message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vnsim.errors import UserError

DEFAULT_SCENARIO = Path("scenarios") / "baseline.yaml"
#: Languages of the commands that print or draw for readers.
LANGUAGES = ("en", "vi")
TARGETS_HELP = "target set file or name (default decision_942_2025)"


def scenario_path(arg: str | None) -> Path:
    """The scenario file named on the command line, or the default one; it must exist."""
    path = Path(arg) if arg else DEFAULT_SCENARIO
    if not path.is_file():
        hint = "" if arg else " (run from the project folder, or name a scenario file)"
        raise UserError(f"{path}: no such scenario file{hint}")
    return path


def open_runs(folders: list[str]) -> dict[str, Any]:
    """Run folders by scenario name (made unique: ``name (2)``), each opened lazily.

    Returns ``{name: xarray.Dataset}`` in the order given.
    """
    from vnsim.run import store

    runs: dict[str, Any] = {}
    for folder in folders:
        path = Path(folder)
        if not (path / "ensemble.nc").is_file():
            raise UserError(f"{folder}: not a vnsim run folder (no ensemble.nc)")
        ds = store.open_run(path)
        name = str(ds.attrs.get("scenario", path.name))
        key, n = name, 1
        while key in runs:
            n += 1
            key = f"{name} ({n})"
        runs[key] = ds
    return runs
