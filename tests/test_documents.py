"""Safe YAML reading with line numbers, and the limits that keep a planner's file harmless."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, Field
from vnsim.present.i18n import translator
from vnsim.spec.documents import (
    MAX_BYTES,
    MAX_DEPTH,
    MAX_NODES,
    DocumentError,
    Lines,
    Problem,
    dotted,
    read_yaml,
    suggest,
    validate,
)

NESTED = """\
name: test
levers:
  cloud:
    schedule:
      2022: 0.5
      2024: 1.0
    effects:
      - target: market.growth
        size: 0.01
      - {target: egov.osi, size: 0.02}
      -
        target: egov.tii
        size: 0.03
list:
  - 1
  - - a
    - b
"""


def write(tmp_path: Path, text: str, name: str = "doc.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def reason(tmp_path: Path, text: str | bytes) -> Problem:
    path = tmp_path / "doc.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(DocumentError) as info:
        read_yaml(path)
    assert len(info.value.problems) == 1, info.value.report()
    return info.value.problems[0]


def test_lines_of_nested_keys_and_list_items(tmp_path):
    data, lines, problems = read_yaml(write(tmp_path, NESTED))
    assert problems == []
    text = NESTED.splitlines()

    def line(*loc):
        file, n = lines.find(loc)
        assert file.endswith("doc.yaml")
        return n

    def first(fragment):
        return next(i for i, t in enumerate(text, 1) if fragment in t)

    assert line("name") == 1
    assert line("levers", "cloud") == first("cloud:")
    assert line("levers", "cloud", "schedule", 2024) == first("2024: 1.0")
    assert line("levers", "cloud", "effects", 0) == first("target: market.growth")
    assert line("levers", "cloud", "effects", 0, "size") == first("size: 0.01")
    assert line("levers", "cloud", "effects", 1, "size") == first("egov.osi")
    assert line("levers", "cloud", "effects", 2, "target") == first("target: egov.tii")
    assert line("levers", "cloud", "effects", 2, "size") == first("size: 0.03")
    assert line("list", 1, 1) == first("- b")
    # a location not in the file falls back to its nearest located parent
    assert line("levers", "cloud", "effects", 2, "lag") == line("levers", "cloud", "effects", 2)
    assert data["levers"]["cloud"]["schedule"] == {2022: 0.5, 2024: 1.0}
    assert data["list"] == [1, ["a", "b"]]


def test_duplicate_keys_are_collected_not_fatal(tmp_path):
    _data, _lines, problems = read_yaml(write(tmp_path, "a: 1\nb:\n  c: 1\n  c: 2\na: 3\n"))
    assert {(p.line, p.field) for p in problems} == {(4, "b.c"), (5, "a")}
    assert all("duplicate key" in p.message for p in problems)
    assert "first given at line 3" in next(p.message for p in problems if p.field == "b.c")


def test_boolean_and_null_keys_are_reported(tmp_path):
    _, _, problems = read_yaml(write(tmp_path, "yes: 1\nnested:\n  off: 2\n~: 3\n"))
    assert {(p.line, p.field) for p in problems} == {(1, "yes"), (3, "nested.off"), (4, "~")}
    assert all("quotes" in p.message for p in problems)


def test_huge_file_is_refused_before_parsing(tmp_path):
    p = reason(tmp_path, "a: " + "x" * (MAX_BYTES + 1) + "\n")
    assert "limited to" in p.message and p.line is None


def test_too_many_values_is_refused(tmp_path):
    items = ",".join("0" for _ in range(MAX_NODES + 1))
    text = f"a: [{items}]\n"
    assert len(text.encode()) < MAX_BYTES
    assert "limited" in reason(tmp_path, text).message


@pytest.mark.parametrize("depth", [MAX_DEPTH + 5, 600])
def test_deep_nesting_is_refused_cleanly(tmp_path, depth):
    text = "a: " + "[" * depth + "]" * depth + "\n"
    assert "nested too deeply" in reason(tmp_path, text).message


def test_nesting_within_the_limit_is_read(tmp_path):
    depth = MAX_DEPTH - 2
    data, _, _ = read_yaml(write(tmp_path, "a: " + "[" * depth + "]" * depth + "\n"))
    assert isinstance(data["a"], list)


@pytest.mark.parametrize(
    "text",
    [
        "a: !custom 1\n",
        "a: !!python/object/apply:os.system ['true']\n",
        "a: !custom {b: 1}\n",
        "a: !custom [1, 2]\n",
        "!custom a: 1\n",
        "a: !!binary aGVsbG8=\n",
    ],
)
def test_custom_tags_are_refused(tmp_path, text):
    p = reason(tmp_path, text)
    assert "tag" in p.message and "not allowed" in p.message
    assert p.line == 1


@pytest.mark.parametrize(
    "text",
    [
        "a: &x 1\nb: *x\n",
        "base: &b {x: 1}\nchild:\n  <<: *b\n",
        "a: &x [1, 2]\n",
    ],
)
def test_anchors_aliases_and_merge_keys_are_refused(tmp_path, text):
    assert "anchors and aliases" in reason(tmp_path, text).message


def test_alias_bomb_is_refused_quickly(tmp_path):
    # the "billion laughs": refused at the first anchor, never expanded
    rows = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    rows += [
        f"{c}: &{c} [{','.join(['*' + p] * 9)}]"
        for p, c in zip("abcdefgh", "bcdefghi", strict=False)
    ]
    assert "anchors" in reason(tmp_path, "\n".join(rows) + "\n").message


@pytest.mark.parametrize(
    ("text", "phrase", "line"),
    [
        ("a: [1, 2\n", "not valid YAML", 2),
        ("a: 1\n---\nb: 2\n", "not valid YAML", 2),
        ("a: 1\n  b: 2\n", "not valid YAML", 2),
        ("   \n\n", "empty", None),
        ("# only a comment\n", "must be a mapping", 1),
        ("just a string\n", "must be a mapping", 1),
        ("[1, 2]\n", "must be a mapping", 1),
        ("? [a, b]\n: 1\n", "keys must be plain", 1),
        ("d: 2022-02-30\n", "bad value", 1),
    ],
)
def test_malformed_documents(tmp_path, text, phrase, line):
    p = reason(tmp_path, text)
    assert phrase in p.message
    assert p.line == line


def test_non_utf8_names_the_line(tmp_path):
    p = reason(tmp_path, b"a: 1\nb: caf\xe9\n")
    assert "not UTF-8" in p.message and p.line == 2


def test_utf8_with_bom_and_vietnamese_text_is_read(tmp_path):
    path = tmp_path / "doc.yaml"
    path.write_bytes("\ufefftitle: Chuyển đổi số\n".encode())
    data, _, _ = read_yaml(path)
    assert data == {"title": "Chuyển đổi số"}


def test_missing_file_is_a_document_error(tmp_path):
    with pytest.raises(DocumentError, match="cannot read"):
        read_yaml(tmp_path / "nope.yaml")


def test_display_name_is_used_in_messages(tmp_path):
    with pytest.raises(DocumentError) as info:
        read_yaml(write(tmp_path, "[1]\n"), display="shown.yaml")
    assert info.value.problems[0].file == "shown.yaml"


def test_dotted_and_suggest():
    assert dotted(("levers", "cloud", "effects", 0, "size")) == "levers.cloud.effects[0].size"
    assert dotted(()) == ""
    assert suggest("horizn", ["horizon", "name"]) == " (did you mean 'horizon'?)"
    assert suggest("zzzz", ["horizon", "name"]) == ""


class _Inner(BaseModel):
    model_config = ConfigDict(extra="forbid")
    low: float
    high: float


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    items: list[_Inner]


def test_validate_reports_every_problem_with_lines(tmp_path):
    text = "name: x\nitems:\n  - {low: 1, high: 2}\n  - low: a\n    hihg: 3\nextra: 1\n"
    data, lines, problems = read_yaml(write(tmp_path, text))
    with pytest.raises(DocumentError) as info:
        validate(_Doc, data, lines, problems)
    got = {(p.line, p.field): p.message for p in info.value.problems}
    assert "did you mean 'high'" in got[(5, "items[1].hihg")]
    assert "required but missing" in got[(4, "items[1].high")]
    assert "got 'a'" in got[(4, "items[1].low")]
    assert "unknown key" in got[(6, "extra")]
    assert len(got) == 4


def test_validate_passes_earlier_problems_through(tmp_path):
    data, lines, problems = read_yaml(write(tmp_path, "name: x\nname: y\nitems: []\n"))
    with pytest.raises(DocumentError) as info:
        validate(_Doc, data, lines, problems)
    assert [p.field for p in info.value.problems] == ["name"]


def test_problems_are_sorted_and_deduplicated():
    a = Problem("f.yaml", 3, "b", "m")
    b = Problem("f.yaml", 1, "a", "m")
    err = DocumentError([a, b, a])
    assert err.problems == [b, a]
    assert err.report().splitlines() == [
        "2 problems found:",
        "  f.yaml:1: a: m",
        "  f.yaml:3: b: m",
    ]
    assert str(Problem("f.yaml", None, "", "empty")) == "f.yaml: empty"


def test_lines_problem_uses_nearest_parent():
    lines = Lines("f.yaml", {(): ("f.yaml", 1), ("a",): ("f.yaml", 4)})
    p = lines.problem(("a", "b", 0), "bad")
    assert (p.file, p.line, p.field) == ("f.yaml", 4, "a.b[0]")


def test_folders_and_special_files_are_refused_without_reading(tmp_path):
    with pytest.raises(DocumentError, match="it is a folder"):
        read_yaml(tmp_path)
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    # opening a FIFO for reading would block until a writer came: it must not be opened
    with pytest.raises(DocumentError, match="not a regular file"):
        read_yaml(fifo)


# --- problems in the reader's language ------------------------------------------------------


def test_a_problem_carries_its_msgid_and_params_besides_the_english(tmp_path):
    data, lines, problems = read_yaml(write(tmp_path, "name: x\nitems: []\nnmae: y\n"))
    with pytest.raises(DocumentError) as info:
        validate(_Doc, data, lines, problems)
    (p,) = info.value.problems
    assert p.message == "unknown key (did you mean 'name'?)"
    assert p.msgid == "unknown key{hint}"
    assert p.params["hint"].msgid == " (did you mean '{name}'?)"
    assert p.params["hint"].params == {"name": "name"}
    where = tmp_path / "doc.yaml"
    vi = f"{where}:3: nmae: khóa không xác định (có phải ý bạn là 'name'?)"
    assert p.render(translator("vi")) == vi
    assert p.render() == str(p) == p.render(translator("en"))
    # a problem given a plain string (a block not converted yet) is shown as written
    plain = Problem("f.yaml", 2, "egov.editions", "as written", "warning")
    assert (plain.msgid, plain.params) == ("as written", {})
    assert plain.render(translator("vi")) == "f.yaml:2: egov.editions: cảnh báo: as written"


class _Counted(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    draws: int = Field(ge=1)
    share: float = Field(le=0.5)


def test_pydantic_messages_are_translated_with_the_readers_numbers(tmp_path):
    text = "name: x\ndraws: 0\nshare: 0.75\n"
    data, lines, problems = read_yaml(write(tmp_path, text))
    with pytest.raises(DocumentError) as info:
        validate(_Counted, data, lines, problems)
    t = translator("vi")
    got = {
        p.field: (p.message, p.render(t).split(f"{p.field}: ", 1)[1]) for p in info.value.problems
    }
    assert got["draws"] == (
        "Input should be greater than or equal to 1 (got 0)",
        "Giá trị phải lớn hơn hoặc bằng 1 (giá trị đã cho: 0)",
    )
    assert got["share"] == (
        "Input should be less than or equal to 0.5 (got 0.75)",
        "Giá trị phải nhỏ hơn hoặc bằng 0,5 (giá trị đã cho: 0.75)",
    )


@pytest.mark.parametrize(
    ("text", "vi"),
    [
        ("a:\n\tb: 1\n", "YAML không hợp lệ: có ký tự tab"),
        ("title: Kịch bản: tăng tốc\n", "dòng này có dấu ':' thứ hai"),
        ("a: 1\n  b: 2\n", "thụt lề không khớp với các dòng phía trên"),
        ("a: 1\nb\nc: 2\n", "thiếu dấu ':' sau khóa"),
        ("a: 1\na: 2\n", "khóa bị lặp (đã có ở dòng 1)"),
        ("a: &x 1\nb: *x\n", "không được dùng neo và bí danh YAML"),
        ("a: !!python/object 1\n", "không được dùng thẻ YAML tùy chỉnh"),
        (b"a: caf\xe9\n", "không phải văn bản UTF-8 (byte 6)"),
        ("yes: 1\n", "YAML đọc khóa 'yes' thành True"),
    ],
)
def test_yaml_hints_are_in_the_readers_language(tmp_path, text, vi):
    path = tmp_path / "doc.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    try:
        _, _, problems = read_yaml(path)
    except DocumentError as exc:
        problems = exc.problems
    (p,) = problems
    assert vi in p.render(translator("vi"))
    assert vi not in p.render()
