"""SQLAlchemy engine for the workbench's database: a SQLite file, or a PostgreSQL server.

PostgreSQL (`make_server_engine`, psycopg 3): a write transaction (``wb_write=True``) first
takes one transaction-scoped advisory lock (``pg_advisory_xact_lock(WRITE_LOCK)``), so writers
serialize exactly where SQLite's BEGIN IMMEDIATE made them queue; readers never wait.
``lock_timeout`` plays SQLite's busy timeout. Statements written for SQLite with ``?``
placeholders through ``exec_driver_sql`` are rewritten for psycopg (``%s``) on the way out
(`qmark_to_format`); new code uses ``sqlalchemy.text()`` with named parameters.

SQLite:

Every connection gets WAL, foreign keys and a busy timeout (connect listener).
pysqlite's own transaction handling is switched off and we emit BEGIN ourselves
(the SQLAlchemy-documented recipe), so DDL in migrations is transactional too.
A connection opened with execution option ``wb_write=True`` starts with
``BEGIN IMMEDIATE``: writers queue on the busy timeout instead of failing
half-way with "database is locked".
"""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.pool import QueuePool

from ..errors import StoreError

DEFAULT_TIMEOUT_S = 10.0


def make_engine(path: Path, timeout: float = DEFAULT_TIMEOUT_S, *, readonly: bool = False) -> Engine:
    """Engine for the db file. ``readonly=True`` opens it with SQLite's ``mode=ro`` (and no
    WAL switch), so a read-only file or a file in a read-only folder still serves reads."""
    path = Path(path)
    if readonly:
        from .guard import open_readonly

        folder_ok = os.access(path.parent, os.W_OK)
        engine = create_engine("sqlite://", poolclass=QueuePool,
                               creator=lambda: open_readonly(path, folder_writable=folder_ok))
    else:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise StoreError.coded("store.no_folder", {"path": str(path), "reason": str(err)}) from None
        engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": timeout})
    busy_ms = int(timeout * 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - exercised by every test
        dbapi_conn.isolation_level = None          # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        try:
            cur.execute(f"PRAGMA busy_timeout = {busy_ms}")
            if not readonly:
                cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA foreign_keys = ON")
            cur.execute("PRAGMA synchronous = NORMAL")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection):
        write = conn.get_execution_options().get("wb_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


# key of the advisory lock every PostgreSQL write transaction holds (any constant; "LYCH")
WRITE_LOCK = 0x4C594348


class ServerDb(str):
    """A PostgreSQL database as the Store names it: ``str()`` is the URL without its password
    (safe for messages and the app); ``.url`` is the full SQLAlchemy URL."""

    url: str

    def __new__(cls, url: str) -> "ServerDb":
        from .. import config

        shown = config.redact_url(url)
        for scheme in ("postgresql+psycopg://", "postgres://"):
            if shown.lower().startswith(scheme):
                shown = "postgresql://" + shown[len(scheme):]
        self = super().__new__(cls, shown)
        self.url = config.server_url(url)
        return self

    @property
    def name(self) -> str:          # like Path.name: what a short label shows
        from urllib.parse import urlsplit

        return urlsplit(self.url).path.lstrip("/") or "?"


def is_server(target: object) -> bool:
    """Whether `target` (a Store's path, a --db value) is a PostgreSQL server."""
    from .. import config

    return isinstance(target, ServerDb) or (isinstance(target, str) and config.is_server_url(target))


def dialect(conn_or_engine) -> str:
    """'sqlite' or 'postgresql' for a Connection or an Engine."""
    return conn_or_engine.dialect.name


def qmark_to_format(sql: str) -> str:
    """A ``?``-placeholder statement in psycopg's ``%s`` style: ``?`` outside quotes becomes
    ``%s``, a literal ``%`` becomes ``%%``."""
    out: list[str] = []
    quote: str | None = None
    for ch in sql:
        if quote:
            out.append("%%" if ch == "%" else ch)
            if ch == quote:
                quote = None
        elif ch in ("'", '"'):
            quote = ch
            out.append(ch)
        elif ch == "?":
            out.append("%s")
        elif ch == "%":
            out.append("%%")
        else:
            out.append(ch)
    return "".join(out)


def make_server_engine(db: ServerDb, timeout: float = DEFAULT_TIMEOUT_S) -> Engine:
    """Engine for a PostgreSQL database (psycopg 3). Connections are checked before use (a
    restarted server or a dropped network connection costs a retry, not an error)."""
    from ..extras import require

    require("psycopg", "a PostgreSQL database (WORKBENCH_DB=postgresql://…)", extra="postgres", error=StoreError)
    lock_ms = int(timeout * 1000)
    engine = create_engine(
        db.url, pool_pre_ping=True, pool_size=5, max_overflow=10,
        connect_args={"connect_timeout": max(1, int(timeout)),
                      "options": f"-c lock_timeout={lock_ms} -c idle_in_transaction_session_timeout=600000",
                      "application_name": "lychee-workbench"})

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection):
        if conn.get_execution_options().get("wb_write", False):
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")

    @event.listens_for(engine, "before_cursor_execute", retval=True)
    def _qmark(conn, cursor, statement, parameters, context, executemany):
        # exec_driver_sql("... ?", (...)) written for SQLite: compiled statements are left alone
        if parameters and (context is None or context.compiled is None) and "?" in statement \
                and isinstance(parameters, (tuple, list)):
            statement = qmark_to_format(statement)
        return statement, parameters

    return engine


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if abs(n) < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"  # pragma: no cover


def free_space(folder: Path) -> int | None:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


class DiskFull(StoreError):
    """The disk (or SQLite's size limit) ran out while writing; `needed` is a rough estimate."""

    def __init__(self, path: Path, needed: int | None = None, detail: str = ""):
        self.path, self.needed = Path(path), needed
        folder = self.path.resolve().parent
        free = free_space(folder)
        # the write itself plus the same again for SQLite's journal (WAL), plus 1 MB of slack
        detail = " ".join(str(detail or "database or disk is full").split())
        if len(detail) > 200:            # a driver or OS text quoting a whole statement: keep its start
            detail = detail[:197] + "..."
        params = {"path": str(path), "detail": detail, "folder": str(folder),
                  "free": _size(free) if free is not None else "",
                  "need": _size(2 * needed + 2**20) if needed else ""}
        code = {(True, True): "store.disk_full_need", (True, False): "store.disk_full",
                (False, True): "store.disk_full_nofree_need", (False, False): "store.disk_full_nofree"}[
            (free is not None, bool(needed))]
        made = StoreError.coded(code, params)
        super().__init__(made.message, made.fix)
        self.code, self.params = made.code, made.params


def translate_server(err: Exception, db: str) -> StoreError:
    """A PostgreSQL driver error in analyst-facing words naming the server (no password)."""
    text = " ".join(str(getattr(err, "orig", err) or err).split())
    if len(text) > 300:
        text = text[:297] + "..."
    low = text.lower()
    params = {"server": str(db), "reason": text}
    if "lock timeout" in low or "deadlock detected" in low or "could not serialize" in low:
        return StoreError.coded("store.server_busy", params)
    if "password authentication failed" in low or "no password supplied" in low \
            or "role" in low and "does not exist" in low:
        return StoreError.coded("store.server_login", params)
    if "database" in low and "does not exist" in low:
        return StoreError.coded("store.server_no_database", params)
    if "no space left" in low or "could not extend file" in low or "disk full" in low:
        return StoreError.coded("store.server_disk_full", params)
    if "read-only transaction" in low or "permission denied" in low:
        return StoreError.coded("store.server_denied", params)
    if ("connection" in low and ("refused" in low or "failed" in low or "timeout" in low or "closed" in low))\
            or "could not translate host name" in low or "server closed" in low or "terminating connection" in low:
        return StoreError.coded("store.server_unreachable", params)
    return StoreError.coded("store.server_error", params)


def translate(err: Exception, path: Path, needed: int | None = None) -> StoreError:
    """Turn a driver error into analyst-facing text naming the file (or the server)."""
    if isinstance(path, ServerDb):
        return translate_server(err, path)
    text = str(getattr(err, "orig", err) or err)
    low = text.lower()
    if "disk is full" in low or "database or disk is full" in low or "no space left" in low:
        return DiskFull(path, needed, text)
    if "too big" in low:                     # SQLITE_TOOBIG: one value over SQLite's 1 GB limit
        return StoreError.coded("store.too_big", {"path": str(path), "reason": text})
    if "attempt to write a readonly database" in low or "readonly database" in low:
        return StoreError.coded("store.readonly", {"path": str(path), "reason": text})
    if "locked" in low or "busy" in low:
        return StoreError.coded("store.locked", {"path": str(path), "reason": text})
    if "not a database" in low or "malformed" in low or "corrupt" in low or "file is encrypted" in low:
        return StoreError.coded("store.corrupt", {"path": str(path), "reason": text})
    if "unable to open" in low or "readonly" in low or "read-only" in low or "disk i/o" in low:
        return StoreError.coded("store.cannot_write", {"path": str(path), "reason": text})
    return StoreError.coded("store.error", {"path": str(path), "reason": text})


@contextmanager
def guarded(path: Path, needed: int | None = None) -> Iterator[None]:
    """Re-raise driver-level failures as StoreError (IntegrityError is left to callers).
    `needed`: rough bytes the write inside needs, for the disk-full message."""
    try:
        yield
    except exc.IntegrityError:
        raise
    except (exc.OperationalError, exc.DatabaseError) as err:
        raise translate(err, path, needed) from None
    except OSError as err:
        if getattr(err, "errno", None) == 28:      # ENOSPC from a plain file write
            raise DiskFull(path, needed, str(err)) from None
        raise
