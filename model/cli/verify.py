"""``vnsim verify RUN_DIR``: re-run a run from its manifest and confirm identical numbers."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from vnsim.cli.inputs import count
from vnsim.errors import EXIT_BUG, EXIT_USER, RunFolderError, UserError


def register(sub: Any) -> None:
    """Add ``verify`` to the sub-parsers ``sub``."""
    p = sub.add_parser(
        "verify", help="re-run a run folder from its manifest and check the numbers are identical"
    )
    p.add_argument("run_dir", help="a run folder written by `vnsim run`")
    p.add_argument(
        "--draws-limit",
        type=count,
        help="check only the first N draws (a quick check of a large run)",
    )
    p.add_argument("--chunk-size", type=int, help="draws per re-run chunk (default: by memory)")
    p.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    """Print the report. Exit 0 when identical; 2 when the scenario, data, code or files
    changed since the run (what to do is in the report) or the folder is not a run; 1 only
    when the numbers differ although nothing else did (a bug: vnsim is not reproducible)."""
    from vnsim.run.verify import verify

    if args.chunk_size is not None and args.chunk_size < 1:
        raise UserError(f"--chunk-size must be at least 1 (got {args.chunk_size})")
    try:
        report = verify(
            Path(args.run_dir), draws_limit=args.draws_limit, chunk_size=args.chunk_size
        )
    except RunFolderError as exc:
        raise UserError(f"vnsim verify: {exc}") from None
    print(report.format())
    if report.ok:
        return 0
    return EXIT_USER if report.explained else EXIT_BUG
