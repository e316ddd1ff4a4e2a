"""Shared test set-up: hypothesis profile, small notebooks, a private user data folder per test
process (so pytest-xdist workers never share one), and the ``slow`` mark on notebooks."""

import os
import shutil
import tempfile

import pytest
from hypothesis import settings

# CI runs the property tests derandomized, so a run is reproducible; locally they explore anew.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

# Notebooks read their draw count from this variable, so the suite runs them small (nbmake
# kernels inherit this process's environment).
os.environ.setdefault("VNSIM_NOTEBOOK_DRAWS", "128")

#: The per-process user data folder and the value of ``$VNSIM_DATA_HOME`` it replaced.
_HOME = pytest.StashKey[tuple[str, str | None]]()


def pytest_configure(config: pytest.Config) -> None:
    # Never the user's real data folder, and one per process: a test (or notebook kernel) that
    # adds an edition must not change the data another xdist worker reads. Tests that add data
    # still set their own folder.
    home = tempfile.mkdtemp(prefix="vnsim-user-data-")
    config.stash[_HOME] = (home, os.environ.get("VNSIM_DATA_HOME"))
    os.environ["VNSIM_DATA_HOME"] = home


def pytest_unconfigure(config: pytest.Config) -> None:
    home, previous = config.stash.get(_HOME, (None, None))
    if home is None:
        return
    shutil.rmtree(home, ignore_errors=True)
    if previous is None:
        os.environ.pop("VNSIM_DATA_HOME", None)
    else:
        os.environ["VNSIM_DATA_HOME"] = previous


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # executing a notebook (nbmake) runs a kernel and a whole analysis: slow by nature
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.slow)
