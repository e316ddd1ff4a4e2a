"""Scenario files: the closed schema, every error kind from a broken fixture file, ``extends``.

Each broken file under ``tests/fixtures/scenarios/`` carries one kind of mistake a planner makes.
The tests assert that the message names the file, the line and the field, and says what was
expected. Lines are looked up in the fixture text, so the fixtures can be edited freely.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from vnsim.spec.documents import DocumentError
from vnsim.spec.scenario import Scenario, json_schema, load_scenario, read_scenario

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "scenarios"
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))


def line_of(name: str, text: str, nth: int = 1) -> int:
    """Line number (1-based) of the ``nth`` line of fixture ``name`` containing ``text``."""
    hits = [
        i for i, line in enumerate((FIXTURES / name).read_text().splitlines(), 1) if text in line
    ]
    assert len(hits) >= nth, f"{text!r} not {nth} times in {name}"
    return hits[nth - 1]


def problems_of(name: str) -> DocumentError:
    with pytest.raises(DocumentError) as info:
        load_scenario(FIXTURES / name)
    return info.value


def one_problem(name: str, field: str):
    """The only problem reported for ``field``; fails if it is missing or repeated."""
    err = problems_of(name)
    found = [p for p in err.problems if p.field == field]
    assert len(found) == 1, err.report()
    return found[0], err


# (fixture, text on the offending line, field, phrases the message must contain)
CASES = [
    ("unknown_key.yaml", "horizn:", "horizn", ["unknown key", "did you mean 'horizon'"]),
    (
        "unknown_key_input.yaml",
        "sigam:",
        "uncertain.market_growth.sigam",
        ["unknown key", "did you mean 'sigma'"],
    ),
    (
        "reversed_range.yaml",
        "market_base:",
        "uncertain.market_base",
        ["low bound (16.0) must be below high bound (12.0)"],
    ),
    (
        "duplicate_key.yaml",
        "growth: 0.2",
        "market.growth",
        ["duplicate key", f"first given at line {line_of('duplicate_key.yaml', 'growth: market')}"],
    ),
    (
        "wrong_unit.yaml",
        "base_value: market_base",
        "dossiers.commune.base_value",
        ["wrong unit", "'USD bn'", "needs 'share'"],
    ),
    (
        "share_as_percent.yaml",
        "base_value: 80",
        "dossiers.commune.base_value",
        ["between 0 and 1", "got 80", "0.8 for 80 %"],
    ),
    (
        "share_input_as_percent.yaml",
        "commune_base:",
        "uncertain.commune_base",
        ["between 0 and 1", "0.8 for 80 %"],
    ),
    (
        "undefined_input.yaml",
        "market_grwth",
        "market.growth",
        ["no uncertain input named 'market_grwth'", "did you mean 'market_growth'"],
    ),
    ("wrong_type.yaml", "draws: many", "ensemble.draws", ["valid integer", "'many'"]),
    (
        "unused_parameter.yaml",
        "market_growth:",
        "uncertain.market_growth",
        ["low not used by normal", "it takes mean, sd"],
    ),
    (
        "list_value.yaml",
        "growth: [",
        "market.growth",
        ["expected a number or the name of an uncertain input"],
    ),
    (
        "growth_out_of_range.yaml",
        "growth: -1.2",
        "market.growth",
        ["growth must be above -1", "got -1.2"],
    ),
    (
        "growth_out_of_range.yaml",
        "persistence: 1.0",
        "market.persistence",
        ["persistence must be in [0, 1)"],
    ),
    (
        "bad_lever.yaml",
        "my-lever:",
        "levers.my-lever",
        ["invalid name 'my-lever'", "lower-case letters"],
    ),
    (
        "bad_lever.yaml",
        "market.growht",
        "levers.my-lever.effects[0].target",
        ["unknown value 'market.growht'", "did you mean 'market.growth'"],
    ),
]


@pytest.mark.parametrize(
    ("name", "marker", "field", "phrases"), CASES, ids=[f"{c[0]}:{c[2]}" for c in CASES]
)
def test_error_names_file_line_field_and_expectation(name, marker, field, phrases):
    problem, err = one_problem(name, field)
    assert problem.line == line_of(name, marker)
    assert Path(problem.file).name == name
    for phrase in phrases:
        assert phrase in problem.message, err.report()
    # and the printed report carries file:line: field
    assert f"{name}:{problem.line}: {field}: " in err.report()


def test_headline_case_lists_typo_reversed_range_and_duplicate_at_once():
    """Issue 2: one file, three mistakes, one message listing all three with file:line."""
    name = "headline.yaml"
    err = problems_of(name)
    report = err.report()
    assert report.startswith("3 problems found:"), report
    expected = [
        (line_of(name, "end_yaer"), "horizon.end_yaer", "did you mean 'end_year'"),
        (line_of(name, "market_base:"), "uncertain.market_base", "must be below high bound"),
        (line_of(name, "growth: 0.2"), "market.growth", "duplicate key"),
    ]
    for line, field, phrase in expected:
        row = next((r for r in report.splitlines() if f"{name}:{line}: {field}: " in r), None)
        assert row is not None, report
        assert phrase in row


def test_nan_and_inf_are_reported_once_per_field():
    err = problems_of("non_finite.yaml")
    fields = [p.field for p in err.problems]
    assert sorted(fields) == ["market.base_value", "market.shock_scale"], err.report()
    for p, marker in zip(
        sorted(err.problems, key=lambda p: p.field), (".nan", ".inf"), strict=True
    ):
        assert p.line == line_of("non_finite.yaml", marker)
        assert "not a usable number" in p.message and "finite" in p.message


def test_missing_required_section():
    problem, _ = one_problem("missing_section.yaml", "market")
    assert "required but missing" in problem.message
    assert Path(problem.file).name == "missing_section.yaml"


def test_yaml_boolean_key_trap():
    err = problems_of("bool_key.yaml")
    line = line_of("bool_key.yaml", "on:")
    trap = [p for p in err.problems if "quotes" in p.message]
    assert len(trap) == 1, err.report()
    assert trap[0].line == line and trap[0].field == "market.on"
    assert "'on' as True" in trap[0].message


@pytest.mark.parametrize(
    ("name", "line", "phrase"),
    [
        ("anchors.yaml", 2, "anchors and aliases"),
        ("empty.yaml", None, "file is empty"),
        ("not_utf8.yaml", 1, "not UTF-8"),
        ("not_mapping.yaml", 1, "must be a mapping"),
        ("custom_tag.yaml", 1, "tag"),
        ("timestamp.yaml", 3, "bad value '2022-13-01'"),
    ],
)
def test_unreadable_files_give_one_located_problem(name, line, phrase):
    err = problems_of(name)
    assert len(err.problems) == 1, err.report()
    (p,) = err.problems
    assert Path(p.file).name == name
    assert p.line == line
    assert phrase in p.message


def test_fixture_non_utf8_file_really_is_not_utf8():
    with pytest.raises(UnicodeDecodeError):
        (FIXTURES / "not_utf8.yaml").read_bytes().decode("utf-8")


def test_extends_deep_merges_one_leaf_and_inherits_the_rest():
    base = load_scenario(FIXTURES / "base.yaml")
    child = load_scenario(FIXTURES / "child.yaml")
    assert child.name == "child"
    assert child.market.growth == 0.2
    assert base.market.growth == "market_growth"
    # every other leaf of the overridden section is inherited, as are the other sections
    for key in ("base_value", "shock_scale", "shock_df", "persistence", "definition"):
        assert getattr(child.market, key) == getattr(base.market, key)
    assert child.uncertain == base.uncertain
    assert child.levers == base.levers
    assert child.horizon == base.horizon and child.ensemble == base.ensemble
    assert child.content_hash() != base.content_hash()


def test_extends_changing_a_distribution_drops_the_parents_parameters():
    base = load_scenario(FIXTURES / "base.yaml").uncertain["market_growth"]
    child = load_scenario(FIXTURES / "child_new_dist.yaml").uncertain["market_growth"]
    assert base.dist == "normal" and child.dist == "uniform"
    assert child.params() == {"low": 0.1, "high": 0.2}
    assert (child.unit, child.source) == (base.unit, base.source)  # inherited


def test_extends_replaces_a_dated_schedule_whole():
    child = load_scenario(FIXTURES / "child_schedule.yaml").levers["skills"]
    base = load_scenario(FIXTURES / "base.yaml").levers["skills"]
    assert base.schedule == {2023: 0.5, 2025: 1.0}
    assert child.schedule == {2024: 1.0}
    assert child.effects == base.effects and child.source == base.source


def test_extends_problem_in_parent_names_the_parent_file():
    err = problems_of("extends_broken.yaml")
    (p,) = err.problems
    assert Path(p.file).name == "reversed_range.yaml"
    assert p.line == line_of("reversed_range.yaml", "market_base:")


def test_extends_cycle_is_detected():
    err = problems_of("cycle_a.yaml")
    (p,) = err.problems
    assert p.field == "extends"
    assert "cycle" in p.message
    assert re.search(r"cycle_a\.yaml -> .*cycle_b\.yaml -> .*cycle_a\.yaml", p.message)


def test_extends_outside_the_folder_is_refused():
    err = problems_of("outside.yaml")
    (p,) = err.problems
    assert p.field == "extends" and p.line == line_of("outside.yaml", "extends:")
    assert "outside the scenario folder" in p.message


def test_extends_missing_file_suggests_a_near_name(tmp_path):
    (tmp_path / "base.yaml").write_text((FIXTURES / "base.yaml").read_text())
    (tmp_path / "child.yaml").write_text("extends: bsae.yaml\nname: c\n")
    with pytest.raises(DocumentError) as info:
        load_scenario(tmp_path / "child.yaml")
    (p,) = info.value.problems
    assert "no file 'bsae.yaml'" in p.message and "did you mean 'base.yaml'" in p.message


def test_document_error_is_a_value_error_with_every_problem_in_its_text():
    err = problems_of("headline.yaml")
    assert isinstance(err, ValueError)
    assert str(err) == err.report()


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_scenarios_load_and_carry_the_editor_header(path):
    scenario = load_scenario(path)
    assert isinstance(scenario, Scenario)
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=")
    # the header points to a schema file that exists and is the current schema
    target = (path.parent / first.split("$schema=", 1)[1].strip()).resolve()
    assert target.is_file(), target
    assert json.loads(target.read_text()) == json_schema()


def test_baseline_is_among_the_shipped_scenarios():
    assert "baseline.yaml" in [p.name for p in SHIPPED]


def test_json_schema_is_valid_and_accepts_the_shipped_scenarios():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json_schema()
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    for path in SHIPPED:
        data, *_ = read_scenario(path)  # resolved: variants only hold what differs
        errors = [e.message for e in validator.iter_errors(data)]
        assert errors == [], (path.name, errors)


def test_json_schema_is_closed():
    """Unknown keys are refused by the schema as well (editors flag them while typing)."""
    jsonschema = pytest.importorskip("jsonschema")
    schema = json_schema()
    data, *_ = read_scenario(FIXTURES / "base.yaml")
    jsonschema.validate(data, schema)
    data["horizn"] = data.pop("horizon")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)


def test_json_schema_records_units_of_quantities():
    text = json.dumps(json_schema())
    for unit in ("USD bn", "share/yr", "share", "1/yr"):
        assert f'"unit": "{unit}"' in text


def test_content_hash_ignores_formatting_but_not_values(tmp_path):
    src = (FIXTURES / "base.yaml").read_text()
    (tmp_path / "a.yaml").write_text(src)
    (tmp_path / "b.yaml").write_text("# a comment\n" + src.replace("seed: 7", "seed:    7"))
    (tmp_path / "c.yaml").write_text(src.replace("seed: 7", "seed: 8"))
    a, b, c = (load_scenario(tmp_path / f"{k}.yaml") for k in "abc")
    assert a.content_hash() == b.content_hash() != c.content_hash()


def test_fixtures_are_plain_yaml_files():
    """The broken fixtures are broken for the reason they name, not because they are unreadable."""
    for name in ("unknown_key.yaml", "reversed_range.yaml", "wrong_unit.yaml", "headline.yaml"):
        assert isinstance(yaml.safe_load((FIXTURES / name).read_text()), dict)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_scenarios_read_in_vietnamese(path):
    """Every text a Vietnamese briefing shows from a shipped scenario has its translation."""
    sc = load_scenario(path)
    assert sc.title_vi and sc.description_vi
    assert len(sc.sources_vi) == len(sc.sources)
    for name, lever in sc.levers.items():
        assert lever.source_vi, name
        assert lever.description_vi or not lever.description, name
    for name, spec in sc.uncertain.items():
        assert spec.source_vi, name


def test_translations_leave_the_content_hash_of_older_files_unchanged():
    """A file without ``*_vi`` texts hashes as it did before the fields existed."""
    import hashlib

    def without_vi(x):
        if isinstance(x, dict):
            return {k: without_vi(v) for k, v in x.items() if not str(k).endswith("_vi")}
        return [without_vi(v) for v in x] if isinstance(x, list) else x

    text = (ROOT / "scenarios" / "baseline.yaml").read_text(encoding="utf-8")
    sc = Scenario.model_validate(without_vi(yaml.safe_load(text.replace("extends:", "#"))))
    before = json.dumps(without_vi(sc.model_dump(mode="json")), sort_keys=True).encode()
    assert sc.content_hash() == hashlib.sha256(before).hexdigest()
    translated = sc.model_copy(update={"title_vi": "Kịch bản"})
    assert translated.content_hash() != sc.content_hash()


def test_a_child_that_rewrites_a_text_drops_the_parents_translation(tmp_path):
    (tmp_path / "baseline.yaml").write_text(
        (ROOT / "scenarios" / "baseline.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "c.yaml").write_text(
        "extends: baseline.yaml\nname: c\ntitle: Mine\n"
        "levers:\n  broadband:\n    source: my own estimate\n",
        encoding="utf-8",
    )
    sc = load_scenario(tmp_path / "c.yaml")
    assert sc.title_vi == "" and sc.levers["broadband"].source_vi == ""
    assert sc.levers["broadband"].description_vi  # not rewritten: its translation stays


def test_editions_the_data_cannot_support_are_refused_at_their_line(tmp_path):
    from vnsim.spec.documents import DocumentError

    shutil.copy(FIXTURES / "base.yaml", tmp_path)
    path = tmp_path / "early.yaml"
    path.write_text(
        "extends: base.yaml\nname: early\negov:\n  editions: [2022, 2026]\n", encoding="utf-8"
    )
    with pytest.raises(DocumentError) as info:
        load_scenario(path)
    (problem,) = info.value.problems
    assert (problem.line, problem.field) == (4, "egov.editions")
    assert "[2022] already observed" in problem.message and "as_of" in problem.message
    # as of 2020 the 2022 edition is still ahead: the same list is a forecast
    path.write_text(
        "extends: base.yaml\nname: early\nas_of: 2020\negov:\n  editions: [2022, 2026]\n",
        encoding="utf-8",
    )
    assert load_scenario(path).egov.editions == [2022, 2026]


# --- every problem in the planner's language ---------------------------------------------------

#: Scenario bodies (extending the baseline) with mistakes the fixtures do not have.
MORE_MISTAKES = [
    "levers:\n  shared_platforms:\n    schedule: {2020: 0.5, 2021: 1.0, 2035: 1.5}\n",
    "levers:\n  shared_platforms:\n    start: 2040\n",
    "levers:\n  late:\n    source: x\n    start: 2026\n    trigger: {variable: dossiers.district, "
    "year: 2025, below: 0.5}\n    effects: [{target: dossiers.district.rate, size: 0.1}]\n",
    "levers:\n  late:\n    source: x\n    start: 2027\n    trigger: {variable: market.size, "
    "year: 2026, below: 2, above: 3}\n    effects: [{target: dossiers.district.rate, "
    "size: 0.1, lag: 1}]\n",
    "levers:\n  t:\n    source: x\n    start: 2024\n    trigger: {variable: market.size, "
    "year: 2031, below: 5}\n    effects: [{target: market.growth, size: 9}]\n",
    "horizon:\n  base_year: 2022\n  end_year: 2090\nmarket:\n  growth: 200\n",
    "uncertain:\n  market_growth:\n    dist: normal\n    mean: 0.1\n    sd: -1\n    unit: share\n",
    "uncertain:\n  x:\n    dist: triangular\n    low: 0\n    mode: 2\n    high: 1\n"
    "    unit: shar\n    source: x\n",
    "dossiers:\n  commune:\n    base_value: 0.9\n    ceiling: 0.8\n    rate: 0.2\n    source: x\n",
    "market:\n  persistence: 1.5\n  shock_scale: -1\n  definition_factor: 0\n",
    "name: Kịch bản 1\n",
    "name: nul\n",
    "levers:\n  shared_platforms:\n    schedule: {2024a: 1.0}\n",
]


def _problems(path: Path) -> list:
    try:
        return list(load_scenario(path).warnings)
    except DocumentError as exc:
        return exc.problems


def test_every_problem_of_a_scenario_is_in_vietnamese(tmp_path):
    from vnsim.errors import Message
    from vnsim.present.i18n import translator

    shutil.copy(ROOT / "scenarios" / "baseline.yaml", tmp_path / "baseline.yaml")
    files = [p for p in sorted(FIXTURES.glob("*.yaml")) if p.stem != "outside"]
    for i, body in enumerate(MORE_MISTAKES):
        path = tmp_path / f"more_{i}.yaml"
        name = "" if body.startswith("name:") else "name: x\n"
        path.write_text(f"extends: baseline.yaml\n{name}{body}", encoding="utf-8")
        files.append(path)
    vi, seen, english = translator("vi"), 0, []
    for path in files:
        for p in _problems(path):
            seen += 1
            shown = p.render(vi)
            where = f"{p.file}:{p.line}" if p.line else p.file
            assert shown.startswith(f"{where}: {p.field}: " if p.field else f"{where}: ")
            # every message is one the catalogue knows, and it is shown translated
            if not isinstance(p.message, Message) or shown == p.render():
                english.append(f"{path.name}: {p.render()}")
    assert english == []
    assert seen > 45
