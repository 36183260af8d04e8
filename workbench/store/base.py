"""What every part of the Store shares: its connections, one-transaction writes, small helpers."""

from __future__ import annotations

import math
import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import Connection, Engine

from ..errors import InputError, StoreError, shell_quote
from .engine import guarded

CHUNK = 500          # keys per IN (...) query; far below SQLite's variable limit
# An import writes only after PRAGMA quick_check found the file sound. Measured (warm page cache,
# 2 shared cores): 40-100 ms on a 50,000-document database (22 MB), 0.26-0.38 s on 220 MB with
# images; so it runs before each import, not on every open, and a Store re-checks at most once a
# minute (one import of many sets checks once).
INTEGRITY_MAX_AGE_S = 60.0
MAX_PROBLEMS_SHOWN = 3


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def chunks(items: list, n: int = CHUNK) -> Iterator[list]:
    for i in range(0, len(items), n):
        yield items[i:i + n]


def finite(value: Any, code: str, params: dict | None = None) -> float:
    """`value` as a finite float, else the coded InputError `code` (its texts get {value}, the repr)."""
    try:
        out = float(value)
    except (TypeError, ValueError):
        out = math.nan
    if not math.isfinite(out):
        raise InputError.coded(code, {**(params or {}), "value": repr(value)})
    return out


def insert_or_ignore(conn: Connection, table):
    """``INSERT ... ON CONFLICT DO NOTHING`` for `table` in the connection's dialect (SQLite's
    INSERT OR IGNORE; PostgreSQL's ON CONFLICT DO NOTHING)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(table).on_conflict_do_nothing()


class StoreBase:
    """Connections of one database (a SQLite file or a PostgreSQL server). Subclasses add the
    tables' methods."""

    path: Path                     # a ServerDb (str: the URL without password) on PostgreSQL
    engine: Engine
    _local: threading.local        # per thread: the connection of an open transaction()

    @property
    def is_server(self) -> bool:
        """True on PostgreSQL (no file: no pragmas, no quick_check, no file guard)."""
        return self.engine.dialect.name != "sqlite"

    @property
    def location(self) -> str:
        """What opens this same database again (`Store(store.location)`, e.g. in a child process):
        the file's path, or the server's full URL, password included (`str(store.path)` hides it)."""
        return getattr(self.path, "url", None) or str(self.path)

    @property
    def sql_instr(self) -> str:
        """The SQL function giving the 1-based position of a text in another (0: absent):
        SQLite's instr(haystack, needle), PostgreSQL's strpos(haystack, needle)."""
        return "strpos" if self.is_server else "instr"

    def _open_server(self, url: str, timeout: float) -> None:
        """Open a PostgreSQL database (the Store's __init__ for a server URL): refuse a database
        holding another application's tables, apply the migrations, settle dead runs."""
        from . import recovery
        from .engine import ServerDb, make_server_engine
        from .guard import inspect_server
        from .migrations import migrate

        self.path = ServerDb(getattr(url, "url", url))   # type: ignore[assignment]  # another Store's path too
        self.readonly = False
        self.migrations_applied = []
        self.interrupted_runs = []
        self._local = threading.local()
        self.engine = make_server_engine(self.path, timeout)
        try:
            with guarded(self.path):
                inspect_server(self.engine, self.path)
                self.migrations_applied = migrate(self.engine, str(self.path))
                self.interrupted_runs = recovery.settle_dead_runs(self)
        except BaseException:
            self.engine.dispose()
            raise

    @contextmanager
    def transaction(self, needed: int | None = None) -> Iterator[Connection]:
        """One write transaction (BEGIN IMMEDIATE) for several Store calls: all or nothing.

            with store.transaction():
                run_id = store.create_run(set_id, run)
                store.finish_run(run_id, "imported")

        Store calls made inside it (in the same thread) join it, reads included, so they see
        its uncommitted rows; an exception rolls everything back. A nested transaction (and
        every Store write inside one) is a SAVEPOINT: when it fails, only its own statements
        are undone, so a caller that catches the error never commits half of that call.
        `needed`: rough bytes the writes need, for the disk-full message.
        """
        current = getattr(self._local, "conn", None)
        if current is not None:
            with current.begin_nested():
                yield current
            return
        with guarded(self.path, needed):
            with self.engine.connect().execution_options(wb_write=True) as conn:
                with conn.begin():
                    self._local.conn = conn
                    try:
                        yield conn
                    finally:
                        self._local.conn = None

    _write = transaction

    def check_integrity(self, *, max_age_s: float = INTEGRITY_MAX_AGE_S) -> None:
        """Refuse to write an import into a damaged file: `PRAGMA quick_check` (every page and
        b-tree, not the index contents), skipped when this Store found the file sound less than
        `max_age_s` seconds ago. A damaged page raises StoreError `store.damaged` with the
        recovery steps; nothing is written."""
        import time

        if getattr(self, "readonly", False):
            return                       # nothing will be written; the write itself is refused
        if self.is_server:
            return                       # PostgreSQL checks its own pages (checksums, WAL replay)
        last = getattr(self, "_integrity_ok_at", None)
        if last is not None and time.monotonic() - last < max_age_s:
            return
        try:
            with self._read() as conn:
                problems = [str(r[0]).replace("*** in database main ***", "").strip()
                            for r in conn.exec_driver_sql("PRAGMA quick_check")]
        except StoreError as err:      # so damaged that the check itself cannot read it
            if err.code != "store.corrupt":
                raise
            problems = [str((err.params or {}).get("reason", "")) or "malformed"]
        if problems == ["ok"]:
            self._integrity_ok_at = time.monotonic()
            return
        self._integrity_ok_at = None
        raise damaged(self.path, problems)

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        current = getattr(self._local, "conn", None)
        if current is not None:
            yield current
            return
        with guarded(self.path):
            with self.engine.connect() as conn:
                yield conn


def damaged(path: Path, problems: list[str]) -> StoreError:
    """StoreError `store.damaged`: what quick_check found (a few lines, each capped) and the
    analyst's way out (.recover into a new file, or a backup), with their own paths quoted."""
    path = Path(path)
    shown = [p if len(p) <= 160 else p[:157] + "..." for p in problems[:MAX_PROBLEMS_SHOWN]]
    more = len(problems) - len(shown)
    detail = "; ".join(shown) + (f"; and {more} more problem(s)" if more > 0 else "")
    repaired = path.with_name(path.stem + ".repaired" + path.suffix)
    aside = path.with_name(path.stem + ".damaged" + path.suffix)
    return StoreError.coded("store.damaged", {
        "path": str(path), "detail": detail,
        "recover": f"sqlite3 {shell_quote(path)} .recover | sqlite3 {shell_quote(repaired)}",
        # sqlite3 builds without .recover (no sqlite_dbpage): .dump reads what it can but ends
        # with ROLLBACK when it met damage; committing instead keeps the readable rows
        "dump": (f"sqlite3 {shell_quote(path)} .dump | sed 's/^ROLLBACK; -- due to errors$/COMMIT;/' "
                 f"| sqlite3 {shell_quote(repaired)}"),
        "swap": f"mv {shell_quote(path)} {shell_quote(aside)} && mv {shell_quote(repaired)} {shell_quote(path)}"})
