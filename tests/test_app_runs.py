"""Sessions › Runs in the app: a run's note is saved, and one run is deleted after a
confirmation (its scores with it; labels, sets and the other runs stay)."""

from __future__ import annotations

from tests.test_pages import app, button, ok
from workbench.model import Result, Run
from workbench.samples import seed_samples
from workbench.store import Store


def _two_runs():
    seed_samples(Store())
    store = Store()
    info = store.list_candidate_sets()[0]
    cset = store.load_candidate_set(info.id)
    ids = []
    for name in ("keep me", "drop me"):
        rid = store.create_run(info.id, Run(instruction=name, backend="lexical", model_id="bm25", status="done",
                                            name=name, query_id=cset.query.id))
        store.add_scores(rid, [Result(doc_id=d.id, score=1 - i / 10, rank=i + 1, index=i)
                               for i, d in enumerate(cset.documents)])
        ids.append(rid)
    return store, info, ids


def _sessions(at, info, run_id, lang="en"):
    at.query_params.update(session=str(info.session_id), set=str(info.id), runs=str(run_id), lang=lang)
    ok(at.run())
    at.switch_page("pages/sessions_page.py")
    return ok(at.run())


def test_a_run_note_is_saved_and_shown_again():
    store, info, (keep, drop) = _two_runs()
    at = _sessions(app(), info, keep)
    box = next(b for b in at.text_area if b.key == f"run_note_{keep}")
    box.set_value("baseline for the web template")
    ok(button(at, f"run_note_save_{keep}").click().run())
    assert store.load_run(keep).note == "baseline for the web template"
    fresh = _sessions(app(), info, keep)                  # a new browser session reads it back
    assert next(b for b in fresh.text_area if b.key == f"run_note_{keep}").value == "baseline for the web template"


def test_a_run_is_deleted_only_after_confirming():
    store, info, (keep, drop) = _two_runs()
    at = _sessions(app(), info, drop)
    ok(button(at, f"run_delete_{drop}").click().run())
    assert any("cannot be undone" in w.value for w in at.warning)
    ok(button(at, f"run_delete_no_{drop}").click().run())            # Keep: nothing happens
    assert {r.id for r in store.list_runs(set_id=info.id)} >= {keep, drop}
    ok(button(at, f"run_delete_{drop}").click().run())
    ok(button(at, f"run_delete_yes_{drop}").click().run())
    left = {r.id for r in store.list_runs(set_id=info.id)}
    assert drop not in left and keep in left
    assert any("deleted" in s.value for s in at.success)
    assert store.load_candidate_set(info.id).documents                 # the set is untouched


def test_run_actions_speak_chinese():
    _store, info, (keep, _drop) = _two_runs()
    at = _sessions(app(), info, keep, lang="zh")
    assert next(b for b in at.text_area if b.key == f"run_note_{keep}").label == "运行备注"
    assert button(at, f"run_delete_{keep}").label == "删除运行…"
