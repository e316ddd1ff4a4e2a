"""The error types users see and the one exit-status rule: 0 success, 2 a problem the user can
fix (one message, no traceback), 130 interrupted, 1 a bug ("internal error")."""

from __future__ import annotations

import errno
import re
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


# --- messages in the reader's language ------------------------------------------------------


def test_a_message_is_its_english_text_and_keeps_its_msgid_and_params():
    from vnsim.errors import ENGLISH, Message, Num

    hint = Message(" (did you mean '{name}'?)", name="growth")
    m = Message("unknown key{hint} at {share}", hint=hint, share=Num(0.5, "+g", percent=True))
    assert m == "unknown key (did you mean 'growth'?) at +0.5 %"
    assert isinstance(m, str) and m.render() == m.render(ENGLISH) == str(m)
    assert m.msgid == "unknown key{hint} at {share}"
    assert m.params["hint"] is hint and m.params["share"] == Num(0.5, "+g", True)
    # the parameters are values, never templates: braces in them are kept as written
    assert Message("bad value {value!r}", value="{x}") == "bad value '{x}'"


class _Upper:
    """A made-up language: the words of every msgid in capitals, numbers in brackets."""

    lang = "xx"

    def gettext(self, message):
        return re.sub(r"[^{}]+(?![^{]*})", lambda m: m[0].upper(), message)

    def ngettext(self, singular, plural, n):
        return self.gettext(singular if n == 1 else plural)

    def format_number(self, value, spec="g", percent=False):
        return f"<{value:{spec}}{'pct' if percent else ''}>"


def test_a_message_renders_its_parameters_in_the_language_and_the_rest_as_written():
    from vnsim.errors import Message, Num

    inner = Message("did you mean {name}", name="growth")
    m = Message("{field}: {value} is {hint}", field="market.growth", value=Num(16), hint=inner)
    assert m.render(_Upper()) == "market.growth: <16> IS DID YOU MEAN growth"
    joined = Message.join([inner, "plain text", Num(3, percent=True)], " / ")
    assert joined == "did you mean growth / plain text / 3 %"
    assert joined.render(_Upper()) == "DID YOU MEAN growth / plain text / <3pct>"


def test_a_worded_message_keeps_the_english_another_library_wrote():
    from vnsim.errors import Message, Num

    m = Message.worded("Input should be at least 2", "Input should be at least {ge}", ge=Num(2.0))
    assert m == "Input should be at least 2"
    assert m.render(_Upper()) == "INPUT SHOULD BE AT LEAST <2>"


def test_messages_survive_pickling_as_in_a_runs_worker_processes():
    import pickle

    from vnsim.errors import Message, Num

    m = Message("{series}: rate {x}", series="dossiers.commune", x=Num(0.25))
    exc = pickle.loads(pickle.dumps(InputError(m)))
    back = exc.args[0]
    assert type(back) is Message and back == m
    assert (back.msgid, back.params) == (m.msgid, m.params)
    hint = "\n  (NARROW THE DISTRIBUTION IN ITS `UNCERTAIN:` ENTRY)"
    assert exc.report_in(_Upper()).endswith(hint)


def test_user_problems_report_their_message_in_the_language():
    from vnsim.errors import Message

    exc = UserError(Message("no file {name!r}", name="a.yaml"))
    assert exc.report() == str(exc) == "no file 'a.yaml'"
    assert exc.report_in(_Upper()) == "NO FILE 'a.yaml'"
    assert exit_status(exc, _Upper()) == (2, "NO FILE 'a.yaml'")
    # a plain message stays as written; a subclass that words its own report keeps it
    assert UserError("as written").report_in(_Upper()) == "as written"

    class Own(UserProblem):
        def report(self):
            return "own words"

    assert Own(Message("x")).report_in(_Upper()) == "own words"


@pytest.mark.parametrize("kind", ["ConditioningError", "EditionError"])
def test_input_errors_that_word_their_own_report_keep_it_in_every_language(kind):
    from vnsim import datasets
    from vnsim.core import conditioning

    cls = getattr(conditioning, kind, None) or getattr(datasets, kind)
    exc = cls("observation 'x' cannot be reproduced")
    assert isinstance(exc, InputError)
    assert exc.report_in(_Upper()) == exc.report() != InputError(*exc.args).report()
    assert exit_status(exc, _Upper())[1] == exc.report()


def test_document_error_reports_in_the_language():
    from vnsim.errors import Message
    from vnsim.present.i18n import translator

    problems = [
        Problem("a.yaml", 3, "name", Message("required but missing")),
        Problem("a.yaml", 5, "market.growth", Message("required but missing"), "warning"),
    ]
    exc = DocumentError(problems)
    assert exc.report_in(translator("vi")).splitlines() == [
        "Tìm thấy 2 vấn đề:",
        "  a.yaml:3: name: bắt buộc nhưng còn thiếu",
        "  a.yaml:5: market.growth: cảnh báo: bắt buộc nhưng còn thiếu",
    ]
    assert exc.report_in(translator("en")) == exc.report() == str(exc)
    assert exc.report().splitlines()[0] == "2 problems found:"


def test_unusable_files_say_why_in_the_language(tmp_path):
    from vnsim.errors import read_input
    from vnsim.present.i18n import translator

    with pytest.raises(UnusableFile) as info:
        read_input(tmp_path, 10)
    assert info.value.report() == f"{tmp_path}: cannot read the file (it is a folder, not a file)"
    vi = info.value.report_in(translator("vi"))
    assert vi == f"{tmp_path}: không đọc được tệp (đây là thư mục, không phải tệp)"
    big = tmp_path / "big.yaml"
    big.write_bytes(b"x" * 12_345)
    with pytest.raises(UnusableFile) as info:
        read_input(big, 10_000, "scenario files")
    assert "file is 12,345 bytes; scenario files are limited to 10,000" in str(info.value)
    assert "tệp có 12.345 byte" in info.value.report_in(translator("vi"))
