"""Regression tests for the app walkthrough's defects (issue 12, numbered as there), the
worker (workbench.jobs), the error log and the ui.frames builders. Real store, real
lexical backend and real tiny Qwen-VL checkpoint; nothing mocked."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.test_pages import app, button, ok, plain, settle
from workbench import formats as wio
from workbench.samples import seed_samples
from workbench.store import Store

ROOT = Path(__file__).resolve().parent.parent
CSV_HEAD = "query_id,query_text,query_image,doc_id,doc_text,doc_image,label"


def _upload(at, name: str, data: bytes):
    at.switch_page("pages/import_page.py")
    ok(at.run())
    at.file_uploader(key="import_file").set_value((name, data, "text/csv")).run()
    button(at, "import_read").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def chart_specs(at) -> list[str]:
    """The Vega-Lite specs of the page's charts (JSON text, compact)."""
    import json

    return [json.dumps(json.loads(e.proto.spec), separators=(",", ":")) for e in at.get("vega_lite_chart")]


# 1 ------------------------------------------------------------------------------------------
def test_1_user_columns_named_like_report_columns_do_not_clash(tmp_path):
    data = (CSV_HEAD + ",source,error,line\n"
            "q1,red shoes,,d1,red running shoes,,2,crawl,none,7\n"
            "q1,red shoes,,d2,blue hat,,9,crawl,none,8\n").encode()
    path = tmp_path / "clash.csv"
    path.write_bytes(data)
    frame = wio.read_candidates(path).rejected_frame()
    assert list(frame.columns).count("source") == 1 and "_source" in frame.columns
    assert frame.loc[0, "source"] == "crawl" and frame.loc[0, "_source"] == "clash.csv"
    assert frame.loc[0, "_line"] == 3 and frame.loc[0, "line"] == "8"
    at = ok(_upload(app(), "clash.csv", data))
    assert {m.label: m.value for m in at.metric}["Rejected rows"] == "1"
    ok(button(at, "import_save").click().run())
    sets = Store().list_candidate_sets(Store().get_session("clash").id)
    assert [s.n_docs for s in sets] == [1]


# 2 ------------------------------------------------------------------------------------------
def _labels_page():
    seed_samples(Store())
    store = Store()
    info = next(s for s in store.list_candidate_sets() if s.n_labels > 0)
    at = app()
    at.session_state["session_id"] = info.session_id
    at.session_state["set_id"] = info.id
    at.switch_page("pages/sessions_page.py")
    ok(at.run())
    return store, info, at


def test_2_cleared_note_saves_and_later_saves_keep_working():
    store, info, at = _labels_page()
    cset = store.load_candidate_set(info.id)
    key = f"labels_editor_{info.id}"
    at.session_state[key] = {"edited_rows": {0: {"label": 2, "note": "great"}}, "added_rows": [], "deleted_rows": []}
    ok(at.run())
    ok(button(at, f"labels_save_{info.id}").click().run())
    assert store.get_labels(info.id)[cset.documents[0].id].note == "great"
    at.session_state[key] = {"edited_rows": {0: {"note": None}}, "added_rows": [], "deleted_rows": []}   # cleared
    ok(at.run())
    ok(button(at, f"labels_save_{info.id}").click().run())
    assert store.get_labels(info.id)[cset.documents[0].id].note == ""
    at.session_state[key] = {"edited_rows": {1: {"label": 1}}, "added_rows": [], "deleted_rows": []}
    ok(at.run())
    ok(button(at, f"labels_save_{info.id}").click().run())     # a later save still works
    assert store.get_labels(info.id)[cset.documents[1].id].grade == 1


def test_2_note_without_label_is_kept_as_a_note():
    store, info, at = _labels_page()
    cset = store.load_candidate_set(info.id)
    unlabelled = 1
    store.clear_label(info.id, cset.documents[unlabelled].id)
    at.run()
    before = store.get_labels(info.id)
    key = f"labels_editor_{info.id}"
    at.session_state[key] = {"edited_rows": {unlabelled: {"note": "check the colour"}},
                             "added_rows": [], "deleted_rows": []}
    at.run()
    button(at, f"labels_save_{info.id}").click().run()
    assert not at.error
    assert store.get_labels(info.id) == before                 # no grade invented
    assert store.get_notes(info.id)[cset.documents[unlabelled].id] == "check the colour"


# 3 ------------------------------------------------------------------------------------------
def test_3_import_defaults_to_a_new_session_named_after_the_file():
    seed_samples(Store())
    store = Store()
    open_session = store.list_sessions()[0]
    at = app()
    at.session_state["session_id"] = open_session.id
    data = (CSV_HEAD + "\nq1,red shoes,,d1,red running shoes,,2\n").encode()
    at = ok(_upload(at, "my shoes.csv", data))
    assert at.selectbox(key="import_target").value == "new"     # the new-session option
    assert at.selectbox(key="import_target").options[0] == "New session"
    assert at.text_input(key="import_new_name").value == "my shoes"
    ok(button(at, "import_save").click().run())
    assert store.get_session("my shoes").n_sets == 1
    assert store.get_session(open_session.id).n_sets == open_session.n_sets


# 4 ------------------------------------------------------------------------------------------
def test_4_truncated_document_is_named_in_a_warning(tiny_checkpoint):
    at = ok(app().switch_page("pages/rerank_page.py").run())
    at.radio(key="rr_mode").set_value("single").run()
    at.radio(key="rr_backend").set_value("qwen-vl").run()
    at.text_input(key="rr_model").set_value(tiny_checkpoint).run()
    at.text_input(key="rr_qtext").set_value("red shoes").run()
    at.text_input(key="rr_single").set_value(" ".join(f"w{i}q{i * 7 % 13}" for i in range(1500))).run()  # 11k chars
    button(at, "rr_go").click().run()
    ok(settle(at))
    assert any("warning" in w.value for w in at.warning)
    texts = " ".join(t.value for t in at.text)
    assert "doc1" in texts and "truncated" in texts


# 5 ------------------------------------------------------------------------------------------
def test_5_common_column_aliases_are_accepted(tmp_path):
    path = tmp_path / "aliases.csv"
    path.write_text("query_id,query,query_image,doc_id,text,image,label\nq1,red shoes,,d1,red running shoes,,2\n")
    res = wio.read_candidates(path)
    assert res.sets[0].query.text == "red shoes" and res.sets[0].documents[0].text == "red running shoes"
    at = ok(_upload(app(), "aliases.csv", path.read_bytes()))
    assert {m.label: m.value for m in at.metric}["Documents"] == "1"


# 6 ------------------------------------------------------------------------------------------
def test_6_empty_custom_instruction_is_refused_and_run_names_do_not_repeat():
    seed_samples(Store())
    store = Store()
    info = store.list_candidate_sets()[0]
    at = app()
    at.session_state["session_id"] = info.session_id
    at.session_state["set_id"] = info.id
    at.switch_page("pages/rerank_page.py")
    ok(at.run())
    at.radio(key="rr_backend").set_value("lexical").run()
    at.selectbox(key="rr_template").set_value("custom").run()
    at.toggle(key="rr_precise").set_value(True).run()
    button(at, "rr_go").click().run()
    assert any("instruction is empty" in plain(e.value) for e in at.error)
    settle(at)
    assert store.list_runs(set_id=info.id) == []
    from workbench.config import with_precise

    assert with_precise("", True) == ""
    at.selectbox(key="rr_template").set_value("web").run()
    at.text_input(key="rr_name").set_value("my first run").run()
    button(at, "rr_go").click().run()
    ok(settle(at))
    assert at.text_input(key="rr_name").value == ""          # the next run gets its own name
    button(at, "rr_go").click().run()
    ok(settle(at))
    assert [r.name for r in store.list_runs(set_id=info.id)] == ["my first run", "web + precise"]


# 7 ------------------------------------------------------------------------------------------
def test_7_rerank_settings_survive_leaving_the_page_and_results_follow_the_set():
    seed_samples(Store())
    store = Store()
    sets = store.list_candidate_sets()
    a = sets[0]
    b = next(s for s in sets if s.session_id != a.session_id)
    at = app()
    at.session_state["session_id"] = a.session_id
    at.session_state["set_id"] = a.id
    at.switch_page("pages/rerank_page.py")
    ok(at.run())
    at.radio(key="rr_backend").set_value("lexical").run()
    at.selectbox(key="rr_template").set_value("legal").run()
    at.toggle(key="rr_precise").set_value(True).run()
    button(at, "rr_go").click().run()
    ok(settle(at))
    run_a = store.list_runs(set_id=a.id)[-1]
    at.text_input(key="rr_name").set_value("kept name").run()
    ok(at.switch_page("pages/home_page.py").run())
    ok(at.switch_page("pages/rerank_page.py").run())
    assert at.selectbox(key="rr_template").value == "legal"
    assert at.toggle(key="rr_precise").value is True
    assert at.text_input(key="rr_name").value == "kept name"
    assert at.radio(key="rr_backend").value == "lexical"
    assert any(f"#{run_a.id} " in c.value for c in at.caption)
    # another session: its Results never show the first session's run
    at.session_state["session_id"] = b.session_id
    at.session_state["set_id"] = b.id
    ok(at.run())
    assert not any(f"#{run_a.id} " in c.value for c in at.caption)


# 8 ------------------------------------------------------------------------------------------
def test_8_ranked_import_one_run_per_system_named_after_it_and_no_duplicates():
    seed_samples(Store())
    store = Store()
    info = store.list_candidate_sets()[0]
    cset = store.load_candidate_set(info.id)
    rows = ["query_id,doc_id,score,system"]
    for system in ("bm25-prod", "dense-v2"):
        rows += [f"{cset.query.id},{d.id},{(i + 1) / 10 if system == 'dense-v2' else 1 - i / 10},{system}"
                 for i, d in enumerate(cset.documents)]
    data = ("\n".join(rows) + "\n").encode()
    at = app()
    at.session_state["session_id"] = info.session_id
    at.switch_page("pages/sessions_page.py")
    ok(at.run())
    for _ in range(2):
        at.file_uploader(key="ss_ranked").set_value(("other systems.csv", data, "text/csv")).run()
        ok(button(at, "ss_import_runs").click().run())
    imported = [r for r in store.list_runs(set_id=info.id) if r.status == "imported"]
    assert sorted(r.name for r in imported) == ["bm25-prod", "dense-v2"]
    assert any("2 identical runs were already imported" in s.value for s in at.success)
    dense = store.load_run(next(r.id for r in imported if r.name == "dense-v2"))
    assert dense.ranking() == [d.id for d in cset.documents][::-1]


# 9 ------------------------------------------------------------------------------------------
def test_9_unreachable_hub_fails_fast(monkeypatch):
    from workbench import hub
    from workbench.errors import ModelNotFound

    with socket.socket() as s:                 # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("HF_HUB_CACHE", str(Path(os.environ["WORKBENCH_HOME"]) / "hf"))
    started = time.perf_counter()
    with pytest.raises(ModelNotFound) as exc:
        hub.check_reachable("some-org/some-reranker")
    assert time.perf_counter() - started < 10
    assert "cannot be reached" in exc.value.message and exc.value.fix
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelNotFound, match="switched off"):
        hub.check_reachable("some-org/some-reranker")
    hub.check_reachable(str(ROOT))             # a local folder never needs the hub
    # in the app: the error and its fix, quickly, no run created
    at = ok(app().switch_page("pages/rerank_page.py").run())
    at.radio(key="rr_mode").set_value("single").run()
    at.radio(key="rr_backend").set_value("qwen-vl").run()
    at.text_input(key="rr_model").set_value("some-org/some-reranker").run()
    at.text_input(key="rr_qtext").set_value("q").run()
    at.text_input(key="rr_single").set_value("d").run()
    button(at, "rr_go").click().run()
    assert any("some-org/some-reranker" in plain(e.value) and "How to fix" in plain(e.value) for e in at.error)


# 10 -----------------------------------------------------------------------------------------
def test_10_labelled_count_is_fresh_after_saving_and_stopped_runs_show_no_zero_counts():
    seed_samples(Store())
    store = Store()
    info = store.list_candidate_sets()[0]
    at = app()
    at.session_state["session_id"] = info.session_id
    at.session_state["set_id"] = info.id
    at.switch_page("pages/rerank_page.py")
    ok(at.run())
    at.radio(key="rr_backend").set_value("lexical").run()
    button(at, "rr_go").click().run()
    ok(settle(at))
    run = store.list_runs(set_id=info.id)[-1]
    n = info.n_docs
    at.session_state[f"rr_editor_{run.id}"] = {"edited_rows": {i: {"label": 1} for i in range(n)},
                                               "added_rows": [], "deleted_rows": []}
    ok(at.run())
    ok(button(at, f"rr_save_{run.id}").click().run())
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Labelled"] == f"{n}/{n}"
    assert any(f"Saved {n} labels" in s.value for s in at.success)
    assert not [b for b in at.button if b.label == "Cancel"]              # no leftover Cancel
    from ui import frames
    from workbench.model import Run

    stopped = Run(instruction="x", backend="qwen-vl", model_id="m", status="cancelled")
    values = {label: value for label, value, _ in frames.run_metrics(stopped, 10, 0)}
    assert values["Cache hits"] == "—" and values["Time"] == "—" and "0/0" not in values.values()


def test_10_ocr_report_is_gone_after_the_edits_are_saved():
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed")
    seed_samples(Store())
    store = Store()
    info = next(s for s in store.list_candidate_sets() if s.name == "denim-jacket")
    at = app()
    at.session_state["session_id"] = info.session_id
    at.session_state["set_id"] = info.id
    at.switch_page("pages/ocr_page.py")
    ok(at.run())
    at.checkbox(key="ocr_only_missing").set_value(False).run()
    button(at, "ocr_go").click().run()
    ok(settle(at, timeout=300))
    assert any("OCR read" in s.value for s in at.success)
    box = next(t for t in at.text_area if t.key.startswith(f"ocr_{info.id}_"))
    box.set_value("typed by hand").run()
    ok(button(at, "ocr_save").click().run())
    assert not any("OCR read" in s.value for s in at.success)


# 11 -----------------------------------------------------------------------------------------
def _compared(templates, precise=False, lexical=False, backend="lexical"):
    seed_samples(Store())
    store = Store()
    info = next(s for s in store.list_candidate_sets() if s.n_labels > 0)
    at = app()
    at.session_state["session_id"] = info.session_id
    at.session_state["set_id"] = info.id
    at.switch_page("pages/compare_page.py")
    ok(at.run())
    at.radio(key="cmp_backend").set_value(backend).run()
    at.multiselect(key="cmp_templates").set_value(templates).run()
    if precise:
        at.toggle(key="cmp_precise").set_value(True).run()
    button(at, "cmp_go").click().run()
    ok(settle(at))
    return store, info, at


def test_11_compare_advice_is_grouped_and_fits_each_run():
    from ui import comparison
    from workbench import service
    from workbench.model import Result, Run

    seed_samples(Store())
    store = Store()
    info = next(s for s in store.list_candidate_sets() if s.n_docs >= 4)
    cset = store.load_candidate_set(info.id)
    from workbench.config import INSTRUCTION_TEMPLATES, with_precise

    ids = []
    for name, instruction, base in (("e-commerce", INSTRUCTION_TEMPLATES["e-commerce"], 0.75),
                                    ("web + precise", with_precise(INSTRUCTION_TEMPLATES["web"], True), 0.5)):
        rid = store.create_run(info.id, Run(instruction=instruction, backend="qwen-vl", model_id="m", name=name,
                                            status="done", query_id=cset.query.id))
        store.add_results(rid, [Result(doc_id=d.id, score=base + i / 1000, rank=i + 1, index=i)
                                for i, d in enumerate(cset.documents)]) if hasattr(store, "add_results") else \
            store.add_scores(rid, [Result(doc_id=d.id, score=base + i / 1000, rank=i + 1, index=i)
                                   for i, d in enumerate(cset.documents)])
        store.finish_run(rid, "done")
        ids.append(rid)
    result = service.compare_runs(store, ids)
    items = comparison.advice(result)
    by_run = {r: item for item in items for r in item["runs"]}
    ecommerce, web = by_run["e-commerce"], by_run["web + precise"]
    assert not any("e-commerce template" in t for t in ecommerce["tips"])
    assert not any("Be precise" in t for t in web["tips"])
    assert "around 0.5" not in ecommerce["why"] and "around 0.7" in ecommerce["why"]
    assert "around 0.5" in web["why"]
    # the page: one box per diagnosis, notes not repeated, a baseline picker
    at = app()
    at.session_state["session_id"] = info.session_id
    at.session_state["set_id"] = info.id
    at.session_state["run_ids"] = ids
    at.switch_page("pages/compare_page.py")
    ok(at.run())
    warnings = [w.value for w in at.warning if "discriminate" in w.value]
    assert len(warnings) == len(items) == 2
    infos = [i.value for i in at.info]
    assert len(infos) == len(set(infos))
    assert at.selectbox(key="cmp_baseline").options == ["e-commerce", "web + precise"]
    at.selectbox(key="cmp_baseline").set_value("web + precise").run()
    ok(at)
    shift = next(d.value for d in at.dataframe if any(c.endswith(" shift") for c in d.value.columns))
    cols = list(shift.columns)
    assert cols[:3] == ["doc_id", "description", "e-commerce shift"]          # shifts first, described
    assert shift["description"].astype(bool).all()


def test_11_rank_shifts_with_a_cancelled_partial_run():
    seed_samples(Store())
    store = Store()
    info = next(s for s in store.list_candidate_sets() if s.n_docs >= 4)
    cset = store.load_candidate_set(info.id)
    from workbench.model import Result, Run

    ids = []
    for name, n, status in (("full", len(cset.documents), "done"), ("stopped", 2, "cancelled")):
        rid = store.create_run(info.id, Run(instruction=name, backend="qwen-vl", model_id="m", name=name,
                                            status="running", query_id=cset.query.id))
        store.add_scores(rid, [Result(doc_id=d.id, score=0.9 - i / 20, rank=i + 1, index=i)
                               for i, d in enumerate(cset.documents[:n])])
        store.finish_run(rid, status)
        ids.append(rid)
    at = app()
    at.session_state["session_id"] = info.session_id
    at.session_state["set_id"] = info.id
    at.session_state["run_ids"] = ids
    at.switch_page("pages/compare_page.py")
    ok(at.run())
    shift = next(d.value for d in at.dataframe if any(c.endswith(" shift") for c in d.value.columns))
    cells = shift.astype(str).to_numpy().ravel().tolist()
    assert "None" not in cells and "<NA>" not in cells and "—" in cells      # missing docs read "—"


def test_11_bm25_next_to_p_yes_keeps_the_0_1_axis():
    from ui import comparison

    store, info, at = _compared(["web", "QA"])
    lex = [r.id for r in store.list_runs(set_id=info.id)]
    from workbench.model import Result, Run

    cset = store.load_candidate_set(info.id)
    rid = store.create_run(info.id, Run(instruction="p", backend="qwen-vl", model_id="m", name="model",
                                        status="done", query_id=cset.query.id))
    store.add_scores(rid, [Result(doc_id=d.id, score=0.9 - i / 20, rank=i + 1, index=i)
                           for i, d in enumerate(cset.documents)])
    store.finish_run(rid, "done")
    at.session_state["run_ids"] = [*lex, rid]
    ok(at.run())
    specs = chart_specs(at)
    both = [s for s in specs if '"P(yes)"' in s or "raw score" in s]
    assert any('"domain":[0,1]' in s and '"P(yes)"' in s for s in both), "P(yes) runs lost the 0-1 axis"
    assert any("raw score" in s and '"domain":[0,1]' not in s for s in both)
    del comparison


def test_11_heatmap_has_numbers_and_win_loss_shows_ties():
    import json

    from ui import comparison

    frame = pd.DataFrame({"query_id": ["q1", "q2", "q3"], "metric": "ndcg@10", "value_a": [0.5, 0.7, 0.2],
                          "value_b": [0.6, 0.7, 0.1], "diff": [0.1, 0.0, -0.1], "outcome": ["win", "tie", "loss"]})
    spec = json.dumps(comparison._win_loss_chart(frame).to_dict())
    assert '"diamond"' in spec and "tickMinStep" in spec
    store, info, at = _compared(["web", "QA"])
    assert any('"mark":{"type":"text"' in s and "kendall" in s.lower() for s in chart_specs(at))


# 12 -----------------------------------------------------------------------------------------
def test_12_tables_have_no_none_dates_are_readable_sets_are_named():
    from ui import frames

    seed_samples(Store())
    store = Store()
    sets = store.list_candidate_sets()
    info = sets[0]
    from workbench.model import Run

    rid = store.create_run(info.id, Run(instruction="", backend="lexical", model_id="bm25", status="done",
                                        query_id=info.query_id, started_at="2026-11-25T01:42:23+00:00"))
    frame = frames.runs_frame(store.list_runs(session_id=info.session_id), sets)
    row = frame[frame["run"] == rid].iloc[0]
    assert row["set"] == (info.name or info.query_id) and row["started"] == "2026-11-25 01:42"
    assert "None" not in frame.astype(str).to_numpy().ravel().tolist()
    assert "None" not in frames.sessions_frame(store.list_sessions()).astype(str).to_numpy().ravel().tolist()
    assert frames.plural(1, "candidate set") == "1 candidate set" and frames.plural(2, "query", "queries") == "2 queries"
    # the page shows the same frame
    at = app()
    at.session_state["session_id"] = info.session_id
    at.switch_page("pages/sessions_page.py")
    ok(at.run())
    shown = next(d.value for d in at.dataframe if "set" in d.value.columns)     # the run's rankings
    assert (info.name or info.query_id) in shown["set"].tolist()


def test_12_header_only_file_and_app_wording_of_errors(tmp_path):
    at = _upload(app(), "empty.csv", (CSV_HEAD + "\n").encode())
    text = plain(at.error[0].value)
    assert "no data rows" in text and "listed above" not in text
    from workbench import i18n
    from workbench.errors import EncodingError, ModelNotFound

    encoding = EncodingError.coded("encoding.undetected", {"name": "a.csv"})
    model = ModelNotFound.coded("model.no_config", {"path": "/m", "model_id": "x/y"})
    assert "--encoding" in encoding.fix and "--model" in model.fix            # the CLI's fixes
    assert "--encoding" not in i18n.error_text(encoding, surface="app")[1]   # the app's
    assert "--model" not in i18n.error_text(model, surface="app")[1]


def test_12_the_import_page_says_the_apps_fix_and_note_not_the_cli_flag():
    """err.<code>.fix.app and import.note_legacy.app: the Text encoding option, not --encoding."""
    at = app().switch_page("pages/import_page.py")
    ok(at.run())
    data = (CSV_HEAD + "\nq1,深蓝色牛仔夹克,,d1,中文文本内容很多,,\n").encode("gbk")
    at.file_uploader(key="import_file").set_value(("gbk.csv", data, "text/csv")).run()
    at.selectbox(key="import_encoding").set_value("utf-8").run()
    button(at, "import_read").click().run()
    text = plain(at.error[0].value)
    assert "(e.g. gbk) under Text encoding on the Import page" in text and "--encoding" not in text
    at.selectbox(key="import_encoding").set_value("").run()            # detected: a note says so
    button(at, "import_read").click().run()
    notes = [t.value for t in at.text if "not UTF-8" in t.value]
    assert notes and "Text encoding above" in notes[0] and "--encoding" not in notes[0]


def test_12_image_import_set_is_named_after_the_query_and_chart_grades_coloured(tmp_path):
    from tests.helpers import random_image
    from ui import frames

    png = Path(random_image(tmp_path / "shoe.png", 32, 32, 1)).read_bytes()
    at = app().switch_page("pages/import_page.py")
    ok(at.run())
    at.file_uploader(key="import_images").set_value([("shoe.png", png, "image/png"),
                                                     ("hat.png", png[:-1] + b"\0", "image/png")]).run()
    at.text_input(key="import_qtext").set_value("red shoes").run()
    ok(button(at, "import_read_images").click().run())
    name = at.session_state.import_result.sets[0].name or at.session_state.import_result.sets[0].query.id
    assert not name.startswith("images-") and "red" in name
    assert frames.GRADE_COLOURS["grade 2"] == "#2e7d32" and frames.GRADE_COLOURS["grade 0"] == "#9e9e9e"


def test_12_rename_and_delete_are_confirmed():
    store = Store()
    sid = store.create_session("to rename").id
    at = app()
    at.session_state["session_id"] = sid
    at.switch_page("pages/sessions_page.py")
    ok(at.run())
    at.text_input(key=f"ss_rename_{sid}").set_value("renamed").run()
    ok(button(at, "ss_rename_btn").click().run())
    assert any("Renamed" in plain(s.value) and "renamed" in plain(s.value) for s in at.success)
    ok(button(at, "ss_delete").click().run())
    ok(button(at, "ss_delete_yes").click().run())
    assert any("Deleted the session" in plain(s.value) for s in at.success)


# 13 -----------------------------------------------------------------------------------------
def test_13_run_workbench_passes_extra_arguments_and_prints_the_real_url(tmp_path):
    needs = [shutil.which("tesseract"), Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc").exists()]
    if not all(needs):
        pytest.skip("the script would install system packages first")
    for name in ("run_workbench.sh", "pyproject.toml", "constraints.txt", "requirements/cpu.lock",
                 "scripts/lockenv.sh"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    venv = tmp_path / ".venv" / "bin"
    venv.mkdir(parents=True)
    os.symlink(shutil.which("python3") or "/usr/bin/python3", venv / "python")
    (venv / "workbench").write_text("#!/bin/sh\nexit 0\n")
    (venv / "streamlit").write_text('#!/bin/sh\necho "STREAMLIT $*"\n')
    for f in ("workbench", "streamlit"):
        (venv / f).chmod(0o755)
    import hashlib

    digest = hashlib.sha256((tmp_path / "pyproject.toml").read_bytes()
                            + (tmp_path / "requirements" / "cpu.lock").read_bytes()).hexdigest()[:16]
    (tmp_path / ".venv" / f".installed-{digest}").touch()
    out = subprocess.run(["bash", str(tmp_path / "run_workbench.sh"), "--server.port", "8640"],
                         capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "http://127.0.0.1:8640" in out.stdout + out.stderr
    line = next(x for x in out.stdout.splitlines() if x.startswith("STREAMLIT"))
    assert line.split().count("--server.port") == 1 and line.endswith("--server.port 8640")
    out = subprocess.run(["bash", str(tmp_path / "run_workbench.sh"), "app", "--server.port=8641"],
                         capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert out.returncode == 0 and "http://127.0.0.1:8641" in out.stdout + out.stderr


# worker, error log --------------------------------------------------------------------------
def test_job_cancel_stops_the_tiny_model_between_batches_and_keeps_scores(tiny_checkpoint):
    from workbench import jobs, service
    from workbench.model import CandidateSet, Document, Query
    from workbench.rerank import registry

    store = Store()
    session = store.create_session("jobs")
    docs = [Document(id=f"d{i}", text=f"document number {i} about shoes " * 8) for i in range(64)]
    set_id = store.save_candidate_set(session.id, CandidateSet(Query(id="q", text="shoes"), docs))
    rr = registry.get_reranker("qwen-vl", model_path=tiny_checkpoint, batch_size=4)
    reg = jobs.JobRegistry()
    lock = threading.Lock()
    job = reg.start(("db", session.id), "rerank", "test", lambda j: service.rerank_set(
        store, set_id, "find shoes", rr, progress=j.progress, cancel=j.cancel, on_run_created=j.add_run), lock=lock)
    deadline = time.time() + 120
    while job.done < 8:
        assert time.time() < deadline and job.running, (job.status, job.error)
        time.sleep(0.05)
    seen = job.done
    job.request_cancel()
    assert job.wait(120)
    assert job.status == jobs.CANCELLED
    run = store.load_run(job.run_ids[0])
    assert run.status == "cancelled" and seen <= len(run.scores) <= seen + 2 * 4 and len(run.scores) < 64
    assert sorted(s.rank for s in run.scores) == list(range(1, len(run.scores) + 1))
    assert reg.running(("db", session.id)) == [] and reg.latest(("db", session.id), "rerank") is job
    assert not lock.locked()


def test_job_error_is_kept_and_unexpected_errors_get_an_id_in_the_log():
    from workbench import errorlog, jobs

    reg = jobs.JobRegistry()

    def boom(job):
        raise RuntimeError("secret internals /srv/x")
    job = reg.start("k", "rerank", "boom", boom)
    assert job.wait(10) and job.status == jobs.FAILED and isinstance(job.error, RuntimeError)

    def page():
        import ui

        with ui.errors_shown("test"):
            raise RuntimeError("secret internals /srv/x")

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(page).run()
    assert not at.exception
    text = plain(at.error[0].value)
    assert "error id" in text and "secret internals" not in text
    import re

    error_id = re.search(r"error id \**([0-9a-f]{8})", text).group(1)
    logged = errorlog.find(error_id)
    assert logged and "secret internals /srv/x" in logged and "Traceback" in logged
    assert errorlog.log_path().is_relative_to(Path(os.environ["WORKBENCH_HOME"]))


def test_url_state_reopens_session_set_and_runs():
    seed_samples(Store())
    store = Store()
    info = store.list_candidate_sets()[-1]
    from workbench.model import Result, Run

    cset = store.load_candidate_set(info.id)
    rid = store.create_run(info.id, Run(instruction="x", backend="lexical", model_id="bm25", status="done",
                                        name="from the link", query_id=cset.query.id))
    store.add_scores(rid, [Result(doc_id=d.id, score=1 - i / 10, rank=i + 1, index=i)
                           for i, d in enumerate(cset.documents)])
    at = app()
    at.query_params.update(session=str(info.session_id), set=str(info.id), runs=str(rid), ocr="eng", lang="en")
    at.switch_page("pages/rerank_page.py")
    ok(at.run())
    assert at.session_state.session_id == info.session_id and at.session_state.set_id == info.id
    assert at.selectbox(key="rr_set").value == info.id
    assert any(f"#{rid} from the link" in c.value for c in at.caption)
    assert at.session_state.ocr_langs == "eng"
    assert at.query_params["runs"] == [str(rid)] or at.query_params["runs"] == str(rid)
