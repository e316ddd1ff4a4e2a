"""``vnsim targets RUN_DIR...``: the scorecard, P(met) per target and run."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from vnsim.cli.inputs import LANGUAGES, TARGETS_HELP, open_runs, vintage_or_none
from vnsim.errors import UserError


def register(sub: Any) -> None:
    """Add ``targets`` to the sub-parsers ``sub``."""
    tg = sub.add_parser("targets", help="target scorecard: P(met) per target and run")
    tg.add_argument("runs", nargs="+", metavar="RUN_DIR")
    tg.add_argument("--targets", help=TARGETS_HELP)
    tg.add_argument(
        "--vintage",
        type=vintage_or_none,
        default=argparse.SUPPRESS,  # the analysis' default, read when the command runs
        metavar="YEAR",
        help="compare targets judged after the fact with the forecast from the data of the "
        "end of YEAR (default 2022, when the plan's 2025 targets were set; 'none' to skip)",
    )
    tg.add_argument("--lang", choices=LANGUAGES, default="en")
    tg.add_argument("--json", action="store_true")
    tg.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    """Print the scorecard as a table in ``--lang``, or as JSON."""
    from vnsim.analysis import hindsight, scorecard
    from vnsim.present import tables
    from vnsim.spec import targets

    args.vintage = getattr(args, "vintage", hindsight.VINTAGE)
    runs = open_runs(args.runs)
    try:
        target_set = targets.load_targets(args.targets)
    except FileNotFoundError as exc:
        raise UserError(exc.args[0]) from None  # a Message, shown in --lang
    vintages = {}
    if args.vintage is not None:
        for (name, ds), folder in zip(runs.items(), args.runs, strict=True):
            forecast = vintage_of(folder, ds, args.vintage)
            if forecast is not None:
                vintages[name] = forecast
    card = scorecard.scorecard(runs, target_set, vintages)
    if args.json:
        doc = scorecard.scorecard_to_json(card) | {"vintage": args.vintage}
        json.dump(doc, sys.stdout, indent=2, ensure_ascii=False)
        print()
    else:
        print(tables.format_scorecard(card, lang=args.lang, vintage=args.vintage))
    return 0


def vintage_of(folder: str, ds: Any, year: int) -> Any:
    """The run's scenario (from its manifest) forecast as of the end of ``year``, or None
    (:func:`vnsim.analysis.hindsight.earlier_forecast`)."""
    from vnsim.analysis import hindsight
    from vnsim.run.verify import read_manifest
    from vnsim.spec.scenario import Scenario

    def scenario() -> Scenario:
        return Scenario.model_validate(read_manifest(Path(folder))["scenario_resolved"])

    return hindsight.earlier_forecast(ds, scenario, year)
