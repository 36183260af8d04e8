"""`workbench` command line: the same library calls as the pages.

Each subcommand lives in its own module in this package and exposes
`register(subparsers)`; the module sets `func` via `set_defaults(func=...)`.
The function returns an int exit code.

Exit codes: 0 success; 1 the command ran but found problems (``import --strict`` with
rejected rows, ``doctor`` failures, OCR failures) or an internal bug; 2 bad input or
environment (every WorkbenchError and file-system error, printed as ``error: <what
happened>`` + ``How to fix: ...``, and argparse usage errors); 130 interrupted (Ctrl-C), 143 on
SIGTERM, 129 on SIGHUP (`interrupted_exit`; commands that catch the stop themselves use it too).
No Python traceback is shown unless WORKBENCH_DEBUG=1.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import traceback

from .. import config
from ..errors import WorkbenchError

# module name in workbench.cli -> subcommand(s) it registers
COMMAND_MODULES = ["io_cmds", "ocr_cmd", "rerank_cmd", "prompt_cmd", "doctor_cmd", "tiny_cmd", "db_cmds",
                   "compare_cmds", "serve_cmd", "parity_cmd", "run_cmds", "beir_cmd", "app_cmd",
                   "agreement_cmd", "judge_cmd"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workbench",
        description="Lychee rerank workbench: import candidate sets, OCR, rerank, compare, export.",
    )
    parser.add_argument("--db", metavar="FILE_OR_URL",
                        help="the database for this command: a SQLite file or postgresql://user@host/db "
                             "(default: WORKBENCH_DB)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{name}":
                continue  # subcommand not built yet
            raise
        module.register(sub)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM/SIGHUP (docker stop, systemd, a closed terminal): handled exactly like Ctrl-C,
    so the run in flight is saved as cancelled with settled ranks."""

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(signal.Signals(signum).name)


def _raise_terminated(signum, _frame):
    raise Terminated(signum)


def install_signal_handlers() -> None:
    """SIGTERM and SIGHUP raise Terminated (a KeyboardInterrupt) in the main thread."""
    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is None:
            continue
        try:
            signal.signal(sig, _raise_terminated)
        except (ValueError, OSError):   # not the main thread (embedded use): leave as is
            pass


def interrupted_exit(err: BaseException) -> tuple[str, int]:
    """(how the stop is named in messages, exit code): Ctrl-C 130, SIGTERM 143, SIGHUP 129."""
    if isinstance(err, Terminated):
        return signal.Signals(err.signum).name, 128 + err.signum
    return "Ctrl-C", 130


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    config.set_db(getattr(args, "db", None))       # --db wins over WORKBENCH_DB for this command
    debug = config.env("WORKBENCH_DEBUG").lower() not in ("", "0", "false", "no", "off")
    if argv is None:                     # a real command line, not a test calling main([...])
        install_signal_handlers()
    try:
        return int(args.func(args) or 0)
    except WorkbenchError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as err:
        how, code = interrupted_exit(err)
        print(f"error: interrupted ({how}); whatever was saved before stays saved.\n"
              "How to fix: run the command again to finish the work.", file=sys.stderr)
        return code
    except OSError as exc:   # a file the analyst named or the environment: not a bug in the workbench
        if debug:
            traceback.print_exc()
        if getattr(exc, "errno", None) == 28:        # ENOSPC
            from ..store.engine import _size, free_space

            where = exc.filename or os.getcwd()
            free = free_space(os.path.dirname(os.path.abspath(str(where))) or ".")
            print(f"error: the disk is full: could not write '{where}'"
                  + (f" ({_size(free)} free there)" if free is not None else "") + ".\n"
                  "How to fix: free some space on that disk (or point WORKBENCH_HOME / WORKBENCH_DB / "
                  "the output at a disk with room) and run the command again.", file=sys.stderr)
            return 2
        where = f" ('{exc.filename}')" if getattr(exc, "filename", None) else ""
        print(f"error: {exc.strerror or exc}{where}.\n"
              "How to fix: check that the path exists, is the right kind (file or folder) and that you "
              "may read/write it, and that the disk is not full.", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug: say so plainly, keep the traceback for the report
        if debug:
            traceback.print_exc()
        print(f"error: internal error in `workbench {args.command}`: {type(exc).__name__}: {exc}\n"
              "How to fix: this is a bug in the workbench, not in your input, and nothing already saved "
              "is lost. Run again with WORKBENCH_DEBUG=1 to see the traceback and report it.",
              file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
