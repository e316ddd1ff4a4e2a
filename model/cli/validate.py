"""``vnsim validate FILE...``: check scenario files and list every problem of each."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from vnsim.errors import EXIT_USER, DocumentError


def register(sub: Any) -> None:
    """Add ``validate`` to the sub-parsers ``sub``."""
    val = sub.add_parser("validate", help="check scenario files and list every problem")
    val.add_argument("files", nargs="+")
    val.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    """``ok`` per valid file on stdout, the problems of the others on stderr; 2 if any failed."""
    from vnsim.spec.scenario import load_scenario

    failed = 0
    for name in args.files:
        try:
            load_scenario(name)
        except DocumentError as exc:
            failed += 1
            print(exc.report(), file=sys.stderr)
        else:
            print(f"{name}: ok")
    return EXIT_USER if failed else 0
