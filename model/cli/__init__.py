"""The ``vnsim`` command line: one module per command, assembled here.

Each command module (``vnsim.cli.run``, ``vnsim.cli.validate``, …) has ``register(sub)``, which
adds its sub-parser and sets its handler. :func:`main` runs the handler and turns what it
raised into an exit status (:func:`vnsim.errors.exit_status`): 0 success, 2 a problem the user
can fix (a message on stderr, never a traceback, nothing written), 130 interrupted, 1 a bug.
"""

from __future__ import annotations

import os
import signal
import threading

#: As :data:`vnsim.errors.EXIT_INTERRUPTED`, which is not imported yet when this is needed.
_EXIT_INTERRUPTED = 130


def _interrupted_while_starting(signum: int, frame: object) -> None:
    """While the command line is imported nothing is written: stop with one line."""
    os.write(2, b"vnsim: interrupted; no results were written\n")
    os._exit(_EXIT_INTERRUPTED)


def _starting_handlers() -> dict:
    """SIGINT and SIGTERM end the process cleanly while the command modules are imported, if
    they still have their default handlers (a host such as pytest keeps its own); returns
    the handlers to restore."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    for sig, handler in previous.items():
        if handler in (signal.default_int_handler, signal.SIG_DFL):
            signal.signal(sig, _interrupted_while_starting)
    return previous


_previous = _starting_handlers()
try:
    import argparse
    import contextlib
    import sys
    from collections.abc import Callable, Iterator
    from types import FrameType, ModuleType
    from typing import Any

    from vnsim.cli import (
        backtest,
        charts,
        data,
        report,
        run,
        scenarios,
        schema,
        sensitivity,
        targets,
        terms,
        validate,
        verify,
        what_it_takes,
    )
    from vnsim.errors import ENGLISH, EXIT_BUG, EXIT_OK, UserError, exit_status, interrupt
finally:
    for _sig, _handler in _previous.items():
        signal.signal(_sig, _handler)

__all__ = ["COMMANDS", "UserError", "build_parser", "main"]

#: The command modules, in the order ``vnsim --help`` lists them.
COMMANDS: tuple[ModuleType, ...] = (
    run,
    validate,
    schema,
    data,
    verify,
    targets,
    charts,
    backtest,
    terms,
    what_it_takes,
    report,
    sensitivity,
    scenarios,
)
HANDLED_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def build_parser() -> argparse.ArgumentParser:
    """The ``vnsim`` parser, with one sub-parser per module of :data:`COMMANDS`."""
    parser = argparse.ArgumentParser(
        prog="vnsim",
        description="Simulate Vietnam's IT application market, online dossiers and UN EGDI "
        "rank under policy levers, and check them against the government's targets.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``vnsim`` command; returns the exit status."""
    received: list[int] = []
    # the handlers come first: a signal while the arguments are parsed is an interrupt too
    with _signals_as_interrupts(received):
        try:
            args = build_parser().parse_args(argv)
        except KeyboardInterrupt:
            return _dispatch(_interrupted, argparse.Namespace())
        # long-running commands check `args.stopped()` between chunks of work
        args.stopped = lambda: bool(received)
        return _dispatch(args.func, args)


def _interrupted(args: argparse.Namespace) -> int:
    raise KeyboardInterrupt


@contextlib.contextmanager
def _signals_as_interrupts(received: list[int]) -> Iterator[None]:
    """SIGINT and SIGTERM raise ``KeyboardInterrupt`` and are recorded in ``received``.

    Outside the main thread (where signal handlers cannot be set) nothing changes.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    default_unraisable = sys.unraisablehook

    def interrupted(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        interrupt()  # raises now, or when a step that must not be cut in two is over

    def unraisable(info: Any) -> None:
        # The handler's KeyboardInterrupt is lost when it lands in a weakref callback or
        # __del__ (Python only prints it): print nothing; `args.stopped()` catches it later.
        if not (received and isinstance(info.exc_value, KeyboardInterrupt)):
            default_unraisable(info)

    previous = {sig: signal.signal(sig, interrupted) for sig in HANDLED_SIGNALS}
    sys.unraisablehook = unraisable
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sys.unraisablehook = default_unraisable


def _language(args: argparse.Namespace) -> Any:
    """The language of the command's messages (``--lang``; English for commands without it)."""
    lang = getattr(args, "lang", "en")
    if lang == "en":
        return ENGLISH
    from vnsim.present.i18n import translator  # only then: the catalogue takes time to load

    return translator(lang)


def _dispatch(handler: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run a command's handler; print what it raised as one message (a user's problem in the
    command's ``--lang``) and return the status."""
    try:
        return handler(args)
    except BrokenPipeError:
        # output piped into e.g. `head`, which stopped reading: not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except (Exception, KeyboardInterrupt) as exc:
        status, message = exit_status(exc, _language(args))
        if status == EXIT_BUG and os.environ.get("VNSIM_DEBUG"):
            raise
        print(message, file=sys.stderr)
        return status
