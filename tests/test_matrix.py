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


# ---------------------------------------------------------------- the Matrix page (AppTest), issue 23

def _expenses(store):
    """A session of three expense-policy queries, each its own set, three runs of each."""
    info = store.create_session("expenses")
    sets = {}
    queries = {"bx-taxi": ("Is a taxi home after a late client dinner reimbursable under the expense policy?", "taxi"),
               "bx-meal": ("What is the per-diem meal allowance for business travel?", "meal"),
               "bx-hotel": ("Which hotel receipts are accepted for travel expense claims?", "hotel")}
    orders = {"web": [1, 2, 3, 4, 5, 6], "custom 1": [4, 1, 2, 3, 6, 5], "web + precise": [6, 2, 1, 3, 4, 5]}
    for qid, (text, stem) in queries.items():
        docs = [Document(f"{stem}-{i:02d}", f"{stem} receipt {i}: policy section {i}") for i in range(1, 7)]
        sets[qid] = store.save_candidate_set(info.id, CandidateSet(Query(qid, text), docs, name=qid))
        store.set_label(sets[qid], f"{stem}-01", 2)
        store.set_label(sets[qid], f"{stem}-04", 0)
        for name, order in orders.items():
            store.create_run(sets[qid], Run(f"instruction {name}", "qwen-vl", "lychee", name=name, status="done",
                                            query_id=qid, scores=[Result(f"{stem}-{d:02d}", round(0.52 - 0.01 * i, 3),
                                                                         i + 1) for i, d in enumerate(order)]))
    return info, sets


def _app():
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=90)


def _ok(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _matrix(params: dict, state: dict | None = None):
    at = _app()
    for key, value in params.items():
        at.query_params[key] = value
    _ok(at.run())                      # app.py reads the URL on the first run, as in a browser
    for key, value in (state or {}).items():
        at.session_state[key] = value
    return _ok(at.switch_page("pages/matrix_page.py").run())


def _grid(at) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "doc_id" in d.value.columns)


def _param(at, key):
    value = at.query_params.get(key)
    return value[0] if isinstance(value, list) else value


def test_query_matrix_names_the_set_of_its_query(store):
    info, sets = _expenses(store)
    for qid, set_id in sets.items():
        view, _ = service.query_matrix(store, info.id, qid)
        assert view.set_id == set_id
    assert matrix_frame([run("A", DOCS)]).set_id is None           # no candidate set given


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_label_links_open_the_rows_own_document_on_every_query(store, lang):
    """Issue 23.1: on the 2nd and 3rd query each row's "label" link named the FIRST query's set,
    and the Label page then showed another document. Each link carries its query's set and its row's doc."""
    from urllib.parse import parse_qs, urlsplit

    info, sets = _expenses(store)
    at = _matrix({"session": str(info.id), "lang": lang})
    for qid in ("bx-taxi", "bx-meal", "bx-hotel"):
        at.selectbox(key="mx_query").set_value(qid).run()
        _ok(at)
        grid = _grid(at)
        for doc, link in zip(grid["doc_id"], grid["label_it"]):
            url = urlsplit(link)
            assert url.path == "./label"
            assert {k: v[0] for k, v in parse_qs(url.query).items()} == \
                {"session": str(info.id), "set": str(sets[qid]), "doc": doc, "lang": lang}
        # following one: the Label page (a new tab: a fresh browser session) shows that very document
        doc, link = grid["doc_id"].iloc[1], grid["label_it"].iloc[1]
        lab = _app()
        for key, value in parse_qs(urlsplit(link).query).items():
            lab.query_params[key] = value[0]
        _ok(lab.run())
        _ok(lab.switch_page("pages/label_page.py").run())
        assert lab.session_state["label_doc"] == doc and lab.session_state["set_id"] == sets[qid]
        assert lab.session_state["ui_lang"] == lang                        # in the language it came from
        assert any(f"{'id' if lang == 'en' else '文档编号'} {doc}" in c.value for c in lab.caption)


def test_ungraded_rows_show_a_dash_not_none(store):
    info, _ = _expenses(store)
    grid = _grid(_matrix({"session": str(info.id)}))
    assert dict(zip(grid["doc_id"], grid["label"])) == {"taxi-01": "2", "taxi-02": "—", "taxi-03": "—",
                                                        "taxi-04": "0", "taxi-05": "—", "taxi-06": "—"}
    assert not grid.astype(str).isin(["None", "nan", "<NA>"]).any().any()


def test_documents_without_an_image_get_an_empty_image_cell_not_none(store, tmp_path):
    """The Image column drew the word "None" for every document without an image."""
    from tests.helpers import random_image

    info = store.create_session("images")
    docs = [Document("a", "with image", image=random_image(tmp_path / "a.png", 40, 30, 1)), Document("b", "text only")]
    set_id = store.save_candidate_set(info.id, CandidateSet(Query("q1", "red shoes"), docs))
    for name in ("A", "B"):
        store.create_run(set_id, run(name, ["a", "b"], set_id=set_id))
    grid = _grid(_matrix({"session": str(info.id)})).set_index("doc_id")
    assert grid.loc["a", "thumbnail"].startswith("data:image/") and grid.loc["b", "thumbnail"] == ""


def test_the_layout_keeps_document_label_link_and_reason_first(store):
    """Issue 23.12: only the document and its label are pinned; the link and the reason come next,
    each run's shift beside its cell; rows tall enough for the grid to wrap the reason."""
    import json

    from ui.matrix_links import MATRIX_ROW_HEIGHT

    info, _ = _expenses(store)
    at = _matrix({"session": str(info.id)})
    element = next(d for d in at.dataframe if "doc_id" in d.value.columns)
    order = list(element.proto.column_order)
    assert order == ["doc_id", "label", "label_it", "why", "web", "custom 1", "custom 1 shift", "web + precise",
                     "web + precise shift", "text"]
    config = json.loads(element.proto.columns)
    assert [c for c in order if config.get(c, {}).get("pinned")] == ["doc_id", "label"]
    assert element.proto.row_height == MATRIX_ROW_HEIGHT > 64          # > 4 rem: the grid wraps long text


def test_reload_and_a_shared_url_reopen_the_same_matrix_view(store):
    """Issue 23.12: query, runs, baseline, k and "Only differences" are all in the URL."""
    info, _ = _expenses(store)
    at = _matrix({"session": str(info.id)})
    assert _param(at, "k") == "3" and _param(at, "diff") is None
    at.multiselect(key="mx_runs").set_value(["web", "web + precise"]).run()
    at.selectbox(key="mx_query").set_value("bx-hotel").run()
    at.selectbox(key="mx_baseline").set_value("web + precise").run()
    at.number_input(key="mx_k").set_value(5).run()
    at.toggle(key="mx_only_diff").set_value(True).run()
    _ok(at)
    before = _grid(at)
    assert _param(at, "k") == "5" and _param(at, "diff") == "1" and _param(at, "query") == "bx-hotel"
    # a reload / the URL pasted in another browser: a fresh session with only the URL
    again = _matrix({key: _param(at, key) for key in ("session", "query", "runs", "baseline", "k", "diff", "lang")})
    assert again.multiselect(key="mx_runs").value == ["web", "web + precise"]
    assert again.selectbox(key="mx_query").value == "bx-hotel"
    assert again.selectbox(key="mx_baseline").value == "web + precise"
    assert again.number_input(key="mx_k").value == 5
    assert again.toggle(key="mx_only_diff").value is True
    pd.testing.assert_frame_equal(_grid(again), before)
    assert len(before) < 6                                            # only the rows that differ
    # switching the filter off takes diff out of the URL
    again.toggle(key="mx_only_diff").set_value(False).run()
    assert _param(_ok(again), "diff") is None and len(_grid(again)) == 6
    # leaving the page and coming back keeps the view too
    _ok(at.switch_page("pages/compare_page.py").run())
    _ok(at.switch_page("pages/matrix_page.py").run())
    assert at.number_input(key="mx_k").value == 5 and at.toggle(key="mx_only_diff").value is True
    assert at.multiselect(key="mx_runs").value == ["web", "web + precise"]
    assert at.selectbox(key="mx_baseline").value == "web + precise"


# ---------------------------------------------------------------- the Compare page, issue 23 (6, 14)

def test_a_template_is_suggested_only_on_evidence_in_the_queries():
    from workbench.compare.advice import suggest_template

    expenses = ["Is a taxi home after a late client dinner reimbursable under the expense policy?",
                "What is the per-diem meal allowance for business travel?"]
    assert suggest_template(expenses) is None                           # no scenario fits: no suggestion
    assert suggest_template(["red running shoes under 50", "denim jacket price"]) == "e-commerce"
    assert suggest_template(["不锈钢保温杯 价格"]) == "e-commerce"
    assert suggest_template(["court ruling on a tenancy dispute"]) == "legal"
    assert suggest_template(["shoes", "arxiv paper on rerankers"]) is None      # one each: no evidence for either
    assert suggest_template(["red shoes"], exclude={"e-commerce"}) is None      # the runs use it already
    assert suggest_template(["reshop"]) is None                                 # whole words only


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_remedies_of_a_flat_run_name_no_template_as_the_fix(lang):
    """A run alone knows nothing of its queries' scenario: its remedies (the CLI's, the exported
    discrimination table's) no longer send every flat run to the e-commerce template."""
    from workbench.compare.advice import REMEDIES, remedies
    from workbench.config import INSTRUCTION_TEMPLATES
    from workbench.i18n import language

    with language(lang):
        texts = [*remedies(), *REMEDIES]
    assert not any(INSTRUCTION_TEMPLATES["e-commerce"] in r for r in texts)
    assert "e-commerce, papers, legal, product similarity" in REMEDIES[0]


def _plain(text: str) -> str:
    """A rendered Markdown string without its escapes (user text is escaped on the page)."""
    import re

    return re.sub(r"\\(.)", r"\1", text)


def _compare(session_id: int, run_ids: list[int], lang: str = "en"):
    at = _app()
    at.query_params["session"] = str(session_id)
    at.query_params["lang"] = lang
    _ok(at.run())
    at.session_state["run_ids"] = run_ids
    at.session_state["cmp_scope"] = "session"
    return _ok(at.switch_page("pages/compare_page.py").run())


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_compare_advice_suggests_no_e_commerce_template_for_expense_questions(store, lang):
    from workbench.i18n import language, t

    info, sets = _expenses(store)
    ids = [r.id for s in sets.values() for r in store.list_runs(set_id=s)]
    at = _compare(info.id, ids, lang)
    with language(lang):
        own, ecommerce = t("compare.advice_tip_own_instruction"), t("compare.template_e_commerce")
    boxes = [_plain(w.value) for w in at.warning]
    assert boxes, "the runs' scores all sit around 0.5: the advice shows"
    assert all(ecommerce not in b and "rank products" not in b for b in boxes)
    assert any(own in b for b in boxes)
    # a shop's queries: the e-commerce template is the fitting suggestion
    shop = store.create_session("shop")
    shop_ids = []
    for q in ("red running shoes", "denim jacket under 50 dollars"):
        set_id = store.save_candidate_set(shop.id, CandidateSet(Query(q, q), [Document(d, f"item {d}") for d in "abcd"]))
        shop_ids.append(store.create_run(set_id, Run("Find it", "qwen-vl", "lychee", name="custom", status="done",
                                                     query_id=q, scores=[Result(d, 0.5 + i / 1000, i + 1)
                                                                         for i, d in enumerate("abcd")])))
        shop_ids.append(store.create_run(set_id, Run("Look", "qwen-vl", "lychee", name="other", status="done",
                                                     query_id=q, scores=[Result(d, 0.5 + i / 1000, i + 1)
                                                                         for i, d in enumerate("dcba")])))
    at = _compare(shop.id, shop_ids, lang)
    assert any(ecommerce in _plain(w.value) and "rank products" in _plain(w.value) for w in at.warning)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_compare_says_what_it_computes_while_it_computes(store, monkeypatch, lang):
    """Issue 23.6: the first comparison took a minute with nothing on the page below the pickers."""
    import streamlit as st

    from workbench.i18n import language, t, tn

    info, sets = _expenses(store)
    ids = [r.id for s in sets.values() for r in store.list_runs(set_id=s)]
    shown, real = [], st.spinner

    def spinner(text="", **kw):
        shown.append((text, kw.get("show_time")))
        return real(text, **kw)

    monkeypatch.setattr(st, "spinner", spinner)
    _compare(info.id, ids, lang)
    with language(lang):
        # 3 runs (one configuration each over the session's 3 queries), not their 9 rankings
        expected = t("compare.computing", runs=tn("compare.count_runs", 3), sets=tn("count.sets", 3))
    # no running timer: Streamlit words it in English only ("(1.7 seconds)"), even in 中文
    assert (expected, None) in shown


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_judged_and_overlap_columns_explain_themselves(store, lang):
    import json

    from workbench.i18n import language, t

    info, sets = _expenses(store)
    ids = [r.id for s in sets.values() for r in store.list_runs(set_id=s)]
    at = _compare(info.id, ids, lang)
    helps = {}
    for element in at.dataframe:
        for column, cfg in json.loads(element.proto.columns or "{}").items():
            if cfg.get("help"):
                helps[column] = cfg["help"]
    with language(lang):
        assert helps["Judged@10"] == t("compare.help_judged", k=10)
        assert helps["overlap@10"] == t("compare.help_overlap", k=10)
    assert at.number_input(key="cmp_k").help
