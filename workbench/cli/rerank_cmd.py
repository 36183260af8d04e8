"""`workbench rerank`: score every candidate set of a file with one or more instructions.

    workbench rerank --input cands.csv --instruction "..." [--instruction "..."] \
        --model /models/lychee-rerank-mm|bm25 --output ranked.csv [--batch-size 8] [--top-k K]

Reads with workbench.io.read_candidates, ranks through workbench.rerank (the
store's score cache is used unless --no-cache), writes the long ranked CSV
(query_id, doc_id, rank, score, instruction, backend, model, label). Progress
goes to stderr.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..errors import InputError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("rerank", help="rerank candidate sets from a file and write the ranked CSV",
                       description="Rank every candidate set in FILE for every --instruction and write the "
                                   "long ranked CSV (query_id, doc_id, rank, score, instruction, backend, "
                                   "model, label).")
    p.add_argument("--input", required=True, help="candidate file: CSV, JSONL, ZIP or a folder")
    p.add_argument("--instruction", action="append", default=[],
                   help="instruction text (repeat for several; default: the model's default instruction)")
    p.add_argument("--model", default=None,
                   help="model folder / id for the Qwen-VL backend, or 'bm25' (default: $WORKBENCH_MODEL)")
    p.add_argument("--output", required=True, help="CSV file to write ('-' for standard output)")
    p.add_argument("--batch-size", type=int, default=None, help="documents per forward pass (default 8)")
    p.add_argument("--top-k", type=int, default=None, help="keep only the best K documents per set")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--dtype", choices=("auto", "float32", "bfloat16", "float16"), default="auto")
    p.add_argument("--max-length", type=int, default=None)
    p.add_argument("--min-pixels", type=int, default=None)
    p.add_argument("--max-pixels", type=int, default=None)
    p.add_argument("--encoding", default=None, help="text encoding of the input file (default: detected)")
    p.add_argument("--bom", action="store_true", help="write UTF-8 with BOM (Excel)")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the score cache")
    p.set_defaults(func=cmd_rerank)


def make_reranker(model: str | None, *, batch_size=None, device="auto", dtype="auto",
                  max_length=None, min_pixels=None, max_pixels=None):
    from .. import config
    from ..rerank import get_reranker

    name = (model or "").strip()
    if name.lower() in ("bm25", "lexical"):
        return get_reranker("lexical")
    return get_reranker("qwen-vl", model_path=name or config.model_path(), batch_size=batch_size,
                        device=None if device == "auto" else device,
                        dtype=None if dtype == "auto" else dtype, max_length=max_length,
                        min_pixels=min_pixels, max_pixels=max_pixels)


def _progress(label: str):
    start = time.perf_counter()

    def report(done: int, total: int) -> None:
        print(f"\r{label}: {done}/{total} docs ({time.perf_counter() - start:.1f}s)",
              end="\n" if done >= total else "", file=sys.stderr, flush=True)

    return report


def cmd_rerank(args: argparse.Namespace) -> int:
    from .. import io as wio
    from ..model import Run, Score

    if args.batch_size is not None and args.batch_size < 1:
        raise InputError("--batch-size must be at least 1.", "Use e.g. --batch-size 8.")
    result = wio.read_candidates(Path(args.input), args.encoding)
    if result.rejected:
        print(result.summary(), file=sys.stderr)
    reranker = make_reranker(args.model, batch_size=args.batch_size, device=args.device,
                             dtype=args.dtype, max_length=args.max_length,
                             min_pixels=args.min_pixels, max_pixels=args.max_pixels)
    cache = None
    if not args.no_cache and getattr(reranker, "cacheable", True):
        from ..store import Store

        cache = Store()
    instructions = args.instruction or [getattr(reranker, "default_instruction", "") or ""]
    runs: list[Run] = []
    labels: dict[str, dict[str, int]] = {}
    n_sets = len(result.sets)
    for s, cset in enumerate(result.sets, start=1):
        labels[cset.query.id] = cset.labels
        for instruction in instructions:
            label = f"[{s}/{n_sets}] {cset.query.id}"
            ranked = reranker.rank(instruction, cset.query, cset.documents, top_k=args.top_k,
                                   cache=cache, progress=_progress(label))
            for w in ranked.warnings:
                print(f"warning: {w}", file=sys.stderr)
            runs.append(Run(instruction=instruction, backend=reranker.backend,
                            model_id=reranker.model_id, query_id=cset.query.id,
                            params=reranker.params(), status="done",
                            scores=[Score(r.doc_id, r.score, r.rank, r.index) for r in ranked]))
    if args.output == "-":
        sys.stdout.write(wio.export_long(runs, None, bom=False, labels=labels).decode("utf-8"))
    else:
        wio.export_long(runs, args.output, bom=args.bom, labels=labels)
        print(f"wrote {sum(len(r.scores) for r in runs)} rows ({len(runs)} rankings) to {args.output}",
              file=sys.stderr)
    return 0
