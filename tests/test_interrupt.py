"""Interrupted runs, with real ``vnsim run`` subprocesses, and resource limits refused up front.

SIGKILL at any moment leaves no folder that looks like a finished run (only the run's empty
claim on the folder and a hidden ``.NAME.partial-*`` folder, both removed by the next run);
SIGINT/SIGTERM stop cleanly with one line on stderr and exit 130, leaving nothing behind; a
later run to the same folder works.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from vnsim import cli
from vnsim.core import planning
from vnsim.errors import ResourceError, RunFolderError
from vnsim.run import executors, store
from vnsim.run.verify import verify
from vnsim.spec.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
#: Enough draws, in small chunks, for the simulation to last several seconds after the run
#: folder is opened (about 8 s on an idle 2-core machine; longer under load, which is fine).
DRAWS, CHUNK = 4000, 16
START_TIMEOUT = 300  # imports and the e-government fit, on a loaded machine
#: Kill delays after the partial folder appears: 0 and seeded draws from 0.2-3 s.
_rng = random.Random(7)
KILL_DELAYS = [0.0, *sorted(round(_rng.uniform(0.2, 3.0), 2) for _ in range(3))]


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A copy of the baseline and a hermetic environment."""
    folder = tmp_path_factory.mktemp("interrupt")
    shutil.copy(BASELINE, folder / "baseline.yaml")
    (folder / "fast.yaml").write_text("extends: baseline.yaml\nname: interrupt\n")
    env = {**os.environ, "VNSIM_DATA_HOME": str(folder / "home"), "PYTHONUNBUFFERED": "1"}
    env.pop("VNSIM_DEBUG", None)
    return folder / "fast.yaml", env


def start(scenario: Path, out: Path, env: dict[str, str], draws: int = DRAWS) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vnsim.cli",
            "run",
            str(scenario),
            "--draws",
            str(draws),
            "--chunk-size",
            str(CHUNK),
            "--out",
            str(out),
            "--quiet",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=out.parent,
    )


def partials(out: Path) -> list[Path]:
    return sorted(out.parent.glob(f".{out.name}.partial-*"))


def wait_for_partial(proc: subprocess.Popen, out: Path) -> None:
    """Block until the run has opened its temporary folder (the simulation has started)."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if partials(out):
            return
        if proc.poll() is not None:
            pytest.fail(f"run ended before writing anything: {proc.communicate()[1]}")
        time.sleep(0.02)
    proc.kill()
    pytest.fail("run did not start within the timeout")


def rerun_works(scenario: Path, out: Path, env: dict[str, str]) -> None:
    proc = start(scenario, out, env, draws=32)
    _, err = proc.communicate(timeout=START_TIMEOUT)
    assert proc.returncode == 0, err
    assert (out / "COMPLETE").exists() and (out / "manifest.json").exists()


@pytest.mark.slow
@pytest.mark.parametrize("delay", KILL_DELAYS)
def test_sigkill_never_leaves_a_folder_that_looks_finished(setup, tmp_path, delay):
    scenario, env = setup
    out = tmp_path / "run"
    proc = start(scenario, out, env)
    wait_for_partial(proc, out)
    time.sleep(delay)
    assert proc.poll() is None, "the run finished before the kill; raise DRAWS"
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    # at most the run's empty claim on the folder, never anything that looks finished
    assert list(out.iterdir()) == [] and not store.is_finished_run(out)
    left = partials(out)
    assert len(left) == 1 and not (left[0] / "COMPLETE").exists()
    with pytest.raises(RunFolderError, match="not a finished vnsim run"):
        verify(left[0])
    # a later run to the same folder works: the dead run's claim and partial folder are removed
    rerun_works(scenario, out, env)
    assert verify(out).ok
    assert sorted(p.name for p in out.parent.iterdir()) == ["run"]


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_sigint_and_sigterm_stop_cleanly(setup, tmp_path, sig):
    scenario, env = setup
    out = tmp_path / "run"
    proc = start(scenario, out, env)
    wait_for_partial(proc, out)
    time.sleep(1.0)
    assert proc.poll() is None, "the run finished before the signal; raise DRAWS"
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "interrupted" in lines[0], stderr
    assert "Traceback" not in stderr and stdout == ""
    assert not out.exists()
    assert partials(out) == []  # the temporary folder is removed
    rerun_works(scenario, out, env)


# --- resource limits ----------------------------------------------------------------------------

GIB = 2**30


@pytest.fixture(scope="module")
def small_plan():
    return planning.plan(load_scenario(BASELINE), 16, 1)


def test_in_memory_ensemble_too_big_is_refused_with_the_size_and_the_remedy(
    small_plan, monkeypatch
):
    monkeypatch.setattr(executors, "available_memory", lambda: 24 * GIB)
    huge = 10_000_000
    need = huge * executors.draw_bytes(small_plan) / GIB
    with pytest.raises(ResourceError) as err:
        executors.check_resources(small_plan, in_memory=True, draws=huge)
    msg = str(err.value)
    assert "10,000,000 draws" in msg and f"{need:.1f} GiB" in msg and "24.0 GiB" in msg
    assert "vnsim run" in msg and "chunks" in msg


def test_chunk_too_big_is_refused_with_a_chunk_size_that_fits(small_plan, monkeypatch):
    monkeypatch.setattr(executors, "available_memory", lambda: 24 * GIB)
    huge = 1_000_000
    with pytest.raises(ResourceError, match="--chunk-size") as err:
        executors.check_resources(small_plan, chunk_size=1_000_000, draws=huge)
    fit = int(str(err.value).split("--chunk-size ")[1].split()[0].replace(",", ""))
    executors.check_resources(small_plan, chunk_size=fit, draws=huge)  # the advice is accepted


def test_streamed_run_too_big_for_its_summary_is_refused_with_draws_that_fit(
    small_plan, monkeypatch
):
    """Streaming bounds the chunks, not what is kept for the summary (VNM and yearly
    variables): ten million draws do not fit 24 GiB even streamed; the advised count does."""
    monkeypatch.setattr(executors, "available_memory", lambda: 24 * GIB)
    huge = 10_000_000
    with pytest.raises(ResourceError, match="for the summary") as err:
        executors.check_resources(small_plan, draws=huge)
    fit = int(str(err.value).split("--draws ")[1].split()[0].replace(",", ""))
    assert 100_000 < fit < 10_000_000
    executors.check_resources(small_plan, draws=fit)


def test_ten_million_draws_refused_by_the_cli_with_the_disk_it_needs(
    small_plan, monkeypatch, tmp_path, capsys
):
    """24 GiB of memory and 50 GiB of disk: ~170 GiB of results are refused, exit 2, no folder.
    Sampling is stubbed only so that this test stays fast (the next test checks that the CLI
    samples nothing first)."""
    monkeypatch.setattr(executors, "available_memory", lambda: 24 * GIB)
    monkeypatch.setattr(
        executors.shutil,
        "disk_usage",
        lambda p: shutil._ntuple_diskusage(100 * GIB, 50 * GIB, 50 * GIB),
    )
    monkeypatch.setattr(
        planning,
        "sample_inputs",
        lambda scn, draws, seed: {k: v[:1] for k, v in small_plan.inputs.items()},
    )
    out = tmp_path / "big"
    code = cli.main(["run", str(BASELINE), "--draws", "10000000", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert "10,000,000 draws need about" in err and "GiB of disk" in err and "50.0 GiB" in err
    assert "Traceback" not in err
    assert not out.exists() and not list(tmp_path.iterdir())


def test_ten_million_draws_refused_before_any_sampling(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(executors, "available_memory", lambda: 24 * GIB)
    monkeypatch.setattr(
        executors.shutil,
        "disk_usage",
        lambda p: shutil._ntuple_diskusage(100 * GIB, 50 * GIB, 50 * GIB),
    )
    real = planning.sample_inputs

    def guarded(scn, draws, seed):
        assert draws <= 1000, "sampling 10 million draws before the resource check"
        return real(scn, draws, seed)

    monkeypatch.setattr(planning, "sample_inputs", guarded)
    code = cli.main(["run", str(BASELINE), "--draws", "10000000", "--out", str(tmp_path / "b")])
    assert code == 2 and "GiB" in capsys.readouterr().err


# --- signals during start-up --------------------------------------------------------------------

#: A child that gets SIGINT (or SIGTERM) while ``vnsim.cli`` imports its command modules.
SIGNAL_DURING_IMPORT = """
import importlib.abc, os, signal, sys

class Signal(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "vnsim.cli.backtest":
            os.kill(os.getpid(), getattr(signal, sys.argv[1]))
        return None

sys.meta_path.insert(0, Signal())
from vnsim.cli import main
raise SystemExit(main(["schema"]))
"""


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_a_signal_while_the_command_line_starts_is_one_line(sig):
    proc = subprocess.run(
        [sys.executable, "-c", SIGNAL_DURING_IMPORT, sig],
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT,
    )
    assert proc.returncode == 130, proc.stderr
    assert proc.stderr == "vnsim: interrupted; no results were written\n"
    assert proc.stdout == ""


def test_start_up_handlers_are_restored_after_import(monkeypatch):
    # imported in-process (as here, under pytest) the host's handlers are left as they were
    assert signal.getsignal(signal.SIGINT) is not cli._interrupted_while_starting
    assert signal.getsignal(signal.SIGTERM) is not cli._interrupted_while_starting


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_worker_processes_stop_quietly_with_the_command(setup, tmp_path, sig):
    """Ctrl-C reaches the whole process group: the workers print nothing, the command one line."""
    scenario, env = setup
    out = tmp_path / "run"
    argv = [sys.executable, "-m", "vnsim.cli", "run", str(scenario), "--draws", str(DRAWS)]
    argv += ["--chunk-size", str(CHUNK), "--out", str(out), "--quiet"]
    proc = subprocess.Popen(
        [*argv, "--executor", "processes", "--workers", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    wait_for_partial(proc, out)
    time.sleep(2.0)
    assert proc.poll() is None, "the run finished before the signal; raise DRAWS"
    os.killpg(proc.pid, sig)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert stderr == "vnsim: interrupted; no results were written\n"
    assert not out.exists() and partials(out) == []
