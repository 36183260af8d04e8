"""Instruction x document matrix: rank/score per run, shifts vs a chosen baseline, rows where runs
disagree (shift >= k, label vs rank conflict, missing), the differences filter, stepping queries."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench import service
from workbench.compare import label_conflict, matrix_frame
from workbench.errors import InputError, NotFound
from workbench.model import CandidateSet, Document, Label, Query, Result, Run


def run(name: str, order: list[str], query_id: str = "q1", set_id: int | None = None, status="done") -> Run:
    return Run(f"instr {name}", "lexical", "bm25", name=name, query_id=query_id, set_id=set_id, status=status,
               scores=[Result(d, round(1 - 0.1 * i, 2), i + 1) for i, d in enumerate(order)])


DOCS = ["a", "b", "c", "d", "e", "f"]
CSET = CandidateSet(Query("q1", "red shoes"), [Document(d, f"text {d}", image=f"/img/{d}.png" if d < "c" else None)
                                              for d in DOCS])


def test_cells_shifts_and_disagreement_against_the_first_run():
    runs = [run("A", DOCS), run("B", ["a", "b", "c", "d", "f", "e"]), run("C", ["e", "a", "b", "c", "d", "f"])]
    view = matrix_frame(runs, CSET, k=3)
    f = view.frame.set_index("doc_id")
    assert list(view.frame.doc_id) == DOCS                              # baseline order
    assert (f.loc["a", "image"], f.loc["a", "text"], f.loc["d", "image"]) == ("/img/a.png", "text a", "")
    assert list(f["A rank"]) == [1, 2, 3, 4, 5, 6] and f.loc["e", "C rank"] == 1 and f.loc["e", "C score"] == 1.0
    assert f.loc["e", "C shift"] == 4 and f.loc["e", "B shift"] == -1 and f.loc["a", "C shift"] == -1
    assert "A shift" not in f.columns and view.shift_columns() == ["B shift", "C shift"]
    assert list(view.only_differences().doc_id) == ["e"]               # only e moves >= 3 places
    assert "moved +4 in C" in f.loc["e", "why"]
    # k = 1: every row some run moves
    assert set(matrix_frame(runs, CSET, k=1).only_differences().doc_id) == {"a", "b", "c", "d", "e", "f"}


def test_changing_the_baseline_recomputes_shifts():
    runs = [run("A", DOCS), run("B", ["a", "b", "c", "d", "f", "e"]), run("C", ["e", "a", "b", "c", "d", "f"])]
    view = matrix_frame(runs, CSET, baseline="C", k=3)
    f = view.frame.set_index("doc_id")
    assert view.baseline == "C" and list(view.frame.doc_id)[0] == "e"     # rows follow C's order
    assert view.shift_columns() == ["A shift", "B shift"]
    assert f.loc["e", "A shift"] == -4 and f.loc["e", "B shift"] == -5
    assert list(view.only_differences().doc_id) == ["e"]
    with pytest.raises(InputError, match="not among the compared runs"):
        matrix_frame(runs, CSET, baseline="Z")
    with pytest.raises(InputError, match="at least 1"):
        matrix_frame(runs, CSET, k=0)


def test_label_vs_rank_conflicts_and_notes():
    labels = {"a": Label("q1", "a", 2, "spot on"), "b": Label("q1", "b", 1), "c": Label("q1", "c", 0),
              "f": Label("q1", "f", 2)}
    # R = 3 relevant (a, b, f); A puts c (graded 0) 3rd and f (graded 2) 6th; B fixes both
    runs = [run("A", DOCS), run("B", ["a", "f", "b", "d", "e", "c"])]
    view = matrix_frame(runs, CSET, labels, k=10, notes={"d": "check the size"})
    f = view.frame.set_index("doc_id")
    assert view.relevant == 3
    assert (f.loc["a", "label"], f.loc["a", "note"], f.loc["d", "note"]) == (2, "spot on", "check the size")
    assert pd.isna(f.loc["d", "label"])
    assert f.loc["c", "conflicts"] == "A" and "graded 0 but ranked 3" in f.loc["c", "why"]
    assert f.loc["f", "conflicts"] == "A" and "graded 2 but ranked 6" in f.loc["f", "why"]
    assert set(view.only_differences().doc_id) == {"c", "f"}          # k=10: only conflicts count
    assert label_conflict(1, 6, 3) is None and label_conflict(pd.NA, 1, 3) is None
    assert label_conflict(0, 1, 0) is None                             # nothing labelled relevant


def test_a_document_missing_from_a_run_differs():
    view = matrix_frame([run("A", DOCS), run("B", DOCS[:5])], CSET, k=5)
    f = view.frame.set_index("doc_id")
    assert pd.isna(f.loc["f", "B rank"]) and bool(f.loc["f", "differs"]) and "missing in B" in f.loc["f", "why"]


def test_service_matrix_of_three_runs_steps_through_queries(store):
    info = store.create_session("m")
    s1 = store.save_candidate_set(info.id, CandidateSet(CSET.query, [Document(d.id, d.text) for d in CSET.documents]))
    s2 = store.save_candidate_set(info.id, CandidateSet(Query("q2", "hat"), [Document(d, d) for d in "xyz"]))
    store.set_label(s1, "e", 0, "not shoes")
    store.set_label(s1, "a", 2)                    # R = 1: only the top place is for relevant documents
    ids = []
    for name, order in (("A", DOCS), ("B", ["b", "a", "c", "d", "e", "f"]), ("C", ["e", "a", "b", "c", "d", "f"])):
        ids.append(store.create_run(s1, run(name, order, set_id=s1)))
        store.create_run(s2, run(name, ["x", "y", "z"] if name != "C" else ["z", "y", "x"], query_id="q2", set_id=s2))
    store.create_run(s1, run("D", DOCS[::-1], set_id=s1, status="running"))   # not comparable: left out
    view, queries = service.query_matrix(store, "m", k=3)
    assert queries == ["q1", "q2"] and view.runs == ["A", "B", "C"]
    f = view.frame.set_index("doc_id")
    assert f.loc["e", "note"] == "not shoes" and f.loc["e", "conflicts"] == "C"     # graded 0, ranked 1st
    assert f.loc["a", "conflicts"] == "B, C"                                          # graded 2, ranked 2nd
    assert list(view.only_differences().doc_id) == ["a", "e"]
    view2, _ = service.query_matrix(store, "m", "q2", baseline="C", k=2)
    assert view2.baseline == "C" and list(view2.only_differences().doc_id) == ["z", "x"]
    view3, _ = service.query_matrix(store, "m", run_ids=ids[:2])
    assert view3.runs == ["A", "B"]
    with pytest.raises(InputError, match="no runs for query 'q9'"):
        service.query_matrix(store, "m", "q9")
    store.create_session("empty")
    with pytest.raises(NotFound, match="no finished runs"):
        service.query_matrix(store, "empty")
