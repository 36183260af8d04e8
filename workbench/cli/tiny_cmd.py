"""`workbench tiny-checkpoint DIR`: build a random Qwen2.5-VL (or, with --family qwen3-vl,
Qwen3-VL) checkpoint (no download)."""

from __future__ import annotations

import argparse
import sys

from ..errors import shell_quote


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tiny-checkpoint", help="build a tiny random Qwen2.5-VL / Qwen3-VL checkpoint for tests",
                       description="Build a randomly initialised Qwen2.5-VL checkpoint (tokenizer trained "
                                   "locally, real chat template, processor) that loads through the same "
                                   "from_pretrained path as Lychee-rerank-mm, or with --family qwen3-vl a "
                                   "Qwen3-VL one that loads like Qwen3-VL-Reranker. Scores are meaningless.")
    p.add_argument("dir", help="output folder")
    p.add_argument("--size", choices=("tiny", "small"), default="tiny",
                   help="tiny (~1M params, tests) or small (~19M params, CPU benchmarks)")
    p.add_argument("--layout", choices=("current", "v4"), default="current",
                   help="file layout: current transformers, or the older 4.x layout of the published files")
    p.add_argument("--family", choices=("qwen2.5-vl", "qwen3-vl"), default="qwen2.5-vl",
                   help="architecture: qwen2.5-vl (Lychee-rerank-mm, default) or qwen3-vl (Qwen3-VL-Reranker)")
    p.set_defaults(func=cmd_tiny)


MARKER = "TINY_CHECKPOINT.txt"   # written by build_tiny_checkpoint: such a folder may be rebuilt


def cmd_tiny(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..errors import InputError
    from ..testing.tiny import build_tiny_checkpoint

    out = Path(args.dir).expanduser()
    if out.exists() and not out.is_dir():
        raise InputError(f"'{args.dir}' is a file, not a folder.",
                         "Give a new folder name, e.g. workbench tiny-checkpoint models/tiny.")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise InputError(f"The folder '{args.dir}' is not empty; a checkpoint written there would mix "
                         "with (and overwrite) its files.",
                         "Give a new or empty folder, e.g. workbench tiny-checkpoint models/tiny.")

    # the builder checks family/size/layout (e.g. no v4 layout for qwen3-vl) before writing anything
    out = build_tiny_checkpoint(args.dir, size=args.size, layout=args.layout,
                                family=getattr(args, "family", "qwen2.5-vl"))
    print(f"tiny checkpoint written to {out}\nuse it with: WORKBENCH_MODEL={shell_quote(out)}", file=sys.stderr)
    return 0
