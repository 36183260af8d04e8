"""`workbench import`, `workbench import-run` and `workbench export`: thin doors onto workbench.formats,
workbench.formats.trec and workbench.service."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import formats
from ..errors import InputError, NothingImported, printable
from ._output import check_output, write_output


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import", help="import a candidate file (CSV/JSONL/ZIP) or a folder of images",
                       description="Import candidate sets into a session. Valid rows are saved; every "
                                   "rejected row is printed with its line, column and how to fix it.")
    p.add_argument("file", help="CSV, TSV, JSONL, ZIP (file + images) or a folder")
    p.add_argument("--session", help="session name (created when new; default: the file name)")
    p.add_argument("--encoding", help="text encoding, e.g. gbk or utf-16 (default: detected)")
    p.add_argument("--query-text", help="query text, when FILE is a folder of images")
    p.add_argument("--rejected-out", metavar="FILE", help="write the rejected rows (with errors) to this CSV")
    p.add_argument("--annotator", metavar="NAME", default="",
                   help="whose grades the file's labels are (default: the default annotator, shown as '(unnamed)')")
    p.add_argument("--strict", action="store_true", help="exit with 1 when any row was rejected")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("import-run", help="import ranked results from another system as runs",
                       description="Read a ranked-results CSV (query_id, doc_id, score and/or rank; optional "
                                   "instruction, backend, model) or a TREC run file ('qid Q0 docid rank score "
                                   "tag'; detected by a .trec/.run extension or its 6 whitespace-separated "
                                   "columns) and save one run per query into the sets of a session whose "
                                   "query ids match.")
    p.add_argument("file")
    p.add_argument("--session", required=True, help="session holding the candidate sets")
    p.add_argument("--encoding", help="text encoding of a CSV (TREC files are UTF-8)")
    p.add_argument("--name", help="display name of the imported run(s) (TREC: default the run tag)")
    kind = p.add_mutually_exclusive_group()
    kind.add_argument("--trec", action="store_true", help="FILE is a TREC run file (default: detected)")
    kind.add_argument("--csv", action="store_true", help="FILE is a ranked-results CSV (default: detected)")
    p.set_defaults(func=cmd_import_run)

    p = sub.add_parser("export", help="export ranked results as long, wide or tidy CSV, Parquet, or a TREC run file")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--session", help="every run of this session (name or id)")
    which.add_argument("--run", type=int, help="one run id")
    p.add_argument("--format", choices=("long", "wide", "tidy", "tidy-parquet", "trec"), default="long",
                   help="long/wide CSV; tidy (one row per run x document with run name and note, query and "
                        "document text, image path, OCR text, score, rank, label and note) as CSV, or "
                        "tidy-parquet as Parquet; or trec ('qid Q0 docid rank score tag', for trec_eval/ranx)")
    p.add_argument("--output", required=True, help="file to write ('-' for standard output)")
    p.add_argument("--bom", action="store_true", help="UTF-8 with BOM, so Excel shows Chinese correctly (CSV)")
    p.add_argument("--tag", help="TREC run tag (default: each run's name, spaces as '_')")
    p.set_defaults(func=cmd_export)


def _store():
    from ..store import Store

    return Store()


def cmd_import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    check_output(args.rejected_out, "--rejected-out")
    try:
        result = formats.read_candidates(path, args.encoding, query_text=args.query_text)
    except NothingImported as err:
        result = getattr(err, "result", None)
        if result is not None and args.rejected_out:
            write_output(args.rejected_out, result.rejected_csv(), "--rejected-out")
            print(f"rejected rows written to {args.rejected_out}", file=sys.stderr)
        raise
    from ..service import save_sets

    session_name = args.session or path.stem or path.name
    store = _store()
    try:
        session = store.get_or_create_session(session_name)
        _saved, same = save_sets(store, session.id, result.sets, annotator=args.annotator)
        for cset in result.sets:
            n_lab = sum(d.label is not None for d in cset.documents)
            note = "  (identical set already in the session: kept the existing one)" if cset.id in same else ""
            print(f"  set {cset.id}: query '{printable(cset.query.id)}' ({cset.query.modality}), "
                  f"{len(cset.documents)} document(s), {n_lab} label(s){note}")
    finally:
        store.close()
    print(f"Imported {len(result.sets)} set(s) with {result.n_docs} document(s) from {printable(result.source)} "
          f"into session '{session.name}'" + (f" (encoding {result.encoding})" if result.encoding else "") + ".")
    for note in result.notes:
        print(f"  note: {note}")
    if result.rejected:
        print(f"Rejected {len(result.rejected)} row(s):")
        for err in result.rejected:
            print("  " + str(err).replace("\n", "\n    "))
        if args.rejected_out:
            write_output(args.rejected_out, result.rejected_csv(), "--rejected-out")
            print(f"Rejected rows written to {args.rejected_out}")
        return 1 if args.strict else 0
    return 0


TREC_SUFFIXES = (".trec", ".run")


def looks_like_trec_run(path: str | Path) -> bool:
    """A .trec/.run file, or one whose first data line has 6 whitespace-separated fields
    with a whole-number rank (4th) and a numeric score (5th) and no comma."""
    path = Path(path)
    if path.suffix.lower() in TREC_SUFFIXES:
        return True
    if not path.is_file():
        return False
    with path.open("rb") as fh:
        head = fh.read(64 * 1024)
    for raw in head.decode("utf-8-sig", errors="replace").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if "," in line or len(parts) != 6:
            return False
        try:
            float(parts[4])
            return float(parts[3]).is_integer()
        except ValueError:
            return False
    return False


def cmd_import_run(args: argparse.Namespace) -> int:
    from ..formats import trec
    from ..service import import_runs

    if args.trec or (not args.csv and looks_like_trec_run(args.file)):
        runs = trec.read_run(args.file)
        if args.name:
            for run in runs:
                run.name = args.name
        fmt = "TREC run"
    else:
        runs = formats.read_ranked_csv(args.file, args.encoding, name=args.name)
        fmt = "CSV"
    store = _store()
    try:
        saved = import_runs(store, args.session, runs)
        for ranking_id, run in zip(saved, runs):
            print(f"  run '{run.name or run.label}': query '{run.query_id}', {len(run.scores)} ranked document(s), "
                  f"model {run.model_id}")
    finally:
        store.close()
    print(f"Imported {len(saved)} run(s) from {fmt} file {args.file} into session '{args.session}'.")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from ..service import export_file

    out_path = check_output(args.output)
    if args.format == "tidy-parquet" and args.output == "-":
        raise InputError("Parquet is a binary file and cannot go to standard output.",
                         "Give a file name, e.g. --output runs.parquet.")
    store = _store()
    try:
        # --run names a run (every query it ranks); the service takes its rankings' ids
        run_ids = [g.id for g in store.run_rankings(args.run)] if args.run is not None else None
        if run_ids == []:
            raise InputError(f"Run {args.run} ranks no query yet: nothing to export.",
                             f"Score it first: workbench rerank --resume {args.run}")
        # streamed a batch of rankings at a time (flat memory): to '<output>.part', renamed when complete
        dest = sys.stdout.buffer if out_path is None else out_path
        try:
            n_rows = export_file(store, dest, what=args.format, session=args.session, run_ids=run_ids,
                                 bom=args.bom, tag=args.tag)
        except OSError as exc:
            raise _write_error(args.output, exc) from None
        if out_path is None:
            sys.stdout.flush()
    finally:
        store.close()
    what = f"run {args.run}" if args.run is not None else f"session '{args.session}'"
    if args.output != "-":
        print(f"Wrote {n_rows} row(s) of {what} ({args.format}) to {args.output}.")
    return 0


def _write_error(path: str, exc: OSError) -> InputError:
    """A failed write of --output as the analyst's error (full disk, permission)."""
    if exc.errno == 28:                               # ENOSPC
        return InputError(f"The disk is full: --output '{path}' could not be written ({exc.strerror or exc}).",
                          "Free some space on that disk, or choose a file on another disk for --output.")
    return InputError(f"--output '{path}' could not be written ({exc.strerror or exc}).",
                      "Check that the disk is not full and that you may write there, or choose another "
                      "file for --output.")
