"""SQLAlchemy engine for the workbench's SQLite file.

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


def translate(err: Exception, path: Path, needed: int | None = None) -> StoreError:
    """Turn a driver error into analyst-facing text naming the file."""
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
