"""Migration m009 on a database made by the previous release (per-set runs, git 7bf7cf7):
runs become one configuration over many queries, per-set runs become their rankings.

tests/data/prev_release/runs_m008.db was built by tests/data/prev_release/make_db.py with that
release's code; the *_m008.* files next to it are its exports, made by that release too.
"""

from __future__ import annotations

import io
import shutil
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from workbench import service
from workbench.model import Result, Run
from workbench.store.api import Store

DATA = Path(__file__).parent / "data" / "prev_release"
B = "lexical: Which documents explain battery storage"
E = "lexical: Anything about geothermal heat"


@pytest.fixture()
def old_db(tmp_path) -> Path:
    path = tmp_path / "prev.db"
    shutil.copy(DATA / "runs_m008.db", path)
    return path


def _old_rows(path: Path) -> tuple[dict, dict, list]:
    con = sqlite3.connect(path)
    try:
        runs = {r[0]: r[1:] for r in con.execute("SELECT id, set_id, query_id, name, status, note FROM runs")}
        scores: dict[int, list] = {}
        for run_id, doc, score, rank, pos in con.execute(
                "SELECT run_id, doc_id, score, rank, position FROM scores ORDER BY run_id, doc_id"):
            scores.setdefault(run_id, []).append((doc, score, rank, pos))
        labels = con.execute("SELECT set_id, doc_id, grade, note FROM labels ORDER BY set_id, doc_id").fetchall()
        notes = con.execute("SELECT set_id, doc_id, note FROM doc_notes").fetchall()
    finally:
        con.close()
    return runs, scores, labels + notes


def test_previous_release_runs_become_runs_over_queries(old_db):
    old_runs, old_scores, old_labels = _old_rows(old_db)
    assert len(old_runs) == 14                     # really the per-set layout: one row per query
    with Store(old_db) as store:
        assert store.migrations_applied == ["m009_runs_over_queries", "m010_annotators"]
        runs = store.list_run_infos("bench")
        by_name = {r.name: r for r in runs}
        # identical configurations became one run; a re-run, a name clash: their own runs
        assert list(by_name) == ["alpha", "alpha (2)", B, "clash", "clash (2)", E, "first-stage"]
        queries = {r.name: [g.query_id for g in store.run_rankings(r.id)] for r in runs}
        assert queries == {"alpha": ["q1", "q2", "q3"], "alpha (2)": ["q1"], B: ["q1", "q2", "q3"],
                           "clash": ["q1"], "clash (2)": ["q2"], E: ["q3"], "first-stage": ["q1", "q2", "q3"]}
        assert by_name["clash"].instruction == "Rank by relevance to wind power"
        assert by_name["clash (2)"].instruction == "Rank by relevance to hydro power"
        assert {r.name: r.status for r in runs} == {
            "alpha": "done", "alpha (2)": "done", B: "done", "clash": "done", "clash (2)": "done",
            E: "cancelled", "first-stage": "imported"}
        # notes: both per-query notes of alpha are kept, the clash's stays with its own config
        assert by_name["alpha"].note == "alpha note on q1\nalpha note on q2"
        assert by_name["clash (2)"].note == "hydro clash" and by_name["clash"].note == ""
        # other sessions keep their own runs (names are unique per session)
        assert [(r.name, r.n_rankings) for r in store.list_run_infos("other")] == [("alpha", 1)]
        assert store.get_session("bench").n_runs == 7
        # every per-set run kept its id as a ranking id, with the same scores
        rankings = store.list_runs()
        assert sorted(g.id for g in rankings) == sorted(old_runs)
        for g in rankings:
            set_id, query_id, _name, status, _note = old_runs[g.id]
            assert (g.set_id, g.query_id, g.status) == (set_id, query_id, status)
            loaded = store.load_run(g.id)
            assert sorted((s.doc_id, s.score, s.rank, s.index) for s in loaded.scores) == old_scores.get(g.id, [])
        cancelled = store.load_run(next(g.id for g in rankings if g.name == E))
        assert {s.doc_id for s in cancelled.scores} == {"q3-d1", "q3-d3"}          # the 2 it had scored
        assert sorted(s.rank for s in cancelled.scores) == [1, 2]
        # labels and document notes untouched
        with sqlite3.connect(old_db) as con:
            labels = con.execute("SELECT set_id, doc_id, grade, note FROM labels ORDER BY set_id, doc_id").fetchall()
            notes = con.execute("SELECT set_id, doc_id, note FROM doc_notes").fetchall()
        assert labels + notes == old_labels
        assert store.get_notes(3) == {"q3-d2": "check this one"}
        assert {d: lab.grade for d, lab in store.get_labels(1).items()} == {"q1-d0": 2, "q1-d1": 0}


def _frame(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), keep_default_na=False, dtype=str)


def test_exports_after_migration_hold_the_same_content(old_db):
    with Store(old_db) as store:
        rankings = store.list_runs("bench")
        to_run = {str(g.id): str(g.run_id) for g in rankings}           # old per-set run id -> its run
        names = {g.run_id: g.name for g in rankings}
        notes = {g.run_id: g.note for g in rankings}
        tidy = _frame(service.export_tidy(store, session="bench", fmt="csv")[0])
        ranked = _frame(service.export_runs(store, session="bench")[0])
        qrels = service.export_qrels(store, "bench")
        trec = service.export_trec_run(store, session="bench").decode()
    old_tidy = _frame((DATA / "tidy_m008.csv").read_bytes())
    old_ranked = _frame((DATA / "ranked_m008.csv").read_bytes())
    # exports name runs now: the per-set run ids of the previous release become their run's id
    assert len(set(tidy["run_id"])) == 7 and len(set(old_tidy["run_id"])) == 13
    for old in (old_tidy, old_ranked):
        old["run_id"] = old["run_id"].map(to_run)
    # the same rows, column for column; only a run's name and note are now the run's
    for new, old in ((tidy, old_tidy), (ranked, old_ranked)):
        assert list(new.columns) == list(old.columns)
        keep = [c for c in old.columns if c not in ("run_name", "run_note")]
        key = ["run_id", "query_id", "doc_id", "score"]
        assert new[keep].sort_values(key).reset_index(drop=True).equals(
            old[keep].sort_values(key).reset_index(drop=True))
        assert (new["run_name"] == new["run_id"].astype(int).map(names)).all()
    assert (tidy["run_note"] == tidy["run_id"].astype(int).map(notes)).all()
    assert qrels == (DATA / "qrels_m008.txt").read_bytes()
    # TREC: the same (query, document, rank, score) lines; tags now name runs (one tag per run)
    body = lambda text: sorted(tuple(line.split()[:5]) for line in text.splitlines())  # noqa: E731
    assert body(trec) == body((DATA / "run_m008.trec").read_text())


def test_migrated_runs_resume_and_grow_like_new_ones(old_db):
    from workbench.rerank.lexical import LexicalReranker

    bm25 = LexicalReranker()
    with Store(old_db) as store:
        runs = {r.name: r for r in store.list_run_infos("bench")}
        # the cancelled per-set run (2 of 4 documents): resumed, its ranking is complete
        part = runs[E]
        done = service.resume_session_run(store, part.id, bm25)
        assert (done.status, done.n_rankings) == ("done", 1)
        ranking = store.run_rankings(part.id)[0]
        assert ranking.id == 10 and len(store.load_run(ranking.id).scores) == 4
        # "alpha (2)" (a re-run on q1) grows to the session's other queries when asked
        grown = service.rerank_run(store, "bench", "Find documents about solar panels", bm25,
                                   run_id=runs["alpha (2)"].id, set_ids=[1, 2, 3])
        assert grown.n_rankings == 3 and grown.status == "done"
        # the imported run cannot be resumed
        with pytest.raises(Exception) as err:
            service.resume_session_run(store, runs["first-stage"].id, bm25)
        assert getattr(err.value, "code", "") == "resume.imported"


def test_m009_on_postgresql_groups_runs_and_new_ids_follow(pg_url):
    """The same migration on PostgreSQL: per-set runs written at m008, grouped by m009; the
    identity columns continue after the ids the migration gave (a new run and ranking insert)."""
    from sqlalchemy import text

    from workbench.store.engine import ServerDb, make_server_engine
    from workbench.store.migrations import migrate

    engine = make_server_engine(ServerDb(pg_url))
    try:
        migrate(engine, pg_url, upto="m008_scores_rank_while_scoring")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO sessions (id, name, description, created_at) VALUES (1, 's', '', 'x')"))
            for set_id, qid in ((1, "q1"), (2, "q2")):
                conn.execute(text("INSERT INTO candidate_sets (id, session_id, name, created_at) "
                                  "VALUES (:id, 1, :q, 'x')"), {"id": set_id, "q": qid})
                conn.execute(text("INSERT INTO queries (set_id, query_id, text) VALUES (:id, :q, 't')"),
                             {"id": set_id, "q": qid})
                conn.execute(text("INSERT INTO documents (set_id, doc_id, position, text) VALUES "
                                  "(:id, 'a', 0, 'a'), (:id, 'b', 1, 'b')"), {"id": set_id})
            rows = [(1, 1, "q1", "alpha", "A"), (2, 2, "q2", "alpha", "A"), (3, 1, "q1", "alpha", "A"),
                    (4, 1, "q1", "clash", "C"), (5, 2, "q2", "clash", "D")]
            for rid, set_id, qid, name, instr in rows:
                conn.execute(text(
                    "INSERT INTO runs (id, set_id, query_id, name, instruction, backend, model_id, params, status, "
                    "note) VALUES (:id, :set_id, :qid, :name, :instr, 'lexical', 'bm25', :params, 'done', :note)"),
                    {"id": rid, "set_id": set_id, "qid": qid, "name": name, "instr": instr,
                     "params": '{"k1": 1.5}', "note": f"n{rid}" if rid in (1, 2) else ""})
                conn.execute(text("INSERT INTO scores (run_id, doc_id, score, rank, position) VALUES "
                                  "(:id, 'a', 0.9, 1, 0), (:id, 'b', 0.1, 2, 1)"), {"id": rid})
    finally:
        engine.dispose()
    with Store(pg_url) as store:
        assert store.migrations_applied == ["m009_runs_over_queries", "m010_annotators"]
        runs = store.list_run_infos("s")
        assert [(r.name, r.n_rankings, r.note, r.params) for r in runs] == [
            ("alpha", 2, "n1\nn2", {"k1": 1.5}), ("alpha (2)", 1, "", {"k1": 1.5}),
            ("clash", 1, "", {"k1": 1.5}), ("clash (2)", 1, "", {"k1": 1.5})]
        assert sorted(g.id for g in store.list_runs("s")) == [1, 2, 3, 4, 5]
        assert [(s.doc_id, s.rank) for s in store.load_run(3).scores] == [("a", 1), ("b", 2)]
        fresh = store.create_session_run("s", instruction="B", backend="lexical", model_id="bm25")
        ranking = store.create_run(2, Run("B", "lexical", "bm25", status="done",
                                          scores=[Result("a", 0.5, 1, 0)]), run_id=fresh.id)
        assert fresh.id == 5 and ranking == 6
