"""Level-drift check at the December 2026 vantage: world-mean EGDI and share 'very high'.

Fits on the 2024 edition with sub-indicators published by the end of 2026 and simulates
2026–2030 (400 draws); prints the observed 2024 values beside the simulated editions, and Viet
Nam's simulated world rank.
"""

import numpy as np
from egov_v2_backtest import load
from vnsim.fit import dynamics

surveys, frames = load()
p = dynamics.fit(surveys, frames, 2024, as_of=2026)
rngs = {k: np.random.default_rng([7, i]) for i, k in enumerate(dynamics.STREAMS)}
eds = [2026, 2028, 2030]
out = dynamics.simulate(p, eds, 400, rngs)
obs = surveys.loc[surveys["survey_year"] == 2024, "egdi"]
print(f"2024 observed: mean EGDI {obs.mean():.3f}, share very high {(obs >= 0.75).mean():.3f}")
vnm = p.countries.index("VNM")
for j, e in enumerate(eds):
    x = out["egdi"][:, j]
    r = out["egdi_rank"][:, j, vnm]
    q = np.quantile(r, [0.1, 0.5, 0.9])
    print(
        f"{e}: mean EGDI {x.mean():.3f}, share very high {(x >= 0.75).mean():.3f}; "
        + " ".join(f"{k} {out[k][:, j].mean():.3f}" for k in dynamics.COMPONENTS)
        + f"; VNM rank median {q[1]:.0f} (80 %: {q[0]:.0f}-{q[2]:.0f})"
        + f", P(<=69) {(r <= 69).mean():.2f}"
    )
