"""`workbench agreement`: agreement between a session's annotators (workbench.compare.annotators):
raw agreement and Cohen's kappa per pair, Krippendorff's ordinal alpha for all of them."""

from __future__ import annotations

import argparse

from ._output import check_output, write_output

COLUMNS = ["annotator_a", "annotator_b", "n", "agreement", "kappa", "alpha"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("agreement", help="agreement between a session's annotators (kappa, alpha)",
                       description="Agreement between the annotators of a session: one row per pair "
                                   "(annotator_a, annotator_b, n documents both graded, raw agreement, "
                                   "Cohen's kappa) and one row for all annotators, '(all)', with "
                                   "Krippendorff's ordinal alpha. Model annotators are included (their "
                                   "agreement with each person). The default annotator shows as '(unnamed)'.")
    p.add_argument("--session", required=True, help="session name or id")
    p.add_argument("--query", metavar="ID", help="one query id only (default: the whole session)")
    p.add_argument("--output", metavar="CSV", help="also write the table to this CSV ('-' for standard output)")
    p.add_argument("--bom", action="store_true", help="UTF-8 with BOM for --output (Excel)")
    p.set_defaults(func=cmd_agreement)


def agreement_frame(store, session, query_id: str | None = None):
    """The table `workbench agreement` prints: compare.annotators.agreement_table of the session's
    grades, the default annotator '' shown as '(unnamed)'."""
    from .. import service
    from ..errors import InputError
    from ..store.labels import shown_name

    info = store.get_session(session)
    grades = service.session_grades(store, info.id, query_id)
    if grades.empty:
        raise InputError.coded("labels.no_annotators", {"session": info.name})
    table = service.agreement(store, info.id, query_id)
    for col in ("annotator_a", "annotator_b"):
        table[col] = table[col].map(shown_name)
    return table[COLUMNS]


def cmd_agreement(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..formats import to_csv_bytes
    from ..store import Store

    check_output(args.output)
    store = Store()
    try:
        info = store.get_session(args.session)
        table = agreement_frame(store, info.id, args.query)
    finally:
        store.close()
    if args.output != "-":
        scope = f"query '{args.query}' of session '{info.name}'" if args.query else f"session '{info.name}'"
        n = len(table) - 1
        print(f"Agreement in {scope}: {n} pair(s) of annotators.")
        shown = table.copy()
        for col in ("agreement", "kappa", "alpha"):
            shown[col] = shown[col].map(lambda v: "—" if pd.isna(v) else f"{v:.3f}")
        print(shown.to_string(index=False))
    if args.output:
        write_output(args.output, to_csv_bytes(table, bom=args.bom))
        if args.output != "-":
            print(f"Wrote the agreement table ({len(table)} rows) to {args.output}.")
    return 0
