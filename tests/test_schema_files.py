"""The JSON Schema files that editors use (``schema/``) match the code that validates."""

import json
from pathlib import Path

import pytest
from vnsim.cli import main

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("flag", "file"), [([], "scenario"), (["--targets"], "targets")])
def test_schema_file_is_current(capsys, flag, file):
    assert main(["schema", *flag]) == 0
    printed = json.loads(capsys.readouterr().out)
    shipped = json.loads((ROOT / "schema" / f"{file}.schema.json").read_text(encoding="utf-8"))
    assert printed == shipped, (
        f"regenerate with: vnsim schema {' '.join(flag)} > schema/{file}.schema.json"
    )


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").rglob("*.yaml")), ids=lambda p: p.name)
def test_shipped_files_point_editors_to_the_schema(path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    kind = "targets" if path.parent.name == "targets" else "scenario"
    assert first.startswith("# yaml-language-server: $schema=")
    target = (path.parent / first.split("$schema=", 1)[1].strip()).resolve()
    assert target == (ROOT / "schema" / f"{kind}.schema.json").resolve()
