"""Rolling-origin backtest of the e-government model v2 (one edition ahead) and term choice.

Usage: ``python research/egov_v2_backtest.py [DRAWS] [SEED]``. For each origin 2014 … 2022
every method is fitted on data published by the origin and scored on the next edition; the
model is run with each candidate term set. Writes
``research/results/egov_v2_scores_seed<SEED>.csv.gz`` (per country) and prints the tables of
docs/egov_v2.md. Reads the shared research data directly (the lead points :func:`load` at the
packaged loaders).
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from vnsim.analysis import skill
from vnsim.fit import dynamics

DATA = Path("/work/shared/data")
OUT = Path(__file__).parent / "results"
ORIGINS = (2014, 2016, 2018, 2020, 2022)
D = dynamics.DEFAULT_TERMS
CANDIDATES: dict[str, frozenset[str]] = {
    "default": D,
    "minimal": frozenset({"tii_inputs"}),
    "-level_trend": D - {"level_trend"},
    "-osi_reversal": D - {"osi_reversal"},
    "-residual_decay_tii": D - {"residual_decay_tii"},
    "-tii_inputs": D - {"tii_inputs", "residual_decay_tii"},
    "+hci_inputs": D | {"hci_inputs"},
    "+hci_inputs+decay": D | {"hci_inputs", "residual_decay_hci"},
    "+osi_country_effect": D | {"osi_country_effect"},
    "+osi_level_noise": D | {"osi_level_noise"},
    "+residual_noise": D | {"residual_noise"},
}


def load() -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    surveys = pd.read_csv(DATA / "un_egov_surveys.csv")
    frames = {k: pd.read_csv(DATA / "subindicators" / f"{k}.csv") for k in dynamics.CEILINGS}
    return surveys, frames


def run(draws: int, seed: int = 1) -> pd.DataFrame:
    surveys, frames = load()
    rows = []
    for origin in ORIGINS:
        target = origin + 2
        countries, ens = skill.forecast_methods(surveys, frames, origin, target, draws, seed, D)
        cut = surveys[surveys["survey_year"] <= origin]
        for name, terms in CANDIDATES.items():
            if name == "default":
                continue
            p = dynamics.fit(cut, frames, origin, terms=terms)
            seeds = np.random.SeedSequence([seed, origin]).spawn(len(dynamics.STREAMS))
            rngs = {
                k: np.random.default_rng(s) for k, s in zip(dynamics.STREAMS, seeds, strict=True)
            }
            ens[f"model{name}"] = dynamics.simulate(p, [target], draws, rngs)["egdi"][:, 0]
        rows.append(skill.score_origin(surveys, countries, ens, origin, target, seed))
    return pd.concat(rows, ignore_index=True)


def nested(scores: pd.DataFrame) -> pd.DataFrame:
    """Each origin scored with the term set that did best (rank CRPS) at the origins before it;
    the first origin, with nothing before it, uses the minimal set."""
    model = scores[scores["method"].str.startswith("model") & (scores["quantity"] == "rank")]
    by = model.groupby(["origin", "method"])["crps"].mean().unstack()
    picks, rows = {}, []
    for origin in ORIGINS:
        before = by.loc[by.index < origin]
        pick = "modelminimal" if before.empty else before.mean().idxmin()
        picks[origin] = pick
        rows.append(scores[(scores["origin"] == origin) & (scores["method"] == pick)])
    out = pd.concat(rows).assign(method="model_nested")
    print("nested picks:", picks)
    return out


if __name__ == "__main__":
    draws = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    s = run(draws, seed)
    s = pd.concat([s, nested(s)], ignore_index=True)
    OUT.mkdir(exist_ok=True)
    s.to_csv(OUT / f"egov_v2_scores_seed{seed}.csv.gz", index=False)
    base = ["model", "model_nested", "noisy_persistence", "bootstrap", "persistence"]
    main = s[s["method"].isin(base)]
    with pd.option_context("display.width", 200, "display.precision", 4, "display.max_rows", 300):
        print(skill.summarise(main).round(4))
        print(skill.summarise(s[s["method"].str.startswith("model")]).round(4))
        print(skill.summarise(main, ("quantity", "origin", "method")).round(4))
        print(skill.summarise(main, ("quantity", "method", "third")).round(3))
        print(skill.pit_histogram(main).round(3))
