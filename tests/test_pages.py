"""Streamlit pages driven headless with AppTest (real store, real lexical backend, no mocks)."""

from __future__ import annotations

import io as _io
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from workbench import formats
from workbench.model import Run, Result
from workbench.samples import seed_samples
from workbench.store import Store

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGES = ["pages/home_page.py", "pages/import_page.py", "pages/ocr_page.py", "pages/rerank_page.py",
         "pages/compare_page.py", "pages/sessions_page.py"]


def app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=90)


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def plain(text: str) -> str:
    """A rendered Markdown string without its escapes (user text is escaped on the page)."""
    import re

    return re.sub(r"\\(.)", r"\1", text)


def button(at: AppTest, key: str):
    return next(b for b in at.button if b.key == key)


def settle(at: AppTest, timeout: float = 120) -> AppTest:
    """Wait for the work the page started in the worker, then rerun the page (as the
    progress fragment does in a browser)."""
    from workbench import jobs

    for job in jobs.registry().running():
        assert job.wait(timeout), f"job {job.label} did not finish"
    return at.run()


def sidebar_has(at: AppTest, text: str) -> bool:
    return any(text in c.value for c in at.sidebar.caption) or any(text in m.value for m in at.sidebar.markdown)


@pytest.mark.parametrize("seeded", [False, True], ids=["empty-db", "samples"])
def test_every_page_loads_without_exception(seeded):
    if seeded:
        seed_samples(Store())
    at = ok(app().run())
    for page in PAGES:
        ok(at.switch_page(page).run())
        assert sidebar_has(at, "Database:"), f"sidebar missing on {page}"
        if seeded:
            assert at.sidebar.selectbox, f"no session picker on {page}"


def test_home_loads_samples_and_opens_rerank():
    at = ok(app().run())
    assert not Store().list_sessions()
    button_load = next(b for b in at.button if b.label == "Load the sample sets")
    ok(button_load.click().run())
    sets = Store().list_candidate_sets()
    assert sets, "sample sets were not stored"
    ok(button(at, f"home_open_{sets[0].id}").click().run())
    assert at.session_state.set_id == sets[0].id
    assert any(t.value == "Rerank" for t in at.title)


def test_flow_import_rerank_label_save_reopen_export():
    """import a sample → rerank (lexical) → label → save → reopen in Sessions → export."""
    at = ok(app().run())
    ok(at.switch_page("pages/import_page.py").run())
    samples = formats.list_samples()
    kb = next(s for s in samples if s.name == "kb")
    at.selectbox(key="import_sample").set_value(kb).run()
    ok(button(at, "import_read_sample").click().run())
    assert at.session_state.import_result is not None
    assert any(m.label == "Candidate sets" and m.value == str(len(at.session_state.import_result.sets))
               for m in at.metric)
    at.text_input(key="import_new_name").set_value("flow session").run()
    ok(button(at, "import_save").click().run())
    store = Store()
    session = store.get_session("flow session")
    sets = store.list_candidate_sets(session.id)
    assert session.n_sets == len(sets) >= 1
    assert at.session_state.session_id == session.id

    # rerank with the lexical backend
    ok(at.switch_page("pages/rerank_page.py").run())
    at.radio(key="rr_backend").set_value("lexical").run()
    set_id = at.selectbox(key="rr_set").value
    button(at, "rr_go").click().run()
    ok(settle(at))
    runs = store.list_runs(set_id=set_id)
    assert len(runs) == 1 and runs[0].status == "done"
    run = store.load_run(runs[0].id)
    assert len(run.scores) == sets[[s.id for s in sets].index(set_id)].n_docs
    editor_key = f"rr_editor_{run.id}"
    grid = at.get("arrow_data_frame") or at.get("data_editor")
    assert grid, "results table not shown"

    # label the best and the worst document, save
    best, worst = run.ranking()[0], run.ranking()[-1]
    at.session_state[editor_key] = {"edited_rows": {0: {"label": 2}, len(run.scores) - 1: {"label": 0}},
                                    "added_rows": [], "deleted_rows": []}
    ok(at.run())
    ok(button(at, f"rr_save_{run.id}").click().run())
    labels = store.get_labels(set_id)
    assert labels[best].grade == 2 and labels[worst].grade == 0
    assert any("Saved" in s.value for s in at.success)

    # reopen in Sessions, review the run, export
    ok(at.switch_page("pages/sessions_page.py").run())
    assert at.selectbox(key="ss_open").value == session.id
    assert at.selectbox(key="ss_run").value == run.id
    dl = [d for d in at.get("download_button") if getattr(d, "key", None) == "ss_download"
          or "ss_download" in str(getattr(d, "id", ""))]
    assert at.get("download_button"), "no export button"
    # what the button serves: the same library call, checked for the labels we saved
    frame = pd.read_csv(_io.BytesIO(formats.export_long([store.load_run(run.id)],
                                                    labels={set_id: {best: 2, worst: 0}})))
    assert len(frame) == len(run.scores)
    assert frame.set_index("doc_id").loc[best, "label"] == 2
    del dl


def test_rerank_pasted_lines_saved_as_new_set():
    seed_samples(Store())
    at = ok(app().run())
    ok(at.switch_page("pages/rerank_page.py").run())
    at.radio(key="rr_mode").set_value("pasted").run()
    at.radio(key="rr_backend").set_value("lexical").run()
    at.text_input(key="rr_qtext").set_value("red running shoes").run()
    at.text_area(key="rr_pasted").set_value("blue denim jacket\nred running shoes for trail\n\ncoffee mug").run()
    button(at, "rr_go").click().run()
    ok(settle(at))
    store = Store()
    run = store.load_run(at.session_state.run_ids[-1])
    cset = store.load_candidate_set(run.set_id)
    assert [d.text for d in cset.documents] == ["blue denim jacket", "red running shoes for trail", "coffee mug"]
    assert cset.doc(run.ranking()[0]).text == "red running shoes for trail"


def test_workbench_error_is_shown_with_fix():
    at = ok(app().run())
    ok(at.switch_page("pages/rerank_page.py").run())
    at.radio(key="rr_mode").set_value("pasted").run()
    at.radio(key="rr_backend").set_value("lexical").run()
    button(at, "rr_go").click().run()
    assert not at.exception
    assert at.error and "How to fix" in plain(at.error[0].value)


def _compare_web_and_qa_with_lexical():
    """Compare page: the web and QA templates on a labelled sample set, lexical backend."""
    seed_samples(Store())
    store = Store()
    info = next(s for s in store.list_candidate_sets() if s.n_labels > 0)
    at = app()
    at.session_state["session_id"] = info.session_id
    at.session_state["set_id"] = info.id
    at.switch_page("pages/compare_page.py")
    ok(at.run())
    at.radio(key="cmp_backend").set_value("lexical").run()
    at.multiselect(key="cmp_templates").set_value(["web", "QA"]).run()
    button(at, "cmp_go").click().run()
    ok(settle(at))
    return store, info, at


def test_compare_two_instructions_with_labels():
    store, info, at = _compare_web_and_qa_with_lexical()
    runs = store.list_runs(set_id=info.id)
    assert {r.name for r in runs} == {"web", "QA"}
    assert set(at.session_state.compare_runs) == {r.run_id for r in runs}     # runs, not rankings
    ok(at)
    # metrics table (runs × metrics) rendered from workbench.compare
    assert any(t.label == "Metrics" for t in at.tabs)
    assert len(at.dataframe) >= 3
    at.toggle(key="cmp_only_changed").set_value(True).run()
    ok(at)


def test_sessions_rename_and_delete_need_confirmation():
    store = Store()
    sid = store.create_session("to rename").id
    at = app()
    at.session_state["session_id"] = sid
    at.switch_page("pages/sessions_page.py")
    ok(at.run())
    at.text_input(key=f"ss_rename_{sid}").set_value("renamed").run()
    ok(button(at, "ss_rename_btn").click().run())
    assert store.get_session(sid).name == "renamed"
    ok(button(at, "ss_delete").click().run())
    assert store.get_session(sid)                      # not yet: confirmation first
    ok(button(at, "ss_delete_yes").click().run())
    assert not [s for s in store.list_sessions() if s.id == sid]


def test_sessions_import_ranked_csv_as_run(tmp_path):
    seed_samples(Store())
    store = Store()
    info = store.list_candidate_sets()[0]
    cset = store.load_candidate_set(info.id)
    csv = "query_id,doc_id,score\n" + "\n".join(
        f"{cset.query.id},{d.id},{1 - i / 10}" for i, d in enumerate(cset.documents))
    at = app()
    at.session_state["session_id"] = info.session_id
    at.switch_page("pages/sessions_page.py")
    ok(at.run())
    at.file_uploader(key="ss_ranked").set_value(("ranked.csv", csv.encode(), "text/csv")).run()
    ok(button(at, "ss_import_runs").click().run())
    imported = [r for r in store.list_runs(set_id=info.id) if r.status == "imported"]
    assert len(imported) == 1
    assert store.load_run(imported[0].id).ranking() == [d.id for d in cset.documents]


def _photos_session():
    seed_samples(Store())
    store = Store()
    info = store.get_session("Sample: Photos: text queries against images")
    return store, info, store.list_candidate_sets(info.id)


def _sessions_page(session_id) -> AppTest:
    at = app()
    at.session_state["session_id"] = session_id
    at.switch_page("pages/sessions_page.py")
    return ok(at.run())


def test_sessions_import_trec_qrels_applies_labels_or_nothing():
    store, info, sets = _photos_session()
    cset = store.load_candidate_set(sets[0].id)
    before = {s.id: {d: lab.grade for d, lab in store.get_labels(s.id).items()} for s in sets}
    d0, d1 = cset.documents[0].id, cset.documents[1].id
    g0, g1 = (before[sets[0].id][d0] + 1) % 3, (before[sets[0].id][d1] + 2) % 3
    at = _sessions_page(info.id)
    # an unknown document in the file: shown with its fix, nothing applied
    bad = f"{cset.query.id} 0 {d0} {g0}\n{cset.query.id} 0 ghost 1\n"
    at.file_uploader(key="ss_qrels").set_value(("labels.qrels", bad.encode(), "text/plain")).run()
    button(at, "ss_import_qrels").click().run()
    assert not at.exception
    assert any("ghost" in plain(e.value) and "How to fix" in plain(e.value) for e in at.error)
    assert {s.id: {d: lab.grade for d, lab in store.get_labels(s.id).items()} for s in sets} == before
    # a good file
    good = f"{cset.query.id} 0 {d0} {g0}\n{cset.query.id} 0 {d1} {g1}\n"
    at.file_uploader(key="ss_qrels").set_value(("labels.qrels", good.encode(), "text/plain")).run()
    ok(button(at, "ss_import_qrels").click().run())
    assert any("Applied 2 labels" in s.value for s in at.success)
    after = store.get_labels(sets[0].id)
    assert after[d0].grade == g0 and after[d1].grade == g1


def test_sessions_import_trec_run_and_offer_trec_downloads():
    from workbench import service
    from workbench.formats import trec

    store, info, sets = _photos_session()
    cset = store.load_candidate_set(sets[0].id)
    ranking = [d.id for d in cset.documents][::-1]
    text = "".join(f"{cset.query.id} Q0 {d} {i} {1 - i / 10} other-system\n"
                   for i, d in enumerate(ranking, 1))
    at = _sessions_page(info.id)
    at.file_uploader(key="ss_trec_run").set_value(("other.trec", text.encode(), "text/plain")).run()
    ok(button(at, "ss_import_trec").click().run())
    imported = [r for r in store.list_runs(set_id=sets[0].id) if r.status == "imported"]
    assert len(imported) == 1 and imported[0].name == "other-system"
    assert store.load_run(imported[0].id).ranking() == ranking
    ok(at.run())
    keys = {getattr(d, "key", None) or str(getattr(d, "id", "")) for d in at.get("download_button")}
    for key in ("ss_download", "ss_download_trec", "ss_download_qrels"):
        assert any(key == k or k.endswith(key) for k in keys), (key, keys)
    # what the TREC button serves: the same service call, readable by trec.read_run
    back = trec.read_run(service.export_trec_run(store, session=info.id))
    assert [r.ranking() for r in back if r.name == "other-system"] == [ranking]


def test_compare_page_offers_csv_downloads_for_every_table():
    store, info, sets = _photos_session()
    at = app()
    at.session_state["session_id"] = info.id
    at.switch_page("pages/compare_page.py")
    ok(at.run())
    at.radio(key="cmp_scope").set_value(at.radio(key="cmp_scope").options[1]).run()
    at.radio(key="cmp_backend").set_value("lexical").run()
    at.multiselect(key="cmp_templates").set_value(["web", "QA"]).run()
    button(at, "cmp_go").click().run()
    ok(settle(at))
    keys = {getattr(d, "key", None) or str(getattr(d, "id", "")) for d in at.get("download_button")}
    for name in ("metrics", "rank_shifts", "correlations", "discrimination"):
        assert any(k.endswith(f"cmp_dl_{name}") for k in keys), (name, keys)


# ------------------------------------------------------------------ QA regressions (UI audit)
IO_DATA = Path(__file__).resolve().parent / "data" / "io"


def _import_upload(name: str, data: bytes | None = None) -> AppTest:
    at = app()
    at.switch_page("pages/import_page.py")
    ok(at.run())
    at.file_uploader(key="import_file").set_value((name, data if data is not None else (IO_DATA / name).read_bytes(),
                                                   "application/octet-stream")).run()
    button(at, "import_read").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _download_keys(at: AppTest) -> set[str]:
    return {getattr(d, "key", None) or str(getattr(d, "id", "")) for d in at.get("download_button")}


def test_import_all_rows_rejected_names_the_uploaded_file_and_offers_the_rejected_rows():
    at = _import_upload("bad_all_rows.csv")
    assert at.error and "bad_all_rows.csv" in plain(at.error[0].value) and "How to fix" in plain(at.error[0].value)
    assert any(k.endswith("import_rejected_dl") for k in _download_keys(at)), "rejected rows not downloadable"
    assert any("2 rejected rows" in e.label for e in at.expander)
    # the report stays while the analyst looks around (a rerun from any widget)
    at.run()
    assert any(k.endswith("import_rejected_dl") for k in _download_keys(at))


def test_import_csv_with_images_uploaded_alone_says_to_upload_a_zip():
    at = _import_upload("good_images.csv")
    assert at.error, "images next to an uploaded CSV cannot exist"
    assert any("ZIP" in i.value for i in at.info)
    at = _import_upload("good.zip")
    ok(at)
    assert not any("ZIP" in i.value for i in at.info)
    assert any(m.label == "Documents" and m.value == "2" for m in at.metric)


def test_import_spreadsheet_is_accepted_and_explained():
    at = _import_upload("bad_sheet.xlsx")
    assert at.error and "CSV UTF-8" in plain(at.error[0].value)


def test_import_partly_bad_file_keeps_valid_rows_and_saves_them():
    at = _import_upload("bad_label.csv")
    ok(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Rejected rows"] == "2" and int(metrics["Documents"]) >= 1
    assert any(k.endswith("import_rejected_dl") for k in _download_keys(at))
    at.text_input(key="import_new_name").set_value("partly bad").run()
    ok(button(at, "import_save").click().run())
    store = Store()
    sets = store.list_candidate_sets(store.get_session("partly bad").id)
    assert sum(s.n_docs for s in sets) == int(metrics["Documents"])


def test_uploaded_file_keeps_its_name(tmp_path):
    from ui import widgets

    class Upload:
        name = "my ranking.csv"

        def getvalue(self):
            return b"query_id,doc_id,score\n"

    path, digest = widgets.save_upload(Upload(), "imports")
    assert Path(path).name == "my ranking.csv" and Path(path).read_bytes() == Upload().getvalue()
    assert digest[:16] in path


def test_ocr_page_untouched_boxes_are_not_saved_as_empty_corrections():
    seed_samples(Store())
    store = Store()
    info = next(s for s in store.list_candidate_sets() if s.name == "denim-jacket")
    at = app()
    at.session_state["session_id"] = info.session_id
    at.switch_page("pages/ocr_page.py")
    ok(at.run())
    save = button(at, "ocr_save")
    assert save.disabled and save.label.startswith("Save 0"), save.label
    box = next(t for t in at.text_area if t.key.startswith(f"ocr_{info.id}_"))
    doc_id = box.key.split("_")[2]
    box.set_value("DENIM JACKET typed by hand").run()
    assert button(at, "ocr_save").label.startswith("Save 1")
    ok(button(at, "ocr_save").click().run())
    docs = {d.id: d for d in store.load_candidate_set(info.id).documents}
    assert docs[doc_id].ocr_edited == "DENIM JACKET typed by hand"
    assert docs[doc_id].description.startswith("[OCR] DENIM JACKET typed by hand")
    untouched = [d for d in docs.values() if d.image and d.id != doc_id]
    assert untouched and all(d.ocr_edited is None for d in untouched)


def test_score_scale_bm25_is_not_a_probability():
    from ui.frames import score_scale

    lex = score_scale("lexical", [3.2, 1.0, 0.0])
    assert not lex["probability"] and lex["title"] == "BM25 score" and lex["max"] == 3.2 and lex["min"] == 0
    low = score_scale("lexical", [0.8, 0.1])          # BM25 under 1 is still not P(yes)
    assert not low["probability"] and low["max"] == 0.8
    prob = score_scale("qwen-vl", [0.9, 0.2])
    assert prob["probability"] and (prob["min"], prob["max"]) == (0.0, 1.0)
    imported = score_scale("imported", [12.0, -3.0])
    assert not imported["probability"] and imported["min"] == -3.0 and imported["max"] == 12.0
    assert score_scale("lexical", [0.0, 0.0])["max"] > 0      # an all-zero run still draws


def test_adhoc_results_name_the_instruction_they_were_scored_with():
    at = ok(app().switch_page("pages/rerank_page.py").run())
    at.radio(key="rr_mode").set_value("single").run()
    at.radio(key="rr_backend").set_value("lexical").run()
    at.text_input(key="rr_qtext").set_value("red shoes").run()
    at.text_input(key="rr_single").set_value("red running shoes").run()
    at.checkbox(key="rr_save_adhoc").set_value(False).run()
    at.selectbox(key="rr_template").set_value("web").run()
    button(at, "rr_go").click().run()
    ok(settle(at))
    at.selectbox(key="rr_template").set_value("legal").run()        # changed after scoring
    ok(at)
    caption = next(c.value for c in at.caption if "tick" in c.value)
    assert "web search query" in caption and "legal" not in caption
    assert any(k.endswith("adhoc_dl") for k in _download_keys(at))


def test_compare_reports_cache_reuse():
    store, info, at = _compare_web_and_qa_with_lexical()
    assert any("Scored 2 runs" in s.value for s in at.success)


def test_sessions_export_can_pick_runs():
    seed_samples(Store())
    store = Store()
    info = store.list_candidate_sets()[0]
    cset = store.load_candidate_set(info.id)
    for name in ("first", "second"):
        rid = store.create_run(info.id, Run(instruction=name, backend="lexical", model_id="bm25", name=name,
                                            status="done", query_id=cset.query.id))
        store.add_scores(rid, [Result(doc_id=d.id, score=1.0 - i / 10, rank=i + 1, index=i)
                               for i, d in enumerate(cset.documents)])
    at = _sessions_page(info.session_id)
    assert at.selectbox(key="ss_run").value == rid                   # newest run reviewed first
    assert any(c.value == f"2 runs, {2 * len(cset.documents)} rows." for c in at.caption)
    at.multiselect(key=f"ss_export_runs_{info.session_id}").set_value([store.load_run(rid).run_id]).run()
    ok(at)
    assert any(c.value == f"1 run, {len(cset.documents)} rows." for c in at.caption)


def test_compare_lexical_runs_get_bm25_advice_not_instruction_advice():
    seed_samples(Store())
    store = Store()
    info = next(s for s in store.list_candidate_sets() if s.name == "denim-jacket")
    at = app()
    at.session_state["session_id"] = info.session_id
    at.session_state["set_id"] = info.id
    at.switch_page("pages/compare_page.py")
    ok(at.run())
    at.radio(key="cmp_backend").set_value("lexical").run()
    button(at, "cmp_go").click().run()
    ok(settle(at))
    flagged = [w.value for w in at.warning if "barely" in w.value]
    assert flagged, "BM25 on the e-commerce sample leaves most documents at 0"
    assert all("BM25" in w and "Be precise" not in w for w in flagged)
    assert any("Raw scores" in c.value for c in at.caption)


def test_compare_per_query_metrics_link_to_the_matrix_of_that_query_with_those_runs():
    """Each per-query metric on Compare links to the Matrix of that query: the compared runs
    as columns (not the session's other runs) and the Compare baseline as the Matrix baseline."""
    from urllib.parse import parse_qs, urlsplit

    from workbench.model import CandidateSet, Document, Query

    store = Store()
    info = store.create_session("compare to matrix")
    ids = {}
    for q in ("q1", "q2"):
        set_id = store.save_candidate_set(info.id, CandidateSet(Query(q, f"red shoes {q}"),
                                                                [Document(d, f"product {d}") for d in "abcde"]))
        store.set_label(set_id, "a", 2)
        store.set_label(set_id, "c", 1)
        for name, order in (("precise", "acbde"), ("vague", "bcdae"), ("other", "edcba")):
            ids[(q, name)] = store.create_run(set_id, Run(f"instruction {name}", "lexical", "bm25", name=name,
                                                          status="done", query_id=q,
                                                          scores=[Result(d, 1 - 0.1 * i, i + 1)
                                                                  for i, d in enumerate(order)]))
    compared = [ids[(q, n)] for q in ("q1", "q2") for n in ("precise", "vague")]
    at = app()
    at.session_state["session_id"] = info.id
    at.session_state["cmp_scope"] = "session"
    at.session_state["run_ids"] = compared
    at.switch_page("pages/compare_page.py")
    ok(at.run())
    at.selectbox(key="cmp_baseline").set_value("vague").run()
    ok(at)
    per_query = next(d.value for d in at.dataframe if "matrix" in d.value.columns)
    assert list(per_query["query_id"]) == ["q1", "q2"]
    assert list(per_query.columns) == ["query_id", "matrix", "precise", "vague"]
    assert per_query.loc[per_query["query_id"] == "q1", "precise"].item() == pytest.approx(1.0)  # a (2) first
    link = per_query.loc[per_query["query_id"] == "q2", "matrix"].item()
    url = urlsplit(link)
    assert url.path == "./matrix"
    params = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert params["query"] == "q2" and params["session"] == str(info.id)
    # that query's rankings of the compared runs (a link never carries every ranking of the session)
    assert set(map(int, params["runs"].split(","))) == {ids[("q2", "precise")], ids[("q2", "vague")]}
    assert int(params["baseline"]) == ids[("q2", "vague")]
    at.selectbox(key="cmp_pq_metric").set_value("MRR").run()                     # another metric per query
    ok(at)
    mrr = next(d.value for d in at.dataframe if "matrix" in d.value.columns)
    assert mrr.loc[mrr["query_id"] == "q1", "vague"].item() == pytest.approx(1 / 2)   # c (graded 1) 2nd
    at.number_input(key="cmp_k").set_value(5).run()                                 # k changes the metrics' names
    ok(at)
    assert at.selectbox(key="cmp_pq_metric").value in at.selectbox(key="cmp_pq_metric").options
    # follow the link (a LinkColumn opens a new tab: a fresh browser session with that URL)
    mx = app()
    for key, value in params.items():
        mx.query_params[key] = value
    mx.switch_page("pages/matrix_page.py")
    ok(mx.run())
    assert mx.multiselect(key="mx_runs").value == ["precise", "vague"]          # not "other"
    assert mx.selectbox(key="mx_baseline").value == "vague"
    assert mx.selectbox(key="mx_query").value == "q2"
    assert any("Query 2 of 2 · baseline: vague" in c.value for c in mx.caption)
    grid = next(d.value for d in mx.dataframe if "doc_id" in d.value.columns)
    assert "other" not in grid.columns and {"precise", "vague", "precise shift"} <= set(grid.columns)
    assert list(grid["doc_id"]) == list("bcdae")                                   # the baseline's order
    assert mx.query_params["baseline"] in (str(ids[("q2", "vague")]), [str(ids[("q2", "vague")])])
    mx.selectbox(key="mx_baseline").set_value("precise").run()                     # and can be changed
    ok(mx)
    assert mx.selectbox(key="mx_baseline").value == "precise"
    # the changed baseline is in the URL: a reload (a new browser session with it) keeps it
    precise_q2 = str(ids[("q2", "precise")])
    assert mx.query_params["baseline"] in (precise_q2, [precise_q2])
    again = app()
    for key in ("session", "query", "runs", "baseline"):
        value = mx.query_params[key]
        again.query_params[key] = value[0] if isinstance(value, list) else value
    again.switch_page("pages/matrix_page.py")
    ok(again.run())
    assert again.selectbox(key="mx_baseline").value == "precise"
    assert again.multiselect(key="mx_runs").value == ["precise", "vague"]


def test_compare_a_multi_query_session_shows_one_row_per_run_with_session_means():
    """Issue 18: Compare defaults to the whole session and compares RUNS (one configuration over
    many queries): one metrics row per run whose values are compare.metrics over every query;
    past 100 queries the per-query table and the rank-shift picker are paged."""
    import random

    from workbench import compare
    from workbench.model import CandidateSet, Document, Label, Query

    rng = random.Random(18)
    store = Store()
    info = store.create_session("many queries")
    docs = [f"d{i}" for i in range(6)]
    labels, rankings = {}, []
    for n in range(120):
        q = f"q{n:03d}"
        set_id = store.save_candidate_set(info.id, CandidateSet(Query(q, f"query {n}"),
                                                                [Document(d, f"text {d}") for d in docs]))
        store.set_labels(set_id, [Label(q, d, rng.choice([0, 1, 2])) for d in docs[:4]])
        labels[q] = store.metric_labels(set_id)
        for name in ("alpha", "beta", "gamma"):
            order = rng.sample(docs, len(docs))
            run = Run(f"instruction {name}", "lexical", "bm25", name=name, status="done", query_id=q,
                      scores=[Result(d, 1 - 0.1 * i, i + 1, i) for i, d in enumerate(order)])
            store.create_run(set_id, run)
            rankings.append(run)
    infos = store.list_run_infos(info.id)
    assert [r.name for r in infos] == ["alpha", "beta", "gamma"] and all(r.n_rankings == 120 for r in infos)
    at = app()
    at.query_params["session"] = str(info.id)
    at.switch_page("pages/compare_page.py")
    ok(at.run())
    assert at.radio(key="cmp_scope").value == "session"                     # the default
    at.multiselect(key="cmp_runs").set_value([r.id for r in infos]).run()
    ok(at)
    assert at.session_state.compare_runs == [r.id for r in infos]            # in the URL as cruns=
    table = next(d.value for d in at.dataframe if "NDCG@10" in d.value.columns)
    expected = compare.metrics(rankings, labels, k=10).table
    assert list(table.index) == ["alpha", "beta", "gamma"]                    # one row per run
    assert list(table["n_queries"]) == list(expected["n_queries"]) and min(table["n_queries"]) > 100
    for col in ("NDCG@10", "MRR", "P@10", "Recall@10", "MAP"):
        assert table[col].tolist() == pytest.approx(expected.loc[["alpha", "beta", "gamma"], col].tolist()), col
    per_query = next(d.value for d in at.dataframe if "matrix" in d.value.columns)
    assert len(per_query) == 100                                              # a page of the 120 queries
    at.number_input(key="cmp_per_query_page").set_value(2).run()
    per_query = next(d.value for d in ok(at).dataframe if "matrix" in d.value.columns)
    assert len(per_query) == int(expected["n_queries"].max()) - 100           # the rest of the labelled queries
    assert all(q >= "q100" for q in per_query["query_id"])
    assert len(at.selectbox(key="cmp_query").options) <= 101                  # the picker is paged too
    at.text_input(key="cmp_query_search").set_value("q117").run()
    at.selectbox(key="cmp_query").set_value("q117").run()
    ok(at)
    assert at.session_state.query == "q117"


def test_analysis_pages_in_chinese_show_no_english_prose():
    """?lang=zh: Compare (every tab), Matrix and Label show their texts in Chinese; what stays
    Latin is data (run names, ids), metric and product names. Widgets of other parts of the app
    (sidebar, model choice, run pickers' labels) are not looked at here."""
    import re

    from workbench.model import CandidateSet, Document, Query

    store = Store()
    info = store.create_session("中文")
    ids = []
    for q in ("q1", "q2"):
        set_id = store.save_candidate_set(info.id, CandidateSet(Query(q, f"红色跑鞋 {q}"),
                                                                [Document(d, f"商品 {d}") for d in "abcde"]))
        store.set_label(set_id, "a", 2)
        store.set_label(set_id, "c", 0)
        for name, order in (("precise", "acbde"), ("vague", "bcdae")):
            ids.append(store.create_run(set_id, Run(f"instruction {name}", "lexical", "bm25", name=name,
                                                    status="done", query_id=q,
                                                    scores=[Result(d, 1 - 0.1 * i, i + 1)
                                                            for i, d in enumerate(order)])))
    english = re.compile(r"[A-Za-z]{3,}[ ,.:;'’]+[A-Za-z]{3,}")
    allowed = re.compile(r"NDCG@\d+|Recall@\d+|P@\d+|overlap@k|NDCG@k|Recall@k|P@k|P\(yes\)|BM25|MRR|MAP|OCR|"
                         r"Qwen-VL|CSV|precise|vague|q\d|\bid\b")

    def texts(at: AppTest) -> list[str]:
        out = []
        for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "success",
                     "error", "expander", "tabs"):
            for el in getattr(at.main, kind):
                out.append(str(getattr(el, "label", None) or el.value))
        for kind in ("button", "toggle", "selectbox", "multiselect", "number_input", "radio", "text_area",
                     "checkbox"):
            for el in getattr(at.main, kind):
                out.append(el.label)
                if getattr(el, "help", None):
                    out.append(el.help)
        return out

    pages = {"pages/compare_page.py": {"run_ids": ids, "cmp_scope": "session"},
             "pages/matrix_page.py": {}, "pages/label_page.py": {}}
    for page, state in pages.items():
        at = app()
        at.query_params["lang"] = "zh"
        at.query_params["session"] = str(info.id)
        ok(at.run())                         # app.py reads ?lang= on the first run, as in a browser
        for key, value in state.items():
            at.session_state[key] = value
        ok(at.switch_page(page).run())
        assert at.session_state["ui_lang"] == "zh"
        shown = texts(at)
        assert any(re.search(r"[\u4e00-\u9fff]", s) for s in shown), page
        left = [s for s in shown if english.search(allowed.sub("", s))]
        assert not left, f"{page}: English left in 中文: {left}"


def test_sessions_offers_the_tidy_export_as_csv_and_parquet():
    import io

    seed_samples(Store())
    store = Store()
    info = store.list_candidate_sets()[0]
    cset = store.load_candidate_set(info.id)
    rid = store.create_run(info.id, Run(instruction="i", backend="lexical", model_id="bm25", name="tidy-run",
                                        status="done", query_id=cset.query.id, note="my note"))
    store.add_scores(rid, [Result(doc_id=d.id, score=1.0 - i / 10, rank=i + 1, index=i)
                           for i, d in enumerate(cset.documents)])
    at = _sessions_page(info.session_id)
    at.radio(key="ss_shape").set_value("tidy").run()
    ok(at)
    keys = {getattr(d, "key", None) or str(getattr(d, "id", "")) for d in at.get("download_button")}
    for key in ("ss_download", "ss_download_parquet"):
        assert any(key == k or k.endswith(key) for k in keys), (key, keys)
    from ui import sessions_view

    frame = pd.read_parquet(io.BytesIO(sessions_view.lazy_export("parquet", {"session": info.session_id}, False)().read()))
    mine = frame[frame["run_name"] == "tidy-run"]
    assert len(mine) == len(cset.documents) and set(mine["run_note"]) == {"my note"}
    text = sessions_view.lazy_export("csv", {"run_ids": [rid]}, True)().read()   # a file streamed to disk
    assert text.startswith("\ufeff".encode()) and b"tidy-run" in text


def test_sidebar_folds_the_checks_into_one_line_with_details_in_a_popover():
    at = app()
    ok(at.run())
    pops = [p for p in at.sidebar.get("popover") if "Backend & device" in p.proto.popover.label]
    assert len(pops) == 1
    label = pops[0].proto.popover.label
    import re

    m = re.search(r"(\d+)/(\d+) checks pass(?: · (\d+) warnings?)?", label)
    assert m, label
    good, total, bad = int(m[1]), int(m[2]), int(m[3] or 0)
    assert good + bad == total
    inside = [c.value for c in pops[0].caption]
    assert sum(":material/warning:" in c for c in inside) == bad       # every warning is in the popover
    assert any(c.startswith("Model:") for c in inside)
