"""``vnsim validate`` and ``vnsim run`` with ``--lang``: every problem of a scenario file, in
the planner's language, with its file, line and field; English unchanged by default."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from vnsim.cli import main
from vnsim.fit.egov import TERMS

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "tests" / "fixtures" / "scenarios" / "base.yaml"


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    monkeypatch.setenv("VNSIM_DATA_HOME", str(tmp_path / "user-data"))
    monkeypatch.delenv("VNSIM_DEBUG", raising=False)


def child(folder: Path, name: str, body: str) -> Path:
    """A scenario ``name`` that extends the shipped baseline and changes ``body``."""
    shutil.copy(ROOT / "scenarios" / "baseline.yaml", folder / "baseline.yaml")
    path = folder / name
    path.write_text(f"extends: baseline.yaml\nname: x\n{body}", encoding="utf-8")
    return path


def validate(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["validate", *args])
    out, err = capsys.readouterr()
    return code, out, err


# (file, body, Vietnamese line on stderr, its English, whether the file is still usable)
CASES = {
    "misspelt lever": (
        "lever.yaml",
        "levers:\n  shared_platform:\n    schedule: {2023: 1.0}\n",
        "lever.yaml:4: levers.shared_platform: không có đòn bẩy nào tên 'shared_platform' để "
        "thay đổi (có phải ý bạn là 'shared_platforms'?); đòn bẩy mới cần có effects, source",
        "lever.yaml:4: levers.shared_platform: no lever named 'shared_platform' to change "
        "(did you mean 'shared_platforms'?); a new lever needs effects, source",
        False,
    ),
    "decimal comma": (
        "comma.yaml",
        'market:\n  growth: "0,16"\n',
        "comma.yaml:4: market.growth: hãy viết 0.16, không viết 0,16: trong tệp kịch bản, số "
        "thập phân dùng dấu chấm, không dùng dấu phẩy",
        "comma.yaml:4: market.growth: write 0.16, not 0,16: decimals take a point, not a comma",
        False,
    ),
    "tab": (
        "tab.yaml",
        "horizon:\n\tend_year: 2030\n",
        "tab.yaml:4: YAML không hợp lệ: có ký tự tab: YAML chỉ thụt lề bằng dấu cách; hãy thay "
        "tab bằng dấu cách",
        "tab.yaml:4: not valid YAML: a tab character: YAML indents with spaces only; replace "
        "the tab with spaces",
        False,
    ),
    "plausibility warning": (
        "warn.yaml",
        "market:\n  growth: 16\n",
        "warn.yaml:4: market.growth: cảnh báo: 16 share/yr = tăng trưởng +1600% mỗi năm là "
        "khó tin; khoảng hợp lý là từ -0,2 đến 0,5 share/yr; có phải ý bạn là 0.16? (16% được "
        "viết là 0.16)",
        "warn.yaml:4: market.growth: warning: 16 share/yr = +1600 % growth a year is "
        "implausible; the plausible range is -0.2 to 0.5 share/yr; did you mean 0.16? (16 % is "
        "written 0.16)",
        True,
    ),
    "horizon": (
        "horizon.yaml",
        "horizon:\n  base_year: 2022\n  end_year: 2020\n",
        "horizon.yaml:3: horizon: end_year (2020) phải sau base_year (2022)",
        "horizon.yaml:3: horizon: end_year (2020) must be after base_year (2022)",
        False,
    ),
    "schedule after the horizon": (
        "late.yaml",
        "levers:\n  shared_platforms:\n    schedule: {2022: 1.0, 2035: 1.5}\n",
        "late.yaml:5: levers.shared_platforms.schedule[2035]: cảnh báo: 2035 sau end_year của "
        "giai đoạn mô phỏng (2030): cường độ này không bao giờ có hiệu lực",
        "late.yaml:5: levers.shared_platforms.schedule[2035]: warning: 2035 is after the "
        "horizon's end_year (2030): this intensity is never in effect",
        True,
    ),
    "observed edition listed as simulated": (
        "edition.yaml",
        "egov:\n  editions: [2024, 2026]\n",
        "edition.yaml:4: egov.editions: [2024] đã được quan sát (dữ liệu có đến kỳ 2024): đó là "
        "điểm xuất phát, không phải dự báo; để dự báo các kỳ này từ một phiên bản dữ liệu sớm "
        "hơn, hãy đặt as_of là một năm trước 2024. Cách sửa: xoá egov.editions để mô phỏng mọi "
        "năm khảo sát sau 2024 đến hết kỳ dự báo, hoặc liệt kê các kỳ từ 2026 trở đi",
        "edition.yaml:4: egov.editions: [2024] already observed (the data run to the 2024 "
        "edition): they are the starting point, not a forecast; to forecast them from an earlier "
        "vintage, set as_of to a year before 2024. Fix: remove egov.editions to simulate every "
        "survey year after 2024 up to the horizon, or list editions from 2026 on",
        False,
    ),
    "unknown model term": (
        "terms.yaml",
        "egov:\n  terms: [cubic]\n",
        "terms.yaml:4: egov.terms: không có thành phần mô hình ['cubic']; hãy chọn trong số "
        + ", ".join(sorted(TERMS)),
        "terms.yaml:4: egov.terms: unknown terms ['cubic']; choose from "
        + ", ".join(sorted(TERMS)),
        False,
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_validate_in_vietnamese_names_file_line_and_field(tmp_path, monkeypatch, capsys, case):
    name, body, vi, _en, usable = CASES[case]
    path = child(tmp_path, name, body)
    monkeypatch.chdir(tmp_path)  # files are shown relative to the working folder
    code, out, err = validate(capsys, name, "--lang", "vi")
    assert f"  {vi}\n" in err
    if usable:
        assert (code, out) == (0, f"{name}: hợp lệ (1 cảnh báo)\n")
    else:
        assert code == 2 and out == ""
        assert err.startswith("Tìm thấy 1 vấn đề:\n")
    # nothing of the English is left in the report
    assert "problem" not in err and "warning" not in err and "did you mean" not in err
    assert path.is_file()


@pytest.mark.parametrize("case", CASES)
def test_english_stays_the_default_and_as_it_was(tmp_path, monkeypatch, capsys, case):
    name, body, _vi, en, usable = CASES[case]
    child(tmp_path, name, body)
    monkeypatch.chdir(tmp_path)
    default = validate(capsys, name)
    assert validate(capsys, name, "--lang", "en") == default
    code, out, err = default
    assert code == (0 if usable else 2)
    assert f"  {en}\n" in err
    assert out == (f"{name}: ok (1 warning)\n" if usable else "")
    assert err.startswith("  " if usable else "1 problem found:\n")


def test_validate_lang_is_a_choice(capsys):
    with pytest.raises(SystemExit) as info:
        main(["validate", "x.yaml", "--lang", "fr"])
    assert info.value.code == 2
    assert "invalid choice: 'fr'" in capsys.readouterr().err


def test_validate_in_vietnamese_as_a_real_command(tmp_path):
    path = child(tmp_path, "comma.yaml", 'market:\n  growth: "0,16"\n')
    cmd = [sys.executable, "-m", "vnsim.cli", "validate", str(path), "--lang", "vi"]
    env = {**os.environ, "VNSIM_DATA_HOME": str(tmp_path / "user-data")}
    proc = subprocess.run(cmd, capture_output=True, encoding="utf-8", env=env, timeout=600)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"{path}:4: market.growth: hãy viết 0.16, không viết 0,16" in proc.stderr


def test_run_in_vietnamese_shows_the_problems_of_the_scenario(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    child(tmp_path, "lever.yaml", CASES["misspelt lever"][1])
    assert main(["run", "lever.yaml", "--lang", "vi", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Tìm thấy 1 vấn đề:\n")
    assert f"  {CASES['misspelt lever'][2]}\n" in err
    assert not (tmp_path / "o").exists()

    child(tmp_path, "warn.yaml", CASES["plausibility warning"][1])
    args = ["run", "warn.yaml", "--lang", "vi", "--strict", "--out", str(tmp_path / "o")]
    assert main(args) == 2
    assert f"  {CASES['plausibility warning'][2]}\n" in capsys.readouterr().err


def test_run_in_vietnamese_prints_the_warnings_then_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    # two draws cannot be conditioned on the observations: the prior alone
    body = CASES["plausibility warning"][1] + "conditioning:\n  observations: false\n"
    child(tmp_path, "warn.yaml", body)
    args = ["run", "warn.yaml", "--lang", "vi", "--draws", "2", "--quiet", "--out", "o"]
    assert main(args) == 0
    assert capsys.readouterr().err == f"  {CASES['plausibility warning'][2]}\n"
    assert (tmp_path / "o" / "COMPLETE").is_file()


def test_run_in_vietnamese_shows_inputs_unusable_in_some_draws(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    # a wide normal for growth reaches -100 % in some draws: refused when the block starts
    base = BASE.read_text(encoding="utf-8")
    assert base.count("mean: 0.16") == 1
    (tmp_path / "bad.yaml").write_text(base.replace("mean: 0.16", "mean: -1.5"), "utf-8")
    assert main(["run", "bad.yaml", "--lang", "vi", "--draws", "8", "--out", "o"]) == 2
    err = capsys.readouterr().err
    # the plausibility warning first, then the problem that stopped the run
    assert "uncertain.market_growth: cảnh báo: đạt tới -1,5, được dùng ở market.growth:" in err
    assert (
        "\nvnsim: đầu vào của kịch bản không dùng được ở một số lượt mô phỏng: growth của thị "
        "trường (market) phải lớn hơn -1 (-100%) ở mọi lượt mô phỏng\n"
    ) in err
    assert "(thu hẹp phân phối" in err and "Traceback" not in err


def test_run_command_line_mistakes_in_vietnamese(tmp_path, monkeypatch, capsys):
    """A missing scenario file and an impossible --draws, each in the reader's language."""
    monkeypatch.chdir(tmp_path)
    assert main(["run", "nothere.yaml", "--lang", "vi"]) == 2
    assert "nothere.yaml: không có tệp kịch bản này" in capsys.readouterr().err
    child(tmp_path, "ok.yaml", "")
    assert main(["run", "ok.yaml", "--draws", "0", "--lang", "vi"]) == 2
    assert "--draws phải từ 1 đến 10.000.000 (nhận được 0)" in capsys.readouterr().err
    assert main(["run", "ok.yaml", "--draws", "0"]) == 2
    assert "--draws must be between 1 and 10,000,000 (got 0)" in capsys.readouterr().err
