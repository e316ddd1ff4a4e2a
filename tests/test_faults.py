"""Fault injection: every input or environment fault ends in exit 2 with one line (or a short
message) and no traceback, never in "internal error"; nothing half-written is left behind.

Covers: results outside their variable's bounds (inf from a huge effect), special files named
as inputs (FIFOs, devices, folders) and oversized files refused before reading, a full disk
and an unwritable folder while a run writes, signals just after the run folder is in place,
and scenario names that are not portable folder names.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
from vnsim import cli, datasets
from vnsim.blocks import VARIABLES
from vnsim.core import planning
from vnsim.errors import DataError, InputError, UnusableFile, read_input
from vnsim.run import executors, store
from vnsim.run.simulate import simulate
from vnsim.spec.scenario import Scenario, load_scenario

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "scenarios"
BASE = FIXTURES / "base.yaml"
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    monkeypatch.setenv("VNSIM_DATA_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("VNSIM_DEBUG", raising=False)


def vnsim(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "internal error" not in err, err
    return code, out, err


def scenario_with(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    shutil.copy(BASE, tmp_path / "base.yaml")
    path = tmp_path / name
    path.write_text("extends: base.yaml\n" + text, encoding="utf-8")
    return path


# --- no non-finite result leaves the engine -----------------------------------------------------

HUGE_EFFECT = """name: huge
levers:
  skills:
    source: "assumption: a typo in a size"
    schedule: {2023: 1.0}
    effects:
      - {target: market.growth, size: 1.0e+308, lag: 0}
"""


def test_an_impossible_effect_size_is_refused_before_the_run(tmp_path, capsys):
    path = scenario_with(tmp_path, HUGE_EFFECT)
    out = tmp_path / "o"
    code, _, err = vnsim(capsys, "run", str(path), "--draws", "8", "--out", str(out))
    assert code == 2 and "impossible" in err and "levers.skills.effects[0]" in err
    assert not out.exists()


@pytest.mark.parametrize("executor", ["inprocess", "processes"])
def test_inf_results_stop_the_run_naming_variable_year_and_inputs(executor):
    """Inputs a design passes in (as sensitivity does) skip the scenario's checks; a draw that
    overflows is still stopped by the bounds check after its chunk, naming what caused it."""
    scenario = load_scenario(BASE)
    draws = 8
    growth = np.full(draws, 0.1)
    growth[0] = 1.0e308  # log1p is 709.8: the market overflows in the first year
    with pytest.raises(InputError) as err, warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning either
        simulate(scenario, draws, 1, inputs={"market_growth": growth}, executor=executor)
    msg = str(err.value)
    assert "market_size is inf (year 2023)" in msg
    assert "draw 0: market_base = " in msg and "market_growth = " in msg


@pytest.fixture(scope="module")
def small_plan():
    return planning.plan(load_scenario(BASE), 4, 1)


def chunk_of(plan) -> dict[str, np.ndarray]:
    return executors.checked_chunk(plan, 0, plan.draws)


def test_intended_nan_is_allowed_and_any_other_is_refused(small_plan):
    arrays = chunk_of(small_plan)
    assert np.isnan(arrays["market_growth"][:, 0]).all()  # the base year, on purpose
    executors.check_results(small_plan, 0, arrays)
    arrays["market_growth"][2, 3] = np.nan
    with pytest.raises(InputError, match=r"market_growth is nan \(year 2025\) in 1 of 4"):
        executors.check_results(small_plan, 10, arrays)
    arrays = chunk_of(small_plan)
    arrays["dossiers_online"][1, 2, 0] = 1.5
    with pytest.raises(InputError, match=r"dossiers_online is 1.5 .*range \[0.0, 1.0\]") as e:
        executors.check_results(small_plan, 10, arrays)
    assert "draw 11: market_base" in str(e.value)  # numbered in the whole run


def test_every_registered_bound_is_checked(small_plan):
    for name, variable in VARIABLES.items():
        low, high = variable.bounds
        if low is None and high is None:
            continue
        arrays = chunk_of(small_plan)
        a = arrays[name]
        a.flat[-1] = (low - 1) if low is not None else (high + 1)
        with pytest.raises(InputError, match=name):
            executors.check_results(small_plan, 0, arrays)


def test_json_output_is_always_valid_json(tmp_path, capsys):
    code, stdout, _ = vnsim(capsys, "run", str(BASE), "--draws", "8", "--out", str(tmp_path / "r"))
    assert code == 0
    code, stdout, _ = vnsim(
        capsys, "run", str(BASE), "--draws", "8", "--out", str(tmp_path / "j"), "--json"
    )
    assert code == 0
    json.loads(stdout, parse_constant=lambda c: pytest.fail(f"{c} in --json output"))
    head = (tmp_path / "j" / "headline.json").read_text()
    json.loads(head, parse_constant=lambda c: pytest.fail(f"{c} in headline.json"))


# --- inputs refused before they are read --------------------------------------------------------


@needs_fifo
def test_read_input_refuses_special_files_without_blocking(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)  # no writer: opening it for a blocking read would hang
    with pytest.raises(UnusableFile, match="named pipe"):
        read_input(fifo, 100)
    with pytest.raises(UnusableFile, match="folder"):
        read_input(tmp_path, 100)
    if Path("/dev/zero").exists():  # endless: reading it would exhaust memory
        with pytest.raises(UnusableFile, match="device"):
            read_input("/dev/zero", 100)


def test_read_input_refuses_big_files_by_their_size(tmp_path):
    big = tmp_path / "big.csv"
    with big.open("wb") as f:
        f.truncate(50 * 2**30)  # a sparse 50 GiB file: reading it would take minutes
    with pytest.raises(UnusableFile, match="53,687,091,200 bytes; input files are limited to 10"):
        read_input(big, 10)
    small = tmp_path / "small"
    small.write_bytes(b"0123456789")
    assert read_input(small, 10) == b"0123456789"


@needs_fifo
def test_every_named_input_refuses_a_fifo(tmp_path, capsys):
    fifo = tmp_path / "EGOV_DATA_2024.csv"
    os.mkfifo(fifo)
    for argv in (
        ["run", str(fifo)],
        ["validate", str(fifo)],
        ["data", "add", str(fifo)],
        ["run", str(BASE), "--draws", "8", "--results", str(fifo)],
        ["run", str(BASE), "--draws", "8", "--out", str(fifo), "--force"],
    ):
        code, _, err = vnsim(capsys, *argv)
        assert code == 2, argv
        assert "pipe" in err or "not a vnsim run folder" in err, (argv, err)
    assert fifo.exists()


def test_un_csv_special_and_oversized_files_are_data_errors(tmp_path):
    with pytest.raises(DataError, match="folder"):
        datasets.read_un_csv(tmp_path)
    big = tmp_path / "EGOV_DATA_2024.csv"
    with big.open("wb") as f:
        f.truncate(datasets.MAX_CSV_BYTES + 1)
    with pytest.raises(DataError, match="UN CSV exports are limited"):
        datasets.read_un_csv(big)


def test_a_folder_as_the_scenario_is_refused(tmp_path, capsys):
    code, _, err = vnsim(capsys, "run", str(tmp_path))
    assert code == 2 and "folder" in err


# --- the environment: full disk, unwritable folders --------------------------------------------


def test_disk_full_while_writing_leaves_nothing(tmp_path, capsys, monkeypatch):
    def full(path, data):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(store, "write_json", full)
    out = tmp_path / "out"
    code, _, err = vnsim(capsys, "run", str(BASE), "--draws", "8", "--out", str(out))
    assert code == 2 and "No space left on device" in err
    assert list(tmp_path.iterdir()) == [tmp_path / "home"] or not list(tmp_path.iterdir())


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores permissions")
def test_unwritable_results_folder_is_exit_2(tmp_path, capsys):
    root = tmp_path / "results"
    root.mkdir()
    root.chmod(0o555)
    try:
        code, _, err = vnsim(capsys, "run", str(BASE), "--draws", "8", "--results", str(root))
    finally:
        root.chmod(0o755)
    assert code == 2 and "Permission denied" in err


# --- signals just after the final rename -------------------------------------------------------


def test_interrupt_after_the_folder_is_complete_says_so(tmp_path, capsys, monkeypatch):
    from vnsim.cli import run as run_command

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(run_command, "print_summary", interrupted)
    out = tmp_path / "out"
    code, _, err = vnsim(capsys, "run", str(BASE), "--draws", "8", "--out", str(out))
    assert code == 130
    assert err.strip() == f"vnsim: interrupted; the results are complete in {out}"
    assert store.is_finished_run(out)


def test_interrupt_before_the_folder_is_complete_writes_nothing(tmp_path, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(store, "checksums", interrupted)
    out = tmp_path / "out"
    code, _, err = vnsim(capsys, "run", str(BASE), "--draws", "8", "--out", str(out))
    assert code == 130 and "no results were written" in err
    assert not out.exists() and not list(tmp_path.glob(".out.*"))


# --- portable names -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["CON", "nul", "Aux", "COM1", "lpt9", "prn"])
def test_windows_device_names_are_refused(tmp_path, capsys, name):
    path = scenario_with(tmp_path, f"name: {name}\n")
    code, _, err = vnsim(capsys, "validate", str(path))
    assert code == 2 and "device name on Windows" in err
    assert name in err


@pytest.mark.parametrize("name", ["CONSOLE", "COM10x", "nul_1", "a-b"])
def test_names_that_only_look_like_devices_are_accepted(name):
    Scenario.model_validate({**load_scenario(BASE).model_dump(mode="json"), "name": name})


@pytest.mark.parametrize("name", ["run.", "a.b", "..", "x/y", ""])
def test_names_with_dots_or_slashes_are_refused(name):
    with pytest.raises(ValueError):
        Scenario.model_validate({**load_scenario(BASE).model_dump(mode="json"), "name": name})


def test_added_editions_follow_the_umask(tmp_path):
    un_csv = ROOT / "tests" / "fixtures" / "data" / "EGOV_DATA_2026.csv"  # 2024 is packaged
    old = os.umask(0o022)
    try:
        written = datasets.add_edition(un_csv, data_home=tmp_path / "home")
    finally:
        os.umask(old)
    assert written.stat().st_mode & 0o777 == 0o644  # colleagues on a shared server can read it
    assert [p.name for p in written.parent.iterdir()] == [written.name]


def test_a_malformed_scheduler_address_is_exit_2(tmp_path, capsys):
    argv = ["run", str(BASE), "--draws", "8", "--out", str(tmp_path / "out")]
    code, _, err = vnsim(capsys, *argv, "--executor", "dask", "--scheduler", "not an address")
    assert code == 2 and "--scheduler not an address: cannot reach the dask scheduler" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(not hasattr(__import__("signal"), "pthread_sigmask"), reason="POSIX only")
def test_a_signal_during_the_final_rename_waits_until_the_folder_is_in_place(
    tmp_path, capsys, monkeypatch
):
    import signal

    real_rename = os.rename

    def signalled_rename(src, dst):
        if Path(dst) == out:  # the final rename of the run folder
            os.kill(os.getpid(), signal.SIGINT)
        return real_rename(src, dst)

    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    out = tmp_path / "out"
    monkeypatch.setattr(store.os, "rename", signalled_rename)
    try:
        code, _, err = vnsim(capsys, "run", str(BASE), "--draws", "8", "--out", str(out))
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    assert code == 130
    assert err.strip() == f"vnsim: interrupted; the results are complete in {out}"
    assert store.is_finished_run(out) and sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_an_edition_that_could_never_be_loaded_is_refused(tmp_path, capsys):
    un_csv = ROOT / "tests" / "fixtures" / "data" / "EGOV_DATA_2024.csv"
    lines = un_csv.read_text(encoding="utf-8-sig").splitlines()
    rows = [lines[0], *(line.replace("2024,", "10000,", 1) for line in lines[1:])]
    path = tmp_path / "export.csv"  # no year in the name: the column alone says 10000
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, _, err = vnsim(capsys, "data", "add", str(path))
    assert code == 2 and "survey_year 10000: vnsim reads editions 2003-2100 only" in err
    assert not (tmp_path / "home" / "surveys").exists() or not list(
        (tmp_path / "home" / "surveys").iterdir()
    )


@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_a_damaged_ensemble_file_is_exit_2_for_every_reader(tmp_path, capsys, damage):
    out = tmp_path / "run"
    assert vnsim(capsys, "run", str(BASE), "--draws", "8", "--out", str(out), "--quiet")[0] == 0
    nc = out / "ensemble.nc"
    if damage == "truncated":
        os.truncate(nc, nc.stat().st_size // 2)
    else:
        nc.write_bytes(b"not a NetCDF file")
    for argv in (["targets", str(out)], ["charts", str(out), "--out", str(tmp_path / "c")]):
        code, _, err = vnsim(capsys, *argv)
        assert code == 2 and "ensemble.nc: cannot be read" in err, (argv, err)
    code, printed, err = vnsim(capsys, "verify", str(out))
    assert code in (1, 2) and "ensemble.nc" in err + printed
