"""``vnsim what-it-takes``: the smallest lever intensity (or latest start) meeting a target."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from vnsim.cli.inputs import (
    DEFAULT_SCENARIO,
    TARGETS_HELP,
    count,
    probability,
    scenario_path,
    seed,
)
from vnsim.errors import UserError


def register(sub: Any) -> None:
    """Add ``what-it-takes`` to the sub-parsers ``sub``."""
    wt = sub.add_parser(
        "what-it-takes", help="smallest lever intensity (or latest start) meeting a target"
    )
    wt.add_argument("scenario", nargs="?", help=f"scenario file (default {DEFAULT_SCENARIO})")
    wt.add_argument("--target", required=True, help="target id in the target set")
    wt.add_argument("--lever", required=True)
    wt.add_argument("--probability", type=probability, default=0.8)
    wt.add_argument("--search", choices=["scale", "start"], default="scale")
    wt.add_argument("--targets", help=TARGETS_HELP)
    wt.add_argument("--draws", type=count)
    wt.add_argument("--seed", type=seed)
    wt.add_argument("--json", action="store_true")
    wt.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    """Search, then print what was found (or JSON)."""
    from vnsim.analysis.what_it_takes import what_it_takes
    from vnsim.spec.documents import suggest
    from vnsim.spec.scenario import load_scenario

    scenario = load_scenario(scenario_path(args.scenario))
    if args.lever not in scenario.levers:
        raise UserError(
            f"no lever {args.lever!r}{suggest(args.lever, scenario.levers)}; "
            f"levers: {', '.join(scenario.levers)}"
        )
    try:
        found = what_it_takes(
            scenario,
            args.target,
            args.lever,
            args.probability,
            search=args.search,
            draws=args.draws,
            seed=args.seed,
            targets=args.targets,
        )
    except (KeyError, FileNotFoundError) as exc:
        raise UserError(str(exc).strip("'\"")) from None
    if args.json:
        json.dump(found.to_dict(), sys.stdout, indent=2, default=float)
        print()
    else:
        print(
            f"what it takes: {found.target} with lever {found.lever} "
            f"({found.search} search, P(met) >= {found.probability:g}, "
            f"{found.draws:,} draws, seed {found.seed})"
        )
        print(f"  {found.message}")
        print(f"  {found.evaluations} evaluations of the ensemble")
    return 0
