"""Run folders that cannot be lost: exclusive creation, --force only over finished runs, and a
replacement that the next command finishes or undoes wherever it was killed.

The kills and races use real processes: a child process replaces a run folder with a patched
``os.rename`` / ``shutil.rmtree`` that SIGKILLs itself at one step; two ``vnsim run`` processes
write into the same ``--out``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from vnsim.errors import RunFolderError
from vnsim.run import store

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "tests" / "fixtures" / "scenarios" / "base.yaml"


def finished(folder: Path, label: str) -> Path:
    """Make ``folder`` a finished run whose manifest says ``label``."""
    folder.mkdir()
    (folder / "ensemble.nc").write_text("stand-in")
    (folder / store.MANIFEST).write_text(json.dumps({"label": label}))
    (folder / store.COMPLETE).write_text("")
    return folder


def label(folder: Path) -> str:
    return json.loads((folder / store.MANIFEST).read_text())["label"]


#: A child that replaces ``target`` with a new run and SIGKILLs itself before the
#: ``kill_at``-th filesystem step of the swap (1: old run moved aside, 2: new run moved in,
#: 3: old run deleted).
REPLACER = textwrap.dedent(
    """
    import json, os, shutil, signal, sys
    from pathlib import Path
    from vnsim.run import store

    target, kill_at = Path(sys.argv[1]), int(sys.argv[2])
    steps = [0]

    def killing(real):
        def step(*args, **kwargs):
            steps[0] += 1
            if steps[0] == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            return real(*args, **kwargs)
        return step

    with store.RunFolder(target, force=True) as tmp:
        (tmp / "manifest.json").write_text(json.dumps({"label": "new"}))
        (tmp / "ensemble.nc").write_text("stand-in")
        os.rename = killing(os.rename)
        shutil.rmtree = killing(shutil.rmtree)
    """
)


@pytest.mark.parametrize("kill_at, kept", [(1, "old"), (2, "new"), (3, "new"), (4, "new")])
def test_a_replacement_killed_at_any_step_is_finished_or_undone(tmp_path, kill_at, kept):
    target = finished(tmp_path / "run", "old")
    proc = subprocess.run(
        [sys.executable, "-c", REPLACER, str(target), str(kill_at)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if kill_at <= 3:
        assert proc.returncode == -signal.SIGKILL, proc.stderr
    else:  # no fourth step: the replacement completed
        assert proc.returncode == 0, proc.stderr
    if kill_at == 2:
        assert not target.exists()  # between the two renames: only hidden folders are left
    store.recover(target)  # what the next command to this folder does first
    assert store.is_finished_run(target)
    assert label(target) == kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_the_next_run_and_verify_recover_a_killed_replacement(tmp_path, capsys):
    from vnsim import cli

    target = finished(tmp_path / "run", "old")
    subprocess.run([sys.executable, "-c", REPLACER, str(target), "2"], timeout=120)
    assert not target.exists()
    # verify sees the finished run again (the new one, complete before the kill) ...
    assert cli.main(["verify", str(target)]) == 2  # a stand-in manifest, but found
    assert "manifest.json: missing" in capsys.readouterr().err
    assert label(target) == "new"
    # ... and so does a run without --force, which then refuses to overwrite it
    assert cli.main(["run", str(BASE), "--draws", "8", "--out", str(target)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_leftovers_of_a_live_process_are_not_touched(tmp_path):
    target = finished(tmp_path / "run", "new")
    mine = finished(tmp_path / f".run.old-{os.getpid()}", "old")
    store.recover(target)
    assert mine.exists() and label(target) == "new"


@pytest.mark.parametrize(
    "make",
    [
        lambda p: (p.mkdir(), (p / "NOTES.md").write_text("mine")),
        lambda p: (p.mkdir(), (p / store.COMPLETE).write_text("")),  # no manifest
        lambda p: p.write_text("a file"),
        lambda p: p.symlink_to(finished(p.with_name("elsewhere"), "x")),
    ],
    ids=["project_folder", "marker_only", "file", "symlink_to_a_run"],
)
def test_force_replaces_only_a_finished_run_or_an_empty_folder(tmp_path, make):
    target = tmp_path / "out"
    make(target)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    with pytest.raises(RunFolderError, match="--force replaces only finished runs"):
        store.RunFolder(target, force=True)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_a_folder_claimed_by_another_run_is_refused(tmp_path):
    target = tmp_path / "out"
    first = store.RunFolder(target)
    second = store.RunFolder(target)  # both checked before either started
    with first as tmp:
        (tmp / store.MANIFEST).write_text("{}")
        with pytest.raises(RunFolderError, match="just created by another run"), second:
            pass
    assert store.is_finished_run(target)


def test_a_forced_run_does_not_replace_a_folder_filled_meanwhile(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    run = store.RunFolder(target, force=True)  # empty: may be replaced
    with pytest.raises(RunFolderError, match="written by another process"):
        with run as tmp:
            (tmp / store.MANIFEST).write_text("{}")
            (target / "NOTES.md").write_text("arrived during the run")
    assert [p.name for p in target.iterdir()] == ["NOTES.md"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_folders_and_files_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        with store.RunFolder(tmp_path / "out") as tmp:
            assert tmp.stat().st_mode & 0o777 == 0o755
            store.write_json(tmp / store.MANIFEST, {})
    finally:
        os.umask(old)
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "out" / store.MANIFEST).stat().st_mode & 0o777 == 0o644


@pytest.mark.slow
def test_two_concurrent_runs_into_one_out_one_wins(tmp_path):
    out = tmp_path / "run"
    env = {**os.environ, "VNSIM_DATA_HOME": str(tmp_path / "home")}
    env.pop("VNSIM_DEBUG", None)
    argv = [sys.executable, "-m", "vnsim.cli", "run", str(BASE), "--draws", "16", "--quiet"]
    procs = [
        subprocess.Popen(
            [*argv, "--out", str(out), "--seed", str(seed)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for seed in (1, 2)
    ]
    results = [(p.wait(timeout=600), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    (loser,) = [err for code, err in results if code == 2]
    assert len(loser.strip().splitlines()) == 1 and "Traceback" not in loser
    assert "another run" in loser or "already exists" in loser
    winner = [seed for seed, (code, _) in zip((1, 2), results, strict=True) if code == 0]
    assert json.loads((out / store.MANIFEST).read_text())["seed"] == winner[0]
    assert store.is_finished_run(out)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "home") == ["run"]
    shutil.rmtree(out)


def dead_pid() -> int:
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    return int(proc.stdout)


def test_the_claim_of_a_killed_run_is_removed_by_the_next(tmp_path):
    target = tmp_path / "out"
    target.mkdir()  # claimed by a run that was then SIGKILLed
    (tmp_path / f".out.claim-{dead_pid()}-0a1b2c3d").touch()
    with store.RunFolder(target) as tmp:  # no --force needed: nothing of value was there
        (tmp / store.MANIFEST).write_text("{}")
    assert store.is_finished_run(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_live_claim_is_kept(tmp_path):
    target = tmp_path / "out"
    with store.RunFolder(target):
        with pytest.raises(RunFolderError, match="already exists"):
            store.RunFolder(target)
        assert target.is_dir()


def test_checksums_take_the_hashes_already_known(tmp_path):
    """A hash the caller took of a finished file is used as given; every other file is read."""
    (tmp_path / "big.nc").write_bytes(b"x" * 10_000)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "small.json").write_text("{}")
    full = store.checksums(tmp_path)
    assert full == {
        "big.nc": store.sha256_file(tmp_path / "big.nc"),
        "sub/small.json": store.sha256_file(tmp_path / "sub" / "small.json"),
    }
    assert store.checksums(tmp_path, known={"big.nc": full["big.nc"]}) == full
    assert store.checksums(tmp_path, known={"big.nc": "0" * 64})["big.nc"] == "0" * 64
