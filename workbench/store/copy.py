"""`workbench db copy SRC DST`: a whole database from SQLite to PostgreSQL or back (or alike).

Both ends are opened as Stores first, so both hold the current schema (the source is upgraded
like any open would). Every table is copied in foreign-key order, in batches, inside ONE write
transaction of the destination (PostgreSQL: its write lock; SQLite: BEGIN IMMEDIATE) while the
source is read from one snapshot. Before committing, the row count of every table in the
destination is compared with the source; any difference rolls everything back. A destination
that already holds rows is refused unless `replace=True` (its rows are deleted in the same
transaction, so a failed copy leaves it as it was).

Values go over unchanged: ids (PostgreSQL's identity sequences are moved past the copied ids),
image bytes, JSON text exactly as stored (PostgreSQL's json keeps the text; it is read back
with ``::text``), floats as doubles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from sqlalchemy import MetaData, text

from ..errors import StoreError

BATCH = 1000
SKIP_TABLES = {"schema_migrations"}


@dataclass
class CopyReport:
    source: str
    destination: str
    counts: dict[str, int] = field(default_factory=dict)     # table -> rows copied (= rows in both)
    replaced: dict[str, int] = field(default_factory=dict)   # table -> rows the destination held before


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _tables(engine) -> list:
    """The database's tables in foreign-key order (parents first), reflected from the database."""
    meta = MetaData()
    meta.reflect(engine)
    return [t for t in meta.sorted_tables if t.name not in SKIP_TABLES and not t.name.startswith("sqlite_")]


def _json_columns(conn, table: str) -> set[str]:
    if conn.dialect.name != "postgresql":
        return set()
    return set(conn.execute(text(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = :t AND data_type IN ('json', 'jsonb')"), {"t": table}).scalars())


def _counts(conn, names: list[str]) -> dict[str, int]:
    return {n: int(conn.execute(text(f"SELECT count(*) FROM {_q(n)}")).scalar() or 0) for n in names}


def _open(target, *, must_exist: bool):
    from .. import config
    from .api import Store

    if isinstance(target, str) and config.is_server_url(target):
        return Store(target)
    path = Path(target).expanduser()
    if must_exist and (not path.exists() or path.stat().st_size == 0):
        raise StoreError.coded("store.copy_no_source", {"db": str(path)})
    return Store(path)


def copy_database(source, destination, *, replace: bool = False,
                  progress: Callable[[str, int, int], None] | None = None) -> CopyReport:
    """Copy every row of `source` into `destination` (paths or postgresql:// URLs); see the module
    docstring. `progress(table, copied, total)` is called after each batch."""
    from .. import config

    same = (str(source) == str(destination) if config.is_server_url(str(source))
            else Path(str(source)).expanduser().resolve() == Path(str(destination)).expanduser().resolve())
    if same:
        raise StoreError.coded("store.copy_same", {"db": config.redact_url(str(source))})
    src = _open(source, must_exist=True)
    try:
        dst = _open(destination, must_exist=False)
        try:
            return _copy(src, dst, replace=replace, progress=progress)
        finally:
            dst.close()
    finally:
        src.close()


def _copy(src, dst, *, replace: bool, progress) -> CopyReport:
    from .engine import guarded

    report = CopyReport(str(src.path), str(dst.path))
    tables = _tables(dst.engine)
    names = [t.name for t in tables]
    src_names = {t.name for t in _tables(src.engine)}
    missing = [n for n in names if n not in src_names]
    if missing:                       # both are at the current schema after opening: cannot happen
        raise StoreError.coded("store.copy_count_mismatch", {"db": str(dst.path),
                                                             "detail": "tables missing in the source: " + ", ".join(missing)})
    with dst.transaction() as out:
        before = _counts(out, names)
        held = {n: c for n, c in before.items() if c}
        if held and not replace:
            raise StoreError.coded("store.copy_not_empty", {
                "db": str(dst.path), "counts": ", ".join(f"{n}: {c}" for n, c in held.items())})
        for table in reversed(tables):
            if before[table.name]:
                out.execute(text(f"DELETE FROM {_q(table.name)}"))
        report.replaced = held
        read = src.engine.connect()
        if src.is_server:               # one snapshot of the whole source
            read = read.execution_options(isolation_level="REPEATABLE READ")
        with guarded(src.path), read as conn, conn.begin():
            src_counts = _counts(conn, names)
            for table in tables:
                cols = [c.name for c in table.columns]
                json_src = _json_columns(conn, table.name)
                json_dst = _json_columns(out, table.name)
                select_list = ", ".join(f"{_q(c)}::text AS {_q(c)}" if c in json_src else _q(c) for c in cols)
                pk = [c.name for c in table.primary_key.columns] or cols
                order = ", ".join(_q(c) for c in pk)
                insert = text(f"INSERT INTO {_q(table.name)} ({', '.join(_q(c) for c in cols)}) VALUES ("
                              + ", ".join(f"CAST(:p{i} AS JSON)" if c in json_dst else f":p{i}"
                                          for i, c in enumerate(cols)) + ")")
                total, done = src_counts[table.name], 0
                result = conn.execution_options(yield_per=BATCH).execute(
                    text(f"SELECT {select_list} FROM {_q(table.name)} ORDER BY {order}"))
                for batch in result.partitions(BATCH):
                    out.execute(insert, [{f"p{i}": v for i, v in enumerate(row)} for row in batch])
                    done += len(batch)
                    if progress is not None:
                        progress(table.name, done, total)
                if progress is not None and total == 0:
                    progress(table.name, 0, 0)
        if dst.is_server:               # identity columns continue after the copied ids
            for table in tables:
                for col in table.columns:
                    seq = out.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                      {"t": table.name, "c": col.name}).scalar()
                    if seq:
                        out.execute(text(f"SELECT setval(:s, COALESCE((SELECT max({_q(col.name)}) "
                                         f"FROM {_q(table.name)}), 0) + 1, false)"), {"s": seq})
        after = _counts(out, names)
        wrong = {n: (src_counts[n], after[n]) for n in names if src_counts[n] != after[n]}
        if wrong:
            raise StoreError.coded("store.copy_count_mismatch", {"db": str(dst.path), "detail": "; ".join(
                f"{n}: {a} row(s) in the source, {b} in the destination" for n, (a, b) in wrong.items())})
        report.counts = after
    return report
