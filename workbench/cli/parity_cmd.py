"""`workbench parity --model A --model B --input FILE [--instruction ...]`: score one candidate file
with two backends (local folder, bm25, or a server URL) and print max / mean |Δscore|, Kendall τ,
top-10 overlap and a one-line verdict. Exit code 0 when max |Δscore| <= --tolerance (1e-4),
1 otherwise."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import InputError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("parity", help="score one set with two backends and compare (max |Δ|, Kendall τ, top-10)",
                       description="Score every candidate set of --input with two backends (e.g. the local "
                                   "engine and a vLLM server) and print max and mean |Δscore|, Kendall τ, top-10 "
                                   "overlap and a verdict. Exit code 1 when the backends disagree.")
    p.add_argument("--model", action="append", default=[], required=True,
                   help="a backend: model folder, 'bm25' or server URL (give --model exactly twice; "
                        "commas inside one URL value = replicas)")
    p.add_argument("--input", metavar="FILE", required=True, help="candidate file: CSV, TSV, JSONL, ZIP or a folder")
    p.add_argument("--instruction", default=None, help="instruction text (default: each model's default)")
    p.add_argument("--query-text", help="query text, when --input is a folder of images")
    p.add_argument("--encoding", default=None)
    p.add_argument("--tolerance", type=float, default=1e-4,
                   help="largest |Δscore| that still counts as the same (default 1e-4; e.g. 1e-2 between "
                        "bfloat16 and float32)")
    p.add_argument("--prompt-format", action="append", default=[], metavar="NAME",
                   help="prompt layout (lychee, lychee-v1, qwen3-vl-reranker; default: each model's); once for "
                        "both backends, twice for A and B")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    from .rerank_cmd import add_remote_args

    add_remote_args(p)
    p.set_defaults(func=cmd_parity)


def cmd_parity(args: argparse.Namespace) -> int:
    if len(args.model) != 2:
        raise InputError(f"parity compares two backends; {len(args.model)} --model given.",
                         "Give --model twice, e.g. --model /models/lychee-rerank-mm --model http://HOST:8000/v1.")
    if not args.tolerance >= 0:
        raise InputError(f"--tolerance must be >= 0 (got {args.tolerance}).", "Use e.g. --tolerance 1e-4.")
    if args.instruction is not None and not args.instruction.strip():
        raise InputError("--instruction is empty.", "Write the instruction, or leave it out for the default.")
    from .. import formats
    from ..parity import parity_report, score_both
    from .rerank_cmd import make_reranker, remote_opts

    result = formats.read_candidates(Path(args.input), args.encoding, query_text=args.query_text)
    if result.rejected:
        print(result.summary(), file=sys.stderr)
    if not result.sets:
        raise InputError(f"'{args.input}' holds no candidate set.", "Check the file with `workbench import`.")
    names = list(args.prompt_format)
    if len(names) > 2:
        raise InputError("--prompt-format is given more than twice.",
                         "Give it once (both backends) or twice (A, then B).")
    fa, fb = (names * 2)[:2] if names else (None, None)
    a = make_reranker(args.model[0], prompt_format=fa, remote=remote_opts(args))
    b = make_reranker(args.model[1], prompt_format=fb, remote=remote_opts(args))

    def progress(label: str, done: int, total: int) -> None:
        if done >= total:
            print(f"{label}: {done}/{total}", file=sys.stderr)

    sa, sb = score_both(a, b, result.sets, args.instruction, progress=progress)

    def label(rr, arg) -> str:
        proto = rr.params().get("protocol")
        return f"{arg} ({rr.backend}{', ' + proto if proto else ''}, model {rr.model_id})"

    report = parity_report(sa, sb, label_a=label(a, args.model[0]), label_b=label(b, args.model[1]),
                           tolerance=args.tolerance)
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        print("\n".join(report.lines()))
    for rr in (a, b):
        close = getattr(rr, "close", None)
        if close:
            close()
    return 0 if report.ok else 1
