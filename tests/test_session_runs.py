"""A run is one configuration over many queries: a whole session reranked as ONE run (one job,
one progress, one cancel), names unique per session, re-runs adding rankings, resume after cancel.
BM25 for the lifecycle; the tiny real Qwen-VL checkpoint for batching across queries."""

from __future__ import annotations

import threading

import pytest

from workbench import service
from workbench.errors import InputError
from workbench.model import CandidateSet, Document, Query
from workbench.rerank.lexical import LexicalReranker
from workbench.store.api import Store

A = "Find documents about solar panels"
B = "Which documents explain battery storage"
WORDS = ["solar", "panel", "battery", "storage", "wind", "hydro", "roof", "grid", "cost", "home"]


def _session(store: Store, n_queries: int = 12, n_docs: int = 5) -> int:
    sess = store.create_session("many")
    for q in range(n_queries):
        docs = [Document(f"q{q}-d{d}", " ".join(WORDS[(q + d + k) % len(WORDS)] for k in range(3)))
                for d in range(n_docs)]
        store.save_candidate_set(sess.id, CandidateSet(Query(f"q{q}", f"{WORDS[q % 10]} {WORDS[(q + 3) % 10]}"),
                                                       docs))
    return sess.id


@pytest.fixture()
def store(tmp_path):
    with Store(tmp_path / "wb.db") as s:
        yield s


def test_two_instructions_over_a_session_are_exactly_two_runs(store):
    sid = _session(store)
    bm25 = LexicalReranker()
    seen: list[tuple[int, int]] = []
    a = service.rerank_run(store, sid, A, bm25, name="solar", progress=lambda d, t: seen.append((d, t)))
    b = service.rerank_run(store, sid, B, bm25)
    runs = store.list_run_infos(sid)
    assert [(r.name, r.n_rankings, r.status) for r in runs] == [("solar", 12, "done"), (f"lexical: {B}", 12, "done")]
    assert (a.id, b.id) == (runs[0].id, runs[1].id)
    assert store.get_session(sid).n_runs == 2
    # one progress over every document of every query, ending at the total
    assert seen and seen[-1] == (60, 60) and all(d2 >= d1 for (d1, _), (d2, _) in zip(seen, seen[1:]))
    # each ranking equals a per-query BM25 ranking of the same set
    for g in store.run_rankings(a.id)[:3]:
        cset = store.load_candidate_set(g.set_id)
        direct = bm25.rank(cset.query, cset.documents, A)
        assert [(s.doc_id, s.rank) for s in store.load_run(g.id).scores] == [(r.doc_id, r.rank) for r in direct]


def test_names_are_unique_and_a_rerun_adds_rankings_or_makes_a_new_run(store):
    sid = _session(store)
    sets = [s.id for s in store.list_candidate_sets(sid)]
    bm25 = LexicalReranker()
    first = service.rerank_run(store, sid, A, bm25, name="solar", set_ids=sets[:5])
    assert first.n_rankings == 5
    # the same configuration on new queries: added to the run (the analyst's choice) ...
    grown = service.rerank_run(store, sid, A, bm25, run_id=first.id, set_ids=sets[:8])
    assert (grown.id, grown.n_rankings) == (first.id, 8)
    # ... or a new run; the name stays unique
    again = service.rerank_run(store, sid, A, bm25, name="solar", set_ids=sets[:2])
    assert again.name == "solar (2)" and again.n_rankings == 2
    with pytest.raises(InputError) as err:
        store.create_session_run(sid, instruction=B, backend="lexical", model_id="bm25", name="solar", unique=False)
    assert err.value.code == "runs.name_taken"
    # adding to a run with another configuration is refused, nothing written
    with pytest.raises(InputError) as err:
        service.rerank_run(store, sid, B, bm25, run_id=first.id)
    assert err.value.code == "resume.other_settings" and store.get_run_info(first.id).n_rankings == 8
    # a per-query ranking of the same name and configuration joins the run that lacks that query
    one = service.rerank_set(store, sets[9], A, bm25, name="solar")
    assert one.run_id == first.id and store.get_run_info(first.id).n_rankings == 9


def test_cancelled_whole_session_run_keeps_finished_rankings_and_resumes(store):
    sid = _session(store, n_queries=10)
    bm25 = LexicalReranker()
    stop = threading.Event()
    rankings_seen = []

    def progress(done: int, total: int) -> None:
        rankings_seen.append(done)
        if done >= 20:               # after 4 of 10 queries (5 documents each)
            stop.set()

    run = service.rerank_run(store, sid, A, bm25, name="part", progress=progress, cancel=stop, chunk=3, per_tx=2)
    assert run.status == "cancelled" and run.n_rankings == 10          # the run's scope: 10 queries
    kept = [g for g in store.run_rankings(run.id) if g.status == "done"]
    assert 4 <= len(kept) < 10 and run.n_done == len(kept)
    assert all(len(store.load_run(g.id).scores) == 5 for g in kept)
    rest = [g for g in store.run_rankings(run.id) if g.status != "done"]
    assert {g.status for g in rest} == {"pending"} and not any(store.load_run(g.id).scores for g in rest)
    assert [r.name for r in store.list_run_infos(sid)] == ["part"]      # still one run
    # pending rankings are not compared (nothing scored yet)
    assert set(service.session_run_ids(store, sid)) == {g.id for g in kept}
    resumed = service.resume_session_run(store, run.id, bm25)
    assert (resumed.id, resumed.n_rankings, resumed.status) == (run.id, 10, "done")
    assert sorted(g.query_id for g in store.run_rankings(run.id)) == sorted(f"q{i}" for i in range(10))
    # the kept rankings were not scored again
    assert {g.id for g in kept} <= {g.id for g in store.run_rankings(run.id)}


def test_run_note_and_delete_act_on_the_whole_run(store):
    sid = _session(store, n_queries=4)
    bm25 = LexicalReranker()
    run = service.rerank_run(store, sid, A, bm25, name="solar")
    other = service.rerank_run(store, sid, B, bm25, name="battery")
    assert service.note_run(store, run.id, "  looks good ").note == "looks good"
    assert {g.note for g in store.run_rankings(run.id)} == {"looks good"}
    # one ranking can still be deleted on its own
    first = store.run_rankings(run.id)[0]
    service.delete_run(store, first.id)
    assert store.get_run_info(run.id).n_rankings == 3
    gone = service.delete_whole_run(store, run.id)
    assert gone.name == "solar"
    assert [r.name for r in store.list_run_infos(sid)] == ["battery"]
    assert store.get_run_info(other.id).n_rankings == 4


def test_one_run_batches_across_queries_on_the_tiny_model(store, tiny_checkpoint):
    from workbench import get_reranker

    sid = _session(store, n_queries=6, n_docs=3)
    rr = get_reranker("qwen-vl", model_path=tiny_checkpoint, batch_size=8)
    run = service.rerank_run(store, sid, A, rr, name="tiny", chunk=4, per_tx=3)
    assert (run.n_rankings, run.status, run.backend) == (6, "done", "qwen-vl")
    for g in store.run_rankings(run.id)[:2]:
        cset = store.load_candidate_set(g.set_id)
        direct = rr.rank(cset.query, cset.documents, A)
        stored = {s.doc_id: s.score for s in store.load_run(g.id).scores}
        assert stored == pytest.approx({r.doc_id: r.score for r in direct}, abs=1e-5)
