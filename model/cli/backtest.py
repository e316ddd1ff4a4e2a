"""``vnsim backtest``: rolling-origin hindcast of EGDI ranks against two baselines."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from vnsim.cli.inputs import LANGUAGES, count, seed


def register(sub: Any) -> None:
    """Add ``backtest`` to the sub-parsers ``sub``."""
    bt = sub.add_parser("backtest", help="rolling-origin hindcast of EGDI ranks vs baselines")
    bt.add_argument("--draws", type=count, default=1000)
    bt.add_argument("--seed", type=seed, default=0)
    bt.add_argument("--json", action="store_true")
    bt.add_argument("--out", help="also write scores (CSV) and a chart (PNG) to this folder")
    bt.add_argument("--lang", choices=LANGUAGES, default="en")
    bt.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    """Print the pooled scores (or every score as JSON); with ``--out`` also write files."""
    from vnsim import datasets
    from vnsim.analysis import backtest
    from vnsim.present import charts

    result = backtest.run_backtest(datasets.load_surveys(), draws=args.draws, seed=args.seed)
    if args.json:
        json.dump(result.to_dict(), sys.stdout, indent=2, default=float)
        print()
    else:
        print(result.pooled().to_string())
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        result.scores.to_csv(out / "backtest_scores.csv", index=False)
        result.pooled().to_csv(out / "backtest_pooled.csv")
        fig = charts.plot_backtest(result, lang=args.lang)
        fig.savefig(out / "backtest.png", dpi=200)
        print(
            f"wrote {out}/backtest_scores.csv, backtest_pooled.csv, backtest.png", file=sys.stderr
        )
    return 0
