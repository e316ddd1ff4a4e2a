"""``vnsim validate FILE... [--strict]``: check scenario files and list every problem of each."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from vnsim.errors import EXIT_USER, DocumentError


def register(sub: Any) -> None:
    """Add ``validate`` to the sub-parsers ``sub``."""
    val = sub.add_parser("validate", help="check scenario files and list every problem")
    val.add_argument("files", nargs="+")
    val.add_argument(
        "--strict",
        action="store_true",
        help="treat warnings (implausible numbers, dates outside the horizon) as errors",
    )
    val.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    """``ok`` per valid file on stdout (warnings on stderr), the problems of the others on
    stderr; 2 if any failed (with ``--strict``, also if any has warnings)."""
    from vnsim.spec.scenario import load_scenario

    failed = 0
    for name in args.files:
        try:
            scenario = load_scenario(name, strict=args.strict)
        except DocumentError as exc:
            failed += 1
            print(exc.report(), file=sys.stderr)
            continue
        for warning in scenario.warnings:
            print(f"  {warning}", file=sys.stderr)
        n = len(scenario.warnings)
        print(f"{name}: ok" + (f" ({n} warning{'s' if n != 1 else ''})" if n else ""))
    return EXIT_USER if failed else 0
