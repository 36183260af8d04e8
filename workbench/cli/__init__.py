"""`workbench` command line: the same library calls as the pages.

Each subcommand lives in its own module in this package and exposes
`register(subparsers)`; the module sets `func` via `set_defaults(func=...)`.
The function returns an int exit code.

Exit codes: 0 success; 1 the command ran but found problems (``import --strict`` with
rejected rows, ``doctor`` failures, OCR failures) or an internal bug; 2 bad input or
environment (every WorkbenchError and file-system error, printed as ``error: <what
happened>`` + ``How to fix: ...``, and argparse usage errors); 130 interrupted (Ctrl-C).
No Python traceback is shown unless WORKBENCH_DEBUG=1.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback

from ..errors import WorkbenchError

# module name in workbench.cli -> subcommand(s) it registers
COMMAND_MODULES = ["io_cmds", "ocr_cmd", "rerank_cmd", "prompt_cmd", "doctor_cmd", "tiny_cmd", "db_cmds", "compare_cmds"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workbench",
        description="Lychee rerank workbench: import candidate sets, OCR, rerank, compare, export.",
    )
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


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    debug = os.environ.get("WORKBENCH_DEBUG", "").strip() not in ("", "0")
    try:
        return int(args.func(args) or 0)
    except WorkbenchError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted (Ctrl-C); whatever was saved before stays saved.\n"
              "How to fix: run the command again to finish the work.", file=sys.stderr)
        return 130
    except OSError as exc:   # a file the analyst named or the environment: not a bug in the workbench
        if debug:
            traceback.print_exc()
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
