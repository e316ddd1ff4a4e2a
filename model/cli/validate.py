"""``vnsim validate FILE... [--strict] [--lang vi]``: check scenario files and list every
problem of each, in the reader's language."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from vnsim.cli.inputs import LANGUAGES
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
    val.add_argument("--lang", choices=LANGUAGES, default="en", help="language of the messages")
    val.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    """``ok`` per valid file on stdout (warnings on stderr), the problems of the others on
    stderr, in ``--lang``; 2 if any failed (with ``--strict``, also if any has warnings)."""
    from vnsim.present.i18n import translator
    from vnsim.spec.scenario import load_scenario

    t = translator(args.lang)
    failed = 0
    for name in args.files:
        try:
            scenario = load_scenario(name, strict=args.strict)
        except DocumentError as exc:
            failed += 1
            print(exc.report_in(t), file=sys.stderr)
            continue
        for warning in scenario.warnings:
            print(f"  {warning.render(t)}", file=sys.stderr)
        n = len(scenario.warnings)
        if n:
            ok = t.ngettext("{file}: ok ({n} warning)", "{file}: ok ({n} warnings)", n)
        else:
            ok = t("{file}: ok")
        print(ok.format(file=name, n=n))
    return EXIT_USER if failed else 0
