"""Store: round trips, cascade, cache, errors, pragmas, exact schema and upgrade from m001."""

from __future__ import annotations

import json

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import inspect

from workbench import config
from workbench.errors import InputError, NotFound, StoreError
from workbench.images import file_hash
from workbench.model import CacheKey, CandidateSet, Document, Label, Query, Run, Result
from workbench.store import MIGRATIONS, Store
from workbench.store import schema as schema_tables
from workbench.store.engine import make_engine
from workbench.store.migrations import migrate
from tests.pg import sqlite_only

# every test runs on SQLite and on a throwaway PostgreSQL (tests/pg.py), except those marked
pytestmark = pytest.mark.usefixtures("db_backend")

# ----------------------------------------------------------------------------- helpers


def make_png(path: Path, color, size=(12, 8)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path, format="PNG")
    return path


def make_set(tmp_path: Path, qid: str = "q1", n: int = 4, shared_image: Path | None = None) -> CandidateSet:
    docs = []
    for i in range(n):
        img = None
        if i == 0 and shared_image is not None:
            img = str(shared_image)
        elif i == 1:
            img = str(make_png(tmp_path / "img" / f"{qid}_{i}.png", (sum(map(ord, qid)) % 256, 10, 200)))
        docs.append(Document(id=f"d{i}", text=f"文档 {i} denim jacket", image=img,
                             metadata={"brand": f"b{i}", "价格": i * 10},
                             first_stage_score=1.0 - i / 10, label=(i % 3) if i < 3 else None))
    qimg = str(shared_image) if shared_image is not None else None
    return CandidateSet(query=Query(id=qid, text="深蓝色牛仔夹克", image=qimg), documents=docs,
                        name=f"set {qid}", source="candidates.csv")


def schema_of(db: Path) -> dict:
    """Tables -> columns, indexes and foreign keys, as plain data (from SQLite's own pragmas)."""
    con = sqlite3.connect(db)
    out = {}
    for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name"):
        cols = []
        for _cid, col, typ, notnull, default, pk in con.execute(f"PRAGMA table_info({name})"):
            spec = f"{col} {typ}" + (" NOT NULL" if notnull else "") + \
                (f" DEFAULT {default}" if default is not None else "") + (f" PK{pk}" if pk else "")
            cols.append(spec)
        indexes = []
        for _seq, iname, unique, origin, _partial in con.execute(f"PRAGMA index_list({name})"):
            icols = [r[2] for r in con.execute(f"PRAGMA index_info({iname})")]
            indexes.append(("UNIQUE " if unique else "") + f"{origin}({','.join(icols)})")
        fks = sorted(f"{r[3]}->{r[2]}.{r[4]} {r[6]}" for r in con.execute(f"PRAGMA foreign_key_list({name})"))
        out[name] = {"columns": cols, "indexes": sorted(indexes), "fks": fks}
    con.close()
    return out


EXPECTED_SCHEMA = {
    "candidate_sets": {
        "columns": ["id INTEGER PK1", "session_id INTEGER NOT NULL", "name TEXT NOT NULL DEFAULT ''",
                    "source TEXT", "created_at TEXT NOT NULL", "fingerprint TEXT"],
        "indexes": ["UNIQUE c(session_id,fingerprint)", "c(session_id)"],
        "fks": ["session_id->sessions.id CASCADE"]},
    "documents": {
        "columns": ["id INTEGER PK1", "set_id INTEGER NOT NULL", "doc_id TEXT NOT NULL",
                    "position INTEGER NOT NULL", "text TEXT NOT NULL DEFAULT ''", "image_hash TEXT",
                    "ocr_text TEXT", "description TEXT", "metadata TEXT NOT NULL DEFAULT '{}'",
                    "first_stage_score REAL", "ocr_edited TEXT"],
        "indexes": ["UNIQUE u(set_id,doc_id)", "c(image_hash)"],
        "fks": ["image_hash->images.sha256 NO ACTION", "set_id->candidate_sets.id CASCADE"]},
    "adjudications": {
        "columns": ["set_id INTEGER NOT NULL PK1", "doc_id TEXT NOT NULL PK2", "grade INTEGER NOT NULL",
                    "adjudicator TEXT NOT NULL", "updated_at TEXT NOT NULL"],
        "indexes": ["UNIQUE pk(set_id,doc_id)"],
        "fks": ["doc_id->documents.doc_id CASCADE", "set_id->documents.set_id CASCADE"]},
    "annotators": {
        "columns": ["name TEXT PK1", "kind TEXT NOT NULL DEFAULT 'person'", "created_at TEXT NOT NULL"],
        "indexes": ["UNIQUE pk(name)"],
        "fks": []},
    "doc_notes": {
        "columns": ["set_id INTEGER NOT NULL PK1", "doc_id TEXT NOT NULL PK2", "annotator TEXT NOT NULL DEFAULT '' PK3",
                    "note TEXT NOT NULL", "updated_at TEXT NOT NULL"],
        "indexes": ["UNIQUE pk(set_id,doc_id,annotator)"],
        "fks": ["doc_id->documents.doc_id CASCADE", "set_id->documents.set_id CASCADE"]},
    "images": {
        "columns": ["sha256 TEXT PK1", "bytes BLOB NOT NULL", "width INTEGER", "height INTEGER",
                    "format TEXT", "created_at TEXT NOT NULL"],
        "indexes": ["UNIQUE pk(sha256)"],
        "fks": []},
    "label_history": {
        "columns": ["id INTEGER PK1", "set_id INTEGER NOT NULL", "doc_id TEXT NOT NULL", "annotator TEXT NOT NULL",
                    "grade INTEGER", "adjudication INTEGER NOT NULL DEFAULT 0", "changed_at TEXT NOT NULL"],
        "indexes": ["c(set_id,doc_id)"],
        "fks": ["doc_id->documents.doc_id CASCADE", "set_id->documents.set_id CASCADE"]},
    "labels": {
        "columns": ["set_id INTEGER NOT NULL PK1", "doc_id TEXT NOT NULL PK2", "annotator TEXT NOT NULL DEFAULT '' PK3",
                    "grade INTEGER NOT NULL", "note TEXT NOT NULL DEFAULT ''", "updated_at TEXT NOT NULL"],
        "indexes": ["UNIQUE pk(set_id,doc_id,annotator)"],
        "fks": ["doc_id->documents.doc_id CASCADE", "set_id->documents.set_id CASCADE"]},
    "queries": {
        "columns": ["id INTEGER PK1", "set_id INTEGER NOT NULL", "query_id TEXT NOT NULL",
                    "text TEXT NOT NULL DEFAULT ''", "image_hash TEXT"],
        "indexes": ["UNIQUE u(set_id)"],
        "fks": ["image_hash->images.sha256 NO ACTION", "set_id->candidate_sets.id CASCADE"]},
    "rankings": {
        "columns": ["id INTEGER PK1", "run_id INTEGER NOT NULL", "set_id INTEGER NOT NULL", "query_id TEXT",
                    "status TEXT NOT NULL DEFAULT 'pending'", "started_at TEXT", "finished_at TEXT",
                    "timings TEXT NOT NULL DEFAULT '{}'", "cache_hits INTEGER NOT NULL DEFAULT 0",
                    "cache_misses INTEGER NOT NULL DEFAULT 0", "owner_pid INTEGER", "owner_host TEXT",
                    "heartbeat_at TEXT"],
        "indexes": ["UNIQUE u(run_id,set_id)", "c(run_id)", "c(set_id)"],
        "fks": ["run_id->runs.id CASCADE", "set_id->candidate_sets.id CASCADE"]},
    "runs": {
        "columns": ["id INTEGER PK1", "session_id INTEGER NOT NULL", "name TEXT NOT NULL",
                    "instruction TEXT NOT NULL", "backend TEXT NOT NULL", "model_id TEXT NOT NULL",
                    "params TEXT NOT NULL DEFAULT '{}'", "note TEXT NOT NULL DEFAULT ''", "created_at TEXT NOT NULL"],
        "indexes": ["UNIQUE u(session_id,name)"],
        "fks": ["session_id->sessions.id CASCADE"]},
    "schema_migrations": {
        "columns": ["name TEXT PK1", "applied_at TEXT NOT NULL"],
        "indexes": ["UNIQUE pk(name)"],
        "fks": []},
    "score_cache": {
        "columns": ["model_id TEXT NOT NULL", "instruction TEXT NOT NULL", "query_hash TEXT NOT NULL",
                    "doc_hash TEXT NOT NULL", "params TEXT NOT NULL", "score REAL NOT NULL",
                    "created_at TEXT NOT NULL"],
        "indexes": ["UNIQUE u(model_id,instruction,query_hash,doc_hash,params)"],
        "fks": []},
    "scores": {
        "columns": ["ranking_id INTEGER NOT NULL PK1", "doc_id TEXT NOT NULL PK2", "score REAL NOT NULL",
                    "rank INTEGER", "position INTEGER"],
        "indexes": ["UNIQUE pk(ranking_id,doc_id)"],
        "fks": ["ranking_id->rankings.id CASCADE"]},
    "sessions": {
        "columns": ["id INTEGER PK1", "name TEXT NOT NULL", "description TEXT NOT NULL DEFAULT ''",
                    "created_at TEXT NOT NULL"],
        "indexes": ["UNIQUE u(name)"],
        "fks": []},
}


# ----------------------------------------------------------------------------- schema & migrations


@sqlite_only("the default database is a file")
def test_default_path_is_workbench_db_env(store, isolated_workbench):
    assert store.path == Path(isolated_workbench / "workbench.db") == config.db_path()
    assert store.path.exists()


@sqlite_only("creates a file's folder")
def test_nested_parent_folder_is_created(tmp_path):
    s = Store(tmp_path / "a" / "b" / "wb.db")
    assert (tmp_path / "a" / "b" / "wb.db").exists()
    s.close()


@sqlite_only("reads the schema with SQLite's pragmas (test_postgres checks the server's)")
def test_blank_db_has_exact_schema(store):
    assert schema_of(store.path) == EXPECTED_SCHEMA
    assert store.migrations_applied == [name for name, _ in MIGRATIONS]
    with sqlite3.connect(store.path) as con:
        recorded = [r[0] for r in con.execute("SELECT name FROM schema_migrations ORDER BY rowid")]
    assert recorded == ["m001_core", "m002_score_cache_ocr_edits", "m003_prompt_formats", "m004_run_owner",
                        "m005_set_fingerprint", "m006_run_notes", "m007_document_notes",
                        "m008_scores_rank_while_scoring", "m009_runs_over_queries", "m010_annotators"]


def test_reopen_applies_nothing(store):
    again = Store(store.path)
    assert again.migrations_applied == []
    again.close()


def test_core_tables_match_migrated_db(store):
    """The Core Table objects used for queries agree with what the migrations built."""
    insp = inspect(store.engine)
    for name, table in schema_tables.metadata.tables.items():
        assert [c["name"] for c in insp.get_columns(name)] == [c.name for c in table.columns], name


@sqlite_only("pragmas exist only on SQLite")
def test_pragmas_wal_fk_busy_timeout(store):
    assert store.pragma("journal_mode") == "wal"
    assert store.pragma("foreign_keys") == 1
    assert store.pragma("busy_timeout") >= 1000


@sqlite_only("builds an old SQLite file")
def test_upgrade_from_m001_keeps_data_and_matches_blank_schema(tmp_path, store):
    old = tmp_path / "old.db"
    engine = make_engine(old)
    assert migrate(engine, str(old), upto="m001_core") == ["m001_core"]
    png = make_png(tmp_path / "x.png", (1, 2, 3))
    blob = png.read_bytes()
    sha = file_hash(blob)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO sessions (id, name, description, created_at) "
                             "VALUES (1, 'old', 'from v1', '2025-01-01')")
        conn.exec_driver_sql("INSERT INTO images VALUES (?, ?, 12, 8, 'PNG', '2025-01-01')", (sha, blob))
        conn.exec_driver_sql("INSERT INTO candidate_sets (id, session_id, name, created_at) "
                             "VALUES (1, 1, 'legacy', '2025-01-01')")
        conn.exec_driver_sql("INSERT INTO queries (set_id, query_id, text) VALUES (1, 'q', '旧查询')")
        conn.exec_driver_sql("INSERT INTO documents (set_id, doc_id, position, text, image_hash, ocr_text, metadata)"
                             " VALUES (1, 'a', 0, 'doc a', ?, 'ocr a', '{\"k\": 1}'),"
                             " (1, 'b', 1, 'doc b', NULL, NULL, '{}')", (sha,))
        conn.exec_driver_sql("INSERT INTO labels VALUES (1, 'a', 2, 'good', '2025-01-01')")
        conn.exec_driver_sql("INSERT INTO runs (id, set_id, instruction, backend, model_id, status) "
                             "VALUES (1, 1, 'instr', 'lexical', 'bm25', 'done')")
        conn.exec_driver_sql("INSERT INTO scores VALUES (1, 'a', 0.9, 1, 0), (1, 'b', 0.1, 2, 1)")
    engine.dispose()
    names = {r[0] for r in sqlite3.connect(old).execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "score_cache" not in names  # really an m001 database

    upgraded = Store(old)
    assert upgraded.migrations_applied == ["m002_score_cache_ocr_edits", "m003_prompt_formats",
                                           "m004_run_owner", "m005_set_fingerprint", "m006_run_notes",
                                           "m007_document_notes", "m008_scores_rank_while_scoring",
                                           "m009_runs_over_queries", "m010_annotators"]
    assert schema_of(old) == schema_of(store.path) == EXPECTED_SCHEMA
    cset = upgraded.load_candidate_set(1)
    assert cset.query.text == "旧查询"
    assert [(d.id, d.text, d.ocr_text, d.ocr_edited, d.metadata, d.label) for d in cset.documents] == [
        ("a", "doc a", "ocr a", None, {"k": 1}, 2), ("b", "doc b", None, None, {}, None)]
    assert Path(cset.documents[0].image).read_bytes() == blob
    run = upgraded.load_run(1)
    assert (run.cache_hits, run.cache_misses, run.ranking()) == (0, 0, ["a", "b"])
    assert upgraded.get_labels(1)["a"].note == "good"
    upgraded.update_document_text(1, "b", ocr_edited="fixed")
    assert upgraded.load_candidate_set(1).doc("b").ocr_edited == "fixed"
    upgraded.close()


@sqlite_only("edits the file with sqlite3")
def test_db_from_newer_workbench_is_refused(store):
    with sqlite3.connect(store.path) as con:
        con.execute("INSERT INTO schema_migrations VALUES ('m999_from_the_future', '2030-01-01')")
    with pytest.raises(StoreError) as err:
        Store(store.path)
    assert "newer workbench" in err.value.message and "m999_from_the_future" in err.value.message
    assert "Update the workbench" in err.value.fix


@sqlite_only("a damaged file")
def test_corrupt_file_names_file_and_env(tmp_path):
    bad = tmp_path / "broken.db"
    bad.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError) as err:
        Store(bad)
    assert str(bad) in err.value.message and "WORKBENCH_DB" in err.value.fix


@sqlite_only("SQLite's file lock")
def test_locked_file_names_file_and_env(tmp_path):
    path = tmp_path / "locked.db"
    s = Store(path, timeout=0.2)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        t0 = time.perf_counter()
        with pytest.raises(StoreError) as err:
            s.create_session("blocked")
        assert time.perf_counter() - t0 < 5
        assert "locked" in err.value.message and str(path) in err.value.message
        assert "WORKBENCH_DB" in err.value.fix
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert s.create_session("after").name == "after"  # usable once the lock is gone
    s.close()


@sqlite_only("a folder as the database file")
def test_folder_as_db_path_is_an_error(tmp_path):
    with pytest.raises(StoreError, match="is a folder"):
        Store(tmp_path)


# ----------------------------------------------------------------------------- sessions


def test_sessions_create_get_list_rename(store):
    a = store.create_session("Denim 牛仔", "e-commerce test")
    b = store.get_or_create_session("Travel reimbursement")
    assert store.get_or_create_session("Travel reimbursement").id == b.id
    assert store.get_session(a.id) == store.get_session("Denim 牛仔") == store.get_session(str(a.id))
    assert (a.n_sets, a.n_runs, a.description) == (0, 0, "e-commerce test")
    assert [s.name for s in store.list_sessions()] == ["Denim 牛仔", "Travel reimbursement"]
    assert [s.name for s in store.list_sessions(filter="TRAVEL")] == ["Travel reimbursement"]
    assert [s.name for s in store.list_sessions(filter="commerce")] == ["Denim 牛仔"]
    assert [s.name for s in store.list_sessions(filter="牛仔")] == ["Denim 牛仔"]
    renamed = store.rename_session(a.id, "  Denim v2 ")
    assert renamed.name == "Denim v2" and renamed.id == a.id
    with pytest.raises(NotFound):
        store.get_session("Denim 牛仔")


def test_session_errors(store):
    store.create_session("one")
    store.create_session("two")
    with pytest.raises(StoreError) as err:
        store.create_session("one")
    assert "already exists" in err.value.message and err.value.fix
    with pytest.raises(StoreError, match="already exists"):
        store.rename_session("two", "one")
    with pytest.raises(NotFound) as err:
        store.get_session("nope")
    assert "'one'" in err.value.fix
    with pytest.raises(NotFound):
        store.delete_session(999)
    with pytest.raises(InputError):
        store.create_session("   ")


# ----------------------------------------------------------------------------- candidate sets


@sqlite_only("reads the file with sqlite3")
def test_set_round_trip_with_images_deduped_across_sets(store, tmp_path):
    shared = make_png(tmp_path / "shared.png", (10, 20, 30), size=(30, 20))
    sess = store.create_session("s")
    s1, s2 = make_set(tmp_path, "q1", shared_image=shared), make_set(tmp_path, "q2", shared_image=shared)
    id1, id2 = store.save_candidate_set(sess.id, s1), store.save_candidate_set(sess.id, s2)
    assert (s1.id, s2.id) == (id1, id2) and id1 != id2
    with sqlite3.connect(store.path) as con:
        n_images = con.execute("SELECT count(*) FROM images").fetchone()[0]
        width, height, fmt = con.execute("SELECT width, height, format FROM images WHERE sha256 = ?",
                                         (file_hash(shared),)).fetchone()
    assert n_images == 3  # shared + one own image per set
    assert (width, height, fmt) == (30, 20, "PNG")

    loaded = store.load_candidate_set(id1)
    assert (loaded.id, loaded.name, loaded.source) == (id1, "set q1", "candidates.csv")
    assert (loaded.query.id, loaded.query.text) == ("q1", "深蓝色牛仔夹克")
    assert [d.id for d in loaded.documents] == ["d0", "d1", "d2", "d3"]
    for orig, got in zip(s1.documents, loaded.documents):
        assert (got.text, got.metadata, got.first_stage_score, got.label) == \
            (orig.text, orig.metadata, orig.first_stage_score, orig.label)
        assert got.content_hash() == orig.content_hash()
        if orig.image:
            assert got.image_hash == file_hash(orig.image)
            assert Path(got.image).read_bytes() == Path(orig.image).read_bytes()
            assert Path(got.image).parent == config.home_dir() / "images"
            assert got.image.endswith(".png")
        else:
            assert got.image is None and got.image_hash is None
    assert loaded.query.image == loaded.documents[0].image  # one file per content hash
    assert loaded.query.content_hash() == s1.query.content_hash()

    # the materialised file is rewritten when the cache folder was wiped
    Path(loaded.query.image).unlink()
    assert Path(store.load_candidate_set(id2).query.image).read_bytes() == shared.read_bytes()

    infos = store.list_candidate_sets(sess.id)
    assert [(i.id, i.query_id, i.n_docs, i.n_labels) for i in infos] == [(id1, "q1", 4, 3), (id2, "q2", 4, 3)]
    assert store.get_session(sess.id).n_sets == 2
    assert store.list_candidate_sets() == infos


@sqlite_only("reads the file with sqlite3")
def test_save_set_errors(store, tmp_path):
    sess = store.create_session("s")
    dup = CandidateSet(Query("q", "x"), [Document("a", "1"), Document("a", "2")])
    with pytest.raises(InputError, match="appears twice"):
        store.save_candidate_set(sess.id, dup)
    missing = CandidateSet(Query("q", "x"), [Document("a", "1", image=str(tmp_path / "gone.jpg"))])
    with pytest.raises(InputError, match="gone.jpg"):
        store.save_candidate_set(sess.id, missing)
    with pytest.raises(NotFound):
        store.save_candidate_set(12345, CandidateSet(Query("q", "x"), [Document("a", "1")]))
    bad_label = CandidateSet(Query("q", "x"), [Document("a", "1", label=1), Document("b", "2", label=7)])
    with pytest.raises(InputError, match="relevance grade"):
        store.save_candidate_set(sess.id, bad_label)
    dangling = CandidateSet(Query("q", "x"), [Document("a", "1", image_hash="f" * 64)])
    with pytest.raises(StoreError) as err:
        store.save_candidate_set(sess.id, dangling)
    assert "Nothing of this set was saved" in err.value.fix
    assert store.list_candidate_sets() == []  # nothing half-written
    with sqlite3.connect(store.path) as con:
        assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 0
    with pytest.raises(NotFound):
        store.load_candidate_set(777)


def test_update_document_text(store, tmp_path):
    sess = store.create_session("s")
    set_id = store.save_candidate_set(sess.id, make_set(tmp_path))
    store.update_document_text(set_id, "d1", ocr_text="RAW 0CR", description="[OCR] RAW [TEXT] t")
    store.update_document_text(set_id, "d1", ocr_edited="RAW OCR")
    doc = store.load_candidate_set(set_id).doc("d1")
    assert (doc.ocr_text, doc.ocr_edited, doc.description) == ("RAW 0CR", "RAW OCR", "[OCR] RAW [TEXT] t")
    store.update_document_text(set_id, "d1", ocr_edited=None)
    assert store.load_candidate_set(set_id).doc("d1").ocr_final == "RAW 0CR"
    with pytest.raises(NotFound, match="no document 'zz'"):
        store.update_document_text(set_id, "zz", ocr_text="x")
    with pytest.raises(NotFound):
        store.update_document_text(999, "d1", ocr_text="x")


# ----------------------------------------------------------------------------- labels


@sqlite_only("reads the file with sqlite3")
def test_labels(store, tmp_path):
    sess = store.create_session("s")
    set_id = store.save_candidate_set(sess.id, make_set(tmp_path))
    assert {k: v.grade for k, v in store.get_labels(set_id).items()} == {"d0": 0, "d1": 1, "d2": 2}
    store.set_label(set_id, "d3", 2, note="exact match")
    store.set_label(set_id, "d0", 1)
    store.set_labels(set_id, [Label("q1", "d1", 0, "wrong colour"), Label("q1", "d2", 2)])
    labels = store.get_labels(set_id)
    assert {k: (v.grade, v.note, v.query_id) for k, v in labels.items()} == {
        "d0": (1, "", "q1"), "d1": (0, "wrong colour", "q1"), "d2": (2, "", "q1"), "d3": (2, "exact match", "q1")}
    store.clear_label(set_id, "d0")
    assert "d0" not in store.get_labels(set_id)
    assert store.load_candidate_set(set_id).labels == {"d1": 0, "d2": 2, "d3": 2}
    with pytest.raises(InputError, match="relevance grade"):
        store.set_label(set_id, "d0", 3)
    with pytest.raises(NotFound, match="'nope'"):
        store.set_labels(set_id, [Label("q1", "d0", 1), Label("q1", "nope", 1)])
    assert "d0" not in store.get_labels(set_id)  # the batch was all-or-nothing
    with sqlite3.connect(store.path) as con:  # the CHECK constraint guards the db itself
        con.execute("PRAGMA foreign_keys = ON")
        with pytest.raises(sqlite3.IntegrityError):
            con.execute("UPDATE labels SET grade = 5 WHERE doc_id = 'd1'")


# ----------------------------------------------------------------------------- runs


def _scores(doc_ids, base=0.0):
    return [Result(doc_id=d, score=base + 1 - i / 10, rank=i + 1, index=i) for i, d in enumerate(doc_ids)]


def test_runs_partial_scores_idempotent(store, tmp_path):
    sess = store.create_session("s")
    set_id = store.save_candidate_set(sess.id, make_set(tmp_path, n=6))
    run = Run(instruction="Given a web search query, retrieve relevant passages", backend="qwen-vl",
              model_id="lychee@abc", params={"max_pixels": 1000, "dtype": "float32"}, status="running",
              name="web")
    run_id = store.create_run(set_id, run)
    assert (run.id, run.set_id, run.query_id) == (run_id, set_id, "q1")
    ids = [f"d{i}" for i in range(6)]
    store.add_scores(run_id, _scores(ids)[:3])                 # first batch
    assert len(store.load_run(run_id).scores) == 3
    store.add_scores(run_id, _scores(ids)[:3])                 # the same batch again (retry)
    store.add_scores(run_id, _scores(ids)[3:])                 # second batch
    store.add_scores(run_id, [Result("d0", 0.05, 6, 0)] + [Result(d, s.score, s.rank - 1, s.index)
                                                          for d, s in zip(ids[1:], _scores(ids)[1:])])
    store.add_scores(run_id, [])
    store.finish_run(run_id, "done", timings={"total": 1.5, "forward": 1.2}, cache_hits=2, cache_misses=4)

    got = store.load_run(run_id)
    assert got.ranking() == ["d1", "d2", "d3", "d4", "d5", "d0"]
    assert [s.rank for s in got.scores] == [1, 2, 3, 4, 5, 6]
    assert got.scores[-1].score == pytest.approx(0.05)
    assert (got.status, got.cache_hits, got.cache_misses, got.timings) == ("done", 2, 4, {"total": 1.5, "forward": 1.2})
    assert (got.params, got.name, got.backend, got.model_id) == (run.params, "web", "qwen-vl", "lychee@abc")
    assert got.started_at and got.finished_at and got.started_at <= got.finished_at

    imported = Run(instruction="other system", backend="import", model_id="bm25-prod", status="imported",
                   scores=_scores(["d5", "d4"]))
    other_id = store.create_run(set_id, imported)
    listed = store.list_runs(set_id=set_id)
    assert [r.id for r in listed] == [run_id, other_id] and all(r.scores == [] for r in listed)
    assert [r.id for r in store.list_runs(session_id=sess.name)] == [run_id, other_id]
    assert store.load_run(other_id).ranking() == ["d5", "d4"]
    assert store.get_session(sess.id).n_runs == 2

    store.delete_run(other_id)
    assert [r.id for r in store.list_runs()] == [run_id]
    with pytest.raises(NotFound):
        store.load_run(other_id)
    with pytest.raises(NotFound):
        store.add_scores(other_id, _scores(ids))
    with pytest.raises(NotFound):
        store.finish_run(other_id, "done")
    with pytest.raises(NotFound):
        store.create_run(999, Run("i", "lexical", "bm25"))
    with pytest.raises(InputError, match="status"):
        store.finish_run(run_id, "finished")
    with pytest.raises(InputError, match="finite"):
        store.add_scores(run_id, [Result("d0", float("nan"), 1)])
    assert store.load_run(run_id).scores[-1].score == pytest.approx(0.05)


def test_concurrent_writers_do_not_fail(store, tmp_path):
    sess = store.create_session("s")
    set_id = store.save_candidate_set(sess.id, make_set(tmp_path))
    run_ids = [store.create_run(set_id, Run(f"i{k}", "lexical", "bm25")) for k in range(4)]
    errors = []

    def work(run_id):
        try:
            for j in range(15):
                store.add_scores(run_id, [Result(f"doc{j}", j / 15, j + 1)])
                store.put_many({CacheKey("m", f"i{run_id}", "q", f"d{j}", "{}"): j / 15})
        except Exception as err:  # noqa: BLE001
            errors.append(err)

    threads = [threading.Thread(target=work, args=(r,)) for r in run_ids]
    [th.start() for th in threads]
    [th.join() for th in threads]
    assert errors == []
    assert all(len(store.load_run(r).scores) == 15 for r in run_ids)
    assert store.cache_stats()["entries"] == 60


# ----------------------------------------------------------------------------- cascade


@sqlite_only("reads the file with sqlite3")
def test_delete_session_cascades_but_keeps_images_and_cache(store, tmp_path):
    shared = make_png(tmp_path / "shared.png", (9, 9, 9))
    keep, gone = store.create_session("keep"), store.create_session("gone")
    keep_set = store.save_candidate_set(keep.id, make_set(tmp_path, "k", shared_image=shared))
    gone_set = store.save_candidate_set(gone.id, make_set(tmp_path, "g", shared_image=shared))
    for sid in (keep_set, gone_set):
        rid = store.create_run(sid, Run("i", "lexical", "bm25"))
        store.add_scores(rid, _scores(["d0", "d1", "d2", "d3"]))
    store.put_many({CacheKey("bm25", "i", "qh", "dh", "{}"): 0.5})

    def counts():
        with sqlite3.connect(store.path) as con:
            return {tbl: con.execute(f"SELECT count(*) FROM {tbl}").fetchone()[0]
                    for tbl in ("sessions", "candidate_sets", "queries", "documents", "runs", "rankings", "scores",
                                "labels", "images", "score_cache")}

    before = counts()
    store.delete_session("gone")
    after = counts()
    assert after == {"sessions": 1, "candidate_sets": 1, "queries": 1, "documents": 4, "runs": 1,
                     "rankings": 1, "scores": 4, "labels": 3, "images": before["images"], "score_cache": 1}
    assert before["documents"] == 8 and before["scores"] == 8
    assert store.load_candidate_set(keep_set).query.image is not None
    with pytest.raises(NotFound):
        store.load_candidate_set(gone_set)
    store.delete_candidate_set(keep_set)
    assert counts()["runs"] == counts()["rankings"] == 0 and counts()["labels"] == 0


# ----------------------------------------------------------------------------- score cache


def _key(i, model="lychee@abc", instruction="web", params='{"max_pixels":1003520}', q="qh"):
    return CacheKey(model, instruction, q, f"doc{i:05d}", params)


def test_cache_get_put_upsert(store):
    assert store.get_many([_key(1)]) == {}
    assert store.cache_stats()["entries"] == 0
    store.put_many({_key(1): 0.25, _key(2): 0.75})
    store.put_many({_key(1): 0.5})  # upsert: new score, no new row
    got = store.get_many([_key(1), _key(2), _key(3)])
    assert got == {_key(1): 0.5, _key(2): 0.75}
    # every key field separates entries
    for other in (_key(1, model="other"), _key(1, instruction="QA"), _key(1, params="{}"), _key(1, q="qh2")):
        assert store.get_many([other]) == {}
    store.put_many({_key(1, model="bm25"): 0.1})
    stats = store.cache_stats()
    assert stats["entries"] == 3 and stats["models"] == 2 and stats["by_model"] == {"lychee@abc": 2, "bm25": 1}
    with pytest.raises(InputError, match="finite"):
        store.put_many({_key(9): float("inf")})
    assert store.clear_cache("bm25") == 1 and store.cache_stats()["entries"] == 2


def test_cache_many_keys_fast(store):
    items = {_key(i, q=f"q{i % 3}"): i / 5000 for i in range(5000)}
    t0 = time.perf_counter()
    store.put_many(items)
    put_s = time.perf_counter() - t0
    keys = list(items) + [_key(i, q="q0") for i in range(5000, 6000)]  # 1000 misses
    t0 = time.perf_counter()
    got = store.get_many(keys)
    get_s = time.perf_counter() - t0
    assert got == items
    assert put_s < 3 and get_s < 3, (put_s, get_s)


def test_image_hash_from_importer_trusted_only_for_stored_images(store, tmp_path):
    sess = store.create_session("s")
    png = make_png(tmp_path / "a.png", (5, 6, 7))
    wrong = CandidateSet(Query("q", "x"), [Document("a", "t", image=str(png), image_hash="not-the-hash")])
    set_id = store.save_candidate_set(sess.id, wrong)
    assert wrong.documents[0].image_hash == file_hash(png)  # new image: hashed from its bytes
    assert store.load_candidate_set(set_id).documents[0].image_hash == file_hash(png)
    # already stored: the importer's hash is enough, the file is not read again
    moved = tmp_path / "moved.png"
    png.rename(moved)
    again = CandidateSet(Query("q2", "x"), [Document("a", "t", image=str(png), image_hash=file_hash(moved))])
    set2 = store.save_candidate_set(sess.id, again)
    assert Path(store.load_candidate_set(set2).documents[0].image).read_bytes() == moved.read_bytes()


# ----------------------------------------------------------------------------- transaction()


def test_transaction_commits_several_calls_together(store, tmp_path):
    set_id = store.save_candidate_set(store.create_session("tx").id, make_set(tmp_path))
    with store.transaction():
        run_id = store.create_run(set_id, Run(instruction="i", backend="lexical", model_id="bm25",
                                              status="running"))
        store.add_scores(run_id, _scores(["d0", "d1"]))          # joins: sees the uncommitted run
        store.finish_run(run_id, "done")
        assert store.load_run(run_id).status == "done"            # reads inside see its own rows
    run = store.load_run(run_id)
    assert run.status == "done" and [s.doc_id for s in run.scores] == ["d0", "d1"]


def test_transaction_rolls_back_everything_on_error(store, tmp_path):
    set_id = store.save_candidate_set(store.create_session("tx").id, make_set(tmp_path))
    before = {d: lab.grade for d, lab in store.get_labels(set_id).items()}
    assert before["d0"] != 2
    with pytest.raises(RuntimeError):
        with store.transaction():
            run_id = store.create_run(set_id, Run(instruction="i", backend="lexical", model_id="bm25"))
            store.set_label(set_id, "d0", 2)
            store.put_many({_key(1): 0.5})
            with store.transaction():                            # nested: joins the outer one
                store.finish_run(run_id, "done")
            raise RuntimeError("boom")
    assert store.list_runs(set_id=set_id) == []
    assert {d: lab.grade for d, lab in store.get_labels(set_id).items()} == before
    assert store.get_many([_key(1)]) == {}
    with store.transaction():                                    # usable again after a rollback
        store.set_label(set_id, "d0", 2)
    assert store.get_labels(set_id)["d0"].grade == 2


def test_transaction_is_invisible_to_other_threads_until_commit(store, tmp_path):
    set_id = store.save_candidate_set(store.create_session("tx").id, make_set(tmp_path))
    seen: list[int] = []

    def look():
        seen.append(len(store.list_runs(set_id=set_id)))

    with store.transaction():
        store.create_run(set_id, Run(instruction="i", backend="lexical", model_id="bm25"))
        other = threading.Thread(target=look)
        other.start()
        other.join()
    look()
    assert seen == [0, 1]


@sqlite_only("builds an old SQLite file")
def test_m003_marks_first_release_lychee_runs_and_cache_rows_as_lychee_v1(tmp_path):
    from workbench.model import CacheKey
    from workbench.rerank.base import canonical_params

    old = tmp_path / "v2.db"
    engine = make_engine(old)
    migrate(engine, str(old), upto="m002_score_cache_ocr_edits")
    v1_params = {"prompt": "lychee-rerank-mm", "min_pixels": 3136, "max_pixels": 1003520,
                 "max_length": 3200, "dtype": "float32"}
    q3_params = dict(v1_params, prompt="qwen3-vl-reranker")
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO sessions (id, name, description, created_at) VALUES (1, 's', '', 'x')")
        conn.exec_driver_sql("INSERT INTO candidate_sets (id, session_id, name, created_at) VALUES (1, 1, 'c', 'x')")
        conn.exec_driver_sql("INSERT INTO queries (set_id, query_id, text) VALUES (1, 'q', 'q')")
        for i, params in ((1, v1_params), (2, q3_params), (3, {"k1": 1.5})):
            conn.exec_driver_sql("INSERT INTO runs (id, set_id, instruction, backend, model_id, status, params) "
                                 "VALUES (?, 1, 'i', 'qwen-vl', 'm', 'done', ?)", (i, json.dumps(params)))
        for params, score in ((v1_params, 0.25), (q3_params, 0.75)):
            conn.exec_driver_sql("INSERT INTO score_cache VALUES ('m', 'i', 'qh', 'dh', ?, ?, 'x')",
                                 (canonical_params(params), score))
    engine.dispose()
    store = Store(old)
    assert store.migrations_applied[0] == "m003_prompt_formats"
    assert store.load_run(1).prompt_format == "lychee-v1"
    assert store.load_run(1).params == dict(v1_params, prompt="lychee-v1")
    assert store.load_run(2).prompt_format == "qwen3-vl-reranker"
    assert store.load_run(3).prompt_format is None
    key = lambda p: CacheKey("m", "i", "qh", "dh", canonical_params(p))  # noqa: E731
    found = store.get_many([key(dict(v1_params, prompt="lychee-v1")), key(v1_params),
                            key(dict(v1_params, prompt="lychee")), key(q3_params)])
    assert found == {key(dict(v1_params, prompt="lychee-v1")): 0.25, key(q3_params): 0.75}
    store.close()


def test_a_failed_call_inside_a_transaction_leaves_none_of_its_rows(store, tmp_path):
    sess = store.create_session("tx")
    good = make_set(tmp_path, "good")
    bad = CandidateSet(query=Query("bad", text="q"), documents=[
        Document("d0", text="fine"), Document("d1", text="points at an image that is not stored",
                                                image_hash="0" * 64)], name="bad")
    with store.transaction():
        store.save_candidate_set(sess.id, good)
        with pytest.raises(StoreError, match="could not be saved"):
            store.save_candidate_set(sess.id, bad)     # fails after its set and query rows went in
        store.set_label(good.id, "d0", 2)              # the transaction goes on
    assert [s.query_id for s in store.list_candidate_sets(sess.id)] == ["good"]
    assert store.get_labels(good.id)["d0"].grade == 2
