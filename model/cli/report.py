"""``vnsim report RUN_DIR...``: one self-contained HTML briefing page for run folders."""

from __future__ import annotations

import argparse
from typing import Any

from vnsim.cli.inputs import LANGUAGES, TARGETS_HELP


def register(sub: Any) -> None:
    """Add ``report`` to the sub-parsers ``sub``."""
    rp = sub.add_parser("report", help="self-contained HTML briefing page for run folders")
    rp.add_argument("run_dirs", nargs="+", metavar="RUN_DIR")
    rp.add_argument("--lang", choices=LANGUAGES, default="en")
    rp.add_argument("--out", help="HTML file (default: <first RUN_DIR>/report-<lang>.html)")
    rp.add_argument("--targets", help=TARGETS_HELP)
    rp.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    """Write the page (and the scorecard as CSV and XLSX beside it) and print its path."""
    from vnsim.present.report import cmd_report as write

    path = write(args.run_dirs, args.out, args.lang, args.targets)
    print(f"vnsim report: {path} ({path.stem}.csv, {path.stem}.xlsx beside it)")
    return 0
