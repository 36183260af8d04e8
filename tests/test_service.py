"""workbench.service: the orchestration pages and CLI share, on the real store and BM25."""

from __future__ import annotations

import threading

import pytest

from workbench import service
from workbench.errors import InputError
from workbench.model import CandidateSet, Document, Instruction, Query
from workbench.rerank.registry import get_reranker
from workbench.store import Store

DOCS = [
    ("d1", "khaki cargo jacket with many pockets"),
    ("d2", "dark blue slim denim jacket, washed finish"),
    ("d3", "light blue loose denim shirt"),
    ("d4", "red wool scarf"),
    ("d5", "denim jeans, straight leg"),
]


@pytest.fixture()
def stored():
    store = Store()
    sess = store.create_session("svc")
    cset = CandidateSet(Query("q1", text="denim jacket"),
                        [Document(i, text=t) for i, t in DOCS], name="jackets")
    return store, store.save_candidate_set(sess.id, cset)


def test_rerank_set_saves_a_finished_run(stored):
    store, set_id = stored
    progress: list[tuple[int, int]] = []
    run = service.rerank_set(store, set_id, Instruction("Find denim jackets", template="web",
                                                        precise=True),
                             get_reranker("lexical"), progress=lambda d, t: progress.append((d, t)))
    assert run.status == "done"
    assert run.instruction == "Find denim jackets. Be precise and avoid vague terms"
    assert run.name == "web + precise"
    assert [s.rank for s in sorted(run.scores, key=lambda s: s.rank)] == [1, 2, 3, 4, 5]
    assert run.ranking()[0] == "d2"
    assert progress[-1] == (5, 5)
    assert "total_s" in run.timings
    again = store.list_runs(set_id=set_id)
    assert [r.id for r in again] == [run.id]


def test_bm25_progress_counts_tokenising_and_never_goes_back(stored):
    store, set_id = stored
    seen = []
    service.rerank_set(store, set_id, "denim", get_reranker("lexical", batch_size=2),
                       progress=lambda d, t: seen.append(d))
    assert seen == sorted(seen) and seen[-1] == len(DOCS) and len(set(seen)) >= len(DOCS)


def test_rerank_set_keeps_partial_scores_when_cancelled(stored, tiny_checkpoint):
    store, set_id = stored
    cancel = threading.Event()
    reranker = get_reranker("qwen-vl", model_path=str(tiny_checkpoint), device="cpu", batch_size=2)

    def progress(done, total):
        if done >= 2:
            cancel.set()

    run = service.rerank_set(store, set_id, "denim", reranker, progress=progress, cancel=cancel)
    assert run.status == "cancelled"
    assert 0 < len(run.scores) < len(DOCS)
    ranks = sorted(s.rank for s in run.scores)
    assert ranks == list(range(1, len(run.scores) + 1))


def test_rerank_set_marks_failed_runs(stored, monkeypatch):
    store, set_id = stored
    reranker = get_reranker("lexical")

    def boom(*a, **k):
        raise RuntimeError("backend crashed")

    monkeypatch.setattr(reranker, "_score_batch", boom)
    with pytest.raises(RuntimeError):
        service.rerank_set(store, set_id, "denim", reranker)
    (run,) = store.list_runs(set_id=set_id)
    assert run.status == "failed"


def test_rerank_many_runs_every_instruction(stored):
    store, set_id = stored
    seen = []
    runs = service.rerank_many(store, [set_id], ["denim jacket", "scarf"], get_reranker("bm25"),
                               progress=lambda d, t: seen.append((d, t)))
    assert [r.instruction for r in runs] == ["denim jacket", "scarf"]
    assert all(r.status == "done" for r in runs)
    assert seen[-1] == (10, 10)


def test_docs_from_lines_skips_blank_lines_and_rejects_empty():
    docs = service.docs_from_lines("first doc\n\n  second doc  \n")
    assert [(d.id, d.text) for d in docs] == [("doc1", "first doc"), ("doc2", "second doc")]
    with pytest.raises(InputError) as err:
        service.docs_from_lines(" \n ")
    assert "one document per line" in err.value.fix


def test_import_runs_checks_everything_before_saving(stored):
    from workbench.model import Run, Result

    store, set_id = stored
    good = Run("ext", "imported", "other-system", query_id="q1",
               scores=[Result("d2", 0.9, 1), Result("d1", 0.1, 2)])
    bad = Run("ext", "imported", "other-system", query_id="q1", scores=[Result("nope", 0.5, 1)])
    with pytest.raises(InputError) as err:
        service.import_runs(store, "svc", [good, bad])
    assert "nope" in err.value.message and "doc_id" in err.value.fix
    assert store.list_runs(set_id=set_id) == []          # nothing half-imported
    with pytest.raises(InputError) as err:
        service.import_runs(store, "svc", [Run("ext", "imported", "x", query_id="q9")])
    assert "q9" in err.value.message and "q1" in err.value.fix
    (run_id,) = service.import_runs(store, "svc", [good])
    assert store.load_run(run_id).status == "imported"
    assert store.load_run(run_id).ranking() == ["d2", "d1"]


def test_export_runs_long_and_wide_with_labels(stored):
    import io

    import pandas as pd

    store, set_id = stored
    store.set_label(set_id, "d2", 2)
    service.rerank_many(store, [set_id], ["a", "b"], get_reranker("lexical"), names=["A", "B"])
    data, n = service.export_runs(store, session="svc", fmt="long", bom=True)
    assert data.startswith(b"\xef\xbb\xbf") and n == 10
    long = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert list(long.columns) == ["run_id", "run_name", "query_id", "doc_id", "rank", "score", "instruction",
                                  "backend", "model", "prompt_format", "label"]
    assert long.loc[long.doc_id == "d2", "label"].tolist() == [2, 2]
    assert sorted(long.run_name.unique()) == ["A", "B"] and long.run_id.nunique() == 2
    data, n = service.export_runs(store, session="svc", fmt="wide")
    assert n == 5
    with pytest.raises(InputError):
        service.export_runs(store, session="svc", fmt="xml")


def test_reimporting_the_same_sets_is_harmless(stored):
    store, set_id = stored
    again = CandidateSet(Query("q1", text="denim jacket"), [Document(i, text=t) for i, t in DOCS])
    changed = CandidateSet(Query("q1", text="denim jacket"),
                           [Document(i, text=t + " (new)") for i, t in DOCS])
    saved, same = service.save_sets(store, "svc", [again, changed])
    assert same == [set_id] and again.id == set_id
    assert len(saved) == 1 and saved[0] != set_id
    assert len(store.list_candidate_sets(store.get_session("svc").id)) == 2


def test_cli_import_twice_keeps_one_copy(tmp_path, capsys):
    from workbench.cli import main
    from workbench.config import SAMPLES_DIR

    src = SAMPLES_DIR / "kb" / "candidates.csv"
    assert main(["import", str(src), "--session", "kb"]) == 0
    assert main(["import", str(src), "--session", "kb"]) == 0
    assert "identical set already in the session" in capsys.readouterr().out
    store = Store()
    assert len(store.list_candidate_sets(store.get_session("kb").id)) == 2   # kb holds 2 queries


class _HostStop(BaseException):
    """What Streamlit raises inside a callback when the analyst clicks during a run."""


def test_a_run_stopped_from_outside_is_cancelled_with_consistent_ranks(stored, tiny_checkpoint):
    store, set_id = stored
    reranker = get_reranker("qwen-vl", model_path=str(tiny_checkpoint), device="cpu", batch_size=2,
                            token_budget=None)

    def progress(done, total):
        if done >= 4:
            raise _HostStop()

    with pytest.raises(_HostStop):
        service.rerank_set(store, set_id, "denim", reranker, progress=progress)
    (run,) = store.list_runs(set_id=set_id)
    run = store.load_run(run.id)
    assert run.status == "cancelled"
    assert len(run.scores) == 4
    by_rank = sorted(run.scores, key=lambda s: s.rank)
    assert [s.rank for s in by_rank] == [1, 2, 3, 4]
    assert [s.score for s in by_rank] == sorted((s.score for s in run.scores), reverse=True)


def test_stop_run_settles_a_run_left_running(stored):
    from workbench.model import Run, Result

    store, set_id = stored
    run_id = store.create_run(set_id, Run("x", "lexical", "bm25", status="running", query_id="q1"))
    # stale provisional ranks, as a process that died between batches leaves them
    store.add_scores(run_id, [Result("d1", 0.2, 1, 0), Result("d2", 0.9, 1, 1), Result("d3", 0.5, 2, 2)])
    run = service.stop_run(store, run_id)
    assert run.status == "cancelled"
    assert run.ranking() == ["d2", "d3", "d1"]
