"""``vnsim targets RUN_DIR...``: the scorecard, P(met) per target and run."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from vnsim.cli.inputs import LANGUAGES, TARGETS_HELP, open_runs
from vnsim.errors import UserError


def register(sub: Any) -> None:
    """Add ``targets`` to the sub-parsers ``sub``."""
    tg = sub.add_parser("targets", help="target scorecard: P(met) per target and run")
    tg.add_argument("runs", nargs="+", metavar="RUN_DIR")
    tg.add_argument("--targets", help=TARGETS_HELP)
    tg.add_argument("--lang", choices=LANGUAGES, default="en")
    tg.add_argument("--json", action="store_true")
    tg.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    """Print the scorecard as a table in ``--lang``, or as JSON."""
    from vnsim.analysis import scorecard
    from vnsim.present import tables
    from vnsim.spec import targets

    runs = open_runs(args.runs)
    try:
        target_set = targets.load_targets(args.targets)
    except FileNotFoundError as exc:
        raise UserError(str(exc)) from None
    card = scorecard.scorecard(runs, target_set)
    if args.json:
        json.dump(scorecard.scorecard_to_json(card), sys.stdout, indent=2, ensure_ascii=False)
        print()
    else:
        print(tables.format_scorecard(card, lang=args.lang))
    return 0
