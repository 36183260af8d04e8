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
            raise StoreError(
                f"Cannot create the folder for the database '{path}' ({err}).",
                "Point WORKBENCH_DB to a file in a writable folder.",
            ) from None
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
        where = f"the disk holding '{folder}'" + (f" has {_size(free)} free" if free is not None else "")
        need = ""
        if needed:
            # the write itself plus the same again for SQLite's journal (WAL), plus 1 MB of slack
            need = f"; this write needs roughly {_size(2 * needed + 2**20)} free"
        super().__init__(
            f"The disk is full: could not write to the database '{path}' ({detail or 'database or disk is full'}); "
            f"{where}{need}. The write was rolled back: nothing of it was saved.",
            "Free some space on that disk (or move WORKBENCH_DB and WORKBENCH_HOME to a disk with room), "
            "then run the same step again.")


def translate(err: Exception, path: Path, needed: int | None = None) -> StoreError:
    """Turn a driver error into analyst-facing text naming the file."""
    text = str(getattr(err, "orig", err) or err)
    low = text.lower()
    if "disk is full" in low or "database or disk is full" in low or "no space left" in low:
        return DiskFull(path, needed, text)
    if "too big" in low:                     # SQLITE_TOOBIG: one value over SQLite's 1 GB limit
        return StoreError(
            f"A value is too big for the database '{path}' ({text}): SQLite stores at most 1 GB per image "
            "or text. Nothing of this write was saved.",
            "Leave out or shrink the oversized image/text (imports reject such rows on their own: see "
            "WORKBENCH_MAX_IMAGE_MB), then retry.")
    if "attempt to write a readonly database" in low or "readonly database" in low:
        return StoreError(
            f"The database file '{path}' is read-only here ({text}): it can be read but not changed.",
            "Read commands work as they are. To change it, make the file and its folder writable, "
            "or copy it to a writable folder and point WORKBENCH_DB at the copy.")
    if "locked" in low or "busy" in low:
        return StoreError(
            f"The database file '{path}' is locked by another program ({text}).",
            "Close other workbench windows or scripts using this file and retry, "
            "or set WORKBENCH_DB to use a different database file.",
        )
    if "not a database" in low or "malformed" in low or "corrupt" in low or "file is encrypted" in low:
        return StoreError(
            f"The database file '{path}' is damaged or is not a workbench database ({text}).",
            "Move the file aside (the workbench creates a fresh one), or set WORKBENCH_DB "
            "to point to a different database file.",
        )
    if "unable to open" in low or "readonly" in low or "read-only" in low or "disk i/o" in low:
        return StoreError(
            f"The database file '{path}' cannot be opened for writing ({text}).",
            "Check the file's permissions and free disk space, or set WORKBENCH_DB to a writable location.",
        )
    return StoreError(
        f"Database error on '{path}': {text}",
        "Retry; if it persists, move the file aside or set WORKBENCH_DB to a different database file.",
    )


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
