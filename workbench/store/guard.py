"""Look at a database file before SQLAlchemy touches it.

Opening a SQLite file through the normal engine already writes to it: the
connect hook switches it to WAL and the migrations create tables. That must never
happen to a file that is not a workbench database (``WORKBENCH_DB`` pointing at
another application's file by mistake), and cannot happen to a read-only file.
`inspect_db` reads the file's header and table list through a separate
read-only connection (``mode=ro``; ``immutable=1`` only when the folder is
read-only and SQLite could not open the file otherwise) and says what it is:

    "new"        missing or empty file: the workbench may create it
    "workbench"  a workbench database (schema_migrations records m001_core)
    foreign      anything else: refused with StoreError, nothing written

and whether the process may write to it (file and folder permissions).
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from ..errors import StoreError, shell_quote

SQLITE_MAGIC = b"SQLite format 3\x00"
FIRST_MIGRATION = "m001_core"


@dataclass
class DbFile:
    path: Path
    kind: str            # "new" | "workbench"
    writable: bool
    wal: bool = False    # header says WAL mode
    applied: tuple[str, ...] = ()


def _ro_uri(path: Path, immutable: bool = False) -> str:
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    return uri + ("&immutable=1" if immutable else "")


def _refuse(path: Path, code: str, params: dict | None = None) -> StoreError:
    """A file that is not a workbench database: code store.not_sqlite or store.foreign_db."""
    return StoreError.coded(code, {**(params or {}), "path": str(path),
                                   "new_file": shell_quote(str(path.with_name("workbench.db"))),
                                   "new_path": shell_quote(str(path.parent / "workbench.db"))})


def writable(path: Path) -> bool:
    folder = path.parent if str(path.parent) else Path(".")
    if path.exists():
        return os.access(path, os.W_OK) and os.access(folder, os.W_OK)
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return os.access(probe, os.W_OK)


def _wal_header(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(20)
    except OSError:
        return False
    return len(head) == 20 and head[18] == 2 and head[19] == 2


def open_readonly(path: Path, *, folder_writable: bool) -> sqlite3.Connection:
    """A read-only connection that writes nothing to the main file, and leaves no side files.

    A WAL database whose -wal file is gone was closed cleanly: everything is in the main
    file, and opening it normally would create -wal/-shm files next to it, so it is read
    as immutable. Otherwise SQLite's ``mode=ro`` (it uses the writer's -wal/-shm)."""
    if _wal_header(path) and not Path(f"{path}-wal").exists():
        con = sqlite3.connect(_ro_uri(path, immutable=True), uri=True, check_same_thread=False)
        con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return con
    try:
        con = sqlite3.connect(_ro_uri(path), uri=True, timeout=10, check_same_thread=False)
        con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return con
    except sqlite3.OperationalError:
        if folder_writable:
            raise
    # a WAL database in a read-only folder: nobody can be writing to it, reading it as immutable is safe
    con = sqlite3.connect(_ro_uri(path, immutable=True), uri=True, check_same_thread=False)
    con.execute("SELECT count(*) FROM sqlite_master").fetchone()
    return con


def inspect_db(path: Path) -> DbFile:
    path = Path(path)
    can_write = writable(path)
    if not path.exists() or (path.is_file() and path.stat().st_size == 0):
        return DbFile(path, "new", can_write)
    if not path.is_file():
        raise StoreError.coded("store.db_not_file", {"path": str(path)})
    try:
        with open(path, "rb") as fh:
            head = fh.read(100)
    except OSError as err:
        raise StoreError.coded("store.db_unreadable", {"path": str(path), "reason": str(err.strerror or err)}) from None
    if not head.startswith(SQLITE_MAGIC):
        raise _refuse(path, "store.not_sqlite")
    wal = len(head) > 19 and head[18] == 2 and head[19] == 2
    folder_writable = os.access(path.parent, os.W_OK)
    try:
        con = open_readonly(path, folder_writable=folder_writable)
    except sqlite3.DatabaseError as err:
        raise StoreError.coded("store.db_cannot_open", {"path": str(path), "reason": str(err)}) from None
    try:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
        applied: tuple[str, ...] = ()
        if "schema_migrations" in tables:
            cols = {r[1] for r in con.execute("PRAGMA table_info(schema_migrations)")}
            if "name" in cols:
                applied = tuple(r[0] for r in con.execute("SELECT name FROM schema_migrations ORDER BY rowid"))
    except sqlite3.DatabaseError as err:
        raise StoreError.coded("store.db_damaged", {"path": str(path), "reason": str(err)}) from None
    finally:
        con.close()
    ours = {name for name in tables if not name.startswith("sqlite_")}
    if not ours or (ours == {"schema_migrations"} and not applied):
        return DbFile(path, "new", can_write, wal)
    if FIRST_MIGRATION not in applied:
        shown = ", ".join(sorted(ours)[:6]) + (" …" if len(ours) > 6 else "")
        raise _refuse(path, "store.foreign_db", {"tables": shown})
    return DbFile(path, "workbench", can_write, wal, applied)


def inspect_server(engine, db) -> str:
    """The PostgreSQL counterpart of `inspect_db`: "new" (no tables in the connection's schema),
    "workbench" (schema_migrations records m001_core); a database holding other tables is
    refused (StoreError store.foreign_server_db), before anything is written to it."""
    from sqlalchemy import text

    with engine.connect() as conn:
        tables = set(conn.execute(text(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")).scalars())
        applied: set[str] = set()
        if "schema_migrations" in tables:
            applied = set(conn.execute(text("SELECT name FROM schema_migrations")).scalars())
        conn.rollback()
    if not tables or (tables == {"schema_migrations"} and not applied):
        return "new"
    if FIRST_MIGRATION not in applied:
        shown = ", ".join(sorted(tables)[:6]) + (" …" if len(tables) > 6 else "")
        raise StoreError.coded("store.foreign_server_db", {"server": str(db), "tables": shown})
    return "workbench"
