"""``vnsim scenarios list`` and ``vnsim scenarios copy NAME DEST``: the shipped scenarios as
starting files for a planner, wherever vnsim is installed."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from vnsim.errors import UserError


def register(sub: Any) -> None:
    """Add ``scenarios`` (with ``list`` and ``copy``) to the sub-parsers ``sub``."""
    sc = sub.add_parser("scenarios", help="list the shipped scenarios or copy one to edit")
    actions = sc.add_subparsers(dest="action", required=True, metavar="{list,copy}")
    ls = actions.add_parser("list", help="name, title and file of each shipped scenario")
    ls.set_defaults(func=list_command)
    cp = actions.add_parser("copy", help="copy a shipped scenario (and what it extends)")
    cp.add_argument("name", help="a shipped scenario, e.g. baseline")
    cp.add_argument("dest", help="a folder, or a .yaml file name for the copy")
    cp.set_defaults(func=copy_command)


def shipped() -> dict[str, Path]:
    """The shipped scenario files by name (file stem), sorted."""
    from vnsim.datasets import shipped_scenarios

    return {p.stem: p for p in sorted(shipped_scenarios().glob("*.yaml"))}


def list_command(args: argparse.Namespace) -> int:
    """One line per shipped scenario: name, title, file."""
    from vnsim.spec.scenario import load_scenario

    del args
    files = shipped()
    width = max(map(len, files), default=0)
    for name, path in files.items():
        print(f"{name.ljust(width)}  {load_scenario(path).title}  ({path})")
    return 0


def copy_plan(name: str, dest: Path, files: dict[str, Path]) -> list[tuple[Path, Path]]:
    """``(source, target)`` pairs copying scenario ``name`` and every file it extends to
    ``dest`` (a folder, or the copy's file name); refused if a target exists.

    Parents keep their names beside the copy, so its ``extends:`` still finds them.
    """
    from vnsim.spec.documents import suggest
    from vnsim.spec.scenario import read_scenario

    if name not in files:
        raise UserError(
            f"no shipped scenario {name!r}{suggest(name, files)}; see vnsim scenarios list"
        )
    top = files[name]
    chain = read_scenario(top)[3]
    as_file = dest.suffix in (".yaml", ".yml")
    folder = dest.parent if as_file else dest
    pairs = [(top, dest if as_file else folder / top.name)]
    pairs += [(p, folder / p.name) for p in chain[1:]]
    if taken := [str(t) for _, t in pairs if t.exists()]:
        raise UserError(f"{', '.join(taken)}: already there; choose another destination")
    return pairs


def copy_command(args: argparse.Namespace) -> int:
    """Copy the files and say which to edit."""
    pairs = copy_plan(args.name, Path(args.dest), shipped())
    pairs[0][1].parent.mkdir(parents=True, exist_ok=True)
    for source, target in pairs:
        try:
            with target.open("xb") as f:  # exclusive: never overwrite
                f.write(source.read_bytes())
        except FileExistsError:
            raise UserError(f"{target} already exists; choose another destination") from None
    print(f"vnsim scenarios copy: {pairs[0][1]} (edit it, then: vnsim run {pairs[0][1]})")
    for _, target in pairs[1:]:
        print(f"  also {target}, which it extends")
    return 0
