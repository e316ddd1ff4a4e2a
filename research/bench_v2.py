"""Wall time of a 10,000-draw × 193-country × 4-edition v2 simulation beside the numpy floor.

Usage: ``python research/bench_v2.py [DRAWS]``; prints both times and their ratio. The floor is
``/work/shared/bench/floor.py`` (run as a subprocess, so its interpreter start-up is timed too;
the start-up of this process is not, which favours neither by more than ~0.1 s).
"""

import subprocess
import sys
import time

import numpy as np
from egov_v2_backtest import load
from vnsim.fit import dynamics

draws = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
surveys, frames = load()
params = dynamics.fit(surveys, frames, 2024, as_of=2026)
rngs = {k: np.random.default_rng(i) for i, k in enumerate(dynamics.STREAMS)}
t0 = time.perf_counter()
out = dynamics.simulate(params, [2026, 2028, 2030, 2032], draws, rngs)
model = time.perf_counter() - t0
t0 = time.perf_counter()
subprocess.run([sys.executable, "/work/shared/bench/floor.py", str(draws), "4"], check=True)
floor = time.perf_counter() - t0
print(f"v2 simulate {model:.2f} s, floor {floor:.2f} s, ratio {model / floor:.2f}")
