"""What every part of the Store shares: its connections, one-transaction writes, small helpers."""

from __future__ import annotations

import math
import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import Connection, Engine

from ..errors import InputError
from .engine import guarded

CHUNK = 500          # keys per IN (...) query; far below SQLite's variable limit


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


class StoreBase:
    """Connections of one SQLite file. Subclasses add the tables' methods."""

    path: Path
    engine: Engine
    _local: threading.local        # per thread: the connection of an open transaction()

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

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        current = getattr(self._local, "conn", None)
        if current is not None:
            yield current
            return
        with guarded(self.path):
            with self.engine.connect() as conn:
                yield conn
