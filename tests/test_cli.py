"""The ``vnsim`` command: run, validate, schema, data — in-process and as the installed script."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import xarray as xr
from vnsim import __version__
from vnsim.cli import main
from vnsim.spec.scenario import json_schema, load_scenario

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "scenarios"
BASE = FIXTURES / "base.yaml"
HEADLINE = FIXTURES / "headline.yaml"
VNSIM = shutil.which("vnsim", path=str(Path(sys.executable).parent)) or shutil.which("vnsim")


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """User data in a temporary folder; the SIGTERM handler main() installs is put back."""
    monkeypatch.setenv("VNSIM_DATA_HOME", str(tmp_path / "user-data"))
    monkeypatch.delenv("VNSIM_DEBUG", raising=False)
    handler = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, handler)


def vnsim(*args: str, cwd: Path = ROOT):
    """Run the installed ``vnsim`` script, with this test's user data folder (``isolated``)."""
    assert VNSIM, "the vnsim console script is not installed next to this Python"
    env = dict(os.environ)
    return subprocess.run(
        [VNSIM, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def market_numbers(head: dict) -> dict:
    return {k: v for k, v in head.items() if k != "run"}


# --- run ------------------------------------------------------------------------------------


def test_run_json_on_the_baseline_is_reproducible(tmp_path, monkeypatch, capsys):
    """Issue 2: `vnsim run --json` on the baseline; same seed, identical numbers twice."""
    proc = vnsim(
        "run",
        "--draws",
        "64",
        "--seed",
        "5",
        "--out",
        str(tmp_path / "r1"),
        "--json",
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    first = json.loads(proc.stdout)
    assert first["scenario"] == "baseline" and first["draws"] == 64 and first["seed"] == 5
    by_id = {t["id"]: t for t in first["targets"]}
    market = by_id["market_25bn_2025"]
    assert market["when"] == "2025" and market["unit"] == "USD bn"
    assert market["low"] <= market["median"] <= market["high"]
    assert 0 <= market["probability"] <= 1
    assert by_id["market_30bn_2025"]["probability"] <= market["probability"]
    assert Path(first["run"]) == tmp_path / "r1"

    monkeypatch.chdir(ROOT)
    code = main(
        [
            "run",
            "scenarios/baseline.yaml",
            "--draws",
            "64",
            "--seed",
            "5",
            "--out",
            str(tmp_path / "r2"),
            "--json",
        ]
    )
    assert code == 0
    second = json.loads(capsys.readouterr().out)
    assert market_numbers(second) == market_numbers(first)
    # and the numbers are those of the run folder
    with xr.open_dataset(tmp_path / "r1" / "ensemble.nc", engine="h5netcdf") as ds:
        m = ds.market_size.sel(year=2025)
        assert market["probability"] == pytest.approx(float((m >= 25).mean()))
        assert market["median"] == pytest.approx(float(m.median()))


def test_run_prints_a_human_summary(tmp_path):
    proc = vnsim(
        "run",
        str(BASE),
        "--draws",
        "32",
        "--out",
        str(tmp_path / "r"),
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "IT application market reaches at least USD 25 bn in 2025" in out
    assert "80 %:" in out and "P(met)" in out
    assert str(tmp_path / "r") in out


def test_run_starts_from_the_2024_edition_and_as_of_2022_from_the_2022_one(tmp_path, capsys):
    from vnsim.run.store import open_run

    assert main(["run", str(BASE), "--draws", "60", "--out", str(tmp_path / "now")]) == 0
    now = capsys.readouterr().out
    assert "latest survey edition 2024; conditioned on admin_fully_online 2024 = 0.458" in now
    assert "effective sample size" in now
    assert "missed (observed 71)" in now  # the 2025 top-50 target, judged on the 2024 edition
    argv = ["run", str(BASE), "--draws", "60", "--as-of", "2022", "--out", str(tmp_path / "then")]
    assert main(argv) == 0
    then = capsys.readouterr().out
    assert "data published by the end of 2022, latest survey edition 2022" in then
    assert "EGDI rank 2024 (VNM)" in then and "missed" not in then
    with open_run(tmp_path / "now") as ds:
        assert list(ds.edition.values) == [2024, 2026, 2028, 2030]
        assert (ds.egdi_rank.sel(country="VNM", edition=2024) == 71).all()
        share = ds.admin_fully_online.sel(year=2024)
        assert abs(float(share.median()) - 0.458) < 0.02
    with open_run(tmp_path / "then") as ds:
        assert list(ds.edition.values) == [2022, 2024, 2026, 2028, 2030]
        assert (ds.egdi_rank.sel(country="VNM", edition=2022) == 86).all()
        assert ds.attrs["as_of"] == "2022"
    with pytest.raises(SystemExit) as info:  # a usage error, before anything is read
        main(["run", str(BASE), "--as-of", "1850", "--out", str(tmp_path / "x")])
    assert info.value.code == 2 and not (tmp_path / "x").exists()


def test_human_summary_follows_redirected_stdout(tmp_path):
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert main(["run", str(BASE), "--draws", "16", "--out", str(tmp_path / "r")]) == 0
    assert "IT application market reaches at least USD 25 bn" in buffer.getvalue()


def test_different_seed_gives_different_numbers(tmp_path, capsys):
    heads = []
    for seed in ("1", "2"):
        assert (
            main(
                [
                    "run",
                    str(BASE),
                    "--draws",
                    "32",
                    "--seed",
                    seed,
                    "--json",
                    "--out",
                    str(tmp_path / seed),
                ]
            )
            == 0
        )
        heads.append(json.loads(capsys.readouterr().out)["targets"])
    assert heads[0] != heads[1]


def test_run_folder_contents(tmp_path, capsys):
    out = tmp_path / "run"
    assert (
        main(["run", str(BASE), "--draws", "40", "--seed", "9", "--out", str(out), "--quiet"]) == 0
    )
    assert capsys.readouterr().out == ""
    names = {p.name for p in out.iterdir()}
    assert {"ensemble.nc", "summary.csv", "manifest.json"} <= names

    with xr.open_dataset(out / "ensemble.nc", engine="h5netcdf") as ds:
        expected = {
            "market_size": (("draw", "year"), "USD bn"),
            "market_growth": (("draw", "year"), "share/yr"),
            "osi": (("draw", "edition", "country"), "index 0-1"),
            "egdi": (("draw", "edition", "country"), "index 0-1"),
            "egdi_rank": (("draw", "edition", "country"), "rank"),
            "asean_position": (("draw", "edition"), None),
            "dossiers_online": (("draw", "year", "level"), None),
            "admin_fully_online": (("draw", "year"), None),
            "lever_intensity": (("draw", "year", "lever"), "intensity"),
            "trigger_fired": (("draw", "lever"), None),
            "trigger_year": (("draw", "lever"), None),
            "inputs": (("draw", "input"), None),
        }
        for name, (dims, units) in expected.items():
            assert ds[name].dims == dims, name
            assert ds[name].attrs["description"], name
            if units:
                assert ds[name].attrs["units"] == units, name
        assert ds.sizes["draw"] == 40 and ds.sizes["country"] == 193
        assert ds.attrs["seed"] == 9 and ds.attrs["scenario"] == "test-base"

    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns) == [
        "variable",
        "unit",
        "time_kind",
        "time",
        "country",
        "level",
        "mean",
        "p05",
        "p10",
        "p25",
        "p50",
        "p75",
        "p90",
        "p95",
    ]
    assert {"market_size", "dossiers_online", "egdi_rank", "P(market_25bn_2025)"} <= set(
        summary.variable
    )

    manifest = json.loads((out / "manifest.json").read_text())
    scenario = load_scenario(BASE)
    assert manifest["scenario_hash"] == scenario.content_hash()
    assert len(manifest["scenario_file_hash"]) == 64
    assert (manifest["seed"], manifest["draws"]) == (9, 40)
    assert manifest["sampler"] == scenario.ensemble.sampler
    assert manifest["data_version"] and manifest["package_version"] == __version__
    assert manifest["python"] == ".".join(map(str, sys.version_info[:3]))
    import numpy as np

    assert manifest["numpy"] == np.__version__
    assert manifest["scenario_resolved"] == json.loads(json.dumps(scenario.model_dump(mode="json")))
    assert "git_commit" in manifest and "created" in manifest


def test_auto_executor_records_the_executor_that_ran(tmp_path, monkeypatch, capsys):
    """The default ``--executor auto`` is settled before the run: the provenance names the
    executor the chunks ran on, and the numbers are those of the other executors."""
    from vnsim.run import executors

    argv = ["run", str(BASE), "--draws", "300", "--seed", "9", "--quiet"]
    assert main([*argv, "--out", str(tmp_path / "small")]) == 0  # too few draws to fork
    monkeypatch.setattr(executors, "MIN_DRAWS_PER_WORKER", 100)
    monkeypatch.setattr(executors, "local_cpus", lambda: 2)
    monkeypatch.setattr(executors.sys, "platform", "linux")
    monkeypatch.setattr(executors.CpuMeter, "idle", lambda self: 1.0)  # one CPU free
    assert main([*argv, "--out", str(tmp_path / "forked")]) == 0
    assert main([*argv, "--out", str(tmp_path / "asked"), "--executor", "inprocess"]) == 0
    ran = {}
    for name in ("small", "forked", "asked"):
        with xr.open_dataset(tmp_path / name / "ensemble.nc", engine="h5netcdf") as ds:
            ran[name] = ds.load()
        manifest = json.loads((tmp_path / name / "manifest.json").read_text())
        assert manifest["executor"] == ran[name].attrs["executor"]
    assert [ran[n].attrs["executor"] for n in ran] == ["inprocess", "processes", "inprocess"]
    for name in ("forked", "asked"):
        assert ran[name].drop_attrs().identical(ran["small"].drop_attrs()), name


def test_out_refuses_an_existing_folder_unless_forced(tmp_path, capsys):
    out = tmp_path / "exists"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    code = main(["run", str(BASE), "--draws", "16", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert "already exists" in err and "--force" in err
    assert [p.name for p in out.iterdir()] == ["keep.txt"]

    # --force replaces only a finished run (or an empty folder), never a folder of other files
    code = main(["run", str(BASE), "--draws", "16", "--out", str(out), "--force", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "not a vnsim run folder" in err and "Traceback" not in err
    assert [p.name for p in out.iterdir()] == ["keep.txt"]

    (out / "keep.txt").unlink()
    for _ in range(2):  # an empty folder, then the finished run written into it
        assert (
            main(["run", str(BASE), "--draws", "16", "--out", str(out), "--force", "--quiet"]) == 0
        )
        assert (out / "ensemble.nc").exists() and (out / "COMPLETE").exists()
        assert sorted(p.name for p in tmp_path.iterdir()) == ["exists"]


def test_out_and_results_must_be_folders(tmp_path, capsys):
    plain = tmp_path / "plain.txt"
    plain.write_text("mine")
    code = main(["run", str(BASE), "--draws", "16", "--out", str(plain), "--force"])
    assert code == 2 and "not a vnsim run folder" in capsys.readouterr().err
    assert plain.read_text() == "mine"
    code = main(["run", str(BASE), "--draws", "16", "--results", str(plain)])
    err = capsys.readouterr().err
    assert code == 2 and "--results must be a folder (it is a file)" in err
    assert plain.read_text() == "mine"


def test_default_results_folder_is_per_scenario(tmp_path, capsys):
    root = tmp_path / "results"
    for _ in range(2):
        assert main(["run", str(BASE), "--draws", "16", "--results", str(root), "--quiet"]) == 0
    runs = sorted((root / "test-base").iterdir())
    assert len(runs) == 2 and all((r / "ensemble.nc").exists() for r in runs)
    # run ids carry the process id, so runs of other processes in the same second differ too
    assert all(f"-{os.getpid()}" in r.name for r in runs)


def test_headline_broken_file_exits_2_with_three_problems_and_writes_nothing(tmp_path, capsys):
    out, root = tmp_path / "out", tmp_path / "results"
    code = main(["run", str(HEADLINE), "--out", str(out), "--results", str(root)])
    captured = capsys.readouterr()
    assert code == 2
    assert "Traceback" not in captured.err
    assert captured.out == ""
    lines = [line for line in captured.err.splitlines() if "headline.yaml:" in line]
    assert len(lines) == 3, captured.err
    assert any("end_yaer" in line and "did you mean 'end_year'" in line for line in lines)
    assert any("must be below high bound" in line for line in lines)
    assert any("duplicate key" in line for line in lines)
    assert not out.exists() and not root.exists()
    assert not any(p.name != "user-data" for p in tmp_path.iterdir())


def test_headline_broken_file_as_a_real_command(tmp_path):
    out = tmp_path / "out"
    proc = vnsim("run", str(HEADLINE), "--out", str(out))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "3 problems found" in proc.stderr
    for needle in ("end_yaer", "must be below high bound", "duplicate key"):
        assert needle in proc.stderr
    assert not out.exists()


def test_missing_scenario_file(tmp_path, capsys):
    code = main(["run", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "no such scenario file" in err and "Traceback" not in err


def test_planner_number_errors_are_caught_before_running(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(BASE.read_text().replace("growth: market_growth", "growth: -1.5"))
    code = main(["run", str(bad), "--draws", "8", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "bad.yaml:" in err and "market.growth" in err and "above -1" in err
    assert not (tmp_path / "o").exists()


def test_model_errors_during_a_run_give_no_traceback_and_no_folder(tmp_path, capsys):
    """A draw outside the model's domain (growth below -100 % from a wide normal) is refused."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(BASE.read_text().replace("mean: 0.16", "mean: -1.5"))
    code = main(["run", str(bad), "--draws", "8", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "growth" in err
    assert not (tmp_path / "o").exists()
    assert not any(p.name.startswith(".o") for p in tmp_path.iterdir())


# --- validate, schema, data -----------------------------------------------------------------


def test_validate_good_and_bad_files(capsys):
    assert main(["validate", str(BASE), str(ROOT / "scenarios" / "baseline.yaml")]) == 0
    out = capsys.readouterr().out
    assert out.count(": ok") == 2

    code = main(["validate", str(BASE), str(HEADLINE), str(FIXTURES / "wrong_unit.yaml")])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out.count(": ok") == 1
    assert "3 problems found" in captured.err and "wrong unit" in captured.err
    assert "Traceback" not in captured.err


def test_validate_as_a_real_command(tmp_path):
    proc = vnsim("validate", str(FIXTURES / "reversed_range.yaml"))
    assert proc.returncode == 2
    assert "reversed_range.yaml:" in proc.stderr and "Traceback" not in proc.stderr


def test_schema_prints_the_json_schema(capsys):
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == json_schema()


def test_data_list_shows_the_packaged_editions(capsys):
    assert main(["data", "list"]) == 0
    out = capsys.readouterr().out
    for edition in ("2003", "2010", "2022"):
        assert edition in out
    assert "packaged" in out


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["run", "--draws", "many"])
    assert info.value.code == 2


# --- analysis commands on run folders ----------------------------------------------------------


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    for seed in ("1", "2"):
        assert (
            main(
                [
                    "run",
                    str(BASE),
                    "--draws",
                    "48",
                    "--seed",
                    seed,
                    "--quiet",
                    "--out",
                    str(root / seed),
                ]
            )
            == 0
        )
    return root / "1", root / "2"


def test_targets_scorecard_covers_every_target(two_runs, capsys):
    from vnsim.spec.targets import load_targets

    assert main(["targets", *map(str, two_runs), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    ids = load_targets().ids
    assert len(rows) == 2 * len(ids)
    assert {r["target"] for r in rows} == set(ids)
    assert {r["scenario"] for r in rows} == {"test-base", "test-base (2)"}
    assert main(["targets", str(two_runs[0]), "--lang", "vi"]) == 0
    table = capsys.readouterr().out
    assert "Xác suất đạt" in table and "Thị trường" in table
    assert main(["targets", str(two_runs[0]), "--targets", "no_such_set"]) == 2
    assert "no target set 'no_such_set'" in capsys.readouterr().err


def test_targets_refuses_a_folder_that_is_not_a_run(tmp_path, capsys):
    assert main(["targets", str(tmp_path)]) == 2
    assert "not a vnsim run folder" in capsys.readouterr().err


def test_charts_writes_each_format(two_runs, tmp_path, capsys):
    out = tmp_path / "charts"
    assert (
        main(["charts", str(two_runs[0]), "--format", "png,svg", "--out", str(out), "--lang", "vi"])
        == 0
    )
    written = [Path(line) for line in capsys.readouterr().out.split()]
    assert written and all(p.is_file() and p.stat().st_size > 0 for p in written)
    assert {p.suffix for p in written} == {".png", ".svg"}
    assert main(["charts", str(two_runs[0]), "--format", "gif"]) == 2


def test_what_it_takes_returns_a_value_that_meets_the_probability(tmp_path, capsys):
    from vnsim.analysis.scorecard import attainment
    from vnsim.run.simulate import simulate
    from vnsim.spec.targets import load_targets

    assert (
        main(
            [
                "what-it-takes",
                str(BASE),
                "--target",
                "market_25bn_2025",
                "--lever",
                "skills",
                "--probability",
                "0.3",
                "--draws",
                "64",
                "--json",
            ]
        )
        == 0
    )
    found = json.loads(capsys.readouterr().out)
    assert found["value"] is not None and found["achieved"] >= 0.3
    scenario = load_scenario(BASE)
    target = load_targets()["market_25bn_2025"]
    ds = simulate(scenario, 64, lever_scale={"skills": found["value"]})
    assert attainment(ds, target) >= 0.3
    ds = simulate(scenario, 64, lever_scale={"skills": found["below"]})
    assert attainment(ds, target) < 0.3
    assert (
        main(["what-it-takes", str(BASE), "--target", "market_25bn_2025", "--lever", "skils"]) == 2
    )
    assert "did you mean 'skills'" in capsys.readouterr().err


def test_backtest_command_writes_scores_and_a_chart(tmp_path, capsys, monkeypatch):
    from vnsim.analysis import backtest

    small = backtest.run_backtest
    # the command's full backtest takes half a minute; the same code path on one origin
    monkeypatch.setattr(
        backtest,
        "run_backtest",
        lambda surveys, origins, draws, seed: small(surveys, origins, (1,), draws, seed),
    )
    argv = ["backtest", "--origins", "2018", "--draws", "40", "--json", "--out", str(tmp_path)]
    assert main(argv) == 0
    printed = json.loads(capsys.readouterr().out)
    assert (printed["draws"], printed["origins"]) == (40, [2018])
    assert main(["backtest", "--origins", "2019", "--draws", "5"]) == 2  # not an edition
    assert "not survey editions" in capsys.readouterr().err
    table = pd.read_csv(tmp_path / "backtest_scores.csv")
    assert set(table["method"]) == set(backtest.METHODS)
    # what is printed is what is written
    summary = pd.read_csv(tmp_path / "backtest_summary.csv")
    assert len(printed["summary"]) == len(summary)
    assert {r["method"] for r in printed["summary"]} == set(table["method"])
    assert (tmp_path / "backtest.png").stat().st_size > 0


def test_sensitivity_command_prints_sobol_indices(tmp_path, capsys):
    out = tmp_path / "sobol.csv"
    assert main(["sensitivity", str(BASE), "--n", "16", "--json", "--out", str(out)]) == 0
    rows = json.loads(capsys.readouterr().out)
    table = pd.read_csv(out)
    assert len(rows) == len(table) > 0
    assert {"output", "input", "S1", "ST"} <= set(table.columns)
    assert {"market_base", "market_growth"} <= set(table["input"])


# --- one module per command ---------------------------------------------------------------------


def test_every_command_module_is_registered_once():
    from vnsim import cli

    folder = Path(cli.__file__).parent
    modules = {p.stem for p in folder.glob("*.py")} - {"__init__", "__main__", "inputs"}
    assert {m.__name__.rsplit(".", 1)[1] for m in cli.COMMANDS} == modules
    assert len(cli.COMMANDS) == len(modules)
    sub = next(a for a in cli.build_parser()._actions if a.dest == "command")
    names = {m.replace("-", "_") for m in sub.choices}
    assert names == modules  # what-it-takes is what_it_takes.py


def test_python_dash_m_runs_the_same_command(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "vnsim.cli", "schema"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == json_schema()


def test_bad_numbers_on_the_command_line_exit_2(tmp_path, capsys):
    assert main(["run", str(BASE), "--draws", "0", "--out", str(tmp_path / "o")]) == 2
    assert "--draws must be between 1 and" in capsys.readouterr().err
    assert main(["run", str(BASE), "--chunk-size", "0", "--out", str(tmp_path / "o")]) == 2
    assert "--chunk-size must be at least 1" in capsys.readouterr().err
    assert main(["run", str(BASE), "--workers", "0", "--out", str(tmp_path / "o")]) == 2
    assert "--workers must be at least 1" in capsys.readouterr().err
    assert main(["verify", str(tmp_path), "--chunk-size", "0"]) == 2
    assert "--chunk-size must be at least 1" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--seed", "-1"], "argument --seed: must be 0 or more (got -1)"),
        (["what-it-takes", "--target", "t", "--lever", "l", "--probability", "1.5"], "at most 1"),
        (["what-it-takes", "--target", "t", "--lever", "l", "--probability", "nan"], "at most 1"),
        (["what-it-takes", "--target", "t", "--lever", "l", "--draws", "0"], "at least 1"),
        (["sensitivity", "--n", "100"], "argument --n: must be a power of 2"),
        (["backtest", "--draws", "0"], "argument --draws: must be at least 1 (got 0)"),
        (["backtest", "--seed", "x"], "expected a whole number, got 'x'"),
        (["verify", "run", "--draws-limit", "0"], "argument --draws-limit: must be at least 1"),
    ],
)
def test_numbers_no_command_can_use_are_usage_errors(capsys, argv, message):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "internal error" not in err
