"""Rolling-origin backtest of the e-government model v2 against the baselines (one edition ahead).

Usage: python research/egov_v2_backtest.py [DRAWS] [TERMS...]; prints the pooled, per-origin and
per-third tables. Reads the shared research data directly (the lead points this at the packaged
loaders).
"""

import sys

import pandas as pd
from vnsim.analysis import skill
from vnsim.fit import dynamics

DATA = "/work/shared/data/"
ORIGINS = (2014, 2016, 2018, 2020, 2022)


def load() -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    surveys = pd.read_csv(DATA + "un_egov_surveys.csv")
    frames = {k: pd.read_csv(f"{DATA}subindicators/{k}.csv") for k in dynamics.CEILINGS}
    return surveys, frames


def run(draws: int, terms: frozenset[str], methods_only_model: bool = False) -> pd.DataFrame:
    surveys, frames = load()
    rows = []
    for origin in ORIGINS:
        target = origin + 2
        countries, ens = skill.forecast_methods(surveys, frames, origin, target, draws, 1, terms)
        if methods_only_model:
            ens = {"model": ens["model"]}
        rows.append(skill.score_origin(surveys, countries, ens, origin, target))
    return pd.concat(rows, ignore_index=True)


if __name__ == "__main__":
    draws = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    terms = frozenset(sys.argv[2:]) if len(sys.argv) > 2 else dynamics.DEFAULT_TERMS
    if "none" in terms:
        terms = frozenset()
    s = run(draws, terms)
    with pd.option_context("display.width", 200, "display.precision", 3, "display.max_rows", 200):
        print("terms:", sorted(terms))
        print(skill.summarise(s))
        print(skill.summarise(s, ("quantity", "origin", "method")))
        print(skill.summarise(s[s.method == "model"], ("quantity", "third")))
        print(skill.summarise(s[s.method == "noisy_persistence"], ("quantity", "third")))
        print(skill.pit_histogram(s).round(3))
