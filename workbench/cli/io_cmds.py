"""`workbench import`, `workbench import-run` and `workbench export`: thin doors onto workbench.io + Store."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import io as wio
from ..errors import InputError, NothingImported, NotFound


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import", help="import a candidate file (CSV/JSONL/ZIP) or a folder of images",
                       description="Import candidate sets into a session. Valid rows are saved; every "
                                   "rejected row is printed with its line, column and how to fix it.")
    p.add_argument("file", help="CSV, TSV, JSONL, ZIP (file + images) or a folder")
    p.add_argument("--session", help="session name (created when new; default: the file name)")
    p.add_argument("--encoding", help="text encoding, e.g. gbk or utf-16 (default: detected)")
    p.add_argument("--query-text", help="query text, when FILE is a folder of images")
    p.add_argument("--rejected-out", metavar="FILE", help="write the rejected rows (with errors) to this CSV")
    p.add_argument("--strict", action="store_true", help="exit with 1 when any row was rejected")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("import-run", help="import ranked results from another system as runs",
                       description="Read a ranked-results CSV (query_id, doc_id, score and/or rank; optional "
                                   "instruction, backend, model) and save one run per query into the sets of "
                                   "a session whose query ids match.")
    p.add_argument("file")
    p.add_argument("--session", required=True, help="session holding the candidate sets")
    p.add_argument("--encoding")
    p.add_argument("--name", help="display name of the imported run(s)")
    p.set_defaults(func=cmd_import_run)

    p = sub.add_parser("export", help="export ranked results as long or wide CSV")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--session", help="every run of this session (name or id)")
    which.add_argument("--run", type=int, help="one run id")
    p.add_argument("--format", choices=("long", "wide"), default="long")
    p.add_argument("--output", required=True, help="CSV file to write ('-' for standard output)")
    p.add_argument("--bom", action="store_true", help="UTF-8 with BOM, so Excel shows Chinese correctly")
    p.set_defaults(func=cmd_export)


def _store():
    from ..store import Store

    return Store()


def cmd_import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        result = wio.read_candidates(path, args.encoding, query_text=args.query_text)
    except NothingImported as err:
        result = getattr(err, "result", None)
        if result is not None and args.rejected_out:
            Path(args.rejected_out).write_bytes(result.rejected_csv())
            print(f"rejected rows written to {args.rejected_out}", file=sys.stderr)
        raise
    session_name = args.session or path.stem or path.name
    store = _store()
    try:
        session = store.get_or_create_session(session_name)
        for cset in result.sets:
            store.save_candidate_set(session.id, cset)
            n_lab = sum(d.label is not None for d in cset.documents)
            print(f"  set {cset.id}: query '{cset.query.id}' ({cset.query.modality}), "
                  f"{len(cset.documents)} document(s), {n_lab} label(s)")
    finally:
        store.close()
    print(f"Imported {len(result.sets)} set(s) with {result.n_docs} document(s) from {result.source} "
          f"into session '{session.name}'" + (f" (encoding {result.encoding})" if result.encoding else "") + ".")
    for note in result.notes:
        print(f"  note: {note}")
    if result.rejected:
        print(f"Rejected {len(result.rejected)} row(s):")
        for err in result.rejected:
            print("  " + str(err).replace("\n", "\n    "))
        if args.rejected_out:
            Path(args.rejected_out).write_bytes(result.rejected_csv())
            print(f"Rejected rows written to {args.rejected_out}")
        return 1 if args.strict else 0
    return 0


def cmd_import_run(args: argparse.Namespace) -> int:
    runs = wio.read_ranked_csv(args.file, args.encoding, name=args.name)
    store = _store()
    try:
        session = store.get_session(args.session)
        sets = {s.query_id: s for s in store.list_candidate_sets(session.id)}
        unknown = sorted({r.query_id for r in runs} - set(sets))
        if unknown:
            raise InputError(f"Session '{session.name}' has no candidate set for query id(s) "
                             f"{', '.join(unknown)}.", "Import the candidate sets first, or fix the query ids.")
        for run in runs:
            info = sets[run.query_id]
            known = set(store.get_labels(info.id)) | {d.id for d in store.load_candidate_set(info.id).documents}
            extra = [s.doc_id for s in run.scores if s.doc_id not in known]
            if extra:
                raise InputError(f"Query '{run.query_id}' in session '{session.name}' has no document(s) "
                                 f"{', '.join(extra[:5])}{' …' if len(extra) > 5 else ''}.",
                                 "Check the doc ids: the ranking must use the ids of the imported candidate set.")
            run_id = store.create_run(info.id, run)
            store.finish_run(run_id, "imported")
            print(f"  run {run_id}: query '{run.query_id}', {len(run.scores)} ranked document(s), "
                  f"model {run.model_id}")
    finally:
        store.close()
    print(f"Imported {len(runs)} run(s) into session '{session.name}'.")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    store = _store()
    try:
        if args.run is not None:
            runs = [store.load_run(args.run)]
            what = f"run {args.run}"
        else:
            session = store.get_session(args.session)
            runs = [store.load_run(r.id) for r in store.list_runs(session_id=session.id)]
            what = f"session '{session.name}'"
            if not runs:
                raise NotFound(f"Session '{session.name}' has no runs to export.",
                               "Rerank one of its sets first (workbench rerank …).")
        set_ids = sorted({r.set_id for r in runs if r.set_id is not None})
        infos = {i: store.get_set(i) for i in set_ids}
        labels = {i: store.get_labels(i) for i in set_ids}
    finally:
        store.close()
    query_ids = {i: info.query_id for i, info in infos.items()}
    frame = (wio.long_frame if args.format == "long" else wio.wide_frame)(runs, labels, query_ids)
    data = wio.to_csv_bytes(frame, bom=args.bom)
    if args.output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_bytes(data)
        print(f"Wrote {len(frame)} row(s) of {what} ({args.format}) to {args.output}.")
    return 0
