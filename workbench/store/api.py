"""The Store: sessions, candidate sets, runs, labels and the score cache in one SQLite file."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, delete, exc, insert, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .. import config
from ..errors import InputError, NotFound, StoreError
from ..model import CandidateSet, Document, Label, Query, Result, Run
from . import schema as t
from . import recovery
from .base import StoreBase, finite, utc_now
from .engine import DEFAULT_TIMEOUT_S, guarded, make_engine
from .guard import inspect_db
from .images import ImageStorage
from .migrations import MIGRATIONS, migrate
from .notes import DocumentNotes
from .score_cache import ScoreCache

RUN_STATUSES = ("pending", "running", "done", "cancelled", "failed", "imported", "interrupted")
_UNSET: Any = object()


@dataclass
class SessionInfo:
    id: int
    name: str
    description: str
    created_at: str
    n_sets: int = 0
    n_runs: int = 0


@dataclass
class SetInfo:
    id: int
    session_id: int
    name: str
    query_id: str
    query_text: str
    n_docs: int = 0
    n_labels: int = 0


class Store(DocumentNotes, ImageStorage, ScoreCache, StoreBase):
    """One SQLite workbench database. Thread-safe (one engine, pooled connections)."""

    def __init__(self, path: str | Path | None = None, *, timeout: float = DEFAULT_TIMEOUT_S):
        self.path = Path(path).expanduser() if path is not None else config.db_path()
        if self.path.is_dir():
            raise StoreError.coded("store.db_is_folder", {"path": str(self.path)})
        # look before touching: a foreign SQLite file is refused before any write or pragma
        found = inspect_db(self.path)
        self.readonly = not found.writable and found.kind == "workbench"
        self.migrations_applied: list[str] = []
        self.interrupted_runs: list[int] = []
        self._local = threading.local()
        if self.readonly:
            pending = [n for n, _ in MIGRATIONS if n not in found.applied]
            if pending:
                raise StoreError.coded("store.readonly_needs_upgrade", {"path": str(self.path),
                                                                        "upgrades": ", ".join(pending)})
            self.engine = make_engine(self.path, timeout, readonly=True)
            return
        self.engine = make_engine(self.path, timeout)
        with guarded(self.path):
            self.migrations_applied = migrate(self.engine, str(self.path))
            # runs left 'running' by a process that died are settled as 'interrupted'
            self.interrupted_runs = recovery.settle_dead_runs(self)

    # ------------------------------------------------------------------ plumbing
    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    def pragma(self, name: str) -> Any:
        with self._read() as conn:
            return conn.exec_driver_sql(f"PRAGMA {name}").scalar()

    # ------------------------------------------------------------------ sessions
    _SESSION_SQL = """
        SELECT s.id, s.name, s.description, s.created_at,
               (SELECT count(*) FROM candidate_sets c WHERE c.session_id = s.id),
               (SELECT count(*) FROM runs r JOIN candidate_sets c ON r.set_id = c.id
                 WHERE c.session_id = s.id)
        FROM sessions s"""

    def create_session(self, name: str, description: str = "") -> SessionInfo:
        name = self._check_name(name)
        try:
            with self._write() as conn:
                sid = conn.execute(insert(t.sessions).values(
                    name=name, description=description or "", created_at=utc_now())).inserted_primary_key[0]
        except exc.IntegrityError:
            raise StoreError.coded("session.exists", {"name": name}) from None
        return self.get_session(int(sid))

    def get_or_create_session(self, name: str, description: str = "") -> SessionInfo:
        name = self._check_name(name)
        found = self._find_session(name)
        if found is not None:
            return found
        try:
            return self.create_session(name, description)
        except StoreError:
            found = self._find_session(name)  # created concurrently
            if found is None:
                raise
            return found

    def get_session(self, id_or_name: int | str) -> SessionInfo:
        found = self._find_session(id_or_name)
        if found is None:
            known = ", ".join(f"'{s.name}'" for s in self.list_sessions()[:10])
            raise NotFound.coded("session.not_found" if known else "session.not_found_none",
                                 {"session": str(id_or_name), "known": known})
        return found

    def _find_session(self, id_or_name: int | str) -> SessionInfo | None:
        with self._read() as conn:
            if isinstance(id_or_name, int):
                row = conn.exec_driver_sql(self._SESSION_SQL + " WHERE s.id = ?", (id_or_name,)).first()
            else:
                row = conn.exec_driver_sql(self._SESSION_SQL + " WHERE s.name = ?", (id_or_name,)).first()
                if row is None and str(id_or_name).strip().isdigit():
                    row = conn.exec_driver_sql(self._SESSION_SQL + " WHERE s.id = ?",
                                               (int(id_or_name),)).first()
        return SessionInfo(*row) if row else None

    def list_sessions(self, filter: str | None = None) -> list[SessionInfo]:  # noqa: A002
        sql, args = self._SESSION_SQL, ()
        if filter:
            sql += " WHERE instr(lower(s.name), lower(?)) > 0 OR instr(lower(s.description), lower(?)) > 0"
            args = (filter, filter)
        with self._read() as conn:
            rows = conn.exec_driver_sql(sql + " ORDER BY s.id", args).all()
        return [SessionInfo(*r) for r in rows]

    def rename_session(self, id: int | str, new: str) -> SessionInfo:  # noqa: A002
        sess = self.get_session(id)
        new = self._check_name(new)
        try:
            with self._write() as conn:
                conn.execute(update(t.sessions).where(t.sessions.c.id == sess.id).values(name=new))
        except exc.IntegrityError:
            raise StoreError.coded("session.rename_exists", {"name": sess.name, "new": new}) from None
        return self.get_session(sess.id)

    def delete_session(self, id: int | str) -> None:  # noqa: A002
        """Delete a session with its sets, runs and labels. Refused (StoreError
        `runs.session_being_scored`) while one of its runs is being scored by a live process."""
        sess = self.get_session(id)
        with self._write() as conn:
            live = self._runs_being_scored(conn, "r.set_id IN (SELECT id FROM candidate_sets WHERE session_id = ?)",
                                           (sess.id,))
            if live:
                raise self._being_scored("runs.session_being_scored", live[0], session=sess.name, n=len(live))
            conn.execute(delete(t.sessions).where(t.sessions.c.id == sess.id))

    @staticmethod
    def _check_name(name: str) -> str:
        name = (name or "").strip()
        if not name:
            raise InputError.coded("session.empty_name")
        return name

    # ------------------------------------------------------------------ candidate sets
    def save_candidate_set(self, session_id: int | str, cset: CandidateSet) -> int:
        """Store the query, documents (images once by hash) and labels; return the set id."""
        return self.save_or_find_set(session_id, cset, dedupe=False)[0]

    def save_or_find_set(self, session_id: int | str, cset: CandidateSet, *,
                         dedupe: bool = True) -> tuple[int, bool]:
        """Store a set unless the session already holds an identical one (same query and
        every (doc id, content, label)); return (set id, saved now?).

        Identity is checked under the unique index (session_id, fingerprint), so concurrent
        imports of one file into one session store it once. A damaged database file is refused
        before anything is written (`check_integrity`)."""
        sess = self.get_session(session_id)
        self.check_integrity()
        seen: set[str] = set()
        for doc in cset.documents:
            if doc.id in seen:
                raise InputError.coded("store.duplicate_doc", {"doc": doc.id, "query": cset.query.id})
            seen.add(doc.id)
        new_images = self._prepare_images([cset.query, *cset.documents])
        fingerprint = cset.fingerprint() if dedupe else None
        if fingerprint is not None:
            twin = self._find_twin(sess.id, fingerprint)
            if twin is not None:
                cset.id = twin
                return twin, False
        now = utc_now()
        try:
            set_id = self._insert_set(sess.id, cset, new_images, now, fingerprint)
        except exc.IntegrityError as err:
            twin = self._find_twin(sess.id, fingerprint) if fingerprint is not None else None
            if twin is not None:       # an identical set was saved concurrently
                cset.id = twin
                return twin, False
            raise StoreError.coded("store.set_not_saved", {"query": cset.query.id,
                                                           "reason": str(getattr(err, "orig", err))}) from None
        cset.id = int(set_id)
        return cset.id, True

    def _find_twin(self, sess_id: int, fingerprint: str) -> int | None:
        """An identical set of the session: by stored fingerprint, else (sets stored before
        fingerprints existed) by comparing content, recording the fingerprint found."""
        with self._read() as conn:
            found = conn.execute(select(t.candidate_sets.c.id).where(
                t.candidate_sets.c.session_id == sess_id,
                t.candidate_sets.c.fingerprint == fingerprint)).scalar()
            if found is not None:
                return int(found)
            legacy = conn.execute(select(t.candidate_sets.c.id).where(
                t.candidate_sets.c.session_id == sess_id, t.candidate_sets.c.fingerprint.is_(None))).scalars().all()
        for set_id in legacy:
            fp = self.load_candidate_set(set_id).fingerprint()
            try:
                with self._write() as conn:
                    conn.execute(update(t.candidate_sets).where(t.candidate_sets.c.id == set_id)
                                 .values(fingerprint=fp))
            except exc.IntegrityError:
                pass               # an older duplicate of a set that already has the fingerprint
            if fp == fingerprint:
                return int(set_id)
        return None

    def _insert_set(self, sess_id: int, cset: CandidateSet, new_images: list[dict], now: str,
                    fingerprint: str | None = None) -> int:
        needed = sum(len(r["bytes"]) for r in new_images) + sum(
            len(d.text or "") + len(d.description or "") + len(d.ocr_text or "") + 200 for d in cset.documents)
        with self._write(needed) as conn:
            if new_images:
                conn.execute(sqlite_insert(t.images).on_conflict_do_nothing(), new_images)
            set_id = conn.execute(insert(t.candidate_sets).values(
                session_id=sess_id, name=cset.name or cset.query.id or "", source=cset.source,
                created_at=now, fingerprint=fingerprint)).inserted_primary_key[0]
            conn.execute(insert(t.queries).values(
                set_id=set_id, query_id=str(cset.query.id), text=cset.query.text or "",
                image_hash=cset.query.image_hash))
            if cset.documents:
                conn.execute(insert(t.documents), [
                    dict(set_id=set_id, doc_id=str(d.id), position=i, text=d.text or "",
                         image_hash=d.image_hash, ocr_text=d.ocr_text, ocr_edited=d.ocr_edited,
                         description=d.description, metadata=d.metadata or {},
                         first_stage_score=d.first_stage_score)
                    for i, d in enumerate(cset.documents)])
            labelled = [d for d in cset.documents if d.label is not None]
            if labelled:
                conn.execute(insert(t.labels), [
                    dict(set_id=set_id, doc_id=str(d.id), grade=Label(cset.query.id, d.id, int(d.label)).grade,
                         note="", updated_at=now) for d in labelled])
        return int(set_id)

    _SET_SQL = """
        SELECT c.id, c.session_id, c.name, q.query_id, q.text,
               (SELECT count(*) FROM documents d WHERE d.set_id = c.id),
               (SELECT count(*) FROM labels l WHERE l.set_id = c.id)
        FROM candidate_sets c JOIN queries q ON q.set_id = c.id"""

    def list_candidate_sets(self, session_id: int | str | None = None) -> list[SetInfo]:
        sql, args = self._SET_SQL, ()
        if session_id is not None:
            sql += " WHERE c.session_id = ?"
            args = (self.get_session(session_id).id,)
        with self._read() as conn:
            return [SetInfo(*r) for r in conn.exec_driver_sql(sql + " ORDER BY c.id", args)]

    def get_set(self, set_id: int) -> SetInfo:
        with self._read() as conn:
            row = conn.exec_driver_sql(self._SET_SQL + " WHERE c.id = ?", (int(set_id),)).first()
        if row is None:
            raise self._no_set(set_id)
        return SetInfo(*row)

    def delete_candidate_set(self, set_id: int) -> None:
        info = self.get_set(set_id)
        with self._write() as conn:
            live = self._runs_being_scored(conn, "r.set_id = ?", (info.id,))
            if live:
                raise self._being_scored("runs.set_being_scored", live[0], set=info.id, query=info.query_id)
            conn.execute(delete(t.candidate_sets).where(t.candidate_sets.c.id == int(set_id)))

    @staticmethod
    def _no_set(set_id: Any) -> NotFound:
        return NotFound.coded("store.no_set", {"set": set_id})

    def load_candidate_set(self, set_id: int) -> CandidateSet:
        set_id = int(set_id)
        with self._read() as conn:
            srow = conn.execute(select(t.candidate_sets).where(t.candidate_sets.c.id == set_id)).first()
            if srow is None:
                raise self._no_set(set_id)
            qrow = conn.execute(select(t.queries).where(t.queries.c.set_id == set_id)).first()
            drows = conn.execute(select(t.documents).where(t.documents.c.set_id == set_id)
                                 .order_by(t.documents.c.position)).all()
            grades = dict(conn.execute(select(t.labels.c.doc_id, t.labels.c.grade)
                                       .where(t.labels.c.set_id == set_id)).all())
        hashes = {r.image_hash for r in drows if r.image_hash}
        if qrow.image_hash:
            hashes.add(qrow.image_hash)
        paths = self.materialise_images(hashes)
        query = Query(id=qrow.query_id, text=qrow.text, image=paths.get(qrow.image_hash),
                      image_hash=qrow.image_hash)
        docs = [Document(id=r.doc_id, text=r.text, image=paths.get(r.image_hash), image_hash=r.image_hash,
                         ocr_text=r.ocr_text, ocr_edited=r.ocr_edited, description=r.description,
                         metadata=dict(r.metadata or {}), first_stage_score=r.first_stage_score,
                         label=grades.get(r.doc_id)) for r in drows]
        return CandidateSet(query=query, documents=docs, name=srow.name, id=set_id, source=srow.source)

    # ------------------------------------------------------------------ documents
    def update_document_text(self, set_id: int, doc_id: str, *, ocr_text: Any = _UNSET,
                             ocr_edited: Any = _UNSET, description: Any = _UNSET) -> None:
        values = {k: v for k, v in dict(ocr_text=ocr_text, ocr_edited=ocr_edited,
                                        description=description).items() if v is not _UNSET}
        if not values:
            return
        with self._write() as conn:
            res = conn.execute(update(t.documents).where(t.documents.c.set_id == int(set_id),
                                                         t.documents.c.doc_id == str(doc_id)).values(**values))
        if res.rowcount == 0:
            self.get_set(set_id)
            raise NotFound.coded("store.no_document", {"set": set_id, "doc": doc_id})

    def documents_with_image(self, session_id: int, image_hash: str) -> list[tuple[int, str]]:
        """(set id, doc id) of every document of a session showing the image with this content hash."""
        q = (select(t.documents.c.set_id, t.documents.c.doc_id)
             .join(t.candidate_sets, t.candidate_sets.c.id == t.documents.c.set_id)
             .where(t.candidate_sets.c.session_id == int(session_id), t.documents.c.image_hash == str(image_hash))
             .order_by(t.documents.c.set_id, t.documents.c.position))
        with self._read() as conn:
            return [(int(a), str(b)) for a, b in conn.execute(q)]

    # ------------------------------------------------------------------ runs
    def create_run(self, set_id: int, run: Run) -> int:
        info = self.get_set(set_id)
        self._check_status(run.status)
        with self._write() as conn:
            run_id = conn.execute(insert(t.runs).values(
                set_id=info.id, query_id=run.query_id or info.query_id, name=run.name or "",
                instruction=str(run.instruction), backend=run.backend, model_id=run.model_id,
                params=run.params or {}, status=run.status, started_at=run.started_at or utc_now(),
                finished_at=run.finished_at, timings=run.timings or {}, cache_hits=int(run.cache_hits),
                cache_misses=int(run.cache_misses), note=run.note or "",
                **(recovery.owner_values() if run.status == "running" else {}))).inserted_primary_key[0]
            if run.scores:
                ranked = run.status not in recovery.IN_FLIGHT
                self._upsert_scores(conn, int(run_id), run.scores, ranked=ranked)
                if ranked:
                    recovery.dedupe_ranks(conn, int(run_id))
        run.id, run.set_id = int(run_id), info.id
        run.query_id = run.query_id or info.query_id
        return run.id

    def add_scores(self, run_id: int, scores: list[Result]) -> None:
        """Save (part of) a run's scores; saving a doc again replaces its score.

        A run being scored (running/pending) stores them unranked (rank NULL): its ranks are
        written when it ends, so no committed state holds two documents at one rank. A finished
        run keeps the given ranks (made 1..n if two documents would share one)."""
        self._run_row(run_id)
        if not scores:
            return
        with self._write() as conn:
            status = conn.exec_driver_sql("SELECT status FROM runs WHERE id = ?", (int(run_id),)).scalar()
            if status is None:
                raise self._no_run(run_id)
            in_flight = status in recovery.IN_FLIGHT
            self._upsert_scores(conn, int(run_id), scores, ranked=not in_flight)
            if in_flight:
                conn.exec_driver_sql("UPDATE runs SET heartbeat_at = ? WHERE id = ? AND status = 'running'",
                                     (recovery.now_text(), int(run_id)))
            else:
                recovery.dedupe_ranks(conn, int(run_id))

    def settle_run(self, run_id: int, status: str, timings: dict | None = None) -> None:
        """Give an unfinished run consistent ranks (1..n over what it has scored, best first,
        ties by input position) and its final status, in one transaction."""
        self._check_status(status)
        values: dict[str, Any] = dict(status=status, finished_at=utc_now())
        if timings is not None:
            values["timings"] = {k: float(v) for k, v in timings.items()}
        with self._write() as conn:
            recovery.settle_ranks(conn, int(run_id))
            res = conn.execute(update(t.runs).where(t.runs.c.id == int(run_id)).values(**values))
        if res.rowcount == 0:
            raise self._no_run(run_id)

    def claim_run(self, run_id: int, *, status: str = "running") -> None:
        """Mark a stopped run as being scored again by this process (resume)."""
        self._check_status(status)
        with self._write() as conn:
            res = conn.execute(update(t.runs).where(t.runs.c.id == int(run_id)).values(
                status=status, finished_at=None, **recovery.owner_values()))
            if status in recovery.IN_FLIGHT:
                recovery.unrank(conn, int(run_id))
        if res.rowcount == 0:
            raise self._no_run(run_id)

    @staticmethod
    def _upsert_scores(conn: Connection, run_id: int, scores: list[Result], *, ranked: bool = True) -> None:
        """`ranked=False` (a run being scored): ranks are left NULL until the run ends."""
        rows = [(run_id, str(s.doc_id), finite(s.score, "store.score_not_finite", {"doc": s.doc_id}),
                 int(s.rank) if ranked and s.rank is not None else None, s.index) for s in scores]
        conn.exec_driver_sql(
            "INSERT INTO scores (run_id, doc_id, score, rank, position) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (run_id, doc_id) DO UPDATE SET score = excluded.score, rank = excluded.rank, "
            "position = excluded.position", rows)

    def finish_run(self, run_id: int, status: str, timings: dict | None = None,
                   cache_hits: int = 0, cache_misses: int = 0) -> None:
        """Give a run its final status; a run that was being scored gets its ranks now
        (1..n, best first, ties by input position) in the same transaction."""
        self._check_status(status)
        values: dict[str, Any] = dict(status=status, finished_at=utc_now(), cache_hits=int(cache_hits),
                                      cache_misses=int(cache_misses))
        if timings is not None:
            values["timings"] = {k: float(v) for k, v in timings.items()}
        with self._write() as conn:
            res = conn.execute(update(t.runs).where(t.runs.c.id == int(run_id)).values(**values))
            if res.rowcount and status not in recovery.IN_FLIGHT:
                unranked = conn.exec_driver_sql("SELECT 1 FROM scores WHERE run_id = ? AND rank IS NULL LIMIT 1",
                                                (int(run_id),)).first()
                if unranked is not None:
                    recovery.settle_ranks(conn, int(run_id))
                else:
                    recovery.dedupe_ranks(conn, int(run_id))
        if res.rowcount == 0:
            raise self._no_run(run_id)

    def list_runs(self, session_id: int | str | None = None, set_id: int | None = None) -> list[Run]:
        stmt = select(t.runs).order_by(t.runs.c.id)
        if set_id is not None:
            stmt = stmt.where(t.runs.c.set_id == int(set_id))
        if session_id is not None:
            sid = self.get_session(session_id).id
            stmt = stmt.where(t.runs.c.set_id.in_(
                select(t.candidate_sets.c.id).where(t.candidate_sets.c.session_id == sid)))
        with self._read() as conn:
            return [self._to_run(r) for r in conn.execute(stmt)]

    def load_run(self, run_id: int) -> Run:
        row = self._run_row(run_id)
        with self._read() as conn:
            rows = conn.execute(select(t.scores).where(t.scores.c.run_id == int(run_id))
                                .order_by(t.scores.c.rank, t.scores.c.doc_id)).all()
        run = self._to_run(row)
        run.scores = [Result(doc_id=r.doc_id, score=r.score, rank=r.rank, index=r.position) for r in rows]
        if recovery.has_rank_gaps(run.scores):
            # a run still in flight (unranked until it ends), or gaps: never show duplicate ranks
            run.scores = recovery.normalise_ranks(run.scores)
        return run

    def delete_run(self, run_id: int) -> None:
        """Delete a run and its scores. Refused (StoreError `runs.being_scored`) while the run
        is being scored: status running with a live owner (a dead one's run may go)."""
        with self._write() as conn:
            live = self._runs_being_scored(conn, "r.id = ?", (int(run_id),))
            if live:
                raise self._being_scored("runs.being_scored", live[0])
            res = conn.execute(delete(t.runs).where(t.runs.c.id == int(run_id)))
        if res.rowcount == 0:
            raise self._no_run(run_id)

    @staticmethod
    def _runs_being_scored(conn: Connection, where: str, args: tuple) -> list:
        """Runs matching `where` (on runs r) that are 'running' with a live owner (this process
        included: the app scores in a worker thread), checked inside the caller's write lock."""
        rows = conn.exec_driver_sql(
            "SELECT r.id, r.name, r.instruction, r.backend, r.owner_pid, r.owner_host, r.heartbeat_at, "
            "r.started_at FROM runs r WHERE r.status = 'running' AND " + where + " ORDER BY r.id", args).all()
        return [r for r in rows if not recovery.is_dead(r.owner_pid, r.owner_host, r.heartbeat_at, r.started_at)]

    @staticmethod
    def _being_scored(code: str, row, **params: Any) -> StoreError:
        label = Run(instruction=row.instruction or "", backend=row.backend or "", model_id="", id=row.id,
                    name=row.name or "").label
        pid = row.owner_pid if row.owner_pid is not None else "?"
        return StoreError.coded(code, {"run": row.id, "label": label, "pid": pid, "host": row.owner_host or "?",
                                       **params})

    def set_run_note(self, run_id: int, note: str) -> None:
        """Replace a run's note ('' clears it)."""
        with self._write() as conn:
            res = conn.execute(update(t.runs).where(t.runs.c.id == int(run_id)).values(note=str(note or "")))
        if res.rowcount == 0:
            raise self._no_run(run_id)

    def _run_row(self, run_id: int):
        with self._read() as conn:
            row = conn.execute(select(t.runs).where(t.runs.c.id == int(run_id))).first()
        if row is None:
            raise self._no_run(run_id)
        return row

    @staticmethod
    def _to_run(r) -> Run:
        return Run(instruction=r.instruction, backend=r.backend, model_id=r.model_id, set_id=r.set_id,
                   id=r.id, query_id=r.query_id, params=dict(r.params or {}), status=r.status,
                   started_at=r.started_at, finished_at=r.finished_at, timings=dict(r.timings or {}),
                   cache_hits=r.cache_hits, cache_misses=r.cache_misses, name=r.name, note=r.note or "")

    @staticmethod
    def _no_run(run_id: Any) -> NotFound:
        return NotFound.coded("store.no_run", {"run": run_id})

    @staticmethod
    def _check_status(status: str) -> None:
        if status not in RUN_STATUSES:
            raise InputError.coded("store.bad_run_status", {"status": status, "statuses": ", ".join(RUN_STATUSES)})

    # ------------------------------------------------------------------ labels
    def set_label(self, set_id: int, doc_id: str, grade: int, note: str = "") -> None:
        self.set_labels(set_id, [Label(query_id="", doc_id=str(doc_id), grade=grade, note=note or "")])

    def set_labels(self, set_id: int, labels: list[Label]) -> None:
        if not labels:
            return
        now = utc_now()
        rows = []
        for lab in labels:
            grade = Label(lab.query_id, lab.doc_id, lab.grade).grade  # validates 0/1/2
            rows.append((int(set_id), str(lab.doc_id), int(grade), lab.note or "", now))
        try:
            with self._write() as conn:
                conn.exec_driver_sql(
                    "INSERT INTO labels (set_id, doc_id, grade, note, updated_at) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT (set_id, doc_id) DO UPDATE SET grade = excluded.grade, "
                    "note = excluded.note, updated_at = excluded.updated_at", rows)
        except exc.IntegrityError:
            self.get_set(set_id)
            with self._read() as conn:
                known = set(conn.execute(select(t.documents.c.doc_id).where(
                    t.documents.c.set_id == int(set_id))).scalars())
            unknown = sorted({r[1] for r in rows} - known)
            raise NotFound.coded("labels.unknown_documents", {"set": set_id,
                                                              "docs": ", ".join(repr(u) for u in unknown)}) from None

    def clear_label(self, set_id: int, doc_id: str) -> None:
        with self._write() as conn:
            conn.execute(delete(t.labels).where(t.labels.c.set_id == int(set_id),
                                                t.labels.c.doc_id == str(doc_id)))

    def get_labels(self, set_id: int) -> dict[str, Label]:
        info = self.get_set(set_id)
        with self._read() as conn:
            rows = conn.execute(select(t.labels.c.doc_id, t.labels.c.grade, t.labels.c.note)
                                .where(t.labels.c.set_id == info.id)).all()
        return {r.doc_id: Label(info.query_id, r.doc_id, r.grade, r.note) for r in rows}

