"""`workbench rerank`: score candidate sets with one or more instructions.

    workbench rerank --input cands.csv --instruction "..." [--instruction "..."] \
        --model /models/lychee-rerank-mm|bm25 --output ranked.csv [--batch-size 8] [--top-k K]
    workbench rerank --session NAME --instruction "..." --model ... [--output ranked.csv]

With --input the file is read with workbench.formats.read_candidates, ranked through
workbench.rerank (the store's score cache is used unless --no-cache) and the long
ranked CSV (query_id, doc_id, rank, score, instruction, backend, model, label) is
written. With --session the session's stored sets are ranked through
workbench.service (the same calls as the Rerank page): every ranking is saved as a
run, batch by batch, so `workbench compare` / `workbench export` can use it.
Progress goes to stderr.

Ctrl-C keeps what is done: with --input the finished rankings are written to
<output>.partial.csv (and every scored batch is in the score cache, so running the
command again resumes quickly); with --session the run in flight is kept as
"cancelled" with its scored documents. Exit code 130.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..errors import InputError, shell_quote
from ._output import check_output, write_output


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("rerank", help="rerank candidate sets (a file or a stored session) and write the ranked CSV",
                       description="Rank every candidate set of --input FILE (or of a stored --session) for "
                                   "every --instruction and write the long ranked CSV (query_id, doc_id, rank, "
                                   "score, instruction, backend, model, label). With --session the rankings "
                                   "are also saved as runs of the session. Ctrl-C keeps the finished work.")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--input", metavar="FILE", help="candidate file: CSV, TSV, JSONL, ZIP or a folder")
    src.add_argument("--session", help="stored session (name or id): rank its sets and save the runs")
    src.add_argument("--resume", metavar="RUN", type=int,
                     help="finish a stopped run (cancelled / interrupted / failed): score only the documents "
                          "it is missing, with the run's model and settings")
    p.add_argument("--instruction", action="append", default=[],
                   help="instruction text (repeat for several; default: the model's default instruction)")
    p.add_argument("--model", default=None,
                   help="model folder for the Qwen-VL backend (Lychee-rerank-mm), or 'bm25' for the lexical "
                        "baseline (default: $WORKBENCH_MODEL)")
    p.add_argument("--prompt-format", default=None, metavar="NAME",
                   help="prompt layout: lychee (default for Qwen2.5-VL), lychee-v1 (the first release's, "
                        "to reproduce older runs) or qwen3-vl-reranker (default for Qwen3-VL); "
                        "`workbench prompt` shows each")
    p.add_argument("--output", metavar="FILE",
                   help="CSV file to write ('-' for standard output); required with --input")
    p.add_argument("--query-text", help="query text, when --input is a folder of images")
    p.add_argument("--batch-size", type=int, default=None, help="documents per forward pass (default 8)")
    p.add_argument("--top-k", type=int, default=None, help="keep only the best K documents per set (K >= 1)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--dtype", choices=("auto", "float32", "bfloat16", "float16"), default="auto")
    p.add_argument("--max-length", type=int, default=None, help="token limit of one (query, document) pair")
    p.add_argument("--min-pixels", type=int, default=None, help="smallest image size in pixels after resizing")
    p.add_argument("--max-pixels", type=int, default=None, help="largest image size in pixels after resizing")
    p.add_argument("--encoding", default=None, help="text encoding of the input file (default: detected)")
    p.add_argument("--bom", action="store_true", help="write UTF-8 with BOM (Excel)")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the score cache")
    p.set_defaults(func=cmd_rerank)


def make_reranker(model: str | None, *, batch_size=None, device="auto", dtype="auto",
                  max_length=None, min_pixels=None, max_pixels=None, prompt_format=None):
    """The reranker the analyst named: a backend name ("bm25"), a checkpoint folder, or
    $WORKBENCH_MODEL (registry.resolve decides; no backend names are coded here)."""
    from .. import config
    from ..rerank import get_reranker
    from ..rerank.registry import resolve

    name = (model or "").strip() or config.model_path() or "qwen-vl"
    key, _ = resolve(name, {})
    if key == "lexical" and prompt_format:
        raise InputError("--prompt-format only applies to the Qwen-VL models; BM25 has no prompt.",
                         "Leave out --prompt-format, or give --model a Lychee / Qwen3-VL checkpoint folder.")
    return get_reranker(name, batch_size=batch_size, device=None if device == "auto" else device,
                        dtype=None if dtype == "auto" else dtype, max_length=max_length,
                        min_pixels=min_pixels, max_pixels=max_pixels, prompt_format=prompt_format)


def _progress(label: str):
    start = time.perf_counter()
    tty = sys.stderr.isatty()

    def report(done: int, total: int) -> None:
        if tty or done >= total:   # a log file gets one line per ranking, not one per batch
            print(f"\r{label}: {done}/{total} docs ({time.perf_counter() - start:.1f}s)",
                  end="\n" if done >= total else "", file=sys.stderr, flush=True)

    return report


def check_args(args: argparse.Namespace) -> None:
    """Every value is checked before any file is read or any model is loaded."""
    for flag, value in (("--batch-size", args.batch_size), ("--top-k", args.top_k),
                        ("--max-length", args.max_length), ("--min-pixels", args.min_pixels),
                        ("--max-pixels", args.max_pixels)):
        if value is not None and value < 1:
            example = {"--batch-size": 8, "--top-k": 10, "--max-length": 3200,
                       "--min-pixels": 3136, "--max-pixels": 1003520}[flag]
            raise InputError(f"{flag} must be at least 1 (got {value}).",
                             f"Use e.g. {flag} {example}, or leave it out for the default.")
    if args.min_pixels and args.max_pixels and args.min_pixels > args.max_pixels:
        raise InputError(f"--min-pixels {args.min_pixels} is larger than --max-pixels {args.max_pixels}.",
                         "Give a --min-pixels at most --max-pixels.")
    for i, text in enumerate(args.instruction, start=1):
        if not text.strip():
            raise InputError(f"--instruction number {i} is empty.",
                             "Write the instruction text, e.g. --instruction \"Given a web search query, "
                             "retrieve relevant passages that answer the query\", or leave out --instruction "
                             "to use the model's default instruction.")
    if args.input is not None and not args.output:
        raise InputError("--output is missing: with --input the ranked results are only written to a file.",
                         "Add --output ranked.csv ('-' for standard output), or import the file and "
                         "use --session to keep the rankings in the database.")
    if args.prompt_format:
        from ..rerank.prompts import get_format

        get_format(args.prompt_format)     # a misspelt name fails before any file or model is read
    if args.resume is not None and (args.instruction or args.query_text or args.no_cache):
        raise InputError("--resume continues a stored run with its own instruction and query.",
                         "Leave out --instruction, --query-text and --no-cache.")
    if args.session is not None and args.query_text:
        raise InputError("--query-text only applies to --input FOLDER.", "Leave out --query-text.")
    check_output(args.output)


def cmd_rerank(args: argparse.Namespace) -> int:
    check_args(args)
    instructions = [t.strip() for t in args.instruction]
    if args.resume is not None:
        return _resume(args)
    if args.session is not None:
        return _rerank_session(args, instructions)
    return _rerank_file(args, instructions)


def _load_reranker(args: argparse.Namespace):
    return make_reranker(args.model, batch_size=args.batch_size, device=args.device,
                         dtype=args.dtype, max_length=args.max_length,
                         min_pixels=args.min_pixels, max_pixels=args.max_pixels,
                         prompt_format=args.prompt_format)


def _rerank_file(args: argparse.Namespace, instructions: list[str]) -> int:
    from .. import formats
    from ..model import Run, Result

    result = formats.read_candidates(Path(args.input), args.encoding, query_text=args.query_text)
    if result.rejected:
        print(result.summary(), file=sys.stderr)
    reranker = _load_reranker(args)
    cache = None
    if not args.no_cache and getattr(reranker, "cacheable", True):
        from ..store import Store

        cache = Store()
    instructions = instructions or [getattr(reranker, "default_instruction", "") or ""]
    runs: list[Run] = []
    labels: dict[str, dict[str, int]] = {}
    n_sets = len(result.sets)
    try:
        for s, cset in enumerate(result.sets, start=1):
            labels[cset.query.id] = cset.labels
            for instruction in instructions:
                label = f"[{s}/{n_sets}] {cset.query.id}"
                ranked = reranker.rank(cset.query, cset.documents, instruction, top_k=args.top_k,
                                       cache=cache, progress=_progress(label))
                for w in ranked.warnings:
                    print(f"warning: {w}", file=sys.stderr)
                runs.append(Run(instruction=instruction, backend=reranker.backend,
                                model_id=reranker.model_id, query_id=cset.query.id,
                                params=reranker.params(), status="done",
                                scores=list(ranked)))
    except KeyboardInterrupt as err:
        from . import interrupted_exit

        how, code = interrupted_exit(err)
        total = n_sets * len(instructions)
        kept = ""
        if runs and args.output != "-":
            partial = Path(args.output).with_name(Path(args.output).stem + ".partial.csv")
            write_output(str(partial), formats.export_long(runs, None, bom=args.bom, labels=labels))
            kept = f" The {len(runs)} finished ranking(s) are in {partial}."
        print(f"error: interrupted ({how}) after {len(runs)} of {total} ranking(s); nothing was written "
              f"to {args.output}.{kept}\nHow to fix: run the same command again: the documents scored so far "
              "come from the score cache" + (" (except with --no-cache)" if args.no_cache else "") + ".",
              file=sys.stderr)
        return code
    finally:
        if cache is not None:
            cache.close()
    data = formats.export_long(runs, None, bom=args.bom and args.output != "-", labels=labels)
    write_output(args.output, data)
    if args.output != "-":
        print(f"wrote {sum(len(r.scores) for r in runs)} rows ({len(runs)} rankings) to {args.output}",
              file=sys.stderr)
    return 0


def _rerank_session(args: argparse.Namespace, instructions: list[str]) -> int:
    from .. import service
    from ..store import Store

    if args.no_cache:
        raise InputError("--no-cache does not apply to --session: stored runs always use the score cache.",
                         "Leave out --no-cache, or rerank a file with --input.")
    store = Store()
    try:
        info = store.get_session(args.session)
        sets = store.list_candidate_sets(info.id)
        if not sets:
            raise InputError(f"Session '{info.name}' has no candidate sets to rerank.",
                             f"Import one first: workbench import FILE --session {shell_quote(info.name)}")
        reranker = _load_reranker(args)
        instructions = instructions or [getattr(reranker, "default_instruction", "") or ""]
        runs, current = [], []
        total = len(sets) * len(instructions)
        try:
            for instruction in instructions:
                for n, s in enumerate(sets, start=1):
                    label = f"[{len(runs) + 1}/{total}] {s.query_id}"
                    run = service.rerank_set(store, s.id, instruction, reranker, progress=_progress(label),
                                             on_run_created=current.append)
                    runs.append(run)
        except KeyboardInterrupt as err:
            from . import interrupted_exit

            how, code = interrupted_exit(err)
            inflight = ""
            if current and (not runs or current[-1] != runs[-1].id):
                partial = store.load_run(current[-1])
                inflight = (f"; run {partial.id} is kept as '{partial.status}' with {len(partial.scores)} "
                            "scored document(s)")
            resume = (f" or finish run {current[-1]} with: workbench rerank --resume {current[-1]}"
                      if inflight else "")
            print(f"error: interrupted ({how}) after {len(runs)} of {total} ranking(s), saved as runs of "
                  f"session '{info.name}'{inflight}.\nHow to fix: run the same command again (the documents "
                  f"scored so far come from the score cache){resume}.", file=sys.stderr)
            return code
        for run in runs:
            print(f"  run {run.id}: query '{run.query_id}', {len(run.scores)} document(s), {run.status}")
        print(f"Saved {len(runs)} run(s) in session '{info.name}'.")
        if args.output:
            data, n_rows = service.export_runs(store, run_ids=[r.id for r in runs], fmt="long",
                                               bom=args.bom and args.output != "-")
            if args.top_k:
                data = _top_k_csv(data, args.top_k, args.bom and args.output != "-")
            write_output(args.output, data)
            if args.output != "-":
                print(f"wrote {len(runs)} ranking(s) to {args.output}", file=sys.stderr)
    finally:
        store.close()
    return 0


def _resume(args: argparse.Namespace) -> int:
    """`--resume RUN`: the run's model and scoring settings unless given on the command line."""
    from .. import service
    from ..store import Store

    store = Store()
    try:
        run = store.load_run(args.resume)
        before = len(run.scores)
        params = run.params or {}
        model = args.model          # default: $WORKBENCH_MODEL; resume_run checks it is the run's model
        if model is None and run.backend == "lexical":
            model = "bm25"
        for flag in ("max_length", "min_pixels", "max_pixels"):
            if getattr(args, flag) is None and params.get(flag) is not None:
                setattr(args, flag, int(params[flag]))
        if args.dtype == "auto" and params.get("dtype") in ("float32", "bfloat16", "float16"):
            args.dtype = params["dtype"]
        if not args.prompt_format and run.backend != "lexical" and params.get("prompt"):
            args.prompt_format = str(params["prompt"])
        args.model = model
        reranker = _load_reranker(args)
        n_docs = store.get_set(run.set_id).n_docs
        try:
            out = service.resume_run(store, run.id, reranker,
                                     progress=_progress(f"run {run.id} [{run.query_id}]"))
        except KeyboardInterrupt as err:
            from . import interrupted_exit

            how, code = interrupted_exit(err)
            now = store.load_run(run.id)
            print(f"error: interrupted ({how}); run {run.id} is kept as '{now.status}' with {len(now.scores)} of "
                  f"{n_docs} document(s) scored.\nHow to fix: run the same command again to finish it: "
                  f"workbench rerank --resume {run.id}", file=sys.stderr)
            return code
        scored = int(out.timings.get("resumed_docs", 0))
        print(f"run {out.id}: query '{out.query_id}', {len(out.scores)} of {n_docs} document(s) scored, "
              f"{out.status}; resumed: scored {scored} missing document(s), kept {before} already scored.")
        if args.output:
            data, _n = service.export_runs(store, run_ids=[out.id], fmt="long",
                                           bom=args.bom and args.output != "-")
            if args.top_k:
                data = _top_k_csv(data, args.top_k, args.bom and args.output != "-")
            write_output(args.output, data)
    finally:
        store.close()
    return 0


def _top_k_csv(data: bytes, k: int, bom: bool) -> bytes:
    """Keep the best k rows of each ranking of a long CSV (the stored runs keep every document)."""
    import io

    import pandas as pd

    from ..formats import to_csv_bytes

    frame = pd.read_csv(io.BytesIO(data), dtype={"query_id": str, "doc_id": str}, keep_default_na=False,
                        encoding="utf-8-sig")
    return to_csv_bytes(frame[frame["rank"] <= k], bom=bom)
