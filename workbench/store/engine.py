"""SQLAlchemy engine for the workbench's SQLite file.

Every connection gets WAL, foreign keys and a busy timeout (connect listener).
pysqlite's own transaction handling is switched off and we emit BEGIN ourselves
(the SQLAlchemy-documented recipe), so DDL in migrations is transactional too.
A connection opened with execution option ``wb_write=True`` starts with
``BEGIN IMMEDIATE``: writers queue on the busy timeout instead of failing
half-way with "database is locked".
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import Connection, Engine, create_engine, event, exc

from ..errors import StoreError

DEFAULT_TIMEOUT_S = 10.0


def make_engine(path: Path, timeout: float = DEFAULT_TIMEOUT_S) -> Engine:
    path = Path(path)
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


def translate(err: Exception, path: Path) -> StoreError:
    """Turn a driver error into analyst-facing text naming the file."""
    text = str(getattr(err, "orig", err) or err)
    low = text.lower()
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
def guarded(path: Path) -> Iterator[None]:
    """Re-raise driver-level failures as StoreError (IntegrityError is left to callers)."""
    try:
        yield
    except exc.IntegrityError:
        raise
    except (exc.OperationalError, exc.DatabaseError) as err:
        raise translate(err, path) from None
