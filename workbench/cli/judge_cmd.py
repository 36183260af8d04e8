"""`workbench judge`: a served chat model grades a session's unlabelled documents 0/1/2
(workbench.judge), stored as the annotator ``model:<name>`` (kind model: suggestions only)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("judge", help="a served chat model grades unlabelled documents (first-pass judge)",
                       description="Ask a served chat model with image input (vLLM, SGLang or any "
                                   "OpenAI-compatible /v1/chat/completions) to grade a session's documents "
                                   "0/1/2 with a rubric prompt. Its grades are stored as the annotator "
                                   "'model:<served model name>' (kind model): suggestions, never human labels "
                                   "unless an adjudicator accepts them. By default only documents nobody has "
                                   "graded are sent. Ctrl-C stops; grades already given stay.")
    p.add_argument("--session", help="session name or id")
    p.add_argument("--url", action="append", metavar="URL",
                   help="the server's OpenAI API base, e.g. http://HOST:8000/v1 (repeat, or separate with "
                        "commas, for replicas of one model)")
    p.add_argument("--model", metavar="NAME", help="the served model name (default: the one model the server lists)")
    p.add_argument("--rubric", metavar="FILE",
                   help="a UTF-8 text file with the rubric prompt, holding {query} and {document} "
                        "(default: the built-in rubric, see --show-rubric)")
    p.add_argument("--show-rubric", action="store_true", help="print the default rubric and exit")
    p.add_argument("--query", metavar="ID", help="one query id only (default: the whole session)")
    p.add_argument("--limit", type=int, metavar="N", help="grade at most N documents")
    p.add_argument("--regrade", action="store_true", help="grade again the documents this model already graded")
    p.add_argument("--include-labelled", action="store_true",
                   help="also grade documents people have labelled (to measure the model's agreement with them)")
    p.add_argument("--max-tokens", type=int, default=None, metavar="N",
                   help="longest answer asked for (default 64; raise it for a model that reasons first)")
    p.add_argument("--max-inflight", type=int, default=None, metavar="N",
                   help="requests in flight per replica (default 4)")
    p.add_argument("--extra-body", metavar="JSON",
                   help="fields added to every request, e.g. vLLM's "
                        "'{\"structured_outputs\": {\"choice\": [\"0\", \"1\", \"2\"]}}' to allow only a grade")
    p.add_argument("--timeout", type=float, default=120.0, metavar="SECONDS", help="seconds per request (default 120)")
    p.set_defaults(func=cmd_judge)


def _read_rubric(path: str | None) -> str | None:
    from ..errors import InputError

    if not path:
        return None
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError.coded("judge.rubric_missing", {"path": path}) from None
    except UnicodeDecodeError:
        raise InputError.coded("judge.rubric_not_text", {"path": path}) from None


def cmd_judge(args: argparse.Namespace) -> int:
    from .. import judge
    from ..errors import InputError
    from ..store import Store

    if args.show_rubric:
        print(judge.DEFAULT_RUBRIC)
        return 0
    if not args.session or not args.url:
        raise InputError.coded("judge.cli_needs", {"missing": " and ".join(
            f for f, v in (("--session", args.session), ("--url", args.url)) if not v)})
    rubric = _read_rubric(args.rubric)
    extra = None
    if args.extra_body:
        import json

        try:
            extra = json.loads(args.extra_body)
        except ValueError as exc:
            raise InputError.coded("judge.bad_extra_body", {"detail": str(exc)}) from None
        if not isinstance(extra, dict):
            raise InputError.coded("judge.bad_extra_body", {"detail": "it is not a JSON object"})

    def progress(done, total, qid, did, grade, error):
        what = f"grade {grade}" if error is None else f"FAILED: {error.splitlines()[0]}"
        print(f"[{done}/{total}] query {qid} document {did}: {what}", flush=True)

    store = Store()
    try:
        res = judge.judge_session(
            store, args.session, args.url, model=args.model, rubric=rubric, query_id=args.query,
            limit=args.limit, regrade=args.regrade, include_labelled=args.include_labelled,
            max_tokens=args.max_tokens or judge.DEFAULT_MAX_TOKENS,
            max_inflight=args.max_inflight or judge.DEFAULT_INFLIGHT, timeout=args.timeout, progress=progress,
            extra_body=extra)
    finally:
        store.close()
    print_summary(res)
    if res.interrupted is not None:
        from . import interrupted_exit

        return interrupted_exit(res.interrupted)[1]
    return 1 if res.failed else 0


def print_summary(res) -> None:
    head = "Judging cancelled" if res.cancelled else "Judging done"
    print(f"{head}: model {res.model} on {res.server}, stored as annotator '{res.annotator}' "
          f"(kind model: suggestions, not human labels) in {res.seconds:.1f} s.")
    print(f"  graded: {len(res.graded)}  failed: {len(res.failed)}  "
          f"skipped (already graded by this model): {res.skipped_graded}  "
          f"skipped (labelled by people): {res.skipped_labelled}  not sent: {res.not_sent}")
    if res.graded:
        counts = {g: sum(1 for *_, x in res.graded if x == g) for g in (0, 1, 2)}
        print(f"  grades: 0 x{counts[0]}, 1 x{counts[1]}, 2 x{counts[2]}")
    for qid, did, why in res.failed:
        print(f"  failed: query {qid} document {did}: {why}", file=sys.stderr)
    for w in res.warnings:
        print(f"  warning: {w}", file=sys.stderr)
    if res.skipped_graded and not res.graded and not res.failed:
        print("  Nothing to grade: add --regrade to grade again, --include-labelled for people's documents.")
