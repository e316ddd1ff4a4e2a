"""``vnsim charts RUN_DIR``: the briefing charts of a run, as PNG, SVG or PDF files."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from vnsim.cli.inputs import LANGUAGES, open_runs
from vnsim.errors import UserError

FORMATS = ("png", "svg", "pdf")


def register(sub: Any) -> None:
    """Add ``charts`` to the sub-parsers ``sub``."""
    ch = sub.add_parser("charts", help="briefing charts of a run (PNG, SVG, PDF)")
    ch.add_argument("run", metavar="RUN_DIR")
    ch.add_argument("--lang", choices=LANGUAGES, default="en")
    ch.add_argument("--format", default=",".join(FORMATS), help="comma-separated (default all)")
    ch.add_argument("--out", help="folder (default RUN_DIR/charts)")
    ch.set_defaults(func=command)


def formats(arg: str) -> tuple[str, ...]:
    """The formats of ``--format png,svg``; a :class:`UserError` names unknown ones."""
    chosen = tuple(f.strip() for f in arg.split(",") if f.strip())
    bad = sorted(set(chosen) - set(FORMATS))
    if bad:
        raise UserError(f"--format: unknown format(s) {', '.join(bad)}; use {', '.join(FORMATS)}")
    return chosen


def command(args: argparse.Namespace) -> int:
    """Draw every chart and print the path of each file written."""
    from vnsim.present import charts

    (ds,) = open_runs([args.run]).values()
    chosen = formats(args.format)
    out = Path(args.out) if args.out else Path(args.run) / "charts"
    for path in charts.render_all(ds, out, lang=args.lang, formats=chosen):
        print(path)
    return 0
