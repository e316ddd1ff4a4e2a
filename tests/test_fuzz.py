"""Hostile and random inputs: every scenario file and UN CSV export ends in a valid load or a clean,
located error — never another exception, never unbounded time — and files are data, never code.

Example counts: about 1,300 examples in the normal suite (validation only, plus a handful of
valid mutants that are simulated with 16 draws). A long campaign scales every count:

    VNSIM_FUZZ_EXAMPLES=20000 pytest tests/test_fuzz.py

(the number is the total over all property tests; campaigns draw fresh random examples, the
normal suite is derandomized so CI is deterministic).
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vnsim import cli, datasets
from vnsim.blocks import VARIABLES, endings
from vnsim.datasets import DataError, read_un_csv
from vnsim.spec.documents import MAX_DEPTH, DocumentError, read_yaml
from vnsim.spec.scenario import Scenario, load_scenario
from vnsim.spec.targets import load_targets

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
UN_CSV = Path(__file__).parent / "fixtures" / "data" / "EGOV_DATA_2024.csv"

#: Total examples over all property tests; ``VNSIM_FUZZ_EXAMPLES`` raises it for a campaign.
DEFAULT_TOTAL = 1150
CAMPAIGN = int(os.environ.get("VNSIM_FUZZ_EXAMPLES", "0") or 0)
TOTAL = CAMPAIGN or DEFAULT_TOTAL


#: Examples handed out by :func:`fuzz`, one entry per property test.
BUDGET: list[int] = []


def fuzz(share: float) -> settings:
    """Hypothesis settings for a test that takes ``share`` of the example budget.

    No deadline: time per example depends on the machine's load (xdist workers share it);
    hostile inputs are bounded by what they must not do (expand, recurse), checked directly.
    """
    BUDGET.append(max(5, round(share * TOTAL)))
    return settings(
        max_examples=BUDGET[-1],
        deadline=None,
        derandomize=not CAMPAIGN,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
            HealthCheck.filter_too_much,
        ],
    )


BASE: dict[str, Any] = read_yaml(BASELINE)[0]
BASE_CSV: bytes = UN_CSV.read_bytes()


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A scenarios folder for mutants (one file rewritten per example)."""
    return tmp_path_factory.mktemp("fuzz")


# --- checking an outcome ---------------------------------------------------------------------


def check_report(exc: DocumentError, path: Path, *, parsed: bool) -> None:
    """A clean error: problems listed, each naming its file, and its line once the file parsed."""
    assert exc.problems, "a DocumentError must list at least one problem"
    report = exc.report()
    assert "Traceback" not in report
    for p in exc.problems:
        assert p.file, p
        assert p.message.strip(), p
        assert str(p).startswith(p.file)
        if parsed:
            # a document that parsed has a line for every location (or its nearest parent)
            assert p.line is not None and p.line >= 1, p
            assert f"{p.file}:{p.line}" in report


def outcome(path: Path, *, parsed: bool) -> Scenario | DocumentError:
    """Load ``path``; return the scenario or the (checked) clean error. Anything else escapes."""
    try:
        return load_scenario(path)
    except DocumentError as exc:
        check_report(exc, path, parsed=parsed)
        return exc


def write_yaml(data: Any, path: Path) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


# --- mutating the parsed baseline -------------------------------------------------------------

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
HOSTILE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1e308, -1e308, 5e-324, 2**63, 2**64, 10**30, 0.5, 2022, 1e6]),
    TEXT,
    st.sampled_from(
        [
            "",
            " ",
            "NaN",
            "inf",
            "1e999",
            "0x1F",
            "80%",
            "USD bn",
            "share",
            "lhs",
            "__import__('os').system('true')",
            "{{ 1 + 1 }}",
            "${HOME}",
            "../etc",
            "market_growth",
            "market_base_2022",
            "egov.osi",
            "VNM",
            "2030",
        ]
    ),
    st.lists(st.integers(-5, 3000), max_size=3),
    st.dictionaries(TEXT, st.integers(), max_size=3),
)
OPS = ("replace", "delete", "misspell", "unknown", "reverse", "drop_section", "scale", "wrap")


def paths(tree: Any, loc: tuple = ()) -> list[tuple]:
    """Every location in a parsed document (mapping keys and list positions)."""
    out = [loc] if loc else []
    if isinstance(tree, dict):
        for k, v in tree.items():
            out += paths(v, (*loc, k))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            out += paths(v, (*loc, i))
    return out


def parent_of(tree: Any, loc: tuple) -> Any:
    for part in loc[:-1]:
        tree = tree[part]
    return tree


def misspell(word: str, draw) -> str:
    if not word:
        return "x"
    i = draw(st.integers(0, len(word) - 1))
    kind = draw(st.sampled_from(["drop", "swap", "double", "case", "char"]))
    if kind == "drop" and len(word) > 1:
        return word[:i] + word[i + 1 :]
    if kind == "swap" and i + 1 < len(word):
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    if kind == "case":
        return word.swapcase()
    return word[:i] + draw(st.sampled_from("xz-_ .9é")) + word[i + 1 :]


@st.composite
def mutants(draw, max_ops: int = 4, base: dict | None = None) -> tuple[dict, list[str]]:
    """The baseline (or ``base``) with 1-``max_ops`` random mutations; returns it and the ops
    applied."""
    data = copy.deepcopy(BASE if base is None else base)
    done = []
    for _ in range(draw(st.integers(1, max_ops))):
        locs = paths(data)
        if not locs:
            break
        loc = draw(st.sampled_from(locs))
        op = draw(st.sampled_from(OPS))
        parent = parent_of(data, loc)
        key = loc[-1]
        if op == "replace":
            parent[key] = draw(HOSTILE)
        elif op == "delete":
            del parent[key]
        elif op == "misspell" and isinstance(parent, dict) and isinstance(key, str):
            new = misspell(key, draw)
            if new not in parent:
                parent[new] = parent.pop(key)
        elif op == "unknown":
            target = parent[key] if isinstance(parent[key], dict) else parent
            if isinstance(target, dict):
                target[draw(TEXT) or "extra"] = draw(HOSTILE)
        elif op == "reverse":
            # reversed ranges: low/high, base_year/end_year, the dates of a schedule
            for a, b in (("low", "high"), ("base_year", "end_year"), ("start", "end")):
                if isinstance(parent, dict) and a in parent and b in parent:
                    parent[a], parent[b] = parent[b], parent[a]
        elif op == "drop_section":
            data.pop(loc[0], None)
        elif op == "scale":
            value = parent[key]
            if isinstance(value, int | float) and not isinstance(value, bool):
                factor = draw(st.sampled_from([-1, 0, 1e6, 1e300, -1e-9, 100, 10**20]))
                parent[key] = value * factor
        elif op == "wrap":
            parent[key] = draw(
                st.sampled_from([[parent[key]], {"value": parent[key]}, str(parent[key])])
            )
        done.append(f"{op} {loc}")
    return data, done


@pytest.mark.slow
@fuzz(0.3)
@given(mutants())
def test_mutated_baseline_loads_or_fails_cleanly(folder, mutant):
    data, _ = mutant
    result = outcome(write_yaml(data, folder / "mutant.yaml"), parsed=True)
    if isinstance(result, DocumentError):
        # the problems name fields, not only files
        assert any(p.field or "." in p.message for p in result.problems)


@pytest.mark.slow
@fuzz(0.05)
@given(mutants(max_ops=2))
def test_mutants_through_the_cli_exit_0_or_2_without_traceback(folder, capsys, mutant):
    path = write_yaml(mutant[0], folder / "cli_mutant.yaml")
    code = cli.main(["validate", str(path)])
    out, err = capsys.readouterr()
    assert code in (0, 2)
    assert "Traceback" not in err and "internal error" not in err
    if code == 2:
        assert f"{path}:" in err and "problem" in err
    else:
        assert out.strip() == f"{path}: ok"


@pytest.mark.slow
@fuzz(0.02)
@given(mutants(max_ops=2))
def test_invalid_mutants_are_refused_by_vnsim_run_before_any_work(folder, capsys, mutant):
    path = write_yaml(mutant[0], folder / "run_mutant.yaml")
    if not isinstance(outcome(path, parsed=True), DocumentError):
        return  # valid mutants are run in test_valid_mutants_simulate
    out_dir = folder / "never"
    code = cli.main(["run", str(path), "--draws", "16", "--out", str(out_dir), "--quiet"])
    _, err = capsys.readouterr()
    assert code == 2
    assert "Traceback" not in err and f"{path}:" in err
    assert not out_dir.exists()


@pytest.mark.slow
@fuzz(0.01)
@given(mutants(max_ops=2))
def test_mutants_that_validate_also_run(folder, capsys, mutant):
    """`vnsim validate` is the same check as `vnsim run`: a file it accepts runs (4 draws)."""
    path = write_yaml(mutant[0], folder / "validate_then_run.yaml")
    if cli.main(["validate", str(path)]) != 0:
        capsys.readouterr()
        return
    out_dir = folder / "validated"
    shutil.rmtree(out_dir, ignore_errors=True)
    code = cli.main(["run", str(path), "--draws", "4", "--out", str(out_dir), "--quiet"])
    _, err = capsys.readouterr()
    assert code == 0, f"validate said ok, run said: {err} (mutations {mutant[1]})"
    shutil.rmtree(out_dir)


TARGETS = Path(__file__).resolve().parent.parent / "scenarios" / "targets"
TARGET_BASE: dict[str, Any] = read_yaml(TARGETS / "decision_942_2025.yaml")[0]


@pytest.fixture(scope="module")
def small_run(tmp_path_factory) -> Path:
    """A 16-draw run of the test scenario, to score mutated target files against."""
    folder = tmp_path_factory.mktemp("targets_run")
    out = folder / "run"
    scenario = Path(__file__).parent / "fixtures" / "scenarios" / "base.yaml"
    assert cli.main(["run", str(scenario), "--draws", "16", "--out", str(out), "--quiet"]) == 0
    return out


@pytest.mark.slow
@fuzz(0.05)
@given(mutants(base=TARGET_BASE))
def test_mutated_target_files_load_or_fail_cleanly(folder, mutant):
    path = write_yaml(mutant[0], folder / "targets_mutant.yaml")
    try:
        load_targets(path)
    except DocumentError as exc:
        check_report(exc, path, parsed=True)


@pytest.mark.slow
@fuzz(0.02)
@given(mutants(max_ops=2, base=TARGET_BASE))
def test_mutated_target_files_through_the_cli_exit_0_or_2(folder, small_run, capsys, mutant):
    path = write_yaml(mutant[0], folder / "targets_cli_mutant.yaml")
    code = cli.main(["targets", str(small_run), "--targets", str(path)])
    _, err = capsys.readouterr()
    assert code in (0, 2), (err, mutant[1])
    assert "Traceback" not in err and "internal error" not in err, (err, mutant[1])


#: Files that once validated but failed in the engine. The gaps still open need checks
#: outside the command line: plausible lever sizes (spec/levers.py) and editions after the
#: data's last edition (blocks/egov.py ``horizon_problems``).
VALIDATE_THEN_RUN = {
    "nul_in_title": 'name: nulbyte\ntitle: "a\\0b"\n',
    "tab_in_title": 'name: tab\ntitle: "a\\tb"\n',
    "huge_effect": pytest.param(
        "name: huge\nlevers:\n  skills:\n    source: x\n    schedule: {2023: 1.0}\n"
        "    effects: [{target: market.growth, size: 1.0e+308, lag: 0}]\n",
    ),
    "editions_before_the_data": "name: early\negov: {editions: [2010, 2012]}\n",
}


@pytest.mark.parametrize("text", VALIDATE_THEN_RUN.values(), ids=list(VALIDATE_THEN_RUN))
def test_known_cases_fail_in_validate_or_run(tmp_path, capsys, text):
    shutil.copy(Path(__file__).parent / "fixtures" / "scenarios" / "base.yaml", tmp_path)
    path = tmp_path / "case.yaml"
    path.write_text("extends: base.yaml\n" + text, encoding="utf-8")
    valid = cli.main(["validate", str(path)])
    code = cli.main(["run", str(path), "--draws", "4", "--out", str(tmp_path / "o"), "--quiet"])
    err = capsys.readouterr().err
    assert "internal error" not in err
    assert code == (0 if valid == 0 else 2), err


NUMERIC_UNCERTAIN = [
    loc
    for loc in paths(BASE)
    if loc[0] == "uncertain" and len(loc) == 3 and loc[2] in ("low", "high", "mode", "mean", "sd")
]


@pytest.mark.slow
@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(
    st.lists(
        st.tuples(st.sampled_from(NUMERIC_UNCERTAIN), st.floats(0.5, 1.5)), min_size=1, max_size=4
    ),
    st.integers(0, 2**32),
)
def test_valid_mutants_simulate(folder, changes, seed):
    """Mutants that validate also run: 16 draws give finite, in-range results."""
    from vnsim.run.simulate import simulate

    data = copy.deepcopy(BASE)
    for loc, factor in changes:
        parent = parent_of(data, loc)
        parent[loc[-1]] = parent[loc[-1]] * factor
    result = outcome(write_yaml(data, folder / "valid.yaml"), parsed=True)
    if isinstance(result, DocumentError):
        return
    ds = simulate(result, draws=16, seed=seed)
    assert np.isfinite(ds.market_size).all() and (ds.market_size > 0).all()
    for name in ("admin_fully_online", "dossiers_online"):
        # NaN exactly where the scenario ends a series (the district level after 2025)
        v = VARIABLES[name]
        ended = v.undefined({d: ds[d].values for d in v.dims}, endings(result))
        values = ds[name].values
        assert np.array_equal(np.isnan(values), np.broadcast_to(ended, values.shape))
        assert np.all((values >= 0) & (values <= 1) | ended)
    ranks = ds.egdi_rank.values
    assert ranks.min() >= 1 and ranks.max() <= ds.sizes["country"]


# --- mutating the file's bytes ----------------------------------------------------------------

BASE_TEXT = BASELINE.read_bytes()


@st.composite
def byte_mutants(draw) -> bytes:
    """Baseline bytes with lines deleted, duplicated (duplicate keys), re-indented, truncated,
    or random bytes (non-UTF-8, tabs, YAML sigils) inserted."""
    lines = BASE_TEXT.split(b"\n")
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(
            st.sampled_from(
                ["delete", "duplicate", "indent", "dedent", "insert", "sigil", "truncate"]
            )
        )
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "indent":
            lines[i] = b"  " + lines[i]
        elif op == "dedent":
            lines[i] = lines[i].lstrip()
        elif op == "insert":
            at = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:at] + draw(st.binary(min_size=1, max_size=8)) + lines[i][at:]
        elif op == "sigil":
            at = draw(st.integers(0, len(lines[i])))
            sigil = draw(
                st.sampled_from(
                    [
                        b"&a ",
                        b"*a",
                        b"<<: ",
                        b"!!python/name:os.system ",
                        b"!x ",
                        b"\t",
                        b"[",
                        b"{",
                        b"'",
                        b'"',
                        b"? ",
                        b"%",
                        b"---\n",
                        b"...\n",
                        b": ",
                        b"- ",
                        b"\xff\xfe",
                    ]
                )
            )
            lines[i] = lines[i][:at] + sigil + lines[i][at:]
        else:
            lines = lines[: i + 1]
    return b"\n".join(lines)


@pytest.mark.slow
@fuzz(0.18)
@given(byte_mutants())
def test_byte_mutants_load_or_fail_cleanly(folder, raw):
    path = folder / "bytes.yaml"
    path.write_bytes(raw)
    outcome(path, parsed=False)


@fuzz(0.08)
@given(st.one_of(st.binary(max_size=2000), st.binary(max_size=200).map(lambda b: b"name: x\n" + b)))
def test_garbage_bytes_fail_cleanly(folder, raw):
    path = folder / "garbage.yaml"
    path.write_bytes(raw)
    result = outcome(path, parsed=False)
    assert isinstance(result, DocumentError)  # garbage is never a valid scenario


# --- hostile YAML structure -------------------------------------------------------------------


def billion_laughs(levels: int, width: int) -> str:
    lines = ["name: bomb", 'l0: &l0 "lol"']
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


@fuzz(0.04)
@given(st.integers(2, 12), st.integers(2, 12))
def test_alias_bombs_are_refused_before_expansion(folder, levels, width):
    """An expansion bomb (width**levels strings) is refused at its first anchor, while the
    parser's events are read: before a node tree (where aliases would expand) is ever built.
    Anchors, aliases and merge keys are not allowed at all."""
    path = folder / "bomb.yaml"
    path.write_text(billion_laughs(levels, width))
    with mock.patch.object(yaml, "compose", side_effect=AssertionError("composed a bomb")):
        result = outcome(path, parsed=False)
    assert isinstance(result, DocumentError)
    assert "anchors and aliases" in result.report()


@pytest.mark.parametrize(
    "text",
    [
        "base: &b {name: x}\nother:\n  <<: *b\n",
        "name: &n x\nalso: *n\n",
    ],
)
def test_anchors_and_merge_keys_are_refused(folder, text):
    path = folder / "anchor.yaml"
    path.write_text(text)
    assert "anchors and aliases" in outcome(path, parsed=False).report()


@fuzz(0.05)
@given(st.integers(1, 3000), st.sampled_from(["flow_list", "flow_map", "block_map", "block_list"]))
def test_deep_nesting_is_refused_or_loaded(folder, depth, kind):
    if kind == "flow_list":
        body = "a: " + "[" * depth + "1" + "]" * depth
    elif kind == "flow_map":
        body = "a: " + "{a: " * depth + "1" + "}" * depth
    elif kind == "block_map":
        body = "\n".join("  " * i + "a:" for i in range(min(depth, 400))) + " 1"
    else:
        body = "a:\n" + "\n".join("  " * (i + 1) + "-" for i in range(min(depth, 400))) + " 1"
    path = folder / "deep.yaml"
    path.write_text(body + "\n")
    result = outcome(path, parsed=False)
    assert isinstance(result, DocumentError)  # not a scenario either way
    if depth > MAX_DEPTH + 1:
        assert "nested too deeply" in result.report() or "not valid YAML" in result.report()


@pytest.mark.parametrize(
    "text,expect",
    [
        ("name: x\n" + "a" * 1_000_001 + ": 1\n", "bytes"),
        ("a: " + "[" * 400_000 + "]" * 400_000 + "\n", "nested too deeply"),
    ],
)
def test_very_large_documents_are_refused(folder, text, expect):
    path = folder / "large.yaml"
    path.write_text(text)
    result = outcome(path, parsed=False)
    assert isinstance(result, DocumentError) and expect in result.report()


def test_duplicate_keys_are_reported_with_both_lines(folder):
    text = BASELINE.read_text(encoding="utf-8").replace(
        "  end_year: 2030", "  end_year: 2030\n  end_year: 2040", 1
    )
    path = folder / "dup.yaml"
    path.write_text(text, encoding="utf-8")
    result = outcome(path, parsed=True)
    assert isinstance(result, DocumentError)
    (problem,) = [p for p in result.problems if "duplicate key" in p.message]
    assert problem.field == "horizon.end_year" and "first given at line" in problem.message


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\n",
        "# only a comment\n",
        "---\n",
        "null\n",
        "- a\n- b\n",
        "just text\n",
        "42\n",
        "\ufeff",
    ],
)
def test_empty_and_non_mapping_files_fail_cleanly(folder, text):
    path = folder / "empty.yaml"
    path.write_text(text, encoding="utf-8")
    assert isinstance(outcome(path, parsed=False), DocumentError)


def test_non_utf8_file_names_the_line(folder):
    raw = BASE_TEXT.replace(b"title:", b"title: \xe9t\xe9", 1)
    path = folder / "latin1.yaml"
    path.write_bytes(raw)
    result = outcome(path, parsed=False)
    line = BASE_TEXT[: BASE_TEXT.index(b"title:")].count(b"\n") + 1
    assert "UTF-8" in result.report() and result.problems[0].line == line


# --- safety: data, never code -----------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        "name: !!python/object/apply:os.system ['touch {marker}']\n",
        "!!python/object/apply:os.system ['touch {marker}']: 1\n",
        "name: x\nhorizon: !!python/object/apply:os.system {{args: ['touch {marker}']}}\n",
        "name: !!python/object/new:subprocess.check_output [['touch', '{marker}']]\n",
        "name: !!python/name:os.system\n",
        "name: x\nl: !!set {{a, b}}\n",
        "name: x\nb: !!binary aGVsbG8=\n",
        "name: !custom x\n",
    ],
)
def test_code_tags_are_refused_without_running_anything(folder, payload):
    marker = folder / "pwned"
    path = folder / "tag.yaml"
    path.write_text(payload.format(marker=marker))
    result = outcome(path, parsed=False)
    assert isinstance(result, DocumentError)
    assert "tag" in result.report()
    assert not marker.exists()


def test_target_files_are_data_only_too(folder):
    marker = folder / "pwned_targets"
    path = folder / "targets.yaml"
    path.write_text(f"targets: !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(DocumentError, match="tag"):
        load_targets(path)
    assert not marker.exists()


@pytest.mark.parametrize(
    "value",
    [
        "__import__('os').system('true')",
        "1 + 1",
        "{{ 2 * 3 }}",
        "${HOME}",
        "`id`",
        "$(id)",
        "lambda: 0",
    ],
)
def test_expressions_are_never_evaluated(folder, value):
    """A number field given an expression is an error naming the field, not a computed value."""
    data = copy.deepcopy(BASE)
    data["market"]["persistence"] = value
    result = outcome(write_yaml(data, folder / "expr.yaml"), parsed=True)
    assert isinstance(result, DocumentError)
    assert any(p.field == "market.persistence" for p in result.problems)


@pytest.mark.parametrize(
    "name",
    [
        "../../etc",
        "a/b",
        "..",
        ".",
        "/etc/passwd",
        "a\\b",
        "",
        "x" * 65,
        "-lead",
        "a b",
        "a\nb",
        "C:\\x",
        "~root",
        "é",
    ],
)
def test_scenario_names_cannot_escape_the_results_folder(folder, name):
    data = copy.deepcopy(BASE)
    data["name"] = name
    result = outcome(write_yaml(data, folder / "name.yaml"), parsed=True)
    assert isinstance(result, DocumentError)
    assert any(p.field == "name" for p in result.problems)


def test_cli_run_folder_stays_under_results_root(folder, capsys):
    """Even a valid name is only ever a single folder level under --results."""
    from vnsim.cli.run import run_folder

    root = folder / "results"
    for name in ["baseline", "a-b_c", "x" * 64]:
        out = run_folder(name, None, root).resolve()
        assert out.is_relative_to(root.resolve()) and out.parent.name == name


def _extends(folder: Path, name: str, parent: str, extra: str = "") -> Path:
    path = folder / name
    path.write_text(f"extends: {parent}\nname: child\n{extra}")
    return path


def test_extends_cycles_are_reported(tmp_path):
    (tmp_path / "a.yaml").write_text("extends: b.yaml\nname: a\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\nname: b\n")
    (tmp_path / "self.yaml").write_text("extends: self.yaml\nname: s\n")
    for f in ("a.yaml", "self.yaml"):
        with pytest.raises(DocumentError, match="extends cycle"):
            load_scenario(tmp_path / f)


def test_extends_chain_depth_is_bounded(tmp_path):
    for i in range(15):
        (tmp_path / f"s{i}.yaml").write_text(f"extends: s{i + 1}.yaml\nname: s{i}\n")
    (tmp_path / "s15.yaml").write_text("name: last\n")
    with pytest.raises(DocumentError, match="levels of extends"):
        load_scenario(tmp_path / "s0.yaml")


def test_extends_cannot_leave_the_scenarios_folder(tmp_path):
    inside = tmp_path / "scenarios"
    inside.mkdir()
    secret = tmp_path / "secret.yaml"
    secret.write_text(BASELINE.read_text(encoding="utf-8"), encoding="utf-8")
    (inside / "sub").mkdir()
    (inside / "link.yaml").symlink_to(secret)
    (inside / "sub_link").symlink_to(tmp_path)
    cases = [
        "../secret.yaml",
        str(secret),
        "/etc/passwd",
        "sub/../../secret.yaml",
        "link.yaml",
        "sub_link/secret.yaml",
        "~/secret.yaml",
        "sub/../../../../../../etc/hostname",
    ]
    for parent in cases:
        path = _extends(inside, "child.yaml", repr(parent))
        with pytest.raises(DocumentError) as err:
            load_scenario(path)
        (problem,) = err.value.problems
        assert problem.field == "extends" and problem.line == 1, parent
        assert "outside the scenario folder" in problem.message or "no file" in problem.message


@pytest.mark.parametrize(
    "parent", ["[a.yaml]", "{a: 1}", "3", "''", "null", "'   '", "'\\0'", "'a' "]
)
def test_extends_of_the_wrong_type_fails_cleanly(tmp_path, parent):
    path = _extends(tmp_path, "child.yaml", parent)
    result = outcome(path, parsed=False)
    assert isinstance(result, DocumentError)


@fuzz(0.03)
@given(TEXT)
def test_random_extends_values_never_read_outside(folder, parent):
    path = folder / "rand_extends.yaml"
    path.write_text(yaml.safe_dump({"extends": parent, "name": "child"}), encoding="utf-8")
    result = outcome(path, parsed=False)
    assert isinstance(result, DocumentError)  # no sibling file has such a name: never valid


# --- the UN CSV import ------------------------------------------------------------------------

CSV_HEADER, *CSV_ROWS = BASE_CSV.decode("utf-8-sig").splitlines()
CSV_COLUMNS = [c.strip() for c in CSV_HEADER.split(",")]
CELL = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "n/a",
            "-",
            "NaN",
            "inf",
            "-0.5",
            "1.5",
            "1e9",
            "0x10",
            "0,5",
            "1 000",
            "abc",
            "Viet Nam",
            "Netherlands",
            "\u00a0",
            "2024",
            "2023",
            "999999999999999999999",
            "-1",
            "0",
        ]
    ),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.integers(-(10**6), 10**6).map(str),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=8),
)


@st.composite
def csv_mutants(draw) -> bytes:
    """The 2024 fixture with rows/columns/cells/bytes mutated."""
    header = list(CSV_COLUMNS)
    rows = [r.split(",") for r in CSV_ROWS]
    for _ in range(draw(st.integers(1, 4))):
        op = draw(
            st.sampled_from(
                [
                    "cell",
                    "drop_column",
                    "rename_column",
                    "duplicate_row",
                    "drop_rows",
                    "swap_columns",
                    "bytes",
                    "truncate",
                    "quote",
                ]
            )
        )
        if op == "cell" and rows:
            r, c = draw(st.integers(0, len(rows) - 1)), draw(st.integers(0, len(header) - 1))
            if c < len(rows[r]):
                rows[r][c] = draw(CELL).replace(",", ";").replace("\n", " ")
        elif op == "drop_column" and header:
            c = draw(st.integers(0, len(header) - 1))
            header.pop(c)
            for row in rows:
                if c < len(row):
                    row.pop(c)
        elif op == "rename_column" and header:
            c = draw(st.integers(0, len(header) - 1))
            header[c] = misspell(header[c], draw)
        elif op == "duplicate_row" and rows:
            r = draw(st.integers(0, len(rows) - 1))
            rows.insert(draw(st.integers(0, len(rows))), list(rows[r]))
        elif op == "drop_rows" and rows:
            a = draw(st.integers(0, len(rows) - 1))
            del rows[a : a + draw(st.integers(1, len(rows)))]
        elif op == "swap_columns" and len(header) > 1:
            header[0], header[-1] = header[-1], header[0]
        elif op == "quote" and rows:
            r = draw(st.integers(0, len(rows) - 1))
            rows[r][0] = '"' + rows[r][0]
    text = "\n".join([",".join(header), *(",".join(r) for r in rows)]).encode("utf-8")
    if draw(st.booleans()) and draw(st.booleans()):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.binary(min_size=1, max_size=16)) + text[at:]
    if draw(st.integers(0, 9)) == 0:
        text = text[: draw(st.integers(0, len(text)))]
    return text


def check_data_error(exc: DataError, path: Path) -> None:
    assert exc.problems and str(path) in str(exc)
    assert "Traceback" not in str(exc)
    for p in exc.problems:
        assert isinstance(p, str) and p.strip()


@pytest.mark.slow
@fuzz(0.15)
@given(csv_mutants())
def test_un_csv_mutants_import_or_fail_cleanly(folder, raw):
    path = folder / "EGOV_DATA_2024.csv"
    path.write_bytes(raw)
    try:
        df = read_un_csv(path)
    except DataError as exc:
        check_data_error(exc, path)
        return
    # accepted: what was accepted satisfies the packaged layout's invariants
    assert list(df.columns) == datasets.SURVEY_COLUMNS
    assert df[datasets.INDEX_COLUMNS].apply(lambda s: s.between(0, 1)).all().all()
    assert not df.duplicated(["survey_year", "iso3"]).any()
    assert (df.egdi_rank >= 1).all() and (df.egdi_rank <= len(df)).all()
    assert set(df.survey_year) == {2024}


@fuzz(0.03)
@given(st.binary(max_size=3000))
def test_un_csv_garbage_fails_cleanly(folder, raw):
    path = folder / "EGOV_DATA_2024.csv"
    path.write_bytes(raw)
    with pytest.raises(DataError) as err:
        read_un_csv(path)
    check_data_error(err.value, path)


@pytest.mark.parametrize(
    "mutate,expect",
    [
        (lambda t: t.replace("Viet Nam", "Vietnam", 1), "unknown name"),
        (lambda t: t + "\n" + t.splitlines()[1], "duplicate"),
        (lambda t: t.replace(",0.9893,", ",1.9893,", 1), "outside [0, 1]"),
        (lambda t: t.replace(",0.9893,", ",high,", 1), "not a number"),
        (lambda t: t.replace("Online Service Index", "Online Services Index"), "missing column"),
    ],
)
def test_un_csv_targeted_mistakes_are_named(folder, mutate, expect):
    path = folder / "EGOV_DATA_2024.csv"
    path.write_text(mutate(BASE_CSV.decode("utf-8-sig")), encoding="utf-8")
    with pytest.raises(DataError, match=expect.replace("[", r"\[").replace("]", r"\]")):
        read_un_csv(path)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\xff\xfe\x00\x00garbage",
        b"\x00" * 100,
        b'a,b\n1,2,3,4\n"unterminated',
        "é,ü\n".encode("latin-1"),
    ],
)
def test_un_csv_unreadable_files_through_the_cli_exit_2(folder, monkeypatch, capsys, raw):
    monkeypatch.setenv("VNSIM_DATA_HOME", str(folder / "home"))
    path = folder / "EGOV_DATA_2024.csv"
    path.write_bytes(raw)
    code = cli.main(["data", "add", str(path)])
    _, err = capsys.readouterr()
    assert code == 2 and "Traceback" not in err and "internal error" not in err
    assert str(path) in err
    assert not (folder / "home" / "surveys" / "un_egov_2024.csv").exists()


# --- bounded time for the worst files, in a fresh process ---------------------------------------


@pytest.mark.slow
def test_hostile_files_are_refused_in_a_fresh_process(folder):
    """The worst files we know (1 MB of brackets, a 12-level bomb, 250,000 items) through the
    real ``vnsim validate`` in a separate process: exit 2, one report each, no traceback (the
    timeout only keeps a hang from stalling the suite)."""
    files = []
    for i, text in enumerate(
        [
            "a: " + "[" * 490_000 + "]" * 490_000 + "\n",
            billion_laughs(12, 12),
            "name: x\nl: [" + ",".join(["1"] * 300_000) + "]\n",
        ]
    ):
        files.append(folder / f"hostile{i}.yaml")
        files[-1].write_text(text)
    proc = subprocess.run(
        [sys.executable, "-m", "vnsim.cli", "validate", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("problem found") == 3


def test_fuzz_budget_is_at_least_a_thousand_examples():
    # the examples the property tests above were actually given
    assert len(BUDGET) >= 10
    assert sum(BUDGET) >= (1000 if not CAMPAIGN else 0.9 * CAMPAIGN)
