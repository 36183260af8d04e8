"""The OCR page's whole-session OCR (issue 15): one click reads every set of the session in
the worker, with the page's language and "only images without OCR text" options; the review
table clears the OCR of the rows picked. Real store, real tesseract; nothing mocked."""

from __future__ import annotations

import pytest

from tests.test_ocr_confidence import _photos, _texts, needs_font, needs_tesseract
from tests.test_pages import app, button, ok, settle
from workbench import ocr
from workbench.model import CandidateSet, Document, Query
from workbench.store import Store


def _two_sets(tmp_path):
    """A session with two sets: a photo and a text image in the first, a text image in the second."""
    store = Store()
    photo, (text_a, _), (text_b, _) = _photos(tmp_path)[0], *_texts(tmp_path)[:2]
    info = store.create_session("two sets")
    a = store.save_candidate_set(info.id, CandidateSet(
        Query("q1", "bottle"), [Document("photo", "coffee", image=str(photo)),
                                Document("label", "bottle", image=str(text_a))], name="first"))
    b = store.save_candidate_set(info.id, CandidateSet(
        Query("q2", "tea"), [Document("tea", "a tin", image=str(text_b))], name="second"))
    return store, info, a, b


def _ocr_page(info, set_id, lang: str | None = None):
    at = app()
    if lang:
        at.session_state["ui_lang"] = lang              # as the sidebar's switch or ?lang= sets it
        ok(at.run())                                    # app.py applies it (a page run alone does not)
    at.session_state["session_id"] = info.id
    at.session_state["set_id"] = set_id
    at.switch_page("pages/ocr_page.py")
    return ok(at.run())


@needs_tesseract
@needs_font
def test_ocr_of_every_set_of_the_session_from_the_page(tmp_path):
    store, info, a, b = _two_sets(tmp_path)
    at = _ocr_page(info, a)
    assert all(d.ocr_text is None for s in (a, b) for d in store.load_candidate_set(s).documents)
    go = button(at, "ocr_go_session")
    assert go.label == "OCR every set of this session" and not go.disabled
    go.click().run()
    ok(settle(at, timeout=300))
    first, second = store.load_candidate_set(a), store.load_candidate_set(b)
    status = {d.id: ocr.ocr_status(d) for d in first.documents}
    assert status == {"photo": ocr.NO_TEXT_FOUND, "label": "text"}
    # the set's counts tell a photo with no text from an image with text
    assert any("2 of 2 documents have an image: 1 text · 1 no text found." in m.value
               for m in at.markdown), [m.value for m in at.markdown]
    assert first.documents[1].ocr_text and first.documents[1].description.startswith("[OCR] ")
    assert second.documents[0].ocr_text and second.documents[0].description.startswith("[OCR] ")
    assert any("OCR read 2 of 3 images in 2 sets" in s.value for s in at.success), [s.value for s in at.success]
    summary = next(d.value for d in at.dataframe if "set" in d.value.columns)
    assert sorted(summary["set"]) == ["first", "second"]
    assert list(summary.set_index("set").loc[["first", "second"], "text read"]) == [1, 1]
    # the shown set's photo is flagged, with its own words
    assert any("photo" in w.value and "no text found" in w.value for w in at.warning)

    # "only images without OCR text" (the default) reads nothing more: every image has its text
    before = {d.id: d.ocr_text for s in (a, b) for d in store.load_candidate_set(s).documents}
    store.update_document_text(b, "tea", ocr_text=None)               # one image forgotten
    ok(at.run())
    button(at, "ocr_go_session").click().run()
    ok(settle(at, timeout=300))
    after = {d.id: d.ocr_text for s in (a, b) for d in store.load_candidate_set(s).documents}
    assert after == before                                            # read again, the same text
    assert any("OCR read 1 of 1 image in 2 sets" in s.value for s in at.success), [s.value for s in at.success]


@needs_tesseract
@needs_font
def test_review_table_clears_the_ocr_of_the_rows_picked(tmp_path):
    store, info, a, b = _two_sets(tmp_path)
    at = _ocr_page(info, a)
    button(at, "ocr_go").click().run()
    ok(settle(at, timeout=300))
    assert store.load_candidate_set(a).documents[1].ocr_text
    clear = button(at, f"ocr_clear_{a}")
    assert clear.disabled                                             # nothing picked yet
    at.session_state[f"ocr_review_{a}"] = {"selection": {"rows": [1], "columns": []}}
    ok(at.run())
    clear = button(at, f"ocr_clear_{a}")
    assert clear.label == "Clear OCR of 1 selected document" and not clear.disabled
    ok(clear.click().run())
    docs = {d.id: d for d in store.load_candidate_set(a).documents}
    assert docs["label"].ocr_text == "" and docs["label"].description == "[TEXT] bottle"   # "no text": sticks
    assert docs["photo"].ocr_text == ""                               # the row not picked is kept
    assert any("Cleared the OCR text of 1 document (your edits kept). They count as" in s.value for s in at.success)


def test_ocr_page_in_chinese_names_its_actions_in_chinese(tmp_path):
    store = Store()
    info = store.create_session("空会话")
    sid = store.save_candidate_set(info.id, CandidateSet(Query("q", "茶"), [Document("d1", "绿茶")], name="茶"))
    at = _ocr_page(info, sid, lang="zh")
    assert button(at, "ocr_go_session").label == "对本会话的每个集合运行 OCR"
    assert button(at, "ocr_go").label == "运行 OCR"
    assert at.title[0].value == "OCR 识别"
    assert any("没有 OCR 文本" in c.label for c in at.checkbox)


@needs_tesseract
@needs_font
def test_ocr_of_a_session_whose_images_all_have_text_says_nothing_was_read(tmp_path):
    store, info, a, b = _two_sets(tmp_path)
    for set_id in (a, b):
        for doc in store.load_candidate_set(set_id).documents:
            store.update_document_text(set_id, doc.id, ocr_text="READ BEFORE")
    at = _ocr_page(info, a)
    button(at, "ocr_go_session").click().run()
    ok(settle(at, timeout=300))
    assert any("so nothing was read" in i.value for i in at.info)
    assert not at.success
    assert all(d.ocr_text == "READ BEFORE" for s in (a, b) for d in store.load_candidate_set(s).documents)
