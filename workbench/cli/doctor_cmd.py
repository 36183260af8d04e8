"""`workbench doctor [--device cpu|cuda] [--skip-smoke]`: check the stack, explain each problem."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", help="check Python/torch, GPU, flash-attn, tesseract, model path, port",
                       description="Check the environment and print a fix for each problem, then score "
                                   "one real pair with the tiny test checkpoint. Exit 0 when the core "
                                   "works (a missing GPU is a warning, not a failure).")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--skip-smoke", action="store_true", help="skip the tiny-checkpoint scoring pass")
    p.set_defaults(func=cmd_doctor)


def cmd_doctor(args: argparse.Namespace) -> int:
    from ..doctor import core_ok, format_table, run_checks

    checks = run_checks(device=None if args.device == "auto" else args.device,
                        smoke=not args.skip_smoke)
    print(format_table(checks))
    ok = core_ok(checks)
    n_warn = sum(1 for c in checks if not c.ok and c.warning)
    n_fail = sum(1 for c in checks if not c.ok and not c.warning)
    print(f"\n{'OK' if ok else 'PROBLEMS'}: {n_fail} failure(s), {n_warn} warning(s).")
    from .. import limits

    print("\nimport limits (README 'Limits and guarantees'; raise one with its environment variable):")
    for env, value, what in limits.table():
        print(f"  {env:<27} {value:>10}  {what}")
    return 0 if ok else 1
