"""vnsim: Vietnam IT application market, online dossiers and UN EGDI rank under policy levers.

The public API, importable from here::

    import model
    scenario = model.load_scenario("scenarios/baseline.yaml")
    ds = model.simulate(scenario, draws=2000)            # xarray.Dataset, (draw, year | edition, …)
    card = model.scorecard({"baseline": ds}, model.load_targets())
    ds = model.open_run("results/baseline/20261129T035415Z")

Names are imported on first use, so ``import model`` (and the ``vnsim`` command) stays fast.
Functions named like their module (``what_it_takes``, ``verify``) are imported from it:
``from model.what_it_takes import what_it_takes``.
"""

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_PUBLIC = {
    "load_scenario": "model.scenario",
    "simulate": "model.engine",
    "load_targets": "model.targets",
    "scorecard": "model.targets",
    "open_run": "model.results",
    "sobol_indices": "model.sensitivity",
    "run_backtest": "model.backtest",
}
__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'model' has no attribute {name!r}")
