"""``vnsim backtest``: rolling-origin hindcast of EGDI ranks against two baselines."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd
from vnsim.cli.inputs import LANGUAGES, count, seed, vintage
from vnsim.errors import UserError

#: How each pooled score reads: its label and which way is better.
SCORES: dict[str, tuple[str, str]] = {
    "rank_mae": ("rank MAE", "lower is better"),
    "rank_mae_30_100": ("rank MAE, ranks 30-100", "lower is better"),
    "rank_crps": ("rank CRPS", "lower is better"),
    "cov80": ("80 % coverage", "closer to 80 % is better"),
    "width80": ("80 % width", "narrower is better at equal coverage"),
    "cov95": ("95 % coverage", "closer to 95 % is better"),
    "width95": ("95 % width", "narrower is better at equal coverage"),
    "brier_top50": ("Brier, top 50", "lower is better"),
}


def readable(pooled: pd.DataFrame) -> str:
    """The pooled scores as a table: one row per score, one column per method and horizon,
    with which way is better."""
    rows = []
    for metric in pooled.columns:
        label, better = SCORES.get(metric, (metric, ""))
        cells = {
            f"{method} h{horizon}": (
                f"{100 * v:.0f} %"
                if metric.startswith("cov")
                else f"{v:.3g}"
                if v < 1
                else f"{v:.1f}"
            )
            for (method, horizon), v in pooled[metric].items()
        }
        rows.append({"score": label, **cells, "": better})
    return pd.DataFrame(rows).to_string(index=False)


def verdict(pooled: pd.DataFrame) -> str:
    """One line: is the model's rank CRPS, averaged over horizons, better than the baselines'?"""
    crps = pooled["rank_crps"].groupby(level="method").mean()
    model = crps["model"]
    parts = []
    for base in (m for m in crps.index if m != "model"):
        change = (crps[base] - model) / crps[base]
        word = "better" if change > 0.05 else "worse" if change < -0.05 else "no better"
        parts.append(f"{word} than {base} ({100 * change:+.0f} %)")
    return "Verdict (rank CRPS, lower is better): the model is " + "; ".join(parts) + "."


def register(sub: Any) -> None:
    """Add ``backtest`` to the sub-parsers ``sub``."""
    bt = sub.add_parser("backtest", help="rolling-origin hindcast of EGDI ranks vs baselines")
    bt.add_argument("--draws", type=count, default=1000)
    bt.add_argument("--seed", type=seed, default=0)
    bt.add_argument(
        "--origins",
        type=vintage,
        nargs="+",
        metavar="EDITION",
        help="origin editions; each forecasts from the data published by the end of its year "
        "(as `vnsim run --as-of`); default every edition from 2012 with a later one",
    )
    bt.add_argument("--json", action="store_true")
    bt.add_argument("--out", help="also write scores (CSV) and a chart (PNG) to this folder")
    bt.add_argument("--lang", choices=LANGUAGES, default="en")
    bt.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    """Print the pooled scores (or every score as JSON); with ``--out`` also write files."""
    from vnsim import datasets
    from vnsim.analysis import backtest
    from vnsim.present import charts

    origins = tuple(args.origins) if args.origins else None
    try:
        result = backtest.run_backtest(
            datasets.load_surveys(), origins, draws=args.draws, seed=args.seed
        )
    except ValueError as exc:
        raise UserError(f"--origins: {exc}") from None
    if args.json:
        json.dump(result.to_dict(), sys.stdout, indent=2, default=float)
        print()
    else:
        pooled = result.pooled()
        print(readable(pooled))
        print(verdict(pooled))
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
