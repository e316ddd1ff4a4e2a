"""The README's first two commands are the ones CI runs, and they are real commands."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("```bash\n", 1)[1].split("```", 1)[0]
    return [line.strip() for line in block.splitlines() if line.strip()]


def test_readme_starts_with_two_commands():
    commands = readme_commands()
    assert len(commands) == 2
    install, tests = commands
    assert "pip install" in install and "vnsim run" in install
    assert tests.split()[:3] == [".venv/bin/python", "-m", "pytest"]
    # the whole suite, in parallel, with the chart comparisons and the notebooks
    assert {"-n", "--mpl", "--nbmake"} <= set(tests.split())


def test_ci_runs_the_readme_commands_verbatim():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    for command in readme_commands():
        assert command in ci, f"{command!r} is not run by .ci/run"
