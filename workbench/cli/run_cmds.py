"""`workbench runs` (a session's runs, one row per run: one configuration over many queries) and
`workbench run show|note|delete` (a whole run, or with --query one of its rankings)."""

from __future__ import annotations

import argparse
import sys

from ..errors import InputError, shell_quote


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("runs", help="list a session's runs with their notes",
                       description="List the runs of a session, one row per run (one configuration over "
                                   "many queries): id, queries ranked, status, name and note.")
    p.add_argument("--session", required=True, help="session name or id")
    p.set_defaults(func=cmd_runs)

    r = sub.add_parser("run", help="show, note or delete one run",
                       description="Act on one stored run (ids: `workbench runs --session NAME`).")
    rsub = r.add_subparsers(dest="run_command", metavar="ACTION")
    show = rsub.add_parser("show", help="list a run's rankings (one per query)")
    show.add_argument("run_id", type=int)
    show.set_defaults(func=cmd_show)
    note = rsub.add_parser("note", help="set a run's note ('' clears it)")
    note.add_argument("run_id", type=int)
    note.add_argument("text", help="the note; '' clears it")
    note.set_defaults(func=cmd_note)
    delete = rsub.add_parser("delete", help="delete a run (or one query's ranking in it) and its scores (asks first)")
    delete.add_argument("run_id", type=int)
    delete.add_argument("--query", default=None, metavar="QUERY_ID",
                        help="delete only the run's ranking of this query")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    delete.set_defaults(func=cmd_delete)
    r.set_defaults(func=lambda args: (r.print_help(), 1)[1])


def cmd_runs(args: argparse.Namespace) -> int:
    from ..store import Store

    store = Store()
    try:
        info = store.get_session(args.session)
        runs = store.list_run_infos(info.id)
    finally:
        store.close()
    if not runs:
        print(f"session '{info.name}' has no runs (score one with `workbench rerank --session {shell_quote(info.name)}`)")
        return 0
    print(f"{'id':>4}  {'queries':>7}  {'status':<11}  {'name':<40}  note")
    for run in runs:
        queries = f"{run.n_done}/{run.n_rankings}" if run.n_done != run.n_rankings else f"{run.n_rankings}"
        note = " ".join(run.note.split())
        print(f"{run.id:>4}  {queries:>7}  {run.status:<11}  {run.label[:40]:<40}  {note}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from ..store import Store

    store = Store()
    try:
        run = store.get_run_info(args.run_id)
        rankings = store.list_runs(run_id=run.id)
        sizes = {g.id: len(store.load_run(g.id).scores) for g in rankings}
    finally:
        store.close()
    print(f"run {run.id} ('{run.label}'): {run.backend} {run.model_id}, {run.n_rankings} quer"
          f"{'y' if run.n_rankings == 1 else 'ies'}, {run.status}" + (f"; note: {run.note}" if run.note else ""))
    print(f"{'ranking':>7}  {'set':>5}  {'status':<11}  {'scored':>6}  query")
    for g in rankings:
        print(f"{g.id:>7}  {g.set_id:>5}  {g.status:<11}  {sizes[g.id]:>6}  {g.query_id}")
    return 0


def cmd_note(args: argparse.Namespace) -> int:
    from ..service import note_run
    from ..store import Store

    store = Store()
    try:
        run = note_run(store, args.run_id, args.text)
    finally:
        store.close()
    print(f"run {run.id} ('{run.label}'): " + (f"note set: {run.note}" if run.note else "note cleared"))
    return 0


def _confirm(question: str, what: str) -> bool:
    if not sys.stdin.isatty():
        raise InputError(f"Deleting {what} needs a confirmation.", "Add --yes to delete it without asking.")
    answer = input(f"{question} [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def cmd_delete(args: argparse.Namespace) -> int:
    from ..service import delete_run, delete_whole_run
    from ..store import Store

    store = Store()
    try:
        run = store.get_run_info(args.run_id)
        if args.query is not None:
            found = [g for g in store.list_runs(run_id=run.id) if str(g.query_id) == args.query]
            if not found:
                raise InputError(f"Run {run.id} ('{run.label}') has no ranking of query '{args.query}'.",
                                 f"See its queries with: workbench run show {run.id}")
            ranking = store.load_run(found[0].id)
            what = f"the ranking of query '{args.query}' in run {run.id} ('{run.label}')"
            if not args.yes and not _confirm(f"Delete {what} ({len(ranking.scores)} scores)?", what):
                print("Nothing deleted.")
                return 1
            delete_run(store, ranking.id)
            print(f"Deleted {what} and its {len(ranking.scores)} scores; labels are kept.")
            return 0
        what = f"run {run.id} ('{run.label}')"
        if not args.yes and not _confirm(f"Delete {what}, {run.n_rankings} quer"
                                         f"{'y' if run.n_rankings == 1 else 'ies'}?", what):
            print("Nothing deleted.")
            return 1
        delete_whole_run(store, run.id)
    finally:
        store.close()
    print(f"Deleted {what} and its {run.n_rankings} ranking(s); labels are kept.")
    return 0
