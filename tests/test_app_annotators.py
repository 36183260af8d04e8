"""Team mode in the app (issue 22): the sidebar's annotator in the URL, grades and notes written as
that annotator, blind mode on the Label page, the agreement table, disagreements and adjudication,
and Compare's labels selector. Real store, real pages (AppTest), no mocks."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench import service
from workbench.model import CandidateSet, Document, Query, Result, Run

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def _app():
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(APP, default_timeout=90)


def _ok(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _texts(at) -> str:
    return "\n".join([c.value for c in at.caption] + [m.value for m in at.markdown])


def _session(store):
    info = store.create_session("team")
    sid = store.save_candidate_set(info.id, CandidateSet(Query("q1", "red shoes"),
                                                         [Document(d, f"doc {d}") for d in "abcd"]))
    return info, sid


def _label_page(info, sid, annotator=None, **params):
    at = _app()
    at.query_params["session"] = str(info.id)
    at.query_params["set"] = str(sid)
    if annotator is not None:
        at.query_params["annotator"] = annotator
    for k, v in params.items():
        at.query_params[k] = v
    _ok(at.run())
    return _ok(at.switch_page("pages/label_page.py").run())


def test_the_annotator_comes_from_the_url_and_every_grade_and_note_is_theirs(store):
    info, sid = _session(store)
    at = _label_page(info, sid, "ann", doc="a")
    assert at.session_state["annotator"] == "ann"
    assert at.sidebar.selectbox(key="sb_annotator").value == "ann"
    at.button(key="lab_grade_2").click().run()
    _ok(at)
    at.text_area(key=f"lab_note_{sid}_b").input("looks odd").run()
    _ok(at)
    assert {d: lab.grade for d, lab in store.get_labels(sid, annotator="ann").items()} == {"a": 2}
    assert store.get_notes(sid, annotator="ann") == {"b": "looks odd"}
    assert store.get_labels(sid) == {} and store.get_notes(sid) == {}     # the default annotator's: untouched
    # a new name typed in the sidebar: from then on the grades are that person's
    at.sidebar.text_input(key="sb_annotator_new").input("bob").run()
    _ok(at)
    assert at.session_state["annotator"] == "bob"
    at.button(key="lab_grade_0").click().run()
    _ok(at)
    assert set(store.get_labels(sid, annotator="bob")) == {"b"}
    # ... and ann is offered in the picker (a person of the session)
    assert set(at.sidebar.selectbox(key="sb_annotator").options) >= {"ann", "bob", "(unnamed)"}
    at.sidebar.selectbox(key="sb_annotator").set_value("ann").run()
    _ok(at)
    assert at.session_state["annotator"] == "ann"


def test_the_url_keeps_the_annotator(store):
    """What sync_url writes: ?annotator= stays in the URL of every page."""
    info, sid = _session(store)
    at = _label_page(info, sid, "ann")
    assert at.query_params["annotator"] == ["ann"] or at.query_params["annotator"] == "ann"
    at = _label_page(info, sid, "  " + "x" * 101)                     # unusable: the default, said in words
    assert at.session_state["annotator"] == ""
    assert any("not usable" in w.value for w in at.sidebar.warning), [w.value for w in at.sidebar.warning]


def test_blind_mode_hides_others_grades_until_you_give_yours(store):
    info, sid = _session(store)
    store.set_label(sid, "a", 2, annotator="ann")
    store.set_label(sid, "b", 0, annotator="ann")
    at = _label_page(info, sid, "bob", doc="a")
    assert at.toggle(key="lab_blind").value is True
    text = _texts(at)
    assert "Others graded 2 of 4 documents; 2 of their grades are hidden" in text, text
    assert "Also graded by ann (1); their grades stay hidden" in text
    assert "ann: 2" not in text
    at.button(key="lab_grade_1").click().run()        # bob grades a: on to b, still hidden there
    _ok(at)
    assert at.session_state["label_doc"] == "b"
    assert "1 of their grades are hidden" in _texts(at)
    at.button(key="lab_prev").click().run()           # back on a: ann's grade is shown now
    _ok(at)
    assert "Others: ann: 2" in _texts(at)
    assert store.get_labels(sid, annotator="ann")["a"].grade == 2     # nobody's grade overwritten
    assert store.get_labels(sid, annotator="bob")["a"].grade == 1
    at.toggle(key="lab_blind").set_value(False).run()                  # blind off: shown on b too
    at.button(key="lab_next").click().run()
    _ok(at)
    assert "Others: ann: 0" in _texts(at)


def test_agreement_and_adjudication_change_the_metric(store):
    info, sid = _session(store)
    for d, g in zip("abcd", (2, 0, 1, 0)):
        store.set_label(sid, d, g, annotator="ann")
    for d, g in zip("abcd", (0, 0, 1, 2)):
        store.set_label(sid, d, g, annotator="bob")
    rid = store.create_run(sid, Run("i", "lexical", "bm25", name="web", status="done",
                                    scores=[Result(d, 1.0 / (i + 1), i + 1) for i, d in enumerate("abcd")]))
    at = _label_page(info, sid, "carol")
    at.segmented_control(key="lab_view").set_value("agreement").run()
    _ok(at)
    frames = [df.value for df in at.dataframe]
    table = frames[0]
    pair = table.iloc[0]
    assert (pair["annotator_a"], pair["annotator_b"], int(pair["n"]), pair["agreement"]) == ("ann", "bob", 4, "0.50")
    # kappa by hand: p_o = 2/4; ann 0:2 1:1 2:1, bob 0:2 1:1 2:1 -> p_e = (4+1+1)/16 = 0.375 -> 0.2
    assert pair["kappa"] == "0.20"
    assert table.iloc[-1]["annotator_a"] == "(all annotators)" and table.iloc[-1]["alpha"] != ""
    assert any("Cohen" in c.value for c in at.caption)

    before = service.compare_runs(store, [rid], k=4, labels_source="adjudicated")
    at.segmented_control(key="lab_view").set_value("disagreements").run()
    _ok(at)
    shown = at.dataframe[0].value
    assert sorted(shown["doc_id"]) == ["a", "d"]
    assert "2 documents with different grades" in _texts(at)
    at.selectbox(key="team_adj_unit").set_value("q1\td").run()
    at.button(key="team_adj_2").click().run()   # the tie (0 vs 2) went to 0
    _ok(at)
    assert store.get_adjudications(sid)["d"] == (2, "carol")
    assert "Final label 2, set by carol" in _texts(at)
    history = store.label_history(sid, "d")
    assert history[-1]["adjudication"] and history[-1]["annotator"] == "carol"
    assert store.get_labels(sid, annotator="bob")["d"].grade == 2          # bob's own grade stays
    after = service.compare_runs(store, [rid], k=4, labels_source="adjudicated")
    assert _metric(before) != _metric(after)
    at.button(key="team_adj_withdraw").click().run()
    _ok(at)
    assert "d" not in store.get_adjudications(sid)


def _metric(result):
    return result.metrics.table.round(6).to_dict()


@pytest.mark.parametrize("lang", ["zh"])
def test_the_team_views_speak_chinese(store, lang):
    info, sid = _session(store)
    store.set_label(sid, "a", 2, annotator="ann")
    store.set_label(sid, "a", 0, annotator="bob")
    from workbench import i18n

    with i18n.language(lang):          # the test thread formats the widgets' options in 中文 too
        at = _label_page(info, sid, "bob", lang=lang)
        assert "其他人" in _texts(at)
        at.segmented_control(key="lab_view").set_value("agreement").run()
        _ok(at)
        assert any("Krippendorff" in c.value for c in at.caption)
        assert at.dataframe[0].value.iloc[-1]["annotator_a"] == "（所有标注员）"
        at.segmented_control(key="lab_view").set_value("disagreements").run()
        _ok(at)
        assert "1 个文档的等级不同" in _texts(at)


def test_compare_says_whose_labels_and_shows_kappa_and_follows_the_selector(store):
    info, sid = _session(store)
    for d, g in zip("abcd", (2, 0, 1, 0)):
        store.set_label(sid, d, g, annotator="ann")
    for d, g in zip("abcd", (0, 0, 1, 2)):
        store.set_label(sid, d, g, annotator="bob")
    ids = [store.create_run(sid, Run(ins, "lexical", "bm25", name=name, status="done",
                                     scores=[Result(d, 1.0 / (i + 1), i + 1) for i, d in enumerate(order)]))
           for name, ins, order in (("web", "i", "abcd"), ("qa", "j", "dcba"))]
    at = _app()
    for key, value in {"session": str(info.id), "set": str(sid), "runs": ",".join(map(str, ids))}.items():
        at.query_params[key] = value
    _ok(at.run())
    _ok(at.switch_page("pages/compare_page.py").run())
    picker = at.selectbox(key="cmp_labels")
    assert picker.options[:2] == ["adjudicated labels (else the majority)", "majority of the people"]
    assert "ann’s labels" in picker.options and "bob’s labels" in picker.options
    text = "\n".join(c.value for c in at.caption).replace("\\", "")
    assert "Metrics use: adjudicated labels (else the majority)." in text, text
    assert "ann–bob κ 0.20" in text and "α " in text
    # how the runs' ranking changes with whose labels: one column per source, place in brackets
    by_source = next(e for e in at.expander if "changes with whose labels" in e.label)
    frame = by_source.table[0].value
    assert list(frame.index) == ["web", "qa"]
    assert {"ann’s labels", "bob’s labels"} <= set(frame.columns)
    assert frame.loc["web", "ann’s labels"].endswith("(#1)") and frame.loc["qa", "bob’s labels"].endswith("(#1)")

    def tables(at):
        return [df.value.to_csv() for df in at.dataframe]

    before = tables(at)
    picker.set_value("annotator:ann").run()
    _ok(at)
    assert "Metrics use: ann’s labels." in "\n".join(c.value for c in at.caption).replace("\\", "")
    assert tables(at) != before                  # ann's labels rank the runs otherwise than the majority
