"""Shared test set-up."""

import os

# Notebooks read their draw count from this variable, so the suite runs them small (nbmake
# kernels inherit this process's environment).
os.environ.setdefault("VNSIM_NOTEBOOK_DRAWS", "128")
