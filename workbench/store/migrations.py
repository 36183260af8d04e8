"""Numbered, named schema migrations (the simonw/llm pattern).

Each migration is a function ``mNNN_name(conn)`` registered in order with
``@migration``. On open, the store applies every migration whose name is not yet
recorded in ``schema_migrations``, each in its own transaction together with
its record. Never edit a released migration: add a new one.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

from sqlalchemy import Connection, Engine

from ..errors import StoreError

Migration = Callable[[Connection], None]
MIGRATIONS: list[tuple[str, Migration]] = []


def migration(fn: Migration) -> Migration:
    MIGRATIONS.append((fn.__name__, fn))
    return fn


def _run(conn: Connection, script: str) -> None:
    for stmt in script.split(";"):
        if stmt.strip():
            conn.exec_driver_sql(stmt)


@migration
def m001_core(conn: Connection) -> None:
    _run(conn, """
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        description TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL
    );
    CREATE TABLE images (
        sha256 TEXT PRIMARY KEY,
        bytes BLOB NOT NULL,
        width INTEGER,
        height INTEGER,
        format TEXT,
        created_at TEXT NOT NULL
    );
    CREATE TABLE candidate_sets (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        name TEXT NOT NULL DEFAULT '',
        source TEXT,
        created_at TEXT NOT NULL
    );
    CREATE INDEX idx_candidate_sets_session ON candidate_sets(session_id);
    CREATE TABLE queries (
        id INTEGER PRIMARY KEY,
        set_id INTEGER NOT NULL UNIQUE REFERENCES candidate_sets(id) ON DELETE CASCADE,
        query_id TEXT NOT NULL,
        text TEXT NOT NULL DEFAULT '',
        image_hash TEXT REFERENCES images(sha256)
    );
    CREATE TABLE documents (
        id INTEGER PRIMARY KEY,
        set_id INTEGER NOT NULL REFERENCES candidate_sets(id) ON DELETE CASCADE,
        doc_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        text TEXT NOT NULL DEFAULT '',
        image_hash TEXT REFERENCES images(sha256),
        ocr_text TEXT,
        description TEXT,
        metadata TEXT NOT NULL DEFAULT '{}',
        first_stage_score REAL,
        UNIQUE (set_id, doc_id)
    );
    CREATE INDEX idx_documents_image ON documents(image_hash);
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        set_id INTEGER NOT NULL REFERENCES candidate_sets(id) ON DELETE CASCADE,
        query_id TEXT,
        name TEXT NOT NULL DEFAULT '',
        instruction TEXT NOT NULL,
        backend TEXT NOT NULL,
        model_id TEXT NOT NULL,
        params TEXT NOT NULL DEFAULT '{}',
        status TEXT NOT NULL DEFAULT 'pending',
        started_at TEXT,
        finished_at TEXT,
        timings TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX idx_runs_set ON runs(set_id);
    CREATE TABLE scores (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        doc_id TEXT NOT NULL,
        score REAL NOT NULL,
        rank INTEGER NOT NULL,
        position INTEGER,
        PRIMARY KEY (run_id, doc_id)
    );
    CREATE TABLE labels (
        set_id INTEGER NOT NULL,
        doc_id TEXT NOT NULL,
        grade INTEGER NOT NULL CHECK (grade IN (0, 1, 2)),
        note TEXT NOT NULL DEFAULT '',
        updated_at TEXT NOT NULL,
        PRIMARY KEY (set_id, doc_id),
        FOREIGN KEY (set_id, doc_id) REFERENCES documents(set_id, doc_id) ON DELETE CASCADE
    )
    """)


@migration
def m002_score_cache_ocr_edits(conn: Connection) -> None:
    _run(conn, """
    CREATE TABLE score_cache (
        model_id TEXT NOT NULL,
        instruction TEXT NOT NULL,
        query_hash TEXT NOT NULL,
        doc_hash TEXT NOT NULL,
        params TEXT NOT NULL,
        score REAL NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (model_id, instruction, query_hash, doc_hash, params)
    );
    ALTER TABLE runs ADD COLUMN cache_hits INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE runs ADD COLUMN cache_misses INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE documents ADD COLUMN ocr_edited TEXT
    """)


@migration
def m003_prompt_formats(conn: Connection) -> None:
    """Runs and cached scores made before prompt formats existed used the first release's
    layout: name it "lychee-v1" (the default "lychee" format is one token different), so
    they stay reproducible and never serve scores to the new layout."""
    _run(conn, """
    UPDATE runs SET params = json_set(params, '$.prompt', 'lychee-v1')
        WHERE json_valid(params) AND json_extract(params, '$.prompt') = 'lychee-rerank-mm';
    UPDATE score_cache SET params = replace(params, '"prompt":"lychee-rerank-mm"', '"prompt":"lychee-v1"')
        WHERE instr(params, '"prompt":"lychee-rerank-mm"') > 0
    """)


@migration
def m004_run_owner(conn: Connection) -> None:
    """Who is scoring a run: a run left 'running' by a process that died (kill -9, power
    loss) is found by its owner pid/host and a heartbeat, and settled as 'interrupted'."""
    _run(conn, """
    ALTER TABLE runs ADD COLUMN owner_pid INTEGER;
    ALTER TABLE runs ADD COLUMN owner_host TEXT;
    ALTER TABLE runs ADD COLUMN heartbeat_at TEXT
    """)


@migration
def m005_set_fingerprint(conn: Connection) -> None:
    """One copy of an identical candidate set per session, even under concurrent imports:
    the content fingerprint is unique per session (NULL for sets stored before m005)."""
    _run(conn, """
    ALTER TABLE candidate_sets ADD COLUMN fingerprint TEXT;
    CREATE UNIQUE INDEX idx_candidate_sets_fingerprint ON candidate_sets(session_id, fingerprint)
    """)


@migration
def m006_run_notes(conn: Connection) -> None:
    """Runs carry an analyst's note (free text, '' when none)."""
    _run(conn, "ALTER TABLE runs ADD COLUMN note TEXT NOT NULL DEFAULT ''")


@migration
def m007_document_notes(conn: Connection) -> None:
    """Notes on documents that have no grade (a graded document's note stays in labels.note)."""
    _run(conn, """
    CREATE TABLE doc_notes (
        set_id INTEGER NOT NULL,
        doc_id TEXT NOT NULL,
        note TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (set_id, doc_id),
        FOREIGN KEY (set_id, doc_id) REFERENCES documents(set_id, doc_id) ON DELETE CASCADE
    )
    """)


@migration
def m008_scores_rank_while_scoring(conn: Connection) -> None:
    """scores.rank may be NULL: a run being scored writes its scores unranked and gets ranks
    1..n when it ends (finished, stopped, or settled after its process died), so the raw table
    never holds two documents at one rank, whatever moment a reader (or kill -9) picks.
    SQLite cannot drop a NOT NULL in place: the table is rebuilt (same columns and keys)."""
    _run(conn, """
    CREATE TABLE scores_m008 (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        doc_id TEXT NOT NULL,
        score REAL NOT NULL,
        rank INTEGER,
        position INTEGER,
        PRIMARY KEY (run_id, doc_id)
    );
    INSERT INTO scores_m008 (run_id, doc_id, score, rank, position)
        SELECT s.run_id, s.doc_id, s.score,
               CASE WHEN r.status IN ('running', 'pending') THEN NULL ELSE s.rank END, s.position
        FROM scores s JOIN runs r ON r.id = s.run_id;
    DROP TABLE scores;
    ALTER TABLE scores_m008 RENAME TO scores
    """)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def applied(conn: Connection) -> list[str]:
    conn.exec_driver_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    return [r[0] for r in conn.exec_driver_sql("SELECT name FROM schema_migrations ORDER BY rowid")]


def migrate(engine: Engine, path: str = "", upto: str | None = None) -> list[str]:
    """Apply pending migrations in order (stop after `upto` if given); return their names."""
    known = [name for name, _ in MIGRATIONS]
    with engine.connect().execution_options(wb_write=True) as conn:
        with conn.begin():
            done = applied(conn)
    unknown = [name for name in done if name not in known]
    if unknown:
        raise StoreError.coded("store.newer_db", {"path": str(path), "migrations": ", ".join(unknown)})
    ran: list[str] = []
    for name, fn in MIGRATIONS:
        if name in done:
            continue
        with engine.connect().execution_options(wb_write=True) as conn:
            with conn.begin():
                # re-check inside the write lock: another process may have migrated meanwhile
                if conn.exec_driver_sql(
                        "SELECT 1 FROM schema_migrations WHERE name = ?", (name,)).first():
                    continue
                fn(conn)
                conn.exec_driver_sql(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)", (name, _now()))
        ran.append(name)
        if upto == name:
            break
    return ran
