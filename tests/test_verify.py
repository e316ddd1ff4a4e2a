"""``vnsim verify``: a fresh run verifies; a changed data version, scenario file, code version or
number is reported precisely; bad run folders exit 2; results are never overwritten without
--force."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import h5py
import pytest
from vnsim import cli, datasets
from vnsim.blocks import VARIABLES
from vnsim.errors import RunFolderError
from vnsim.run.store import open_run
from vnsim.run.verify import verify

BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.yaml"
DRAWS = 48


def vnsim(argv: list[str]) -> int:
    """The real ``vnsim`` command, in-process."""
    return cli.main(argv)


def make_run(folder: Path, draws: int = DRAWS) -> tuple[Path, Path]:
    """A scenario copy and a run of it in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    scenario = folder / "baseline.yaml"
    shutil.copy(BASELINE, scenario)
    run = folder / "run"
    code = cli.main(
        [
            "run",
            str(scenario),
            "--draws",
            str(draws),
            "--seed",
            "11",
            "--out",
            str(run),
            "--quiet",
            "--chunk-size",
            "16",
        ]
    )
    assert code == 0
    return scenario, run


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> tuple[Path, Path]:
    return make_run(tmp_path_factory.mktemp("verify"))


@pytest.fixture
def copy_of(fresh, tmp_path) -> Path:
    """A copy of the fresh run folder that a test may damage."""
    return Path(shutil.copytree(fresh[1], tmp_path / "run"))


def test_fresh_run_verifies_identical(fresh, capsys):
    # the run holds NaN (the district level after 2025), which must compare equal to itself
    with open_run(fresh[1]) as ds:
        assert ds.dossiers_online.sel(level="district", year=2026).isnull().all()
    report = verify(fresh[1])
    assert report.ok and report.differences == []
    assert report.draws_checked == DRAWS and len(report.variables) == len(VARIABLES)
    assert "identical" in report.format()
    assert vnsim(["verify", str(fresh[1])]) == 0
    assert "identical" in capsys.readouterr().out


def test_verify_is_independent_of_chunking_and_can_check_a_prefix(fresh):
    assert verify(fresh[1], chunk_size=7).ok
    report = verify(fresh[1], draws_limit=20, chunk_size=5)
    assert report.ok and report.draws_checked == 20
    assert f"first 20 of {DRAWS}" in report.format()


def test_changed_data_version_is_reported(fresh, monkeypatch, capsys):
    then = json.loads((fresh[1] / "manifest.json").read_text())["data_version"]
    monkeypatch.setattr(
        datasets, "data_version", lambda data_home=None: then + "+user2024.abcd1234"
    )
    report = verify(fresh[1])
    assert not report.ok
    (diff,) = report.differences
    assert diff.kind == "data"
    assert then in diff.message and "+user2024.abcd1234" in diff.message
    assert vnsim(["verify", str(fresh[1])]) == 2  # the data changed: the user's to resolve
    out = capsys.readouterr().out
    assert "DIFFERENT (data)" in out and "data version" in out


def test_changed_scenario_file_is_reported_and_the_manifest_copy_is_rerun(tmp_path, capsys):
    scenario, run = make_run(tmp_path, draws=16)
    text = scenario.read_text(encoding="utf-8")
    scenario.write_text(text.replace("persistence: 0.3", "persistence: 0.4"), encoding="utf-8")
    report = verify(run)
    kinds = [d.kind for d in report.differences]
    assert kinds == ["scenario"]  # numbers still identical: re-ran from the resolved scenario
    assert str(scenario) in report.differences[0].message
    assert "changed since the run" in report.differences[0].message
    assert vnsim(["verify", str(run)]) == 2
    assert "DIFFERENT (scenario)" in capsys.readouterr().out

    scenario.unlink()
    (diff,) = verify(run).differences
    assert diff.kind == "scenario" and "no longer exists" in diff.message


def test_altered_number_is_reported_with_variable_and_size(copy_of, capsys):
    with h5py.File(copy_of / "ensemble.nc", "r+") as f:
        f["market_size"][5, 3] += 0.25
        f["egdi_rank"][1, 2, 10] += 3
    report = verify(copy_of)
    assert not report.ok
    numbers = [d for d in report.differences if d.kind == "numbers"]
    messages = {d.message.split()[0]: d.message for d in numbers}
    assert set(messages) == {"market_size", "egdi_rank"}
    (changed,) = [d for d in report.differences if d.kind == "files"]
    assert changed.message.startswith("ensemble.nc changed since the run")
    assert f"1 of {DRAWS * 9:,} values" in messages["market_size"]
    assert "largest absolute difference 0.25 USD bn" in messages["market_size"]
    assert "largest absolute difference 3 " in messages["egdi_rank"]
    assert vnsim(["verify", str(copy_of)]) == 2  # ensemble.nc was edited: explained
    assert "market_size differs" in capsys.readouterr().out


def test_changed_code_version_and_edited_manifest_are_reported(copy_of):
    path = copy_of / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["package_version"] = "0.0.1"
    manifest["scenario_resolved"]["market"]["persistence"] = 0.9
    path.write_text(json.dumps(manifest))
    report = verify(copy_of)
    kinds = {d.kind for d in report.differences}
    assert {"code", "scenario", "numbers"} <= kinds
    assert any("vnsim 0.0.1 then" in d.message for d in report.differences)
    assert any("manifest was edited" in d.message for d in report.differences)


@pytest.mark.parametrize(
    "edit, needle",
    [
        (
            lambda run: (run / "summary.csv").write_text("scenario,median\nx,1\n"),
            "summary.csv changed",
        ),
        (lambda run: (run / "headline.json").unlink(), "headline.json is missing"),
    ],
)
def test_every_file_of_the_run_is_checked(copy_of, capsys, edit, needle):
    edit(copy_of)
    report = verify(copy_of)
    assert [d.kind for d in report.differences] == ["files"]
    assert needle in report.differences[0].message
    assert vnsim(["verify", str(copy_of)]) == 2
    assert "DIFFERENT (files)" in capsys.readouterr().out


def test_numbers_that_differ_with_nothing_else_changed_are_a_bug(copy_of, capsys, monkeypatch):
    """Exit 1 is kept for real bugs: a re-run of the same scenario, data and code that does not
    reproduce the run."""
    from vnsim.run import executors

    real = executors.run_chunk

    def drifting(plan, start, stop):
        out = real(plan, start, stop)
        out["market_size"] = out["market_size"] * (1 + 1e-9)
        return out

    monkeypatch.setattr(executors, "run_chunk", drifting)
    report = verify(copy_of)
    assert [d.kind for d in report.differences] == ["numbers"] and not report.explained
    assert vnsim(["verify", str(copy_of)]) == 1
    assert "this is a bug in vnsim, please report it" in capsys.readouterr().out


def test_manifest_without_checksums_is_reported(copy_of):
    path = copy_of / "manifest.json"
    manifest = json.loads(path.read_text())
    assert set(manifest["files"]) == {"ensemble.nc", "headline.json", "summary.csv"}
    del manifest["files"]
    path.write_text(json.dumps(manifest))
    (diff,) = verify(copy_of).differences
    assert diff.kind == "files" and "no checksums" in diff.message


MANIFEST_EDITS = {
    "draws_as_text": {"draws": "1e12"},
    "draws_float": {"draws": 16.0},
    "negative_seed": {"seed": -1},
    "bool_seed": {"seed": True},
    "short_hash": {"scenario_hash": "abc"},
    "file_outside": {"files": {"../../etc/passwd": "0" * 64}},
    "bad_checksum": {"files": {"ensemble.nc": "not a hash"}},
    "lever_scale_text": {"lever_scale": {"x": "big"}},
    "not_a_mapping": None,
}


@pytest.mark.parametrize("edit", MANIFEST_EDITS, ids=list(MANIFEST_EDITS))
def test_manifest_is_validated_before_any_number_is_used(copy_of, capsys, monkeypatch, edit):
    from vnsim.core import planning

    path = copy_of / "manifest.json"
    manifest = json.loads(path.read_text())
    change = MANIFEST_EDITS[edit]
    path.write_text(json.dumps([1, 2] if change is None else {**manifest, **change}))
    monkeypatch.setattr(planning, "plan", lambda *a, **k: pytest.fail("planned a bad manifest"))
    with pytest.raises(RunFolderError, match=r"manifest\.json"):
        verify(copy_of)
    assert vnsim(["verify", str(copy_of)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("vnsim verify: ") and "Traceback" not in err


@pytest.mark.parametrize(
    "damage", ["missing", "no_complete", "bad_json", "no_keys", "bad_nc", "huge_draws"]
)
def test_invalid_run_folders_exit_2(copy_of, capsys, damage):
    if damage == "missing":
        shutil.rmtree(copy_of)
    elif damage == "no_complete":
        (copy_of / "COMPLETE").unlink()
    elif damage == "bad_json":
        (copy_of / "manifest.json").write_text("{not json")
    elif damage == "no_keys":
        (copy_of / "manifest.json").write_text("{}")
    elif damage == "huge_draws":
        manifest = json.loads((copy_of / "manifest.json").read_text())
        (copy_of / "manifest.json").write_text(json.dumps({**manifest, "draws": 10**12}))
    else:
        (copy_of / "ensemble.nc").write_bytes(b"not netcdf")
    with pytest.raises(RunFolderError):
        verify(copy_of)
    assert vnsim(["verify", str(copy_of)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("vnsim verify: ") and "Traceback" not in err


def test_results_folder_is_never_overwritten_without_force(fresh, tmp_path, capsys):
    scenario, run = fresh
    target = Path(shutil.copytree(run, tmp_path / "run"))
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    code = cli.main(["run", str(scenario), "--draws", "16", "--out", str(target), "--quiet"])
    assert code == 2
    err = capsys.readouterr().err
    assert "already exists" in err and "--force" in err and "Traceback" not in err
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    assert not list(tmp_path.glob(".run.partial-*"))

    code = cli.main(
        ["run", str(scenario), "--draws", "16", "--out", str(target), "--quiet", "--force"]
    )
    assert code == 0
    assert json.loads((target / "manifest.json").read_text())["draws"] == 16
    assert verify(target).ok
    assert not list(tmp_path.glob(".run.*"))  # neither partial nor old copies left behind


def test_a_scenario_edited_during_the_run_is_not_certified(tmp_path, monkeypatch, capsys):
    """The manifest hashes the bytes read at the start, not the file as it is at the end."""
    import hashlib

    from vnsim.run import executors

    scenario = tmp_path / "baseline.yaml"
    shutil.copy(BASELINE, scenario)
    read_at_start = hashlib.sha256(scenario.read_bytes()).hexdigest()
    real_run = executors.run

    def edit_then_run(*args, **kwargs):
        text = scenario.read_text(encoding="utf-8")
        scenario.write_text(text.replace("persistence: 0.3", "persistence: 0.4"), "utf-8")
        return real_run(*args, **kwargs)

    monkeypatch.setattr(executors, "run", edit_then_run)
    run = tmp_path / "run"
    assert vnsim(["run", str(scenario), "--draws", "8", "--out", str(run), "--quiet"]) == 0
    monkeypatch.setattr(executors, "run", real_run)
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["scenario_file_hash"] == read_at_start
    (diff,) = verify(run).differences
    assert diff.kind == "scenario" and "changed since the run" in diff.message
