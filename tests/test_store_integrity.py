"""Store integrity (issue 21 items 6, 7, 8, 13):

* a run being scored keeps its ranks NULL until it ends, so the raw `scores` table (what the
  README's pandas recipe reads) never holds two documents at one rank, even after kill -9;
* a run being scored cannot be deleted (library, service, CLI), nor its set or session;
* an import into a database with a damaged page is refused with the recovery steps;
* errors name their real cause: a full disk's message stays short, a malformed base64 image
  says so, `workbench ocr` exits 143 on SIGTERM like every long command.

Real subprocesses on the tiny random checkpoint where a run must be in flight; BM25 elsewhere."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import signal
import sqlite3
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import event

from workbench import service
from workbench.cli import main
from workbench.errors import StoreError
from workbench.i18n import error_text
from workbench.model import CandidateSet, Document, Query, Result, Run
from workbench.rerank import get_reranker
from workbench.store import Store
from workbench.store.engine import DiskFull, make_engine
from workbench.store.migrations import migrate
from workbench.store.recovery import HOST, now_text
from tests.pg import sqlite_only

# every test runs on SQLite and on a throwaway PostgreSQL (tests/pg.py), except those marked
pytestmark = pytest.mark.usefixtures("db_backend")

REPO = Path(__file__).resolve().parent.parent
README_RECIPE = ("SELECT r.name, r.note, g.query_id, s.doc_id, s.rank, s.score FROM scores s "
                 "JOIN rankings g ON g.id = s.ranking_id JOIN runs r ON r.id = g.run_id")


def cli(*args: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen([sys.executable, "-m", "workbench", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def db_path() -> Path:
    return Path(os.environ["WORKBENCH_DB"])


def raw(db: Path, sql: str, args: tuple = ()) -> list[tuple]:
    """Rows read straight from the file, without the workbench (as the README recipe does)."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def duplicate_ranks(db: Path) -> list[tuple]:
    """(ranking, set, rank, count) for every rank two documents of one ranking share (non-null ranks)."""
    return raw(db, "SELECT s.ranking_id, g.set_id, s.rank, count(*) FROM scores s "
                   "JOIN rankings g ON g.id = s.ranking_id "
                   "WHERE s.rank IS NOT NULL GROUP BY s.ranking_id, g.set_id, s.rank HAVING count(*) > 1")


def make_set(n: int = 6, qid: str = "q", text: str = "red shoes") -> CandidateSet:
    return CandidateSet(query=Query(id=qid, text=text),
                        documents=[Document(id=f"d{i}", text=f"{text} {'red ' * i} number {i}") for i in range(n)])


def import_csv(tmp_path: Path, n_docs: int, session: str, n_queries: int = 1) -> None:
    rows = ["query_id,query_text,query_image,doc_id,doc_text,doc_image"]
    rows += [f"q{q},red shoes,,d{i},document {i} about shoes number {i * 7 % 13},"
             for q in range(n_queries) for i in range(n_docs)]
    src = tmp_path / f"{session}.csv"
    src.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert main(["import", str(src), "--session", session]) == 0


# ------------------------------------------------------------------ item 6: ranks in the raw table
@sqlite_only("polls the file with sqlite3 (test_postgres kills a scorer on the server)")
def test_a_killed_run_leaves_no_duplicate_ranks_in_the_raw_table(tmp_path, tiny_checkpoint):
    n_docs = 60
    import_csv(tmp_path, n_docs, "kill")
    db = db_path()
    proc = cli("rerank", "--session", "kill", "--model", tiny_checkpoint, "--batch-size", "1",
               "--instruction", "kill -9 test")
    run_id, looks = None, 0
    deadline = time.monotonic() + 180
    try:
        while time.monotonic() < deadline:
            try:      # every committed state the run passes through, as a raw reader sees it
                assert duplicate_ranks(db) == []
                row = raw(db, "SELECT id FROM rankings WHERE status = 'running'")
            except sqlite3.OperationalError:
                row = []
            if row:
                run_id = row[0][0]
                looks += 1
                if raw(db, "SELECT count(*) FROM scores WHERE ranking_id = ?", (run_id,))[0][0] >= 8:
                    break
            if proc.poll() is not None:
                pytest.fail(f"rerank ended before it could be killed: {proc.communicate()}")
            time.sleep(0.02)
        else:
            pytest.fail("the rerank subprocess never saved scores")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
    assert looks >= 2
    # the raw table right after kill -9, before any workbench process opened the file again
    assert raw(db, "SELECT status FROM rankings WHERE id = ?", (run_id,)) == [("running",)]
    ranks = [r[0] for r in raw(db, "SELECT rank FROM scores WHERE ranking_id = ?", (run_id,))]
    assert 8 <= len(ranks) < n_docs
    assert ranks == [None] * len(ranks)                  # unranked while in flight: never two at one rank
    assert duplicate_ranks(db) == []
    recipe = raw(db, README_RECIPE)
    ranked = [(name, qid, rank) for name, _note, qid, _doc, rank, _score in recipe if rank is not None]
    assert len(ranked) == len(set(ranked))
    # the next open settles it: ranks 1..k in the file itself, best score first
    with Store() as store:
        assert store.interrupted_runs == [run_id]
    rows = raw(db, "SELECT rank, score FROM scores WHERE ranking_id = ? ORDER BY rank", (run_id,))
    assert [r[0] for r in rows] == list(range(1, len(ranks) + 1))
    assert all(a[1] >= b[1] for a, b in zip(rows, rows[1:]))
    assert duplicate_ranks(db) == []


@sqlite_only("reads the file with sqlite3")
def test_ranks_are_written_when_a_run_ends_and_kept_for_imported_runs(store):
    sess = store.create_session("s")
    set_id = store.save_candidate_set(sess.id, make_set(4))
    run_id = store.create_run(set_id, Run(instruction="x", backend="lexical", model_id="bm25", status="running"))
    # provisional ranks as a rank loop hands them over batch by batch: 1, 1, 2, 1 ...
    for batch in ([Result("d0", 0.2, 1, 0)], [Result("d1", 0.9, 1, 1)], [Result("d2", 0.5, 2, 2)]):
        store.add_scores(run_id, batch)
        assert raw(store.path, "SELECT rank FROM scores WHERE ranking_id = ? AND rank IS NOT NULL", (run_id,)) == []
    assert [(s.doc_id, s.rank) for s in store.load_run(run_id).scores] == [("d1", 1), ("d2", 2), ("d0", 3)]
    store.add_scores(run_id, [Result("d3", 0.1, 1, 3)])
    store.finish_run(run_id, "done")
    assert raw(store.path, "SELECT doc_id, rank FROM scores WHERE ranking_id = ? ORDER BY rank", (run_id,)) == [
        ("d1", 1), ("d2", 2), ("d0", 3), ("d3", 4)]
    # resumed: unranked again until it ends
    store.claim_run(run_id)
    assert raw(store.path, "SELECT count(*) FROM scores WHERE ranking_id = ? AND rank IS NOT NULL", (run_id,)) == [(0,)]
    store.settle_run(run_id, "done")
    assert [r[0] for r in raw(store.path, "SELECT rank FROM scores WHERE ranking_id = ? ORDER BY rank", (run_id,))] == [
        1, 2, 3, 4]
    # an imported run keeps its own ranks; two documents at one rank are made 1..n in its order
    kept = store.create_run(set_id, Run(instruction="bm25", backend="imported", model_id="x", status="imported",
                                        scores=[Result("d0", 0.1, 1, 0), Result("d1", 0.9, 2, 1)]))
    assert raw(store.path, "SELECT doc_id, rank FROM scores WHERE ranking_id = ? ORDER BY rank", (kept,)) == [
        ("d0", 1), ("d1", 2)]
    tied = store.create_run(set_id, Run(instruction="tied", backend="imported", model_id="x", status="imported",
                                        scores=[Result("d0", 0.1, 1, 0), Result("d1", 0.9, 1, 1),
                                                Result("d2", 0.5, 3, 2)]))
    assert raw(store.path, "SELECT doc_id, rank FROM scores WHERE ranking_id = ? ORDER BY rank", (tied,)) == [
        ("d1", 1), ("d0", 2), ("d2", 3)]
    assert duplicate_ranks(store.path) == []


@sqlite_only("builds an old SQLite file")
def test_upgrade_unranks_runs_in_flight_and_keeps_finished_ranks(tmp_path):
    old = tmp_path / "old.db"
    engine = make_engine(old)
    migrate(engine, str(old), upto="m007_document_notes")
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO sessions VALUES (1, 's', '', '2025-01-01')")
        conn.exec_driver_sql("INSERT INTO candidate_sets (id, session_id, name, created_at) VALUES (1, 1, 'x', 'now')")
        conn.exec_driver_sql("INSERT INTO queries (set_id, query_id, text) VALUES (1, 'q', 't')")
        conn.exec_driver_sql("INSERT INTO documents (set_id, doc_id, position, text) VALUES "
                             "(1, 'a', 0, 'a'), (1, 'b', 1, 'b')")
        conn.exec_driver_sql("INSERT INTO runs (id, set_id, instruction, backend, model_id, status, owner_pid, "
                             "owner_host, heartbeat_at) VALUES (1, 1, 'i', 'lexical', 'bm25', 'done', NULL, NULL, NULL),"
                             " (2, 1, 'i', 'lexical', 'bm25', 'running', ?, ?, ?)", (os.getpid(), HOST, now_text()))
        conn.exec_driver_sql("INSERT INTO scores VALUES (1, 'a', 0.9, 1, 0), (1, 'b', 0.1, 2, 1), "
                             "(2, 'a', 0.2, 1, 0), (2, 'b', 0.8, 1, 1)")
    engine.dispose()
    with Store(old) as store:
        assert store.migrations_applied == ["m008_scores_rank_while_scoring", "m009_runs_over_queries",
                                              "m010_annotators"]
        assert raw(old, "SELECT ranking_id, doc_id, score, rank, position FROM scores "
                        "ORDER BY ranking_id, doc_id") == [
            (1, "a", 0.9, 1, 0), (1, "b", 0.1, 2, 1), (2, "a", 0.2, None, 0), (2, "b", 0.8, None, 1)]
        assert [(s.doc_id, s.rank) for s in store.load_run(2).scores] == [("b", 1), ("a", 2)]
    notnull = {r[1]: r[3] for r in raw(old, "PRAGMA table_info(scores)")}
    assert notnull == {"ranking_id": 1, "doc_id": 1, "score": 1, "rank": 0, "position": 0}
    assert raw(old, "PRAGMA foreign_key_list(scores)")[0][2:4] == ("rankings", "ranking_id")
    assert raw(old, "PRAGMA integrity_check") == [("ok",)]


# ------------------------------------------------------------------ item 7: no deleting a run being scored
def _refused(call, code: str) -> StoreError:
    with pytest.raises(StoreError) as info:
        call()
    assert info.value.code == code, info.value
    return info.value


def test_a_run_being_scored_cannot_be_deleted_nor_its_set_or_session(store):
    sess = store.create_session("busy")
    set_ids = [store.save_candidate_set(sess.id, make_set(5, qid=f"q{i}")) for i in range(2)]
    refusals: list[StoreError] = []

    def attempt(run_id: int) -> None:        # while the run exists and is being scored by this process
        refusals.append(_refused(lambda: store.delete_run(run_id), "runs.being_scored"))
        refusals.append(_refused(lambda: service.delete_run(store, run_id), "runs.being_scored"))
        refusals.append(_refused(lambda: store.delete_session(sess.id), "runs.session_being_scored"))
        set_id = store.load_run(run_id).set_id
        refusals.append(_refused(lambda: store.delete_candidate_set(set_id), "runs.set_being_scored"))

    runs = [service.rerank_set(store, sid, "find red shoes", get_reranker("lexical"), on_run_created=attempt)
            for sid in set_ids]
    assert len(refusals) == 8
    # the scoring was not disturbed: every set ranked, ranks 1..n
    assert [r.status for r in runs] == ["done", "done"]
    for run in runs:
        assert sorted(s.rank for s in store.load_run(run.id).scores) == [1, 2, 3, 4, 5]
    assert [s.id for s in store.list_candidate_sets(sess.id)] == set_ids
    # the analyst is told it is being scored and to cancel it first, on both surfaces
    err = refusals[0]
    assert f"Run {runs[0].id}" in err.message and "being scored" in err.message and str(os.getpid()) in err.message
    assert "Cancel" in err.fix and "workbench rerank" in err.fix
    message, fix = error_text(err, lang="en", surface="app")
    assert "Press Cancel on the Rerank page" in fix and "workbench" not in fix
    assert "being scored" in error_text(refusals[2], lang="en", surface="app")[0]
    assert "正在评分" in error_text(err, lang="zh", surface="app")[0]
    # once it is done, deleting works
    assert service.delete_run(store, runs[0].id).id == runs[0].id
    store.delete_session(sess.id)
    assert store.list_sessions() == []


def test_another_live_process_protects_its_run_a_dead_one_does_not(store, tmp_path):
    sess = store.create_session("other")
    set_id = store.save_candidate_set(sess.id, make_set(3))
    run_id = store.create_run(set_id, Run(instruction="x", backend="lexical", model_id="bm25", status="running",
                                          scores=[Result("d0", 0.5, 1, 0)]))
    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        time.sleep(0.1)
        with store._write() as conn:
            conn.exec_driver_sql("UPDATE rankings SET owner_pid = ?, owner_host = ?, heartbeat_at = ? WHERE id = ?",
                                 (owner.pid, HOST, now_text(), run_id))
        err = _refused(lambda: store.delete_run(run_id), "runs.being_scored")
        assert str(owner.pid) in err.message
        _refused(lambda: store.delete_session("other"), "runs.session_being_scored")
        # the CLI says the same (exit 2, no traceback)
        assert main(["run", "delete", str(run_id), "--yes"]) == 2
        assert store.load_run(run_id).status == "running"
    finally:
        owner.kill()
        owner.wait()
    store.delete_run(run_id)           # its owner is gone: nothing to protect
    with pytest.raises(Exception):
        store.load_run(run_id)


def test_the_cli_refuses_to_delete_a_run_being_scored(capsys, store):
    sess = store.create_session("cli")
    set_id = store.save_candidate_set(sess.id, make_set(3))
    run_id = store.create_run(set_id, Run(instruction="x", backend="lexical", model_id="bm25", status="running"))
    assert main(["run", "delete", str(run_id), "--yes"]) == 2      # owned by this live process
    err = capsys.readouterr().err
    assert "is being scored right now" in err and "How to fix: Cancel the scoring first" in err
    assert "Traceback" not in err


# ------------------------------------------------------------------ item 8: damaged pages
def _leftmost_leaf(db: Path, table: str) -> tuple[int, int]:
    """(page number, page size) of the first leaf page of `table`'s b-tree, found by walking
    the file format (interior table page 0x05: each cell starts with its left child's number)."""
    con = sqlite3.connect(db)
    root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    psize = con.execute("PRAGMA page_size").fetchone()[0]
    con.close()
    data = db.read_bytes()
    page = root
    while data[(page - 1) * psize] == 0x05:
        start = (page - 1) * psize
        cell = struct.unpack(">H", data[start + 12:start + 14])[0]
        page = struct.unpack(">I", data[start + cell:start + cell + 4])[0]
    assert data[(page - 1) * psize] == 0x0D and page > 1      # a table leaf, not the header page
    return page, psize


def _damage_a_page(db: Path) -> int:
    page, psize = _leftmost_leaf(db, "documents")
    data = bytearray(db.read_bytes())
    start = (page - 1) * psize
    data[start + 1:start + 3] = b"\x00\x10"                    # a first freeblock inside the header
    data[start + 8:start + psize - 8] = b"\xff" * (psize - 16)  # cells overwritten
    db.write_bytes(bytes(data))
    return page


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@sqlite_only("a damaged page of a SQLite file")
def test_an_import_into_a_damaged_database_is_refused_with_the_recovery_steps(tmp_path, capsys):
    db = db_path()
    with Store() as store:
        sess = store.create_session("s")
        service.save_sets(store, sess.id, [CandidateSet(
            query=Query(id=f"q{q}", text="red shoes"),
            documents=[Document(id=f"d{j}", text=f"document {j} " + "text " * 60) for j in range(40)])
            for q in range(3)])
    assert not Path(f"{db}-wal").exists()                 # closed: everything is in the main file
    page = _damage_a_page(db)
    try:                                                    # damaged: the check fails or cannot even read
        assert raw(db, "PRAGMA quick_check") != [("ok",)]
    except sqlite3.DatabaseError:
        pass
    before = _sha(db)
    new = [make_set(3, qid="new")]
    with Store() as store:
        err = _refused(lambda: service.save_sets(store, "s", new), "store.damaged")
        assert str(db) in err.message and "nothing was imported" in err.message
        assert f"sqlite3 {db} .recover | sqlite3 {db.with_name('workbench.repaired.db')}" in err.fix
        assert ".dump" in err.fix and "backup" in err.fix
        assert len(str(err)) < 1500
        _refused(lambda: store.save_candidate_set(1, make_set(2, qid="new2")), "store.damaged")
        run = Run(instruction="other", backend="imported", model_id="x", query_id="q0",
                  scores=[Result("d0", 1.0, 1, 0)])
        _refused(lambda: service.import_runs(store, "s", [run]), "store.damaged")
        _refused(lambda: service.import_qrels(store, "s", {"q0": {"d0": 2}}), "store.damaged")
        app_message, app_fix = error_text(err, lang="en", surface="app")
        assert "Close the app" in app_fix and ".recover" in app_fix
        assert "已损坏" in error_text(err, lang="zh", surface="app")[0]
    assert _sha(db) == before                           # refused before anything was written
    # the command line: exit 2 with the steps, no traceback
    src = tmp_path / "more.csv"
    src.write_text("query_id,query_text,doc_id,doc_text\nq9,red,d1,red shoes\n", encoding="utf-8")
    assert main(["import", str(src), "--session", "s"]) == 2
    out = capsys.readouterr().err
    assert "is damaged" in out and ".recover" in out and "Traceback" not in out
    assert _sha(db) == before
    # the steps work: the .dump fallback (any sqlite3 build) gives a file that imports again
    if shutil.which("sqlite3") is None:
        pytest.skip("no sqlite3 command-line tool to follow the steps with")
    repaired = db.with_name("workbench.repaired.db")
    subprocess.run(err.params["dump"], shell=True, capture_output=True, timeout=120)
    assert raw(repaired, "PRAGMA quick_check") == [("ok",)]
    with Store(repaired) as store:
        saved, _same = service.save_sets(store, "s", new)
        assert len(saved) == 1
        assert 0 < sum(s.n_docs for s in store.list_candidate_sets("s")) < 3 * 40 + 3   # the damaged page's rows lost
    assert page > 1


@sqlite_only("quick_check is SQLite's (PostgreSQL checks its own pages)")
def test_a_sound_database_is_checked_once_per_import_and_imports(store, monkeypatch):
    calls = []
    real = type(store).check_integrity

    def counting(self, **kw):
        calls.append(kw)
        return real(self, **kw)

    monkeypatch.setattr(type(store), "check_integrity", counting)
    sess = store.create_session("ok")
    saved, _ = service.save_sets(store, sess.id, [make_set(3, qid=f"q{i}") for i in range(5)])
    assert len(saved) == 5 and len(calls) >= 1
    assert store._integrity_ok_at is not None


# ------------------------------------------------------------------ item 13: real causes, short texts
@sqlite_only("SQLite's size limit")
def test_a_full_disk_message_stays_short_with_many_sets(store):
    sess = store.create_session("many")
    sets = [CandidateSet(query=Query(id=f"query-{i:05d}", text="t"),
                         documents=[Document(id="d", text=f"set {i} " + "x" * 3000)]) for i in range(600)]
    service.save_sets(store, sess.id, sets[:1])
    with store._read() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
    store.engine.dispose()

    @event.listens_for(store.engine, "connect")
    def _cap(dbapi_conn, _record):
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages + 500}")

    with pytest.raises(DiskFull) as info:
        service.save_sets(store, sess.id, sets)
    err = info.value
    text = str(err)
    assert len(err.saved_sets) > 50 and len(err.unsaved_queries) > 50         # a long list behind it
    assert len(text) < 1500, len(text)
    assert "disk is full" in text and str(store.path) in text and re.search(r"needs roughly \d", text)
    assert re.search(r"Already saved in session 'many': set 1 \(query 'query-00000'\), .*more sets", text)
    assert f"({len(err.saved_sets):,} in all)" in text and f"({len(err.unsaved_queries):,} in all)" in text
    assert "Free some space" in err.fix


@sqlite_only("no database involved")
def test_a_full_disk_detail_is_capped():
    err = DiskFull(Path("/tmp/x.db"), 10_000, "database or disk is full " + "[SQL: INSERT ...] " * 3000)
    assert len(err.message) < 600 and "database or disk is full" in err.message


@sqlite_only("polls the file with sqlite3")
def test_ocr_exits_143_on_sigterm(tmp_path):
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed")
    from workbench.ocr.samples import render_sample

    rows = ["query_id,query_text,query_image,doc_id,doc_text,doc_image"]
    for i in range(60):
        path = tmp_path / f"img{i}.png"
        render_sample(f"Stainless Steel Bottle {i} 750ml", 28, noisy=True, seed=i).save(path)
        rows.append(f"q,bottle,,d{i},,{path.name}")
    src = tmp_path / "ocr.csv"
    src.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert main(["import", str(src), "--session", "o"]) == 0
    proc = cli("ocr", "--session", "o", "--langs", "eng", "--workers", "1", "--no-cache")
    db = db_path()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            n = raw(db, "SELECT count(*) FROM documents WHERE ocr_text IS NOT NULL")[0][0]
        except sqlite3.OperationalError:
            n = 0
        if n >= 1 or proc.poll() is not None:
            break
        time.sleep(0.05)
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "Traceback" not in err
    done = raw(db, "SELECT count(*) FROM documents WHERE ocr_text IS NOT NULL")[0][0]
    assert 1 <= done < 60                                  # what was read stays saved


@sqlite_only("no store involved")
def test_a_malformed_base64_image_is_called_malformed(tmp_path):
    from workbench.server.guard import RequestError
    from workbench.server.request_images import RequestImages

    from PIL import Image

    images = RequestImages(tmp_path / "img")
    good = tmp_path / "red.png"
    Image.new("RGB", (8, 8), (200, 0, 0)).save(good)
    with pytest.raises(RequestError) as info:
        images.from_url("data:image/png;base64,iVBORw0KGgo!!!!not*base64", "documents[0]")
    assert "malformed" in info.value.message and "empty" not in info.value.message
    assert "documents[0]" in info.value.message
    with pytest.raises(RequestError) as info:
        images.from_url("data:image/png;base64,", "query")
    assert "no data" in info.value.message
    data = base64.b64encode(good.read_bytes()).decode()
    wrapped = "\n".join(data[i:i + 40] for i in range(0, len(data), 40))   # MIME line breaks are fine
    path, _digest = images.from_url("data:image/png;base64," + wrapped, "query")
    assert Path(path).read_bytes() == good.read_bytes()
