"""``vnsim data list`` / ``vnsim data add FILE``: the survey editions in use."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from vnsim.errors import UserError


def register(sub: Any) -> None:
    """Add ``data`` and its ``add`` and ``list`` actions to the sub-parsers ``sub``."""
    data = sub.add_parser("data", help="survey editions: list them, or add a UN CSV export")
    actions = data.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="add a UN EGOV_DATA_<year>.csv edition")
    add.add_argument("file")
    add.add_argument("--replace", action="store_true", help="replace an edition already added")
    actions.add_parser("list", help="list the editions in use")
    data.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    """Add an edition to the user data folder, or list the editions."""
    from vnsim import datasets

    if args.action == "add":
        try:
            written = datasets.add_edition(Path(args.file), replace=args.replace)
        except (FileExistsError, FileNotFoundError) as exc:
            raise UserError(str(exc)) from None
        print(f"added {args.file} -> {written}")
        print(f"data version now {datasets.data_version()}")
    else:
        print(datasets.list_editions().to_string(index=False))
    return 0
