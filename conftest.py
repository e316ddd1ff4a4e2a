"""Shared test set-up."""

import os

from hypothesis import settings

# CI runs the property tests derandomized, so a run is reproducible; locally they explore anew.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

# Notebooks read their draw count from this variable, so the suite runs them small (nbmake
# kernels inherit this process's environment).
os.environ.setdefault("VNSIM_NOTEBOOK_DRAWS", "128")
