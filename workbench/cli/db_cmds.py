"""`workbench db init [--samples]`, `workbench db info` and `workbench sessions`: doors onto Store."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("db", help="create / migrate the database, seed samples, show its state",
                       description="Manage the workbench database (WORKBENCH_DB, default data/workbench.db).")
    dbsub = p.add_subparsers(dest="db_command", metavar="ACTION")
    init = dbsub.add_parser("init", help="create or migrate the database (fast and idempotent)")
    init.add_argument("--samples", action="store_true",
                      help="also import the bundled sample sets that are not stored yet")
    init.set_defaults(func=cmd_init)
    info = dbsub.add_parser("info", help="show the database file, schema migrations and row counts")
    info.set_defaults(func=cmd_info)
    p.set_defaults(func=lambda args: (p.print_help(), 1)[1])

    s = sub.add_parser("sessions", help="list the stored sessions",
                       description="List sessions with their number of candidate sets and runs.")
    s.add_argument("--filter", metavar="TEXT", help="only sessions whose name or description contains TEXT")
    s.set_defaults(func=cmd_sessions)


def cmd_init(args: argparse.Namespace) -> int:
    from .. import config
    from ..store import Store

    path = config.db_path()
    existed = path.exists()
    store = Store(path)
    try:
        if not existed:
            print(f"database: {store.path} (created)")
        elif store.migrations_applied:
            print(f"database: {store.path} (migrated: {', '.join(store.migrations_applied)})")
        else:
            print(f"database: {store.path} (up to date)")
        if args.samples:
            from ..samples import list_samples, pending_samples, seed_samples

            if not pending_samples(store):
                print(f"samples: all {len(list_samples())} already stored")
            else:
                for name in seed_samples(store):
                    sets = store.list_candidate_sets(name)
                    print(f"samples: added '{name}' ({len(sets)} set(s), "
                          f"{sum(s.n_docs for s in sets)} document(s))")
    finally:
        store.close()
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from ..store import Store

    store = Store()
    try:
        with store.engine.connect() as conn:
            applied = conn.exec_driver_sql("SELECT name, applied_at FROM schema_migrations ORDER BY rowid").all()
            counts = {t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar()
                      for t in ("sessions", "candidate_sets", "documents", "images", "runs", "scores", "labels")}
        print(f"database: {store.path}")
        for name, when in applied:
            print(f"  migration {name} applied {when}")
        print("  " + ", ".join(f"{k}: {v}" for k, v in counts.items()))
        stats = store.cache_stats()
        print(f"  score cache: {stats['entries']} entries, {stats['models']} model(s)")
    finally:
        store.close()
    return 0


def cmd_sessions(args: argparse.Namespace) -> int:
    from ..store import Store

    store = Store()
    try:
        sessions = store.list_sessions(filter=args.filter)
    finally:
        store.close()
    if not sessions:
        print("no sessions" + (f" matching '{args.filter}'" if args.filter else "")
              + " (import one with `workbench import FILE`, or run `workbench db init --samples`)")
        return 0
    width = max(len(s.name) for s in sessions)
    print(f"{'id':>4}  {'name':<{width}}  {'sets':>4}  {'runs':>4}  created")
    for s in sessions:
        print(f"{s.id:>4}  {s.name:<{width}}  {s.n_sets:>4}  {s.n_runs:>4}  {s.created_at[:19].replace('T', ' ')}")
    return 0
