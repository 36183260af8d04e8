"""The Store: sessions, candidate sets, runs, labels and the score cache in one SQLite file."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, bindparam, delete, exc, insert, select, text, update

from .. import config
from ..errors import InputError, NotFound, StoreError
from ..model import CandidateSet, Document, Label, Query, Result, Run, RunInfo
from . import schema as t
from . import recovery
from .base import StoreBase, finite, insert_or_ignore, utc_now
from .engine import DEFAULT_TIMEOUT_S, guarded, make_engine
from .guard import inspect_db
from .images import ImageStorage
from .labels import AnnotatedLabels
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


class Store(DocumentNotes, AnnotatedLabels, ImageStorage, ScoreCache, StoreBase):
    """One workbench database: a SQLite file, or a PostgreSQL server (a postgresql:// URL; see
    docs/postgres.md). Thread-safe (one engine, pooled connections)."""

    def __init__(self, path: str | Path | None = None, *, timeout: float = DEFAULT_TIMEOUT_S):
        target = path if path is not None else config.db_target()
        if isinstance(target, str) and config.is_server_url(target):
            self._open_server(target, timeout)      # PostgreSQL (base.py); the rest is SQLite's file
            return
        self.path = Path(target).expanduser()
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
        """A SQLite pragma's value (None on PostgreSQL, which has none)."""
        if self.is_server:
            return None
        with self._read() as conn:
            return conn.exec_driver_sql(f"PRAGMA {name}").scalar()

    # ------------------------------------------------------------------ sessions
    _SESSION_SQL = """
        SELECT s.id, s.name, s.description, s.created_at,
               (SELECT count(*) FROM candidate_sets c WHERE c.session_id = s.id),
               (SELECT count(*) FROM runs r WHERE r.session_id = s.id)
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
                row = conn.execute(text(self._SESSION_SQL + " WHERE s.id = :id"), {"id": id_or_name}).first()
            else:
                row = conn.execute(text(self._SESSION_SQL + " WHERE s.name = :name"), {"name": id_or_name}).first()
                if row is None and str(id_or_name).strip().isdigit():
                    row = conn.execute(text(self._SESSION_SQL + " WHERE s.id = :id"),
                                       {"id": int(id_or_name)}).first()
        return SessionInfo(*row) if row else None

    def list_sessions(self, filter: str | None = None) -> list[SessionInfo]:  # noqa: A002
        sql, args = self._SESSION_SQL, {}
        if filter:
            sql += (f" WHERE {self.sql_instr}(lower(s.name), lower(:filter)) > 0"
                    f" OR {self.sql_instr}(lower(s.description), lower(:filter)) > 0")
            args = {"filter": filter}
        with self._read() as conn:
            rows = conn.execute(text(sql + " ORDER BY s.id"), args).all()
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
            live = self._runs_being_scored(conn, "r.session_id = :sid", {"sid": sess.id})
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
                         dedupe: bool = True, annotator: str = "") -> tuple[int, bool]:
        """Store a set unless the session already holds an identical one (same query and
        every (doc id, content, label)); return (set id, saved now?).

        Identity is checked under the unique index (session_id, fingerprint), so concurrent
        imports of one file into one session store it once. A damaged database file is refused
        before anything is written (`check_integrity`).

        The set's labels are `annotator`'s (default '', the default annotator); when an identical
        set is found and an annotator is named, the labels are recorded as theirs on it."""
        from .labels import annotator_name

        who = annotator_name(annotator)
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
                self._label_twin(twin, cset, who)
                return twin, False
        now = utc_now()
        try:
            set_id = self._insert_set(sess.id, cset, new_images, now, fingerprint, annotator=who)
        except exc.IntegrityError as err:
            twin = self._find_twin(sess.id, fingerprint) if fingerprint is not None else None
            if twin is not None:       # an identical set was saved concurrently
                cset.id = twin
                self._label_twin(twin, cset, who)
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

    def _label_twin(self, set_id: int, cset: CandidateSet, annotator: str) -> None:
        """A named annotator's labels of a set found identical: recorded as theirs."""
        labelled = [Label(cset.query.id, d.id, int(d.label)) for d in cset.documents if d.label is not None]
        if annotator and labelled:
            self.set_labels(set_id, labelled, annotator=annotator)

    def _insert_set(self, sess_id: int, cset: CandidateSet, new_images: list[dict], now: str,
                    fingerprint: str | None = None, *, annotator: str = "") -> int:
        needed = sum(len(r["bytes"]) for r in new_images) + sum(
            len(d.text or "") + len(d.description or "") + len(d.ocr_text or "") + 200 for d in cset.documents)
        with self._write(needed) as conn:
            if new_images:
                conn.execute(insert_or_ignore(conn, t.images), new_images)
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
                rows = [dict(set_id=set_id, doc_id=str(d.id), annotator=annotator, grade=Label(cset.query.id, d.id,
                                                                                       int(d.label)).grade)
                        for d in labelled]          # a file's labels: the importing annotator's (m010)
                conn.execute(insert_or_ignore(conn, t.annotators).values(name=annotator, kind="person",
                                                                          created_at=now))
                conn.execute(insert(t.labels), [dict(r, note="", updated_at=now) for r in rows])
                conn.execute(insert(t.label_history), [dict(r, adjudication=0, changed_at=now) for r in rows])
        return int(set_id)

    _SET_SQL = """
        SELECT c.id, c.session_id, c.name, q.query_id, q.text,
               (SELECT count(*) FROM documents d WHERE d.set_id = c.id),
               (SELECT count(DISTINCT l.doc_id) FROM labels l WHERE l.set_id = c.id
                AND l.annotator NOT IN (SELECT a.name FROM annotators a WHERE a.kind = 'model'))
        FROM candidate_sets c JOIN queries q ON q.set_id = c.id"""

    def list_candidate_sets(self, session_id: int | str | None = None) -> list[SetInfo]:
        sql, args = self._SET_SQL, {}
        if session_id is not None:
            sql += " WHERE c.session_id = :session"
            args = {"session": self.get_session(session_id).id}
        with self._read() as conn:
            return [SetInfo(*r) for r in conn.execute(text(sql + " ORDER BY c.id"), args)]

    def get_set(self, set_id: int) -> SetInfo:
        with self._read() as conn:
            row = conn.execute(text(self._SET_SQL + " WHERE c.id = :id"), {"id": int(set_id)}).first()
        if row is None:
            raise self._no_set(set_id)
        return SetInfo(*row)

    def delete_candidate_set(self, set_id: int) -> None:
        info = self.get_set(set_id)
        with self._write() as conn:
            live = self._runs_being_scored(conn, "g.set_id = :set_id", {"set_id": info.id})
            if live:
                raise self._being_scored("runs.set_being_scored", live[0], set=info.id, query=info.query_id)
            parents = list(conn.execute(select(t.rankings.c.run_id).where(
                t.rankings.c.set_id == info.id)).scalars())
            conn.execute(delete(t.candidate_sets).where(t.candidate_sets.c.id == int(set_id)))
            # a run that ranked only this query goes with it (nothing of it would be left)
            for run_id in parents:
                if conn.execute(select(t.rankings.c.id).where(t.rankings.c.run_id == run_id).limit(1)).first() is None:
                    conn.execute(delete(t.runs).where(t.runs.c.id == run_id))

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
            grades = self._metric_grades(conn, set_id)     # adjudicated, else the people's majority
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
    # A run (table runs, `RunInfo`) is one configuration over many queries of a session; each
    # query's scored list is a ranking (table rankings, `Run`, whose `id` is the ranking id and
    # `run_id` the run's). The ranking-level calls keep their names: create_run, add_scores,
    # settle_run, claim_run, finish_run, list_runs, load_run, delete_run take ranking ids.

    _RUN_INFO_SQL = """
        SELECT r.id, r.session_id, r.name, r.instruction, r.backend, r.model_id, r.params, r.note,
               r.created_at, g.status, count(g.id) AS n
        FROM runs r LEFT JOIN rankings g ON g.run_id = r.id"""

    def list_run_infos(self, session_id: int | str | None = None) -> list[RunInfo]:
        """The runs (configurations) of a session, or of every session, oldest first."""
        where, args = "", {}
        if session_id is not None:
            where, args = " WHERE r.session_id = :sid", {"sid": self.get_session(session_id).id}
        with self._read() as conn:
            rows = conn.execute(text(self._RUN_INFO_SQL + where + " GROUP BY r.id, g.status ORDER BY r.id"),
                                args).all()
        return self._run_infos(rows)

    def get_run_info(self, run_id: int) -> RunInfo:
        with self._read() as conn:
            rows = conn.execute(text(self._RUN_INFO_SQL + " WHERE r.id = :id GROUP BY r.id, g.status"),
                                {"id": int(run_id)}).all()
        found = self._run_infos(rows)
        if not found:
            raise self._no_run(run_id)
        return found[0]

    @staticmethod
    def _run_infos(rows) -> list[RunInfo]:
        out: dict[int, RunInfo] = {}
        for r in rows:
            info = out.get(r.id)
            if info is None:
                params = r.params
                if isinstance(params, str):
                    params = json.loads(params or "{}")
                info = out[r.id] = RunInfo(id=r.id, session_id=r.session_id, name=r.name,
                                           instruction=r.instruction, backend=r.backend, model_id=r.model_id,
                                           params=dict(params or {}), note=r.note or "", created_at=r.created_at)
            if r.status is not None and r.n:
                info.statuses[r.status] = int(r.n)
        return list(out.values())

    def create_session_run(self, session_id: int | str, *, instruction: str, backend: str, model_id: str,
                           params: dict | None = None, name: str = "", note: str = "",
                           unique: bool = True) -> RunInfo:
        """A new, empty run of a session. ``name`` '' is the display label ("<backend>: <instruction>").
        A name the session already holds becomes "<name> (2)", "(3)"… (``unique=True``), else is
        refused (InputError ``runs.name_taken``)."""
        sess = self.get_session(session_id)
        base = (name or "").strip() or Run(instruction=instruction, backend=backend, model_id=model_id).label
        with self._write() as conn:
            run_id = self._new_run(conn, sess.id, base, dict(instruction=str(instruction), backend=backend,
                                                             model_id=model_id, params=params or {},
                                                             note=note or ""), unique=unique)
        return self.get_run_info(run_id)

    def _new_run(self, conn: Connection, session_id: int, base: str, config: dict, *, unique: bool = True) -> int:
        names = set(conn.execute(select(t.runs.c.name).where(t.runs.c.session_id == session_id)).scalars())
        name, n = base, 1
        if name in names and not unique:
            raise InputError.coded("runs.name_taken", {"name": base})
        while name in names:
            n += 1
            name = f"{base} ({n})"
        return int(conn.execute(insert(t.runs).values(session_id=session_id, name=name, created_at=utc_now(),
                                                      **config)).inserted_primary_key[0])

    @staticmethod
    def _same_config(row, run: Run) -> bool:
        canon = lambda p: json.dumps(json.loads(p) if isinstance(p, str) else (p or {}),  # noqa: E731
                                     sort_keys=True, default=str)
        return (row.instruction == str(run.instruction) and row.backend == run.backend
                and row.model_id == run.model_id and canon(row.params) == canon(run.params or {}))

    def _run_for(self, conn: Connection, session_id: int, set_id: int, run: Run) -> int:
        """The run a new ranking of `run`'s configuration joins: the oldest run of the session
        with its name (or "<name> (n)") and configuration that has no ranking of this set yet;
        else a new run with a unique name."""
        base = (run.name or "").strip() or run.label
        rows = conn.execute(select(t.runs).where(t.runs.c.session_id == session_id).order_by(t.runs.c.id)).all()
        have = set(conn.execute(select(t.rankings.c.run_id).where(t.rankings.c.set_id == set_id)).scalars())
        for row in rows:
            named = row.name == base or (row.name.startswith(base + " (") and row.name.endswith(")")
                                         and row.name[len(base) + 2:-1].isdigit())
            if named and row.id not in have and self._same_config(row, run):
                return int(row.id)
        return self._new_run(conn, session_id, base, dict(instruction=str(run.instruction), backend=run.backend,
                                                          model_id=run.model_id, params=run.params or {},
                                                          note=run.note or ""))

    def create_run(self, set_id: int, run: Run, *, run_id: int | None = None) -> int:
        """Store one ranking of a candidate set; return its id. It belongs to the run `run_id`
        (or `run.run_id`) when given, else to the session's run with the same name and
        configuration that has no ranking of this set yet, else to a new run."""
        info = self.get_set(set_id)
        self._check_status(run.status)
        parent = run_id if run_id is not None else run.run_id
        with self._write() as conn:
            if parent is None:
                parent = self._run_for(conn, info.session_id, info.id, run)
            else:
                owner = conn.execute(select(t.runs.c.session_id).where(t.runs.c.id == int(parent))).scalar()
                if owner is None:
                    raise self._no_run(parent)
                if int(owner) != info.session_id:
                    raise InputError.coded("runs.not_in_session", {"runs": parent,
                                                                   "session": self.get_session(info.session_id).name})
                if conn.execute(select(t.rankings.c.id).where(t.rankings.c.run_id == int(parent),
                                                              t.rankings.c.set_id == info.id)).first():
                    raise InputError.coded("runs.ranking_exists", {"run": parent, "query": info.query_id})
            ranking_id = conn.execute(insert(t.rankings).values(
                run_id=int(parent), set_id=info.id, query_id=run.query_id or info.query_id,
                status=run.status, started_at=run.started_at or utc_now(),
                finished_at=run.finished_at, timings=run.timings or {}, cache_hits=int(run.cache_hits),
                cache_misses=int(run.cache_misses),
                **(recovery.owner_values() if run.status == "running" else {}))).inserted_primary_key[0]
            if run.scores:
                ranked = run.status not in recovery.IN_FLIGHT
                self._upsert_scores(conn, int(ranking_id), run.scores, ranked=ranked)
                if ranked:
                    recovery.dedupe_ranks(conn, int(ranking_id))
            row = conn.execute(select(t.runs.c.name, t.runs.c.note).where(t.runs.c.id == int(parent))).first()
        run.id, run.set_id, run.run_id = int(ranking_id), info.id, int(parent)
        run.name, run.note = row.name, row.note or ""
        run.query_id = run.query_id or info.query_id
        return run.id

    def add_scores(self, run_id: int, scores: list[Result]) -> None:
        """Save (part of) a ranking's scores; saving a doc again replaces its score.

        A ranking being scored (running/pending) stores them unranked (rank NULL): its ranks are
        written when it ends, so no committed state holds two documents at one rank. A finished
        ranking keeps the given ranks (made 1..n if two documents would share one)."""
        self._run_row(run_id)
        if not scores:
            return
        with self._write() as conn:
            status = conn.execute(select(t.rankings.c.status).where(t.rankings.c.id == int(run_id))).scalar()
            if status is None:
                raise self._no_run(run_id)
            in_flight = status in recovery.IN_FLIGHT
            self._upsert_scores(conn, int(run_id), scores, ranked=not in_flight)
            if in_flight:
                conn.execute(update(t.rankings).where(t.rankings.c.id == int(run_id),
                                                      t.rankings.c.status == "running")
                             .values(heartbeat_at=recovery.now_text()))
            else:
                recovery.dedupe_ranks(conn, int(run_id))

    def settle_run(self, run_id: int, status: str, timings: dict | None = None) -> None:
        """Give an unfinished ranking consistent ranks (1..n over what it has scored, best first,
        ties by input position) and its final status, in one transaction."""
        self._check_status(status)
        values: dict[str, Any] = dict(status=status, finished_at=utc_now())
        if timings is not None:
            values["timings"] = {k: float(v) for k, v in timings.items()}
        with self._write() as conn:
            recovery.settle_ranks(conn, int(run_id))
            res = conn.execute(update(t.rankings).where(t.rankings.c.id == int(run_id)).values(**values))
        if res.rowcount == 0:
            raise self._no_run(run_id)

    def claim_run(self, run_id: int, *, status: str = "running") -> None:
        """Mark a stopped ranking as being scored again by this process (resume)."""
        self._check_status(status)
        with self._write() as conn:
            res = conn.execute(update(t.rankings).where(t.rankings.c.id == int(run_id)).values(
                status=status, finished_at=None, **recovery.owner_values()))
            if status in recovery.IN_FLIGHT:
                recovery.unrank(conn, int(run_id))
        if res.rowcount == 0:
            raise self._no_run(run_id)

    def finish_rankings(self, items: list[tuple[int, list[Result], dict, int, int]]) -> None:
        """Write finished rankings in ONE transaction: for each (ranking id, scores ranked 1..n,
        timings, cache hits, cache misses), its scores with their ranks and status 'done'. Two
        statements for the whole batch (a whole-session run writes its rankings this way)."""
        if not items:
            return
        rows = []
        for ranking_id, scores, _timings, _hits, _misses in items:
            ranks = sorted(int(s.rank) for s in scores)
            if ranks != list(range(1, len(scores) + 1)):
                raise InputError.coded("store.bad_ranks", {"ranking": ranking_id})
            rows.extend(dict(ranking_id=int(ranking_id), doc_id=str(s.doc_id),
                             score=finite(s.score, "store.score_not_finite", {"doc": s.doc_id}),
                             rank=int(s.rank), position=s.index) for s in scores)
        now = utc_now()
        with self._write() as conn:
            if rows:
                conn.execute(text(
                    "INSERT INTO scores (ranking_id, doc_id, score, rank, position) "
                    "VALUES (:ranking_id, :doc_id, :score, :rank, :position) "
                    "ON CONFLICT (ranking_id, doc_id) DO UPDATE SET score = excluded.score, rank = excluded.rank, "
                    "position = excluded.position"), rows)
            conn.execute(update(t.rankings).where(t.rankings.c.id == bindparam("rid")).values(
                status="done", finished_at=now, timings=bindparam("tm"), cache_hits=bindparam("hits"),
                cache_misses=bindparam("misses")),
                [dict(rid=int(r), tm={k: float(v) for k, v in (tm or {}).items()}, hits=int(h), misses=int(m))
                 for r, _s, tm, h, m in items])

    @staticmethod
    def _upsert_scores(conn: Connection, run_id: int, scores: list[Result], *, ranked: bool = True) -> None:
        """`ranked=False` (a ranking being scored): ranks are left NULL until it ends."""
        rows = [dict(ranking_id=run_id, doc_id=str(s.doc_id),
                     score=finite(s.score, "store.score_not_finite", {"doc": s.doc_id}),
                     rank=int(s.rank) if ranked and s.rank is not None else None, position=s.index)
                for s in scores]
        conn.execute(text(
            "INSERT INTO scores (ranking_id, doc_id, score, rank, position) "
            "VALUES (:ranking_id, :doc_id, :score, :rank, :position) "
            "ON CONFLICT (ranking_id, doc_id) DO UPDATE SET score = excluded.score, rank = excluded.rank, "
            "position = excluded.position"), rows)

    def finish_run(self, run_id: int, status: str, timings: dict | None = None,
                   cache_hits: int = 0, cache_misses: int = 0) -> None:
        """Give a ranking its final status; one that was being scored gets its ranks now
        (1..n, best first, ties by input position) in the same transaction."""
        self._check_status(status)
        values: dict[str, Any] = dict(status=status, finished_at=utc_now(), cache_hits=int(cache_hits),
                                      cache_misses=int(cache_misses))
        if timings is not None:
            values["timings"] = {k: float(v) for k, v in timings.items()}
        with self._write() as conn:
            res = conn.execute(update(t.rankings).where(t.rankings.c.id == int(run_id)).values(**values))
            if res.rowcount and status not in recovery.IN_FLIGHT:
                unranked = conn.execute(select(t.scores.c.doc_id).where(
                    t.scores.c.ranking_id == int(run_id), t.scores.c.rank.is_(None)).limit(1)).first()
                if unranked is not None:
                    recovery.settle_ranks(conn, int(run_id))
                else:
                    recovery.dedupe_ranks(conn, int(run_id))
        if res.rowcount == 0:
            raise self._no_run(run_id)

    @staticmethod
    def _rankings_select():
        g, r = t.rankings, t.runs
        return select(g, r.c.name, r.c.instruction, r.c.backend, r.c.model_id, r.c.params, r.c.note,
                      r.c.session_id).select_from(g.join(r, r.c.id == g.c.run_id))

    def list_runs(self, session_id: int | str | None = None, set_id: int | None = None, *,
                  run_id: int | None = None) -> list[Run]:
        """Rankings (without scores), oldest first: of a session, a candidate set, or one run."""
        stmt = self._rankings_select().order_by(t.rankings.c.id)
        if set_id is not None:
            stmt = stmt.where(t.rankings.c.set_id == int(set_id))
        if run_id is not None:
            stmt = stmt.where(t.rankings.c.run_id == int(run_id))
        if session_id is not None:
            stmt = stmt.where(t.runs.c.session_id == self.get_session(session_id).id)
        with self._read() as conn:
            return [self._to_run(r) for r in conn.execute(stmt)]

    def run_rankings(self, run_id: int) -> list[Run]:
        """The rankings of one run (without scores), oldest first."""
        self.get_run_info(run_id)
        return self.list_runs(run_id=run_id)

    def load_run(self, run_id: int) -> Run:
        """One ranking with its scores, best first."""
        row = self._run_row(run_id)
        with self._read() as conn:
            rows = conn.execute(select(t.scores).where(t.scores.c.ranking_id == int(run_id))
                                .order_by(t.scores.c.rank, t.scores.c.doc_id)).all()
        run = self._to_run(row)
        run.scores = [Result(doc_id=r.doc_id, score=r.score, rank=r.rank, index=r.position) for r in rows]
        if recovery.has_rank_gaps(run.scores):
            # a ranking still in flight (unranked until it ends), or gaps: never show duplicate ranks
            run.scores = recovery.normalise_ranks(run.scores)
        return run

    def delete_run(self, run_id: int) -> None:
        """Delete one ranking and its scores (its run goes too when it has no ranking left).
        Refused (StoreError `runs.being_scored`) while it is being scored: status running with
        a live owner (a dead one's may go)."""
        with self._write() as conn:
            live = self._runs_being_scored(conn, "g.id = :id", {"id": int(run_id)})
            if live:
                raise self._being_scored("runs.being_scored", live[0])
            parent = conn.execute(select(t.rankings.c.run_id).where(t.rankings.c.id == int(run_id))).scalar()
            if parent is None:
                raise self._no_run(run_id)
            conn.execute(delete(t.rankings).where(t.rankings.c.id == int(run_id)))
            if conn.execute(select(t.rankings.c.id).where(t.rankings.c.run_id == parent).limit(1)).first() is None:
                conn.execute(delete(t.runs).where(t.runs.c.id == parent))

    def delete_whole_run(self, run_id: int) -> RunInfo:
        """Delete a run with all its rankings and scores; returns it as it was. Refused
        (StoreError `runs.being_scored`) while one of its rankings is being scored."""
        info = self.get_run_info(run_id)
        with self._write() as conn:
            live = self._runs_being_scored(conn, "g.run_id = :id", {"id": int(run_id)})
            if live:
                raise self._being_scored("runs.being_scored", live[0])
            conn.execute(delete(t.runs).where(t.runs.c.id == int(run_id)))
        return info

    @staticmethod
    def _runs_being_scored(conn: Connection, where: str, args: dict) -> list:
        """Rankings matching `where` (on rankings g, runs r) that are 'running' with a live owner
        (this process included: the app scores in a worker thread), checked inside the caller's
        write lock."""
        rows = conn.execute(text(
            "SELECT g.id, r.name, r.instruction, r.backend, g.owner_pid, g.owner_host, g.heartbeat_at, "
            "g.started_at FROM rankings g JOIN runs r ON r.id = g.run_id WHERE g.status = 'running' AND "
            + where + " ORDER BY g.id"), args).all()
        return [r for r in rows if not recovery.is_dead(r.owner_pid, r.owner_host, r.heartbeat_at, r.started_at)]

    @staticmethod
    def _being_scored(code: str, row, **params: Any) -> StoreError:
        label = Run(instruction=row.instruction or "", backend=row.backend or "", model_id="", id=row.id,
                    name=row.name or "").label
        pid = row.owner_pid if row.owner_pid is not None else "?"
        return StoreError.coded(code, {"run": row.id, "label": label, "pid": pid, "host": row.owner_host or "?",
                                       **params})

    def note_run(self, run_id: int, note: str) -> None:
        """Replace a run's note ('' clears it)."""
        with self._write() as conn:
            res = conn.execute(update(t.runs).where(t.runs.c.id == int(run_id)).values(note=str(note or "")))
        if res.rowcount == 0:
            raise self._no_run(run_id)

    def set_run_note(self, run_id: int, note: str) -> None:
        """Replace the note of the run that ranking `run_id` belongs to ('' clears it)."""
        self.note_run(self._run_row(run_id).run_id, note)

    def _run_row(self, run_id: int):
        with self._read() as conn:
            row = conn.execute(self._rankings_select().where(t.rankings.c.id == int(run_id))).first()
        if row is None:
            raise self._no_run(run_id)
        return row

    @staticmethod
    def _to_run(r) -> Run:
        params = r.params
        if isinstance(params, str):
            params = json.loads(params or "{}")
        return Run(instruction=r.instruction, backend=r.backend, model_id=r.model_id, set_id=r.set_id,
                   id=r.id, query_id=r.query_id, params=dict(params or {}), status=r.status,
                   started_at=r.started_at, finished_at=r.finished_at, timings=dict(r.timings or {}),
                   cache_hits=r.cache_hits, cache_misses=r.cache_misses, name=r.name, note=r.note or "",
                   run_id=r.run_id)

    @staticmethod
    def _no_run(run_id: Any) -> NotFound:
        return NotFound.coded("store.no_run", {"run": run_id})

    @staticmethod
    def _check_status(status: str) -> None:
        if status not in RUN_STATUSES:
            raise InputError.coded("store.bad_run_status", {"status": status, "statuses": ", ".join(RUN_STATUSES)})

    # labels (per annotator, history, adjudication, labels for metrics): labels.AnnotatedLabels

