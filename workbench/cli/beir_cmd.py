"""`workbench import-beir`: the BEIR / ViDoRe evaluation layout into a session, a thin door onto
workbench.formats.beir.read_beir and workbench.service.import_beir.

    workbench import-beir PATH [--run FIRST_STAGE.trec] [--depth K] [--session NAME] [--split test]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import NothingImported
from ._output import check_output, write_output


def register(sub: argparse._SubParsersAction) -> None:
    from ..formats.beir import DEFAULT_DEPTH

    p = sub.add_parser("import-beir", help="import a BEIR / ViDoRe data set (corpus, queries, qrels) as candidate sets",
                       description="Import a folder (or ZIP) holding corpus, queries and qrels (JSONL, CSV/TSV or "
                                   "Parquet; BEIR's or ViDoRe's column names). Each query becomes one candidate set "
                                   "of its top --depth documents in the first-stage --run (kept as an imported run), "
                                   "or without a run of BM25's top --depth over the documents' text; the qrels "
                                   "become labels. Rejected rows are printed with line, column and fix.")
    p.add_argument("path", help="folder or ZIP holding corpus, queries and qrels (e.g. qrels/test.tsv)")
    p.add_argument("--run", metavar="FILE", help="first-stage TREC run ('qid Q0 docid rank score tag'); "
                                                 "default: BM25 over the documents' text")
    p.add_argument("--depth", type=int, default=DEFAULT_DEPTH,
                   help=f"candidates per query: the top K of the run or of BM25 (default {DEFAULT_DEPTH})")
    p.add_argument("--session", help="session name (created when new; default: the folder name)")
    p.add_argument("--split", help="qrels split when there are several (default: test, or the only one)")
    p.add_argument("--encoding", help="text encoding of CSV/TSV/JSONL files (default: detected)")
    p.add_argument("--clip-grades", action="store_true",
                   help="map relevance grades below 0 to 0 and above 2 to 2 (default: such rows are rejected)")
    p.add_argument("--all-queries", action="store_true",
                   help="also import queries without any judgment in the split (default: reported, left out)")
    p.add_argument("--rejected-out", metavar="FILE", help="write the rejected rows (with errors) to this CSV")
    p.add_argument("--annotator", metavar="NAME", default="",
                   help="whose grades the qrels' labels are (default: the default annotator, shown as '(unnamed)')")
    p.add_argument("--strict", action="store_true", help="exit with 1 when any row was rejected")
    p.set_defaults(func=cmd_import_beir)


def _report(result) -> None:
    for line in result.report():
        print(f"  {line}")
    for note in result.notes:
        print(f"  note: {note}")
    if result.no_qrels and not result.included_unjudged:
        print("  (add --all-queries to import the queries without judgments too)")


def _rejected(result, args) -> None:
    if not result.rejected:
        return
    print(f"Rejected {len(result.rejected)} row(s):")
    for err in result.rejected:
        print("  " + str(err).replace("\n", "\n    "))
    if args.rejected_out:
        write_output(args.rejected_out, result.rejected_csv(), "--rejected-out")
        print(f"Rejected rows written to {args.rejected_out}")


def cmd_import_beir(args: argparse.Namespace) -> int:
    from ..formats.beir import read_beir
    from ..service import import_beir
    from ..store import Store

    path = Path(args.path)
    check_output(args.rejected_out, "--rejected-out")
    try:
        result = read_beir(path, run=args.run, depth=args.depth, split=args.split, encoding=args.encoding,
                           clip_grades=args.clip_grades, include_unjudged=args.all_queries)
    except NothingImported as err:
        result = getattr(err, "result", None)
        if result is not None:
            _rejected(result, args)
        raise
    print(f"Read {path} in {result.seconds:.1f} s:")
    _report(result)
    name = args.session or (path.stem if path.suffix.lower() == ".zip" else path.resolve().name) or "beir"
    store = Store()
    try:
        session = store.get_or_create_session(name)

        def progress(done: int, total: int) -> None:
            print(f"\r  saving: {done:,}/{total:,} set(s)", end="", file=sys.stderr, flush=True)

        saved = import_beir(store, session.id, result, progress=progress, annotator=args.annotator)
        print(file=sys.stderr)
    finally:
        store.close()
    print(f"Saved into session '{session.name}': {saved['saved']:,} new set(s), {saved['identical']:,} identical "
          f"set(s) already there, {saved['runs']:,} first-stage run(s) ('{result.runs[0].name}'), "
          f"in {saved['batches']:,} batch(es) ({saved['seconds']:.1f} s).")
    _rejected(result, args)
    return 1 if (args.strict and result.rejected) else 0
