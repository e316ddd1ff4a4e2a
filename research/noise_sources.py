"""Which noise source drives the rank spread? Score the model with one source switched off."""

import dataclasses
import sys

import numpy as np
import pandas as pd
from vnsim.analysis import skill
from vnsim.fit import dynamics

sys.path.insert(0, "research")
from egov_v2_backtest import ORIGINS, load


def variant(p: dynamics.EgovParams, name: str, f: float) -> dynamics.EgovParams:
    if name == "shock":
        sh = {k: dataclasses.replace(v, scale=v.scale * f) for k, v in p.shocks.items()}
        return dataclasses.replace(p, shocks=sh)
    if name == "residual":
        return dataclasses.replace(p, residual_sigma=p.residual_sigma * f)
    if name == "inputs":
        dr = {k: dataclasses.replace(v, sigma=v.sigma * f) for k, v in p.drift.items()}
        return dataclasses.replace(p, drift=dr)
    if name == "osi":
        return dataclasses.replace(p, osi=dataclasses.replace(p.osi, noise=p.osi.noise * f))
    return p


surveys, frames = load()
terms = frozenset(sys.argv[3:]) if len(sys.argv) > 3 else dynamics.DEFAULT_TERMS
name, f = sys.argv[1], float(sys.argv[2])
rows = []
for origin in ORIGINS:
    p = variant(
        dynamics.fit(surveys[surveys.survey_year <= origin], frames, origin, terms=terms), name, f
    )
    rngs = {k: np.random.default_rng(i) for i, k in enumerate(dynamics.STREAMS)}
    ens = {"model": dynamics.simulate(p, [origin + 2], 300, rngs)["egdi"][:, 0]}
    rows.append(skill.score_origin(surveys, list(p.countries), ens, origin, origin + 2))
print(name, f, sorted(terms))
print(skill.summarise(pd.concat(rows)).round(4))
