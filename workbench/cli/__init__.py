"""`workbench` command line: the same library calls as the pages.

Each subcommand lives in its own module in this package and exposes
`register(subparsers)`; the module sets `func` via `set_defaults(func=...)`.
The function returns an int exit code. WorkbenchError is printed as
analyst-facing text (message + how to fix) with exit code 2; anything else is a bug.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from ..errors import WorkbenchError

# module name in workbench.cli -> subcommand(s) it registers
COMMAND_MODULES = ["io_cmds", "ocr_cmd", "rerank_cmd", "doctor_cmd", "tiny_cmd", "db_cmds", "compare_cmds"]


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
    try:
        return int(args.func(args) or 0)
    except WorkbenchError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
