"""The `lstmkit` command: `lstmkit forecast ...` and `lstmkit generate ...`.

The command only parses arguments and calls the Python API. Each subcommand
lives in its own module with two functions:

    add_parser(subparsers) -> argparse.ArgumentParser   # declares its arguments
    run(args) -> int                                    # does the work, returns the exit code

Bad input is reported as one line on stderr with exit code 2, never a traceback:
subcommands raise `UsageError` (or let argparse reject an argument).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings

SUBCOMMANDS = ("forecast", "generate")
EXIT_USAGE = 2


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but an error is one line (`lstmkit forecast: error: ...`) and exit 2."""

    def error(self, message):
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    from lstmkit._version import __version__

    parser = _Parser(prog="lstmkit", description="Sequence models with LSTMs on JAX, Keras-compatible.")
    parser.add_argument("--version", action="version", version=f"lstmkit {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    for name in SUBCOMMANDS:
        importlib.import_module(f"lstmkit.cli.{name}").add_parser(subparsers)
    return parser


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    prog = "lstmkit" + (f" {argv[0]}" if argv and argv[0] in SUBCOMMANDS else "")
    try:
        args = build_parser().parse_args(argv)  # --version and --help print and raise SystemExit(0), as argparse does
        module = importlib.import_module(f"lstmkit.cli.{args.command}")
        with warnings.catch_warnings():  # a warning is one line of the command's, not a source excerpt
            warnings.showwarning = lambda message, *_, **__: print(f"{prog}: warning: {message}", file=sys.stderr)
            return int(module.run(args) or 0)
    except UsageError as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `lstmkit forecast | head`: the reader left; no traceback for that
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit's flush cannot fail again
        return 141
