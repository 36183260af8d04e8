"""Labelling what matters first (issue 18): TREC pooling over rankings, Judged@k per run with its
warning, the Label page ordered by pool (depth and runs in the URL), and pickers/tables paged at
scale. Real store, real pages (AppTest), no mocks."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from workbench import compare, labelling
from workbench.compare import pooling
from workbench.errors import InputError
from workbench.model import CandidateSet, Document, Query, Result, Run

APP = str(Path(__file__).resolve().parent.parent / "app.py")

# two runs over two queries; q2 is ranked by run A only
RANKINGS = {
    "A": {"q1": ["a", "b", "c", "d", "e"], "q2": ["x", "y", "z"]},
    "B": {"q1": ["c", "a", "f", "b", "e"]},
}


def test_pool_is_the_union_of_the_top_k_in_pool_order():
    assert pooling.pool(RANKINGS, "q1", 1) == ["a", "c"]                   # rank 1 of A, then of B
    assert pooling.pool(RANKINGS, "q1", 2) == ["a", "c", "b"]              # B's 2nd (a) is A's 1st
    assert pooling.pool(RANKINGS, "q1", 3) == ["a", "c", "b", "f"]
    assert pooling.pool(RANKINGS, "q1", 3, runs=["B"]) == ["c", "a", "f"]
    assert pooling.pool(RANKINGS, "q2", 2) == ["x", "y"]                   # B lacks q2: A alone
    assert pooling.pool(RANKINGS, "q9", 5) == []
    with pytest.raises(InputError, match="at least 1"):
        pooling.pool(RANKINGS, "q1", 0)


def test_pool_order_puts_the_pool_first_then_deeper_then_unranked_candidates():
    assert pooling.pool_order(RANKINGS, "q1", 2) == ["a", "c", "b", "f", "d", "e"]
    # candidates: only these, and those no run ranked last in their own order
    assert pooling.pool_order(RANKINGS, "q1", 1, candidates=["e", "z1", "f", "a", "c", "z0"]) == \
        ["a", "c", "f", "e", "z1", "z0"]


def test_pool_frame_counts_judged_and_unjudged_per_query():
    labels = {"q1": {"a": 2, "f": 0, "zz": 1}, "q2": {}}
    frame = pooling.pool_frame(RANKINGS, labels, depth=3)
    assert frame.to_dict("records") == [
        {"query_id": "q1", "pool": 4, "judged": 2, "unjudged": 2},   # a, f judged (0 counts); c, b not
        {"query_id": "q2", "pool": 3, "judged": 0, "unjudged": 3}]
    assert pooling.pool_summary(frame) == {"pool": 7, "judged": 2, "unjudged": 5, "queries": 2, "queries_open": 2}


def test_judged_at_k_mean_below_threshold_and_min_per_run():
    labels = {"q1": {"a": 1, "b": 0, "c": 2}, "q2": {"x": 0}}
    j = pooling.judged_at_k(RANKINGS, labels, k=2)
    # A: q1 top2 a,b both judged (1.0); q2 x,y: 1 of 2 (0.5) -> mean 0.75, none below 0.5
    assert j.loc["A", "Judged@2"] == pytest.approx(0.75) and j.loc["A", "n_below"] == 0
    assert j.loc["A", "min"] == pytest.approx(0.5) and j.loc["A", "n_queries"] == 2
    # B: q1 top2 c,a judged -> 1.0
    assert j.loc["B", "Judged@2"] == pytest.approx(1.0) and j.loc["B", "n_queries"] == 1
    j3 = pooling.judged_at_k(RANKINGS, labels, k=3, threshold=0.9)
    assert j3.loc["A", "n_below"] == 1                                 # q2: 1 of 3
    assert j3.loc["B", "n_below"] == 1                                 # q1: c, a judged, f not: 2/3
    only_q1 = pooling.judged_at_k(RANKINGS, labels, k=2, queries=["q1"])
    assert only_q1.loc["A", "n_queries"] == 1 and only_q1.loc["A", "Judged@2"] == pytest.approx(1.0)


def _run(name, qid, order, rid):
    return Run("i", "lexical", "bm25", query_id=qid, name=name, status="done", id=rid,
               scores=[Result(d, 1.0 / (i + 1), i + 1) for i, d in enumerate(order)])


def test_metrics_carry_judged_at_k_and_warn_in_words_when_judgements_are_thin():
    runs = [_run("well judged", "q1", ["a", "b", "c", "d"], 1), _run("well judged", "q2", ["x", "y", "z", "w"], 2),
            _run("thin", "q1", ["d", "e", "f", "a"], 3), _run("thin", "q2", ["w", "v", "u", "x"], 4)]
    labels = {"q1": {"a": 2, "b": 0, "c": 1}, "q2": {"x": 1, "y": 0, "z": 0}}
    res = compare.metrics(runs, labels, k=3)
    assert res.judged.loc["well judged", "Judged@3"] == pytest.approx(1.0)
    assert res.judged.loc["thin", "Judged@3"] == pytest.approx(0.0)
    assert res.judged.loc["thin", "n_below"] == 2
    for run in ("well judged", "thin"):                                 # the table's column is the same number
        assert res.table.loc[run, "Judged@3"] == pytest.approx(res.judged.loc[run, "Judged@3"])
    warnings = res.judged_warnings()
    assert len(warnings) == 1
    assert warnings[0].startswith("NDCG@3 of run “thin” rests on 0% judged documents")
    assert "below 50% on 2 of 2 queries" in warnings[0] and "Order by pool" in warnings[0]
    # the bar is a setting of the call, and 中文 says it too
    assert len(compare.metrics(runs, labels, k=3, judged_threshold=0.0).judged_warnings()) == 0
    from workbench.i18n import set_language

    set_language("zh")
    try:
        assert "只建立在 0% 的已标注文档之上" in res.judged_warnings("MAP")[0]
    finally:
        set_language("en")


def test_the_cli_compare_prints_the_judged_warning(store, capsys):
    from workbench.cli import main

    info = store.create_session("thin")
    for q, docs in (("q1", "abcdef"), ("q2", "uvwxyz")):
        sid = store.save_candidate_set(info.id, CandidateSet(Query(q, q), [Document(d, d) for d in docs]))
        store.set_label(sid, docs[-1], 2)                   # one judged document, last in every run
        store.create_run(sid, Run("i", "lexical", "bm25", name="bm25", status="done",
                                  scores=[Result(d, 1.0 / (i + 1), i + 1) for i, d in enumerate(docs)]))
    assert main(["compare", "--session", "thin", "--k", "5"]) == 0
    out = capsys.readouterr().out
    assert "Judged@5" in out
    assert "warning: NDCG@5 of run “bm25” rests on 0% judged documents" in out
    # mostly judged, one thin query: a note, not a warning
    for s in store.list_candidate_sets(info.id):
        if s.query_id == "q1":
            for d in "abcde":
                store.set_label(s.id, d, 1)
    assert main(["compare", "--session", "thin", "--k", "5"]) == 0
    out = capsys.readouterr().out
    assert "warning: NDCG@5" not in out
    assert "note: 'bm25': Judged@5 is below 50% on 1 of 2 queries (Label page, Order by pool)." in out


def test_pool_queue_orders_a_set_by_pool_and_counts_what_is_left(store):
    info = store.create_session("pool")
    sid = store.save_candidate_set(info.id, CandidateSet(Query("q1", "shoes"), [Document(d, d) for d in "abcdefg"]))
    runs = [_run("A", "q1", ["e", "d", "c"], 1), _run("B", "q1", ["f", "e", "a"], 2)]
    rankings, ids = labelling.query_rankings(runs)
    assert rankings == {"A": {"q1": ["e", "d", "c"]}, "B": {"q1": ["f", "e", "a"]}} and ids == {"A": [1], "B": [2]}
    cset = store.load_candidate_set(sid)
    queue, pooled = labelling.pool_queue(cset, rankings, 2)
    assert pooled == ["e", "f", "d"]
    assert queue == ["e", "f", "d", "c", "a", "b", "g"]                 # pool, deeper, then set order
    queue, pooled = labelling.pool_queue(cset, rankings, 2, ["B"], labels={"f": 1}, unlabelled_only=True)
    assert pooled == ["f", "e"] and queue == ["e", "a", "b", "c", "d", "g"]
    assert labelling.pool_unjudged(pooled, {"f": 1}) == ["e"]


# ----------------------------------------------------------------- the pages

def _app():
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(APP, default_timeout=90)


def _ok(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _pool_session(store):
    info = store.create_session("pool page")
    sid = store.save_candidate_set(info.id, CandidateSet(Query("q1", "red shoes"),
                                                         [Document(d, f"doc {d}") for d in "abcdefgh"]))
    a = store.create_run(sid, Run("i", "lexical", "bm25", name="web", status="done",
                                  scores=[Result(d, 1.0 / (i + 1), i + 1) for i, d in enumerate("hgfedcba")]))
    b = store.create_run(sid, Run("j", "lexical", "bm25", name="qa", status="done",
                                  scores=[Result(d, 1.0 / (i + 1), i + 1) for i, d in enumerate("bcadefgh")]))
    store.set_label(sid, "h", 1)
    return info, sid, a, b


def test_label_page_orders_by_pool_from_the_url_and_keeps_it_there(store):
    info, sid, a, b = _pool_session(store)
    at = _app()
    for key, value in {"session": str(info.id), "set": str(sid), "pool": "2", "pool_runs": f"{a},{b}"}.items():
        at.query_params[key] = value
    _ok(at.switch_page("pages/label_page.py").run())
    assert next(w for w in at.toggle if w.key == "lab_pool_on").value is True
    assert next(w for w in at.number_input if w.key == "lab_pool_depth").value == 2
    assert sorted(next(w for w in at.multiselect if w.key == "lab_pool_runs").value) == ["qa", "web"]
    # pool at depth 2: h, b (rank 1), g, c (rank 2); h is graded: the first unjudged is b
    assert any("id b" in c.value for c in at.caption), [c.value for c in at.caption]
    assert any("3 of 4 documents still unjudged" in c.value for c in at.caption)
    # one run only, deeper pool: in the URL as that run's id
    at.multiselect(key="lab_pool_runs").set_value(["qa"]).run()
    at.number_input(key="lab_pool_depth").set_value(3).run()
    _ok(at)
    assert any("3 of 3 documents still unjudged" in c.value for c in at.caption)
    at.button(key="lab_grade_2").click().run()             # grading moves on within the pool order
    _ok(at)
    # what app.py's sync_url writes into the URL (?pool=3&pool_runs=<qa's id>&doc=c)
    assert (at.session_state["pool_depth"], at.session_state["pool_run_ids"]) == (3, [b])
    assert at.session_state["label_doc"] == "c"           # pool order at depth 3 over qa: b, c, a
    assert store.get_labels(sid)["b"].grade == 2
    at.button(key="lab_pool_count").click().run()           # the whole session's pool, on demand
    _ok(at)
    assert any("2 of 3 pool documents still unjudged, in 1 of 1 queries" in c.value for c in at.caption)
    # off: set order again, and the URL forgets the pool
    at.toggle(key="lab_pool_on").set_value(False).run()
    _ok(at)
    assert at.session_state["pool_depth"] is None
    assert not any("still unjudged" in c.value for c in at.caption)


def test_pickers_and_tables_are_paged_and_searchable_past_a_page(store):
    import ui.paging as paging

    assert paging.search(["red shoes", "Blue hat", "red hat"], "HAT red") == ["red hat"]
    assert paging.page_slice(250, 3) == slice(200, 250) and paging.page_slice(250, 99) == slice(200, 250)
    info = store.create_session("many")
    sets = [CandidateSet(Query(f"q{i:04d}", f"query number {i}"), [Document("d1", "x"), Document("d2", "y")])
            for i in range(paging.PAGE_SIZE + 10)]
    from workbench import service

    service.save_sets(store, info.id, sets)
    at = _app()
    at.query_params["session"] = str(info.id)
    _ok(at.switch_page("pages/label_page.py").run())
    picker = next(w for w in at.selectbox if w.key == "lab_set")
    assert len(picker.options) <= paging.PAGE_SIZE + 1              # a page, not 230 options
    at.text_input(key="lab_set_search").input("number 107").run()
    _ok(at)
    picker = next(w for w in at.selectbox if w.key == "lab_set")
    assert any("q0107" in o for o in picker.options) and len(picker.options) <= 2
    picker.select(picker.options[-1]).run()
    _ok(at)
    assert "q0107" in " ".join(m.value for m in at.markdown) or "query number 107" in " ".join(
        m.value for m in at.markdown)
    # the progress table: a page of rows at a time
    frames = [d for d in at.dataframe]
    assert frames and all(len(f.value) <= paging.PAGE_SIZE for f in frames)
    # the OCR page's set picker is the same paged one, and so is every page's (ui.state.set_picker)
    _ok(at.switch_page("pages/ocr_page.py").run())
    assert len(next(w for w in at.selectbox if w.key == "ocr_set").options) <= paging.PAGE_SIZE + 1
    _ok(at.switch_page("pages/rerank_page.py").run())
    assert all(len(w.options) <= paging.PAGE_SIZE + 1 for w in at.selectbox)
    # the Matrix page's query picker, on a run over every query
    for s in store.list_candidate_sets(info.id):
        store.create_run(s.id, Run("i", "lexical", "bm25", query_id=s.query_id, name="bm25", status="done",
                                   scores=[Result("d1", 0.9, 1), Result("d2", 0.1, 2)]))
    _ok(at.switch_page("pages/matrix_page.py").run())
    query_picker = next(w for w in at.selectbox if w.key == "mx_query")
    assert len(query_picker.options) <= paging.PAGE_SIZE + 1
    at.text_input(key="mx_query_search").input("q0109").run()
    _ok(at)
    query_picker = next(w for w in at.selectbox if w.key == "mx_query")
    query_picker.select("q0109").run()
    _ok(at)
    assert at.session_state["query"] == "q0109"


def test_small_sessions_keep_the_plain_picker():
    import ui.paging as paging

    assert paging.pages_of(0) == 1 and paging.pages_of(paging.PAGE_SIZE) == 1
    assert paging.pages_of(paging.PAGE_SIZE + 1) == 2
    frame = pd.DataFrame({"x": range(5)})
    assert list(paging.search(frame["x"].tolist(), "")) == [0, 1, 2, 3, 4]


def test_compare_page_warns_when_a_metric_rests_on_few_judgements(store):
    info = store.create_session("thin")
    sid = store.save_candidate_set(info.id, CandidateSet(Query("q1", "q"), [Document(d, d) for d in "abcdefgh"]))
    store.set_label(sid, "h", 2)                      # 1 judged document of 8
    ids = [store.create_run(sid, Run(ins, "lexical", "bm25", name=name, status="done",
                                     scores=[Result(d, 1.0 / (i + 1), i + 1) for i, d in enumerate(order)]))
           for name, ins, order in (("web", "i", "abcdefgh"), ("qa", "j", "hgfedcba"))]
    at = _app()
    for key, value in {"session": str(info.id), "set": str(sid), "runs": ",".join(map(str, ids))}.items():
        at.query_params[key] = value
    _ok(at.switch_page("pages/compare_page.py").run())
    warnings = [w.value.replace("\u2060", "").replace("\\", "") for w in at.warning]
    for run in ("web", "qa"):
        assert any(w.startswith(f"NDCG@10 of run “{run}” rests on 12% judged documents") and "Order by pool" in w
                   for w in warnings), warnings
