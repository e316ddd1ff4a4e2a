"""vnsim: Vietnam IT application market, online dossiers and UN EGDI rank under policy levers.

The public API, importable from here::

    import vnsim
    scenario = model.load_scenario("scenarios/baseline.yaml")
    ds = model.simulate(scenario, draws=2000)            # xarray.Dataset, (draw, year | edition, …)
    card = model.scorecard({"baseline": ds}, model.load_targets())
    ds = model.open_run("results/baseline/20261129T035415Z")

Names are imported on first use, so ``import model`` (and the ``vnsim`` command) stays fast.
Functions named like their module (``what_it_takes``, ``verify``) are imported from it:
``from vnsim.analysis.what_it_takes import what_it_takes``.
"""

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_PUBLIC = {
    "load_scenario": "vnsim.spec.scenario",
    "simulate": "vnsim.run.simulate",
    "load_targets": "vnsim.spec.targets",
    "scorecard": "vnsim.analysis.scorecard",
    "open_run": "vnsim.run.store",
    "sobol_indices": "vnsim.analysis.sensitivity",
    "run_backtest": "vnsim.analysis.backtest",
}
__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'vnsim' has no attribute {name!r}")
