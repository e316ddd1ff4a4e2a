"""The error types users see and the one exit-status rule: 0 success, 2 a problem the user can
fix (one message, no traceback), 130 interrupted, 1 a bug ("internal error")."""

from __future__ import annotations

import errno
import signal

import pytest
from vnsim import cli, errors
from vnsim.cli import schema
from vnsim.errors import (
    DataError,
    DocumentError,
    InputError,
    Interrupted,
    ResourceError,
    RunFolderError,
    UnusableFile,
    UserError,
    UserProblem,
    exit_status,
)
from vnsim.spec.documents import Problem


@pytest.fixture(autouse=True)
def restore_signals():
    """main() installs its own SIGINT/SIGTERM handlers: put the test runner's back."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in handlers.items():
        signal.signal(sig, handler)


@pytest.mark.parametrize(
    "exc",
    [
        UserError("x.yaml: no such scenario file"),
        DataError("EGOV_DATA_2024.csv", ["row 3: EGDI above 1"]),
        DocumentError([Problem("a.yaml", 2, "name", "required but missing")]),
        ResourceError("10,000,000 draws need about 170 GiB"),
        RunFolderError("run: not a finished vnsim run"),
        InputError("growth below -100 %"),
        UnusableFile("pipe.yaml", "it is a named pipe (FIFO), not a regular file"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_every_user_facing_error_exits_2_with_its_message(exc):
    assert isinstance(exc, UserProblem)
    status, message = exit_status(exc)
    assert status == errors.EXIT_USER == 2
    assert str(exc).splitlines()[0] in message and "internal error" not in message


def test_errors_that_were_value_errors_still_are():
    # callers (and their tests) written as `except ValueError` keep working
    for cls in (DataError, DocumentError, ResourceError, RunFolderError, InputError):
        assert issubclass(cls, ValueError), cls


def test_document_error_lists_every_problem_sorted_and_once():
    late = Problem("b.yaml", 9, "levers", "unknown key")
    early = Problem("a.yaml", 3, "name", "required but missing")
    exc = DocumentError([late, early, late])
    assert exc.problems == [early, late]
    assert exc.report().splitlines() == [
        "2 problems found:",
        "  a.yaml:3: name: required but missing",
        "  b.yaml:9: levers: unknown key",
    ]
    assert exit_status(exc)[1] == exc.report()


def test_data_error_names_its_source_and_rows():
    exc = DataError("un.csv", ["rows 1-2: no ISO3", "row 7: duplicate"])
    assert exc.source == "un.csv" and exc.problems == ["rows 1-2: no ISO3", "row 7: duplicate"]
    assert str(exc).splitlines() == [
        "2 problem(s) in un.csv:",
        "- rows 1-2: no ISO3",
        "- row 7: duplicate",
    ]


def test_input_error_says_what_to_change():
    status, message = exit_status(InputError("market growth below -100 % in 3 draws"))
    assert status == 2
    assert "market growth below -100 % in 3 draws" in message and "uncertain:" in message


def test_interrupt_memory_environment_and_bugs():
    assert exit_status(KeyboardInterrupt()) == (130, "vnsim: interrupted; no results were written")
    status, message = exit_status(MemoryError())
    assert status == 2 and "--draws" in message
    full = OSError(errno.ENOSPC, "No space left on device", "/data/run/ensemble.nc")
    assert exit_status(full) == (2, "vnsim: /data/run/ensemble.nc: No space left on device")
    status, message = exit_status(PermissionError(errno.EACCES, "Permission denied", "results"))
    assert status == 2 and message == "vnsim: results: Permission denied"
    status, message = exit_status(ZeroDivisionError("division by zero"))
    assert status == 1
    assert message.splitlines()[0] == "vnsim: internal error: ZeroDivisionError: division by zero"
    # an OSError that is not the environment's state (a bad file descriptor) is a bug
    assert exit_status(OSError(errno.EBADF, "Bad file descriptor"))[0] == 1
    # a path through a file, a name too long: the user's to fix
    assert exit_status(NotADirectoryError(errno.ENOTDIR, "Not a directory", "a/b"))[0] == 2
    assert exit_status(OSError(errno.ENAMETOOLONG, "File name too long", "x" * 300))[0] == 2


def test_an_interrupt_after_the_results_are_complete_says_where_they_are():
    status, message = exit_status(Interrupted("the results are complete in results/x"))
    assert status == 130
    assert message == "vnsim: interrupted; the results are complete in results/x"
    assert isinstance(Interrupted(), KeyboardInterrupt)  # still stops whatever catches those


# --- main applies the rule to whatever a command raises -------------------------------------


def failing(exc: BaseException):
    def command(args) -> int:
        raise exc

    return command


@pytest.mark.parametrize(
    ("exc", "status", "needle"),
    [
        (UserError("no such scenario file"), 2, "no such scenario file"),
        (DocumentError([Problem("s.yaml", 4, "name", "bad")]), 2, "s.yaml:4: name: bad"),
        (KeyboardInterrupt(), 130, "interrupted"),
        (RuntimeError("boom"), 1, "internal error: RuntimeError: boom"),
    ],
)
def test_main_maps_what_a_command_raises(monkeypatch, capsys, exc, status, needle):
    monkeypatch.delenv("VNSIM_DEBUG", raising=False)
    monkeypatch.setattr(schema, "command", failing(exc))
    assert cli.main(["schema"]) == status
    captured = capsys.readouterr()
    assert needle in captured.err and "Traceback" not in captured.err
    assert captured.out == ""


def test_vnsim_debug_shows_the_traceback_of_a_bug_only(monkeypatch, capsys):
    monkeypatch.setenv("VNSIM_DEBUG", "1")
    monkeypatch.setattr(schema, "command", failing(RuntimeError("boom")))
    with pytest.raises(RuntimeError, match="boom"):
        cli.main(["schema"])
    monkeypatch.setattr(schema, "command", failing(UserError("mine")))
    assert cli.main(["schema"]) == 2
    assert "mine" in capsys.readouterr().err


def test_legacy_data_error_of_the_data_layer_is_a_user_problem(monkeypatch, capsys):
    """Whichever class vnsim.datasets raises (its own until it imports vnsim.errors'), a bad
    data file ends in exit 2 with the rows named."""
    from vnsim import datasets

    monkeypatch.setattr(
        schema, "command", failing(datasets.DataError("un.csv", ["row 2: no ISO3 code"]))
    )
    assert cli.main(["schema"]) == 2
    err = capsys.readouterr().err
    assert "1 problem(s) in un.csv" in err and "row 2: no ISO3 code" in err


def test_main_restores_the_signal_handlers(monkeypatch):
    def handler(signum, frame):
        pass

    signal.signal(signal.SIGTERM, handler)
    monkeypatch.setattr(schema, "command", lambda args: 0)
    assert cli.main(["schema"]) == 0
    assert signal.getsignal(signal.SIGTERM) is handler


def test_interrupts_wait_for_a_deferred_block_to_end():
    done = []
    with pytest.raises(KeyboardInterrupt):
        with errors.interrupts_deferred():
            with errors.interrupts_deferred():
                errors.interrupt()  # what the signal handler calls
                done.append("inner")
            done.append("outer")  # nested: still deferred
    assert done == ["inner", "outer"]
    with pytest.raises(KeyboardInterrupt):
        errors.interrupt()  # outside a block: at once
    with errors.interrupts_deferred():
        pass  # nothing pending any more
