"""Interrupted runs always end consistent: SIGTERM like Ctrl-C, kill -9 settled as
'interrupted' on the next open, resume scores only the missing pairs, and no reader
(export, compare) ever sees duplicate ranks. Real `workbench rerank` subprocesses on
the tiny random checkpoint."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from workbench import service
from workbench.cli import main
from workbench.errors import InputError
from workbench.model import Run, Result
from workbench.rerank import get_reranker
from workbench.store import Store
from tests.pg import sqlite_only

# every test runs on SQLite and on a throwaway PostgreSQL (tests/pg.py), except those marked
pytestmark = pytest.mark.usefixtures("db_backend")

REPO = Path(__file__).resolve().parent.parent
N_DOCS = 60


def cli(*args: str, **kw) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen([sys.executable, "-m", "workbench", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def import_set(tmp_path: Path, session: str = "kill") -> None:
    rows = ["query_id,query_text,query_image,doc_id,doc_text,doc_image"]
    rows += [f"q1,red shoes,,d{i},document {i} about shoes number {i * 7 % 13},"
             for i in range(N_DOCS)]
    src = tmp_path / "cands.csv"
    src.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert main(["import", str(src), "--session", session]) == 0


def running_scores(db: Path) -> tuple[int | None, int]:
    """(id of the running run, its number of saved scores), read without the workbench."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        row = con.execute("SELECT id FROM rankings WHERE status = 'running' ORDER BY id DESC").fetchone()
        if row is None:
            return None, 0
        return row[0], con.execute("SELECT count(*) FROM scores WHERE ranking_id = ?", row).fetchone()[0]
    except sqlite3.OperationalError:      # db or tables not there yet
        return None, 0
    finally:
        con.close()


def start_and_wait(tmp_path: Path, tiny: str, instruction: str, min_scores: int = 4):
    proc = cli("rerank", "--session", "kill", "--model", tiny, "--batch-size", "1",
               "--instruction", instruction)
    db = Path(os.environ["WORKBENCH_DB"])
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        run_id, n = running_scores(db)
        if run_id is not None and n >= min_scores:
            return proc, run_id
        if proc.poll() is not None:
            pytest.fail(f"rerank ended before it could be interrupted: {proc.communicate()}")
        time.sleep(0.05)
    proc.kill()
    pytest.fail("the rerank subprocess never saved scores")


def assert_consistent(run: Run, n: int | None = None) -> None:
    ranks = [s.rank for s in run.scores]
    assert sorted(ranks) == list(range(1, len(ranks) + 1)), ranks
    by_rank = sorted(run.scores, key=lambda s: s.rank)
    assert all(a.score >= b.score for a, b in zip(by_rank, by_rank[1:]))
    if n is not None:
        assert len(run.scores) == n


def raw_ranks(db: Path, run_id: int) -> list[int]:
    con = sqlite3.connect(db)
    try:
        return [r[0] for r in con.execute("SELECT rank FROM scores WHERE ranking_id = ?", (run_id,))]
    finally:
        con.close()


def resume(run_id: int, model: str) -> tuple[int, str, str]:
    proc = cli("rerank", "--resume", str(run_id), "--model", model)
    out, err = proc.communicate(timeout=300)
    return proc.returncode, out, err


@sqlite_only("polls the file with sqlite3")
def test_sigterm_saves_cancelled_run_then_resume_scores_only_missing(tmp_path, tiny_checkpoint):
    import_set(tmp_path)
    proc, run_id = start_and_wait(tmp_path, tiny_checkpoint, "sigterm test")
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "SIGTERM" in err and f"--resume {run_id}" in err and "Traceback" not in err

    with Store() as store:
        run = store.load_run(run_id)
        assert run.status == "cancelled"
        kept = len(run.scores)
        assert 4 <= kept < N_DOCS
        assert_consistent(run)
    # settled in the file itself, not only when read through the store
    assert sorted(raw_ranks(Path(os.environ["WORKBENCH_DB"]), run_id)) == list(range(1, kept + 1))

    rc, out, err = resume(run_id, tiny_checkpoint)
    assert rc == 0, err
    assert f"scored {N_DOCS - kept} missing document(s), kept {kept} already scored" in out
    with Store() as store:
        run = store.load_run(run_id)
        assert run.status == "done"
        assert_consistent(run, N_DOCS)
        assert run.timings["resumed_docs"] == N_DOCS - kept
        # resume looked up only the missing pairs (a stopped run records no cache counts)
        assert run.cache_hits + run.cache_misses == N_DOCS - kept


@sqlite_only("polls the file with sqlite3 (test_postgres kills a scorer on the server)")
def test_sigkill_is_settled_as_interrupted_on_next_open_then_resumed(tmp_path, tiny_checkpoint):
    import_set(tmp_path)
    proc, run_id = start_and_wait(tmp_path, tiny_checkpoint, "sigkill test")
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    db = Path(os.environ["WORKBENCH_DB"])
    con = sqlite3.connect(db)
    assert con.execute("SELECT status FROM rankings WHERE id = ?", (run_id,)).fetchone()[0] == "running"
    con.close()

    # a read-only command opens the db: the dead run is settled, ranks made consistent
    listing = cli("sessions")
    out, err = listing.communicate(timeout=120)
    assert listing.returncode == 0, err
    with Store() as store:
        run = store.load_run(run_id)
        assert run.status == "interrupted" and run.finished_at
        kept = len(run.scores)
        assert 4 <= kept < N_DOCS
        assert_consistent(run)
    assert sorted(raw_ranks(db, run_id)) == list(range(1, kept + 1))

    # an export shows it with consistent ranks, and the compare list includes it
    exported = tmp_path / "exp.csv"
    assert main(["export", "--run", str(run_id), "--output", str(exported)]) == 0
    frame = pd.read_csv(exported)
    assert sorted(frame["rank"]) == list(range(1, kept + 1))

    rc, out, err = resume(run_id, tiny_checkpoint)
    assert rc == 0, err
    assert f"scored {N_DOCS - kept} missing document(s)" in out
    with Store() as store:
        run = store.load_run(run_id)
        assert run.status == "done"
        assert_consistent(run, N_DOCS)
        assert run.timings["resumed_docs"] == N_DOCS - kept
    # resuming a finished run does nothing
    rc, out, err = resume(run_id, tiny_checkpoint)
    assert rc == 0 and "scored 0 missing document(s)" in out


# ------------------------------------------------------------------ in-process, no model needed
def _cset_with_run(store: Store, status: str, n: int = 6, scored: int = 3, **owner) -> tuple[int, int]:
    from workbench.model import CandidateSet, Document, Query

    sess = store.get_or_create_session("s")
    cset = CandidateSet(query=Query(id="q", text="red shoes"),
                        documents=[Document(id=f"d{i}", text=f"red shoes {'red ' * i}") for i in range(n)])
    set_id = store.save_candidate_set(sess.id, cset)
    run = Run(instruction="x", backend="lexical", model_id="bm25", status=status,
              params=get_reranker("lexical").params(),
              scores=[Result(f"d{i}", 0.5, 1, i) for i in range(scored)])   # duplicate ranks
    run_id = store.create_run(set_id, run)
    if owner:
        sets = ", ".join(f"{k} = ?" for k in owner)
        with store._write() as conn:
            conn.exec_driver_sql(f"UPDATE rankings SET {sets} WHERE id = ?", (*owner.values(), run_id))
    return set_id, run_id


@sqlite_only("reads the file with sqlite3")
def test_readers_never_see_duplicate_ranks_of_a_run_in_flight(tmp_path):
    with Store() as store:
        _set_id, run_id = _cset_with_run(store, "running")       # owned by this (live) process
        assert raw_ranks(store.path, run_id) == [None, None, None]     # unranked until it ends
        run = store.load_run(run_id)
        assert [s.rank for s in run.scores] == [1, 2, 3]
        assert [s.doc_id for s in run.scores] == ["d0", "d1", "d2"]          # ties by input position
        data, _ = service.export_runs(store, run_ids=[run_id])
        assert sorted(pd.read_csv(__import__("io").BytesIO(data))["rank"]) == [1, 2, 3]
    with Store() as again:                                          # our pid is alive: left running
        assert again.load_run(run_id).status == "running"


@sqlite_only("reads the file with sqlite3 (test_postgres has the server's)")
def test_stale_heartbeat_from_another_host_is_interrupted_fresh_one_is_not(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_RUN_STALE_S", "60")
    with Store() as store:
        _s, stale = _cset_with_run(store, "running", owner_pid=1, owner_host="elsewhere",
                                   heartbeat_at="2020-01-01T00:00:00+00:00")
        from workbench.store.recovery import now_text

        _s2, fresh = _cset_with_run(store, "running", owner_pid=1, owner_host="elsewhere",
                                    heartbeat_at=now_text())
    with Store() as store:
        assert store.interrupted_runs == [stale]
        assert store.load_run(stale).status == "interrupted"
        assert store.load_run(fresh).status == "running"
        assert sorted(raw_ranks(store.path, stale)) == [1, 2, 3]


def test_same_host_owner_dead_alive_or_pid_reused(tmp_path):
    from workbench.store.recovery import HOST, now_text

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()                                             # a pid that is no longer running
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        time.sleep(0.5)
        with Store() as store:
            _s, dead = _cset_with_run(store, "running", owner_pid=gone.pid, owner_host=HOST,
                                      heartbeat_at=now_text())
            _s2, live = _cset_with_run(store, "running", owner_pid=alive.pid, owner_host=HOST,
                                       heartbeat_at=now_text())
            _s3, reused = _cset_with_run(store, "running", owner_pid=alive.pid, owner_host=HOST,
                                         heartbeat_at="2020-01-01T00:00:00+00:00")   # beat before it started
        with Store() as store:
            assert sorted(store.interrupted_runs) == sorted([dead, reused])
            assert store.load_run(live).status == "running"
            with pytest.raises(Exception, match="still being scored by process"):
                service.resume_run(store, live, get_reranker("lexical"))
    finally:
        alive.kill()
        alive.wait()


@sqlite_only("one engine is enough: no SQL of its own")
def test_resume_service_checks_model_and_scores_only_missing(tmp_path, tiny_checkpoint):
    with Store() as store:
        set_id, run_id = _cset_with_run(store, "cancelled", n=6, scored=2)
        bm25 = get_reranker("lexical")
        tiny = get_reranker("qwen-vl", model_path=tiny_checkpoint, device="cpu", batch_size=1)
        with pytest.raises(InputError, match="scored with lexical model 'bm25'"):
            service.resume_run(store, run_id, tiny)
        out = service.resume_run(store, run_id, bm25)
        assert out.status == "done" and out.timings["resumed_docs"] == 4
        assert_consistent(out, 6)
        kept = {s.doc_id: s.score for s in out.scores}
        assert kept["d0"] == 0.5 and kept["d1"] == 0.5            # the scores it had are kept

        # a model run: cancel it after a few documents, resume scores exactly the rest
        import threading

        stop = threading.Event()
        calls = []

        def progress(done, total):
            calls.append(done)
            if done >= 2:
                stop.set()

        run = service.rerank_set(store, set_id, "model run", tiny, cancel=stop, progress=progress)
        assert run.status == "cancelled"
        kept = len(run.scores)
        assert 2 <= kept < 6
        tiny_small = get_reranker("qwen-vl", model_path=tiny_checkpoint, device="cpu", max_length=64)
        with pytest.raises(InputError, match="max_length"):
            service.resume_run(store, run.id, tiny_small)
        done = service.resume_run(store, run.id, tiny)
        assert done.status == "done" and done.timings["resumed_docs"] == 6 - kept
        assert_consistent(done, 6)
        cset = store.load_candidate_set(set_id)
        fresh = tiny.rank(cset.query, cset.documents, "model run")      # one go, no cache
        assert {r.doc_id: round(r.score, 5) for r in fresh} == \
            {s.doc_id: round(s.score, 5) for s in done.scores}


@sqlite_only("no database involved")
@pytest.mark.parametrize("value", ["abc", "-5", "0", "nan", "10"])
def test_a_bad_stale_setting_is_refused_with_the_fix(monkeypatch, value):
    from workbench.errors import InputError
    from workbench.store import recovery

    monkeypatch.setenv("WORKBENCH_RUN_STALE_S", value)
    with pytest.raises(InputError) as err:
        recovery.stale_after_s()
    assert "WORKBENCH_RUN_STALE_S" in err.value.message and "120" in err.value.fix
    monkeypatch.setenv("WORKBENCH_RUN_STALE_S", "300")
    assert recovery.stale_after_s() == 300.0
