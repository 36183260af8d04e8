"""`workbench import-qrels`, `workbench export-qrels` and `workbench compare`: thin doors onto
workbench.formats.trec + workbench.service + workbench.compare (the same calls as the pages)."""

from __future__ import annotations

import argparse
import sys
from ..errors import shell_quote
from ._output import check_output, write_output


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import-qrels", help="import relevance labels from a TREC qrels file",
                       description="Read a TREC qrels file ('qid 0 docid grade') and label the documents "
                                   "of a session's candidate sets by query id. Every line is checked first; "
                                   "an unknown query or document id applies nothing.")
    p.add_argument("file", help="qrels file ('-' for standard input)")
    p.add_argument("--session", required=True, help="session holding the candidate sets (name or id)")
    p.add_argument("--clip", action="store_true",
                   help="map grades below 0 to 0 and above 2 to 2 instead of rejecting them")
    p.add_argument("--skip-unknown", action="store_true",
                   help="skip judgments of queries/documents that are not in the session's sets "
                        "(usual for TREC qrels judged on a bigger pool) instead of rejecting the file")
    p.add_argument("--annotator", metavar="NAME", default="",
                   help="whose grades these are (default: the default annotator, shown as '(unnamed)'); "
                        "other annotators' grades are kept")
    p.set_defaults(func=cmd_import_qrels)

    p = sub.add_parser("export-qrels", help="export a session's labels as a TREC qrels file")
    p.add_argument("--session", required=True, help="session name or id")
    p.add_argument("--output", required=True, help="qrels file to write ('-' for standard output)")
    p.set_defaults(func=cmd_export_qrels)

    p = sub.add_parser("compare", help="compare a session's runs: metrics, agreement, discrimination, significance",
                       description="Compare runs (instructions and/or backends) of a session: IR metrics "
                                   "(with labels), Kendall tau-b / Spearman rho / top-k overlap, score "
                                   "discrimination warnings, and a paired test of every run against the "
                                   "baseline (the first run).")
    p.add_argument("--session", required=True, help="session name or id")
    p.add_argument("--runs", type=int, nargs="+", metavar="ID",
                   help="run ids to compare, baseline first (default: every finished run of the session)")
    p.add_argument("--k", type=int, default=10, help="cut-off for NDCG@k, P@k, Recall@k, overlap@k (default 10)")
    p.add_argument("--output", metavar="CSV", help="write the runs × metrics table to this CSV")
    p.add_argument("--bom", action="store_true", help="UTF-8 with BOM for --output (Excel)")
    p.add_argument("--labels", metavar="SOURCE", default="adjudicated",
                   help="labels the metrics rest on: adjudicated (default: the adjudicated label, else the "
                        "people's majority), majority (ties: the lower grade) or annotator:NAME")
    p.set_defaults(func=cmd_compare)


def _store():
    from ..store import Store

    return Store()


def _write(data: bytes, output: str) -> None:
    write_output(output, data)


def cmd_import_qrels(args: argparse.Namespace) -> int:
    from .. import service
    from ..formats import trec
    from ..errors import InputError

    src = sys.stdin.buffer.read() if args.file == "-" else args.file
    if args.file == "-" and not src.strip():
        raise InputError("Standard input held no qrels lines.",
                         "Pipe a qrels file in (workbench import-qrels - --session S < qrels.txt), "
                         "or give the file's path instead of '-'.")
    qrels = trec.read_qrels(src, clip=args.clip)
    store = _store()
    try:
        counts = service.import_qrels(store, args.session, qrels.labels, skip_unknown=args.skip_unknown,
                                      annotator=args.annotator)
    finally:
        store.close()
    print(f"Read {qrels.summary()}.")
    who = f" as annotator '{args.annotator.strip()}'" if args.annotator.strip() else ""
    print(f"Applied {counts['labels']} label(s){who} to {counts['sets']} set(s) of session '{args.session}': "
          f"{counts['new']} new, {counts['changed']} changed, {counts['unchanged']} unchanged.")
    if counts["skipped_judgments"]:
        print(f"Skipped {counts['skipped_judgments']} judgment(s) outside the session's sets "
              f"({counts['skipped_queries']} unknown queries).")
    return 0


def cmd_export_qrels(args: argparse.Namespace) -> int:
    from .. import service

    check_output(args.output)
    store = _store()
    try:
        data = service.export_qrels(store, args.session)
    finally:
        store.close()
    _write(data, args.output)
    n = data.count(b"\n")
    if args.output != "-":
        print(f"Wrote {n} judgment(s) of session '{args.session}' to {args.output}.")
    return 0


def _table(frame, floatfmt: str = "{:.3f}") -> str:
    import pandas as pd

    shown = frame.copy()
    for col in shown.columns:
        if pd.api.types.is_float_dtype(shown[col]):
            shown[col] = shown[col].map(lambda v: "—" if pd.isna(v) else floatfmt.format(v))
    return shown.to_string()


def cmd_compare(args: argparse.Namespace) -> int:
    from .. import compare, service
    from ..errors import InputError
    from ..formats import to_csv_bytes

    from ..store.labels import parse_source

    check_output(args.output)
    parse_source(args.labels)              # a bad --labels is refused before any work
    if args.k < 1:
        raise InputError(f"--k must be at least 1 (got {args.k}).", "Use e.g. --k 10.")
    store = _store()
    try:
        info = store.get_session(args.session)
        in_session = service.session_run_ids(store, info.id)          # rankings of finished work
        if args.runs:
            # --runs names runs (one configuration over many queries): compare their rankings
            everything = {r.id for r in store.list_run_infos(info.id)}
            foreign = [r for r in args.runs if r not in everything]
            if foreign:
                raise InputError(
                    f"Run(s) {', '.join(map(str, foreign))} are not runs of session '{info.name}'.",
                    f"Pick runs of this session: {', '.join(map(str, sorted(everything))) or '(none yet)'}.")
            chosen = {g.id for r in args.runs for g in store.list_runs(run_id=r)}
            run_ids = [g for g in in_session if g in chosen]
        else:
            run_ids = in_session
        n_runs = len({g.run_id for g in store.list_runs(session_id=info.id) if g.id in set(run_ids)})
        if not run_ids:
            raise InputError(f"Session '{info.name}' has no finished runs to compare.",
                             "Rerank its sets with two instructions or backends first "
                             f"(`workbench rerank --session {shell_quote(info.name)} --instruction A --instruction B` "
                             "or the Compare page), or import runs.")
        result = service.compare_runs(store, run_ids, k=args.k, labels_source=args.labels)
    finally:
        store.close()

    labs = result.groups.labels
    print(f"Session '{info.name}': {n_runs} run(s) ({len(run_ids)} ranking(s)) over "
          f"{len(result.groups.query_ids)} quer{'y' if len(result.groups.query_ids) == 1 else 'ies'}; "
          f"baseline '{labs[0]}'.")
    for note in result.notes:
        print(f"note: {note}")

    print(f"\n== Metrics (mean over labelled queries; labels: {args.labels}) ==")
    if result.metrics is None:
        print("No metrics: label documents 0/1/2 (Rerank page) or `workbench import-qrels` first.")
    else:
        print(_table(result.metrics.table))
        for warning in result.metrics.judged_warnings():     # Judged@k under 50%: too few judgements
            print(f"warning: {warning}")
        j, k = result.metrics.judged, result.metrics.k       # thin queries of otherwise well-judged runs
        for run, row in (j[(j["n_below"] > 0) & (j[f"Judged@{k}"] >= result.metrics.judged_threshold)].iterrows()
                         if j is not None else ()):
            print(f"note: '{run}': Judged@{k} is below {result.metrics.judged_threshold:.0%} on "
                  f"{int(row['n_below'])} of {int(row['n_queries'])} queries (Label page, Order by pool).")

    print(f"\n== Agreement (Kendall tau-b, Spearman rho, overlap@{args.k}) ==")
    pairs = result.correlations.pairs
    if pairs is None or pairs.empty:
        print("Needs two runs over the same documents.")
    else:
        cols = [c for c in ("run_a", "run_b", "n_queries", "kendall_tau", "spearman_rho", f"overlap@{args.k}")
                if c in pairs.columns]
        print(_table(pairs[cols].set_index(["run_a", "run_b"])))

    print("\n== Score discrimination ==")
    summary = result.discrimination_summary
    print(_table(summary.set_index("run")))
    flagged = summary[summary["n_flagged"] > 0]
    for row in flagged.itertuples(index=False):
        disc = result.discrimination
        reasons = disc[(disc["run"] == row.run) & disc["flagged"]]["reasons"].iloc[0]
        print(f"warning: '{row.run}': scores barely discriminate on {row.n_flagged} of {row.n_queries} "
              f"quer{'y' if row.n_queries == 1 else 'ies'} ({reasons}).")
        for i, remedy in enumerate(compare.REMEDIES, 1):
            print(f"  try ({i}) {remedy}")

    print("\n== Paired test vs the baseline ==")
    sig = result.significance
    if sig is None or sig.empty:
        print("Needs labels and at least two runs with labelled queries.")
    else:
        base = labs[0] if labs[0] in set(sig["run_a"]) | set(sig["run_b"]) else sig["run_a"].iloc[0]
        rows = sig[(sig["run_a"] == base) | (sig["run_b"] == base)]
        for row in rows.itertuples(index=False):
            print(f"{row.run_b} vs {row.run_a} on {row.metric}: mean diff {row.mean_diff:+.3f}, "
                  f"p (randomisation) = {row.p_permutation:.3g}, p (t-test) = {row.p_ttest:.3g}, "
                  f"n = {row.n_queries}")
            print(f"  verdict: {row.verdict}")

    if args.output:
        if result.metrics is None:
            raise InputError("There is no metrics table to write: the compared runs have no relevance labels.",
                             "Label documents (Rerank page) or `workbench import-qrels` first, "
                             "or leave out --output.")
        _write(to_csv_bytes(result.metrics.table.reset_index(), bom=args.bom), args.output)
        print(f"\nWrote the metrics table ({len(result.metrics.table)} runs) to {args.output}.")
    return 0
