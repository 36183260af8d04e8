"""`workbench rerank`: score candidate sets with one or more instructions.

    workbench rerank --input cands.csv --instruction "..." [--instruction "..."] \
        --model /models/lychee-rerank-mm|bm25 --output ranked.csv [--batch-size 8] [--top-k K]
    workbench rerank --session NAME --instruction "..." --model ... [--output ranked.csv]

With --input the file is read with workbench.formats.read_candidates, ranked through
workbench.rerank (the store's score cache is used unless --no-cache) and the long
ranked CSV (query_id, doc_id, rank, score, instruction, backend, model, label) is
written. With --session the session's stored sets (or the --query ones) are ranked through
workbench.service: each instruction is ONE run over those queries (`Reranker.rank_many`
batches across queries), its rankings saved a batch per transaction, so `workbench compare`
/ `workbench export` can use it; --add-to RUN adds the queries a run lacks to it.
Progress goes to stderr.

Ctrl-C keeps what is done: with --input the finished rankings are written to
<output>.partial.csv (and every scored batch is in the score cache, so running the
command again resumes quickly); with --session the run in flight keeps its finished
rankings (`workbench rerank --resume RUN` scores the rest). Exit code 130.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..errors import InputError, shell_quote
from ..rerank.spec import LEXICAL, QWEN_VL, REMOTE, backend_has, is_lexical
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
                     help="finish a stopped run (cancelled / interrupted / failed): score the queries and "
                          "documents it is missing, with the run's model and settings")
    p.add_argument("--name", default=None,
                   help="with --session: the run's name (unique in the session; default: the instruction)")
    p.add_argument("--add-to", type=int, default=None, metavar="RUN",
                   help="with --session: add the queries run RUN does not rank yet to it (same model, "
                        "instruction and settings) instead of making a new run")
    p.add_argument("--query", action="append", default=[], metavar="QUERY_ID",
                   help="with --session: rerank only these queries (repeat the flag)")
    p.add_argument("--instruction", action="append", default=[],
                   help="instruction text (repeat for several; default: the model's default instruction)")
    p.add_argument("--model", default=None, action=JoinURLs,
                   help="model folder for the Qwen-VL backend (Lychee-rerank-mm), 'bm25' for the lexical "
                        "baseline, or a server URL (http://HOST:8000/v1: vLLM, SGLang, `workbench serve`); "
                        "repeat the flag or separate URLs with commas for replicas (default: $WORKBENCH_MODEL)")
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
    add_remote_args(p)
    p.set_defaults(func=cmd_rerank)


class JoinURLs(argparse.Action):
    """--model given several times: server URLs joined with commas (replicas); otherwise the last."""

    def __call__(self, parser, namespace, values, option_string=None):
        old = getattr(namespace, self.dest, None)
        if old and _is_url(old) and _is_url(values):
            values = f"{old},{values}"
        setattr(namespace, self.dest, values)


def _is_url(text) -> bool:
    return str(text or "").strip().lower().startswith(("http://", "https://"))


def add_remote_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("server (when --model is a URL)")
    g.add_argument("--protocol", choices=("auto", "chat", "rerank"), default="auto",
                   help="chat: /v1/chat/completions with yes/no logprobs; rerank: /v1/rerank (pooling "
                        "runner); default: detected")
    g.add_argument("--served-model", default=None,
                   help="model name on the server (default: the one model it serves)")
    g.add_argument("--tokenizer", default=None,
                   help="local tokenizer folder for the yes/no token ids when the server has no /tokenize")
    g.add_argument("--max-inflight", type=int, default=None,
                   help="requests in flight per server (default 16)")
    g.add_argument("--timeout", type=float, default=None, help="seconds per request (default 120)")


def make_reranker(model: str | None, *, batch_size=None, device="auto", dtype="auto",
                  max_length=None, min_pixels=None, max_pixels=None, prompt_format=None,
                  remote: dict | None = None):
    """The reranker the analyst named: a backend name ("bm25"), a checkpoint folder, a server URL
    (commas: replicas), or $WORKBENCH_MODEL (registry.resolve decides; no backend names are coded here)."""
    from .. import config
    from ..rerank import get_reranker
    from ..rerank.registry import resolve
    from ..rerank.spec import spec_of

    name = (model or "").strip() or config.model_path() or QWEN_VL.name
    if _is_url(name):
        return get_reranker(REMOTE.name, urls=name, min_pixels=min_pixels, max_pixels=max_pixels,
                            prompt_format=prompt_format, **(remote or {}))
    key, _ = resolve(name, {})
    if not spec_of(key).takes_prompt_format and prompt_format:
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
                        ("--max-pixels", args.max_pixels),
                        ("--max-inflight", getattr(args, "max_inflight", None)),
                        ("--timeout", getattr(args, "timeout", None))):
        if value is not None and value <= 0:
            example = {"--batch-size": 8, "--top-k": 10, "--max-length": 3200,
                       "--min-pixels": 3136, "--max-pixels": 1003520, "--max-inflight": 16,
                       "--timeout": 120}[flag]
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
    if args.session is None and (args.name or args.add_to is not None or args.query):
        raise InputError("--name, --add-to and --query name a run or queries of a stored session.",
                         "Use them with --session NAME, or leave them out.")
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


def remote_opts(args: argparse.Namespace) -> dict:
    """The server options of a parsed command line (empty values left out)."""
    opts = {"protocol": None if getattr(args, "protocol", "auto") == "auto" else args.protocol,
            "served_model": getattr(args, "served_model", None), "tokenizer": getattr(args, "tokenizer", None),
            "max_inflight": getattr(args, "max_inflight", None), "timeout": getattr(args, "timeout", None)}
    return {k: v for k, v in opts.items() if v is not None}


def _load_reranker(args: argparse.Namespace):
    reranker = make_reranker(args.model, batch_size=args.batch_size, device=args.device,
                             dtype=args.dtype, max_length=args.max_length,
                             min_pixels=args.min_pixels, max_pixels=args.max_pixels,
                             prompt_format=args.prompt_format, remote=remote_opts(args))
    if backend_has(getattr(reranker, "backend", ""), "needs_url"):
        print(f"scoring on {reranker.describe()}", file=sys.stderr)
    return reranker


def _report_sent(label: str, reranker, hits: int, misses: int) -> None:
    """Remote runs: how many pairs went to the server (a re-run after a crash sends only these)."""
    if backend_has(getattr(reranker, "backend", ""), "needs_url"):
        print(f"{label}: {misses} pair(s) sent to the server, {hits} from the score cache", file=sys.stderr)


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
                _report_sent(label, reranker, ranked.cache_hits, ranked.cache_misses)
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
    """Each instruction is ONE run over the session's queries (or the --query ones)."""
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
        set_ids = None
        if args.query:
            by_query = {s.query_id: s.id for s in sets}
            unknown = [q for q in args.query if q not in by_query]
            if unknown:
                raise InputError(f"Session '{info.name}' has no query {', '.join(repr(q) for q in unknown[:5])}.",
                                 f"Pick from its queries, e.g. {', '.join(list(by_query)[:5])}.")
            set_ids = [by_query[q] for q in args.query]
        if (args.name or args.add_to is not None) and len(instructions) > 1:
            raise InputError("--name and --add-to name one run: give one --instruction with them.",
                             "Run the command once per instruction.")
        reranker = _load_reranker(args)
        instructions = instructions or [getattr(reranker, "default_instruction", "") or ""]
        runs, current = [], []
        try:
            for n, instruction in enumerate(instructions, start=1):
                label = f"[run {n}/{len(instructions)}]"
                run = service.rerank_run(store, info.id, instruction, reranker, set_ids=set_ids,
                                         name=args.name or "", run_id=args.add_to,
                                         progress=_progress(label), on_run_created=current.append)
                runs.append(run)
                hits = sum(g.cache_hits for g in store.list_runs(run_id=run.id))
                misses = sum(g.cache_misses for g in store.list_runs(run_id=run.id))
                _report_sent(label, reranker, hits, misses)
        except KeyboardInterrupt as err:
            from . import interrupted_exit

            how, code = interrupted_exit(err)
            inflight = ""
            if current and (not runs or current[-1] != runs[-1].id):
                now = store.get_run_info(current[-1])
                inflight = (f"; run {now.id} ('{now.label}') is kept as '{now.status}' with {now.n_done} of "
                            f"{now.n_rankings} queries ranked")
            resume = (f" or finish run {current[-1]} with: workbench rerank --resume {current[-1]}"
                      if inflight else "")
            print(f"error: interrupted ({how}) after {len(runs)} of {len(instructions)} run(s) of session "
                  f"'{info.name}'{inflight}.\nHow to fix: run the same command again (the documents "
                  f"scored so far come from the score cache){resume}.", file=sys.stderr)
            return code
        for run in runs:
            print(f"  run {run.id} ('{run.label}'): {run.n_done} of {run.n_rankings} queries ranked, {run.status}")
        print(f"Saved {len(runs)} run(s) in session '{info.name}'.")
        if args.output:
            ranking_ids = [g.id for run in runs for g in store.list_runs(run_id=run.id)]
            data, n_rows = service.export_runs(store, run_ids=ranking_ids, fmt="long",
                                               bom=args.bom and args.output != "-")
            if args.top_k:
                data = _top_k_csv(data, args.top_k, args.bom and args.output != "-")
            write_output(args.output, data)
            if args.output != "-":
                print(f"wrote {len(ranking_ids)} ranking(s) of {len(runs)} run(s) to {args.output}", file=sys.stderr)
    finally:
        store.close()
    return 0


def _resume(args: argparse.Namespace) -> int:
    """`--resume RUN`: finish a stopped run (its unfinished rankings; one stopped part-way scores
    only the documents it lacks) with the run's model and scoring settings unless given."""
    from .. import service
    from ..store import Store

    store = Store()
    try:
        run = store.get_run_info(args.resume)
        rankings = store.list_runs(run_id=run.id)
        before = sum(len(store.load_run(g.id).scores) for g in rankings)
        params = run.params or {}
        model = args.model          # default: $WORKBENCH_MODEL; the service checks it is the run's model
        if model is None and is_lexical(run.backend):
            model = LEXICAL.name
        for flag in ("max_length", "min_pixels", "max_pixels"):
            if getattr(args, flag) is None and params.get(flag) is not None:
                setattr(args, flag, int(params[flag]))
        if args.dtype == "auto" and params.get("dtype") in ("float32", "bfloat16", "float16"):
            args.dtype = params["dtype"]
        if not args.prompt_format and backend_has(run.backend, "takes_prompt_format") and params.get("prompt"):
            args.prompt_format = str(params["prompt"])
        args.model = model
        reranker = _load_reranker(args)
        n_docs = sum(store.get_set(g.set_id).n_docs for g in rankings)
        try:
            out = service.resume_session_run(store, run.id, reranker, progress=_progress(f"run {run.id}"))
        except KeyboardInterrupt as err:
            from . import interrupted_exit

            how, code = interrupted_exit(err)
            now = store.get_run_info(run.id)
            scored = sum(len(store.load_run(g.id).scores) for g in store.list_runs(run_id=run.id))
            print(f"error: interrupted ({how}); run {run.id} is kept as '{now.status}' with {scored} of "
                  f"{n_docs} document(s) scored.\nHow to fix: run the same command again to finish it: "
                  f"workbench rerank --resume {run.id}", file=sys.stderr)
            return code
        after = sum(len(store.load_run(g.id).scores) for g in store.list_runs(run_id=run.id))
        print(f"run {out.id} ('{out.label}'): {out.n_done} of {out.n_rankings} queries ranked, {after} of {n_docs} "
              f"document(s) scored, {out.status}; resumed: scored {after - before} missing document(s), "
              f"kept {before} already scored.")
        if args.output:
            data, _n = service.export_runs(store, run_ids=[g.id for g in store.list_runs(run_id=out.id)],
                                           fmt="long", bom=args.bom and args.output != "-")
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
