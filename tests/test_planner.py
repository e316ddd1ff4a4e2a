"""Mistakes a planner makes in a scenario that still validates: each is warned about (or refused)
with file, line, field, the value in words and the plausible range.

Each case writes a child scenario that ``extends`` the shipped baseline, so the mistake is the
only thing that differs from a file that checks clean.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from vnsim.errors import DocumentError
from vnsim.spec.plausibility import judge, meaning
from vnsim.spec.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent


def child(tmp_path: Path, body: str) -> Path:
    """A scenario extending a copy of the baseline in ``tmp_path``, with ``body`` after the name."""
    shutil.copy(ROOT / "scenarios" / "baseline.yaml", tmp_path / "baseline.yaml")
    path = tmp_path / "child.yaml"
    path.write_text(f"extends: baseline.yaml\nname: child\n{body}", encoding="utf-8")
    return path


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def only_warning(path: Path, field: str):
    found = [w for w in load_scenario(path).warnings if w.field == field]
    assert len(found) == 1, [str(w) for w in load_scenario(path).warnings]
    assert found[0].severity == "warning"
    return found[0]


def test_growth_effect_written_as_percent_is_warned_with_a_suggestion(tmp_path):
    path = child(
        tmp_path,
        "levers:\n  make_in_vietnam:\n    effects:\n      - {target: market.growth, size: 3}\n",
    )
    w = only_warning(path, "levers.make_in_vietnam.effects[0].size")
    assert w.file.endswith("child.yaml")
    assert w.line == line_of(path, "size: 3")
    for words in ("3 share/yr = +300 % growth a year", "did you mean 0.03?", "-0.05 to 0.1"):
        assert words in w.message


def test_intensity_far_above_plan_is_warned(tmp_path):
    path = child(tmp_path, "levers:\n  broadband:\n    schedule: {2023: 6}\n")
    w = only_warning(path, "levers.broadband.schedule[2023]")
    assert w.line == line_of(path, "2023: 6")
    assert "intensity 6 = 6 times the plan" in w.message
    assert "0 to 2" in w.message
    assert "did you mean" not in w.message  # an intensity is not a percentage


def test_schedule_entirely_after_the_horizon_says_the_lever_is_off(tmp_path):
    path = child(tmp_path, "levers:\n  government_cloud:\n    schedule: {2032: 1.2}\n")
    w = only_warning(path, "levers.government_cloud.schedule[2032]")
    assert "after the horizon's end_year (2030)" in w.message
    assert "off for the whole run" in w.message


def test_a_date_after_the_horizon_is_not_dropped_silently(tmp_path):
    path = child(tmp_path, "levers:\n  broadband:\n    schedule: {2019: 0.6, 2035: 1.2}\n")
    w = only_warning(path, "levers.broadband.schedule[2035]")
    assert "never in effect" in w.message
    assert "off for the whole run" not in w.message  # 2019 holds from the base year


def test_dates_before_the_base_year_that_are_replaced_are_warned(tmp_path):
    path = child(tmp_path, "levers:\n  broadband:\n    schedule: {2019: 0.6, 2020: 0.7}\n")
    w = only_warning(path, "levers.broadband.schedule[2019]")
    assert "replaced by 2020" in w.message


def test_block_setting_outside_its_range_is_warned(tmp_path):
    path = child(tmp_path, "market:\n  growth: 16\n")
    w = only_warning(path, "market.growth")
    assert w.line == line_of(path, "growth: 16")
    assert "+1600 % growth a year" in w.message and "did you mean 0.16?" in w.message


def test_uncertain_input_reaching_outside_the_range_is_warned_at_the_input(tmp_path):
    body = (
        "uncertain:\n  effect_miv_market:\n    dist: uniform\n    low: 1\n    high: 3\n"
        "    unit: share/yr\n    source: assumption\n"
    )
    path = child(tmp_path, body)
    w = only_warning(path, "uncertain.effect_miv_market")
    assert "used by levers.make_in_vietnam.effects[0].size" in w.message


def test_clearly_impossible_size_is_refused(tmp_path):
    path = child(
        tmp_path,
        "levers:\n  make_in_vietnam:\n    effects:\n"
        "      - {target: market.growth, size: 1.0e+300}\n",
    )
    with pytest.raises(DocumentError) as info:
        load_scenario(path)
    (p,) = info.value.problems
    assert p.field == "levers.make_in_vietnam.effects[0].size" and "impossible" in p.message


def test_strict_turns_warnings_into_errors(tmp_path):
    path = child(tmp_path, "market:\n  growth: 16\n")
    with pytest.raises(DocumentError) as info:
        load_scenario(path, strict=True)
    assert [p.field for p in info.value.problems] == ["market.growth"]


@pytest.mark.parametrize("name", ["baseline", "accelerated", "stalled"])
def test_shipped_scenarios_have_no_warnings(name):
    assert load_scenario(ROOT / "scenarios" / f"{name}.yaml").warnings == ()


def test_validate_prints_warnings_and_strict_exits_2(tmp_path):
    path = child(tmp_path, "market:\n  growth: 16\n")
    cmd = [sys.executable, "-m", "vnsim.cli", "validate", str(path)]
    ok = subprocess.run(cmd, capture_output=True, text=True)
    assert ok.returncode == 0 and "ok (1 warning)" in ok.stdout
    assert "market.growth: warning:" in ok.stderr
    strict = subprocess.run([*cmd, "--strict"], capture_output=True, text=True)
    assert strict.returncode == 2 and "market.growth" in strict.stderr
    assert "Traceback" not in strict.stderr


def test_judge_inside_the_range_says_nothing():
    assert judge(0.05, "share/yr", (-0.05, 0.1)) is None
    assert meaning(0.2, "share/yr") == "0.2 share/yr = +20 % growth a year"


# (body after `name:`, text on the offending line, field, words the message must contain)
MISTAKES = [
    (
        "levers:\n  shared_platform:\n    schedule: {2023: 1.0}\n",
        "shared_platform:",
        "levers.shared_platform",
        ["no lever named 'shared_platform'", "did you mean 'shared_platforms'?"],
    ),
    (
        "uncertain:\n  market_grwth:\n    mean: 0.2\n",
        "market_grwth:",
        "uncertain.market_grwth",
        ["did you mean 'market_growth'?"],
    ),
    (
        "title: x\nlevers:\n  broadband:\n    schedule: {2024a: 1.2}\n",
        "2024a",
        "levers.broadband.schedule.2024a",
        ["'2024a' is not a year", "whole numbers like 2024"],
    ),
    (
        "levers:\n  broadband:\n    schedule: {2022: 0,6}\n",
        "0,6",
        "levers.broadband.schedule[6]",
        ["not a year", "write 0.6, not 0,6"],
    ),
    ("market:\n  growth: 0,16\n", "0,16", "market.growth", ["write 0.16, not 0,16"]),
    (
        "uncertain:\n  adoption_ceiling:\n    dist: fixed\n    value: '85%'\n",
        "85%",
        "uncertain.adoption_ceiling.value",
        ["write 0.85, not '85%'"],
    ),
    (
        "levers:\n  broadband:\n    schedule:\n    2022: 0.5\n",
        "2022: 0.5",
        "levers.broadband[2022]",
        ["check the indentation", "under `schedule:`"],
    ),
]


@pytest.mark.parametrize(("body", "text", "field", "words"), MISTAKES)
def test_schema_mistakes_are_explained_in_a_planners_words(tmp_path, body, text, field, words):
    path = child(tmp_path, body)
    with pytest.raises(DocumentError) as info:
        load_scenario(path)
    found = [p for p in info.value.problems if p.field == field]
    assert len(found) == 1, info.value.report()
    assert found[0].file.endswith("child.yaml") and found[0].line == line_of(path, text)
    for w in words:
        assert w in found[0].message
    assert "Input should" not in info.value.report()


def test_name_with_spaces_and_accents_explains_the_rule(tmp_path):
    path = tmp_path / "s.yaml"
    shutil.copy(ROOT / "scenarios" / "baseline.yaml", tmp_path / "baseline.yaml")
    path.write_text("extends: baseline.yaml\nname: Kịch bản 1\n", encoding="utf-8")
    with pytest.raises(DocumentError) as info:
        load_scenario(path)
    (p,) = info.value.problems
    assert (p.field, p.line) == ("name", 2)
    assert "no spaces" in p.message and "title" in p.message and "number" not in p.message


# (text after `name: a`, line reported, words)
YAML_MISTAKES = [
    ("\ttitle: x\n", 3, "a tab character"),
    ("title: Kịch bản: tăng tốc\n", 3, 'put the text in quotes, e.g. title: "Kịch bản: tăng tốc"'),
    ('title "x"\nhorizon:\n  base_year: 2022\n', 3, "missing ':' after the key"),
    ("horizon:\n  base_year: 2022\n end_year: 2030\n", 5, "indentation does not match"),
    ("title: x\n  description: y\n", 4, "indentation does not match"),
]


@pytest.mark.parametrize(("body", "line", "words"), YAML_MISTAKES)
def test_yaml_mistakes_get_a_hint_on_the_right_line(tmp_path, body, line, words):
    path = child(tmp_path, body.replace("name: a\n", ""))
    path.write_text(f"extends: baseline.yaml\nname: a\n{body}", encoding="utf-8")
    with pytest.raises(DocumentError) as info:
        load_scenario(path)
    (p,) = info.value.problems
    assert p.line == line and words in p.message, str(p)


def _limitations(lang: str) -> list[dict[str, str]]:
    from vnsim.present.report import environment

    return list(environment(lang).get_template("limitations.html").module.items)  # type: ignore[attr-defined]


def test_readme_quotes_the_limitations_the_page_shows():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Limitations", 1)[1].split("\n## ", 1)[0]
    flat = " ".join(section.split())
    for item in _limitations("en"):
        bold = f"**{item['title']}**" if item["title"] else ""
        assert f"- {bold}{item['text']}" in flat, item["title"] or item["text"]


def test_limitations_section_in_vietnamese():
    from vnsim.present.report import environment

    html = environment("vi").get_template("limitations.html").render()
    assert "Hạn chế" in html and "<code>vnsim sensitivity</code>" in html
    for item in _limitations("vi"):
        assert item["title_vi"] in html
        assert "Lever effect sizes" not in html


def vnsim(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "vnsim.cli", *args], cwd=cwd, capture_output=True, text=True
    )


def test_scenarios_list_names_the_shipped_files(tmp_path):
    out = vnsim("scenarios", "list", cwd=tmp_path)
    assert out.returncode == 0
    assert [line.split()[0] for line in out.stdout.splitlines()] == [
        "accelerated",
        "baseline",
        "stalled",
    ]


def test_scenarios_copy_brings_what_the_file_extends_and_never_overwrites(tmp_path):
    out = vnsim("scenarios", "copy", "accelerated", "mine.yaml", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "baseline.yaml").is_file()
    assert load_scenario(tmp_path / "mine.yaml").name == "accelerated"
    again = vnsim("scenarios", "copy", "accelerated", "mine.yaml", cwd=tmp_path)
    assert again.returncode == 2 and "already there" in again.stderr
    typo = vnsim("scenarios", "copy", "acelerated", "x.yaml", cwd=tmp_path)
    assert typo.returncode == 2 and "did you mean 'accelerated'?" in typo.stderr


def test_run_without_a_scenario_finds_the_shipped_baseline_from_any_folder(tmp_path):
    out = vnsim("run", "--draws", "4", "--quiet", "--out", "r", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "r" / "manifest.json").is_file()


@pytest.mark.slow
def test_a_wheel_installed_elsewhere_runs_the_baseline(tmp_path):
    """pip wheel, a fresh venv outside the repository, then ``vnsim run`` in an empty folder."""
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("vnsim-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    # the dependencies come from this environment's site-packages as a plain path entry: its
    # .pth files (the editable install of the checkout) are not processed from there
    site_dir = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    deps = "\n".join(p for p in sys.path if p.endswith("site-packages"))
    (Path(site_dir) / "deps.pth").write_text(deps + "\n", encoding="utf-8")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    out = subprocess.run(
        [str(venv / "bin" / "vnsim"), "run", "--draws", "16", "--quiet"],
        cwd=empty,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    where = subprocess.run(
        [str(python), "-c", "import vnsim; print(vnsim.__file__)"],
        cwd=empty,
        capture_output=True,
        text=True,
    )
    assert str(ROOT) not in where.stdout  # the installed copy ran, not the checkout


def test_an_existing_input_missing_one_key_is_not_taken_for_a_misspelling(tmp_path):
    text = (ROOT / "scenarios" / "baseline.yaml").read_text(encoding="utf-8")
    broken = text.replace(
        '    source: "assumption: not located (vietnam_targets.md §4.4)"\n', "", 1
    )
    assert broken != text
    (tmp_path / "s.yaml").write_text(broken, encoding="utf-8")
    with pytest.raises(DocumentError) as info:
        load_scenario(tmp_path / "s.yaml")
    (p,) = info.value.problems
    assert p.field == "uncertain.work_base_district.source"
    assert p.message == "required but missing"
