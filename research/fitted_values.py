"""Fitted v2 parameters at each backtest origin and at the December 2026 vantage (markdown)."""

from egov_v2_backtest import ORIGINS, load
from vnsim.fit import dynamics

surveys, frames = load()
print("| origin (as of) | OSI ρ_o | OSI φ | OSI s | TII ρ | trend a, β: OSI | TII | HCI |")
print("|---|---|---|---|---|---|---|---|")
fits = [(o, o) for o in ORIGINS] + [(2024, 2026)]
for origin, as_of in fits:
    p = dynamics.fit(surveys, frames, origin, as_of=as_of)
    sh = {k: p.shocks[k] for k in dynamics.COMPONENTS}
    cells = [
        f"{s.trend[0]:+.3f}, {s.trend[1]:+.3f} (sd {s.scale[0]:.3f}, {s.scale[1]:.3f})"
        for s in sh.values()
    ]
    print(
        f"| {origin} ({as_of}) | {p.osi.persistence:.3f} | {p.osi.reversal:+.3f} | "
        f"{p.osi.noise:.3f} | {p.residual_decay[0]:.3f} | " + " | ".join(cells) + " |"
    )
p = dynamics.fit(surveys, frames, 2024, as_of=2026)
print("\n| indicator | ceiling K | α /yr | λ /yr | σ /yr |")
print("|---|---|---|---|---|")
for k, d in p.drift.items():
    print(f"| {k} | {d.ceiling:g} | {d.intercept:+.3f} | {d.slope:+.3f} | {d.sigma:.3f} |")
