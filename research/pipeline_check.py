"""Correlation of the rebuilt TII and HCI with the published ones, per edition (data year E − 2).

"strict": countries with every input; "filled": all member states, gaps filled as the model
does (median; literacy 99 where UIS never surveyed). Prints a markdown table.
"""

import pandas as pd
from egov_v2_backtest import load
from vnsim.fit import dynamics, pipeline

surveys, frames = load()
print("| edition | TII strict r (n) | TII filled r | HCI strict r (n) | HCI filled r |")
print("|---|---|---|---|---|")
for e in range(2012, 2026, 2):
    pub = surveys[surveys["survey_year"] == e].set_index("iso3")
    t = pipeline.indicator_table({k: frames[k] for k in dynamics.TII_INPUTS}, pub.index, e - 2)
    t = t.dropna()
    ts = pipeline.correlation(pd.Series(pipeline.tii(t.to_numpy().T), t.index), pub["tii"])
    h = pipeline.indicator_table(
        {k: frames[k] for k in dynamics.HCI_INPUTS}, pub.index, e - 2, carry_by=dynamics.CARRY
    ).dropna()
    w = dynamics.HCI_INPUT_WEIGHTS
    hs = pipeline.correlation(pd.Series(pipeline.hci(h.to_numpy().T, w), h.index), pub["hci"])
    full = dynamics.rebuild(frames, list(pub.index), e)
    tf = pipeline.correlation(pd.Series(full["tii"], pub.index), pub["tii"])
    hf = pipeline.correlation(pd.Series(full["hci"], pub.index), pub["hci"])
    print(
        f"| {e} | {ts['pearson']:.3f} ({ts['n']:.0f}) | {tf['pearson']:.3f} | "
        f"{hs['pearson']:.3f} ({hs['n']:.0f}) | {hf['pearson']:.3f} |"
    )
