"""`workbench runs` (list a session's runs with their notes) and `workbench run note|delete`."""

from __future__ import annotations

import argparse
import sys

from ..errors import InputError, shell_quote


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("runs", help="list a session's runs with their notes",
                       description="List the runs of a session: id, set, status, name and note.")
    p.add_argument("--session", required=True, help="session name or id")
    p.set_defaults(func=cmd_runs)

    r = sub.add_parser("run", help="note or delete one run",
                       description="Act on one stored run (ids: `workbench runs --session NAME`).")
    rsub = r.add_subparsers(dest="run_command", metavar="ACTION")
    note = rsub.add_parser("note", help="set a run's note ('' clears it)")
    note.add_argument("run_id", type=int)
    note.add_argument("text", help="the note; '' clears it")
    note.set_defaults(func=cmd_note)
    delete = rsub.add_parser("delete", help="delete one run and its scores (asks first)")
    delete.add_argument("run_id", type=int)
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    delete.set_defaults(func=cmd_delete)
    r.set_defaults(func=lambda args: (r.print_help(), 1)[1])


def cmd_runs(args: argparse.Namespace) -> int:
    from ..store import Store

    store = Store()
    try:
        info = store.get_session(args.session)
        runs = store.list_runs(info.id)
    finally:
        store.close()
    if not runs:
        print(f"session '{info.name}' has no runs (score one with `workbench rerank --session {shell_quote(info.name)}`)")
        return 0
    print(f"{'id':>4}  {'set':>4}  {'status':<9}  {'name':<40}  note")
    for run in runs:
        print(f"{run.id:>4}  {run.set_id:>4}  {run.status:<9}  {run.label[:40]:<40}  {run.note}")
    return 0


def cmd_note(args: argparse.Namespace) -> int:
    from ..service import set_run_note
    from ..store import Store

    store = Store()
    try:
        run = set_run_note(store, args.run_id, args.text)
    finally:
        store.close()
    print(f"run {run.id} ('{run.label}'): " + (f"note set: {run.note}" if run.note else "note cleared"))
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    from ..service import delete_run
    from ..store import Store

    store = Store()
    try:
        run = store.load_run(args.run_id)
        if not args.yes:
            if not sys.stdin.isatty():
                raise InputError(f"Deleting run {run.id} ('{run.label}') needs a confirmation.",
                                 "Add --yes to delete it without asking.")
            answer = input(f"Delete run {run.id} ('{run.label}', {len(run.scores)} scores)? [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                print("Nothing deleted.")
                return 1
        delete_run(store, run.id)
    finally:
        store.close()
    print(f"Deleted run {run.id} ('{run.label}') and its {len(run.scores)} scores; labels are kept.")
    return 0
