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
    copy = dbsub.add_parser(
        "copy", help="copy a whole database between SQLite and PostgreSQL (either way)",
        description="Copy every session, set, run, label, image and cached score from SOURCE to DESTINATION "
                    "(each a SQLite file or a postgresql://user[:password]@host[:port]/db URL), in one "
                    "transaction, and check the row count of every table. A destination that already "
                    "holds data is refused unless --replace is given.")
    copy.add_argument("source", metavar="SOURCE", help="SQLite file or postgresql:// URL to copy from")
    copy.add_argument("destination", metavar="DESTINATION", help="SQLite file or postgresql:// URL to copy into "
                                                                "(created if it is a new file)")
    copy.add_argument("--replace", action="store_true",
                      help="delete what the destination holds first (in the same transaction)")
    copy.set_defaults(func=cmd_copy)
    p.set_defaults(func=lambda args: (p.print_help(), 1)[1])

    s = sub.add_parser("sessions", help="list the stored sessions",
                       description="List sessions with their number of candidate sets and runs.")
    s.add_argument("--filter", metavar="TEXT", help="only sessions whose name or description contains TEXT")
    s.set_defaults(func=cmd_sessions)


def cmd_init(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .. import config
    from ..store import MIGRATIONS, Store

    target = config.db_target()
    existed = not isinstance(target, Path) or target.exists()
    store = Store(target)
    try:
        if not existed or (store.is_server and len(store.migrations_applied) == len(MIGRATIONS)):
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
    from sqlalchemy import inspect, text

    from ..store import Store
    from ..store.migrations import applied_order_sql

    store = Store()
    try:
        with store._read() as conn:
            applied = conn.execute(text(applied_order_sql(conn))).all()
            present = set(inspect(conn).get_table_names())
            counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                      for t in ("sessions", "candidate_sets", "documents", "images", "runs", "rankings", "scores",
                                "labels") if t in present}
        kind = "PostgreSQL server" if store.is_server else "SQLite file"
        print(f"database: {store.path} ({kind})")
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


def cmd_copy(args: argparse.Namespace) -> int:
    from .. import config
    from ..store.copy import copy_database

    shown = {}

    def progress(table: str, done: int, total: int) -> None:
        if total == 0 or done == total or done - shown.get(table, 0) >= 20_000:
            shown[table] = done
            print(f"  {table}: {done}/{total} row(s)", flush=True)

    src, dst = (config.server_url(v) if config.is_server_url(v) else v for v in (args.source, args.destination))
    print(f"copying {config.redact_url(args.source)} -> {config.redact_url(args.destination)} (one transaction)")
    report = copy_database(src, dst, replace=args.replace, progress=progress)
    if report.replaced:
        print("replaced what the destination held: " + ", ".join(f"{k}: {v}" for k, v in report.replaced.items()))
    total = sum(report.counts.values())
    print(f"row counts match in all {len(report.counts)} tables ({total} row(s)): "
          + ", ".join(f"{k} {v}" for k, v in report.counts.items()))
    print(f"copied into {report.destination}")
    return 0
