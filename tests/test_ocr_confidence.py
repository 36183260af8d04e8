"""OCR that knows when there is no text: tesseract word confidences on real images (no mocks).

Photos are scikit-image's bundled photographs (no legible text); text images are rendered
English and Chinese product text and scikit-image's scanned page.png.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image

from tests.test_cli_errors import assert_analyst_error, run_cli
from workbench import ocr, service
from workbench.errors import InputError, OCRError
from workbench.model import CandidateSet, Document, Query
from workbench.ocr.words import Word, kept_text, line_confidence, words_from_data, words_to_text

skimage = pytest.importorskip("skimage")
DATA = Path(skimage.__file__).parent / "data"
needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract not installed")
needs_font = pytest.mark.skipif(not Path(ocr.FONT_PATH).exists(), reason="CJK font not installed")

PHOTOS = ["coffee.png", "astronaut.png", "rocket.jpg", "chelsea.png"]
TEXTS = [("Stainless Steel Bottle 750ml", 24, False), ("Organic Green Tea 100 Bags", 16, True),
         ("无线蓝牙耳机超长续航", 24, False), ("有机绿茶一百袋装", 36, True)]


def _photos(tmp_path: Path) -> list[Path]:
    out = []
    for name in PHOTOS:   # copies: the OCR cache is keyed by content, paths may be anywhere
        target = tmp_path / name.replace(".jpg", ".png")
        Image.open(DATA / name).convert("RGB").save(target)
        out.append(target)
    return out


def _texts(tmp_path: Path) -> list[tuple[Path, str]]:
    out = []
    for i, (text, size, noisy) in enumerate(TEXTS):
        path = tmp_path / f"text{i}.png"
        ocr.render_sample(text, size, noisy=noisy, seed=i).save(path)
        out.append((path, text))
    return out


# ------------------------------------------------------------------ the rules, on tesseract-shaped data

def test_words_from_image_to_data_dict_skips_layout_rows_and_blanks():
    data = {"text": ["", "Green", " ", "Tea", "x"], "conf": ["-1", "91.5", "-1", 88, "12"],
            "block_num": [1, 1, 1, 1, 1], "par_num": [1, 1, 1, 1, 1], "line_num": [0, 1, 1, 1, 2]}
    words = words_from_data(data)
    assert [(w.text, w.conf, w.line) for w in words] == [("Green", 91.5, 1), ("Tea", 88.0, 1), ("x", 12.0, 2)]
    assert words_to_text(words) == "Green Tea\nx"
    assert words_to_text(words, 50) == "Green Tea"


def test_line_confidence_is_the_median_of_words_with_letters():
    line = [Word("Pistogram", 10), Word("of", 97), Word("grey", 96), Word("|", 5), Word("values:", 96)]
    assert line_confidence(line) == 96          # one misread word does not sink the line; "|" ignored
    junk = [Word("SR", 82), Word("aN", 20), Word("Sed", 30)]
    assert line_confidence(junk) == 30          # one lucky word does not lift a junk line
    assert line_confidence([Word("|", 99)]) == 0


def test_kept_text_drops_junk_lines_then_weak_words_and_noise_only_text_is_empty():
    words = [Word("QS", 42, line=1), Word("YY", 0, line=1),
             Word("YU", 20, line=2), Word("Green", 95, line=2), Word("Tea", 93, line=2),
             Word("|", 90, line=3), Word("~", 90, line=3)]
    assert kept_text(words, 70, 30) == "Green Tea"
    assert kept_text(words, 70, 0) == "YU Green Tea"
    assert kept_text(words, 0, 0).startswith("QS YY")
    assert kept_text(words, 96, 0) == ""                        # nothing confident enough: no text found
    assert words_to_text([Word("|", 90), Word("~", 90)]) == ""   # punctuation alone is no text


def test_thresholds_are_checked_and_env_sets_the_default(monkeypatch):
    with pytest.raises(OCRError, match="from 0 to 100"):
        ocr.OcrSettings(min_confidence=120)
    with pytest.raises(OCRError, match="word confidence threshold"):
        ocr.OcrSettings(min_word_confidence=-1)
    assert ocr.OcrSettings().min_confidence == ocr.DEFAULT_MIN_CONFIDENCE
    monkeypatch.setenv(ocr.MIN_CONFIDENCE_ENV, "55")
    monkeypatch.setenv(ocr.MIN_WORD_CONFIDENCE_ENV, "10")
    assert (ocr.OcrSettings().min_confidence, ocr.OcrSettings().min_word_confidence) == (55, 10)
    monkeypatch.setenv(ocr.MIN_CONFIDENCE_ENV, "lots")
    with pytest.raises(OCRError, match=ocr.MIN_CONFIDENCE_ENV):
        ocr.OcrSettings()
    # the thresholds are applied to cached words, so they are not part of the cache key
    assert ocr.OcrSettings(min_confidence=0).key() == ocr.OcrSettings(min_confidence=90).key()


# ------------------------------------------------------------------ real images

@needs_tesseract
@needs_font
def test_photos_give_no_text_found_and_text_images_keep_their_text(tmp_path):
    photos, texts = _photos(tmp_path), _texts(tmp_path)
    results = ocr.ocr_many(photos + [p for p, _ in texts], cache=ocr.MemoryOcrCache(), workers=2)
    for res in results[:len(photos)]:
        assert res.ok, res.error
        assert res.empty and res.text == "" and res.status == ocr.NO_TEXT_FOUND, (res.path, res.text)
        assert res.all_text.strip(), res.path    # tesseract did "read" junk: the thresholds removed it
        assert res.dropped == res.words > 0
    for res, (_, truth) in zip(results[len(photos):], texts):
        assert res.status == "text", res.path
        assert ocr.char_accuracy(res.text, truth) >= 0.85, (res.text, truth)


@needs_tesseract
def test_no_filtering_gives_the_old_junk_and_thresholds_reuse_cached_words(tmp_path):
    photo = _photos(tmp_path)[0]      # coffee: "he \ yy x - QS YY …" without the thresholds
    cache = ocr.MemoryOcrCache()
    raw = ocr.ocr_image(photo, settings=ocr.OcrSettings(min_confidence=0, min_word_confidence=0), cache=cache)
    assert not raw.empty and sum(ch.isalnum() for ch in raw.text) >= 5
    filtered = ocr.ocr_image(photo, cache=cache)
    assert filtered.cached and filtered.empty and filtered.text == ""
    assert filtered.all_text == raw.text          # same words, other thresholds: no second OCR


@needs_tesseract
def test_scanned_page_keeps_its_lines():
    res = ocr.ocr_image(DATA / "page.png", cache=False)
    assert "Region-based segmentation" in res.text
    assert "markers are pixels that we can label" in res.text
    assert res.confidence and res.confidence > 60


@needs_tesseract
@needs_font
def test_describe_set_leaves_ocr_out_of_descriptions_of_photos(tmp_path):
    photo, (text_img, truth) = _photos(tmp_path)[0], _texts(tmp_path)[0]
    cset = CandidateSet(Query("q", "steel bottle"), [Document("photo", "a cup of coffee", image=str(photo)),
                                                     Document("label", "bottle", image=str(text_img))])
    report = {r.doc_id: r for r in ocr.describe_set(cset, cache=False)}
    assert report["photo"].status == "empty" and report["photo"].text == ""
    assert cset.documents[0].description == "[TEXT] a cup of coffee"      # no [OCR] section at all
    assert cset.documents[1].description.startswith("[OCR] Stainless Steel")
    frame = ocr.ocr_review_frame(cset)
    assert list(frame["status"]) == [ocr.NO_TEXT_FOUND, "text"]


# ------------------------------------------------------------------ session OCR, clearing, review frame

def _session_with_images(store, tmp_path):
    photo, (text_img, _), (zh_img, _) = _photos(tmp_path)[0], *_texts(tmp_path)[:1], _texts(tmp_path)[2]
    info = store.create_session("ocr-s")
    a = store.save_candidate_set(info.id, CandidateSet(
        Query("q1", "bottle"), [Document("photo", "coffee", image=str(photo)),
                                Document("label", "bottle", image=str(text_img)),
                                Document("plain", "no image here")]))
    b = store.save_candidate_set(info.id, CandidateSet(
        Query("q2", "耳机"), [Document("label", "bottle", image=str(text_img)),
                             Document("zh", "耳机", image=str(zh_img))]))
    return info, a, b


@needs_tesseract
@needs_font
def test_ocr_session_reads_every_set_and_clear_forgets_selected(store, tmp_path):
    info, a, b = _session_with_images(store, tmp_path)
    seen = []
    report = service.ocr_session(store, info.name, progress=lambda d, t: seen.append((d, t)), cache=False)
    assert set(report) == {a, b}
    assert seen[-1] == (4, 4)        # images over both sets
    first, second = store.load_candidate_set(a), store.load_candidate_set(b)
    status = {d.id: ocr.ocr_status(d) for d in first.documents}
    assert status == {"photo": ocr.NO_TEXT_FOUND, "label": "text", "plain": "no image"}
    assert first.documents[0].ocr_text == "" and first.documents[0].description == "[TEXT] coffee"
    assert "无线蓝牙" in second.documents[1].ocr_text

    # an analyst's edit, then clear "label" everywhere: raw text gone, edit kept, descriptions rebuilt
    store.update_document_text(b, "label", ocr_edited="STEEL BOTTLE")
    with pytest.raises(InputError, match="no document"):
        service.clear_session_ocr(store, info.name, ["label", "nope"])
    assert store.load_candidate_set(a).documents[1].ocr_text      # nothing changed by the refusal
    cleared = service.clear_session_ocr(store, info.name, ["label"])
    assert cleared == {a: ["label"], b: ["label"]}
    la, lb = store.load_candidate_set(a).documents[1], store.load_candidate_set(b).documents[0]
    # clearing is a decision ("no text"), not a reset: it sticks
    assert (la.ocr_text, ocr.ocr_status(la), la.description) == ("", ocr.NO_TEXT_FOUND, "[TEXT] bottle")
    assert (lb.ocr_text, lb.ocr_edited, lb.description) == ("", "STEEL BOTTLE", "[OCR] STEEL BOTTLE [TEXT] bottle")
    frame = ocr.ocr_review_frame(store.load_candidate_set(b))
    row = frame.set_index("doc_id").loc["label"]
    assert (row.ocr_text, row.ocr_edited, row.ocr_in_force, row.status) == ("", "STEEL BOTTLE", "STEEL BOTTLE", "edited")
    service.clear_ocr(store, b, None, edits=True)
    after = store.load_candidate_set(b).documents
    assert all(d.ocr_edited is None and d.ocr_final == ("" if d.image else None) for d in after)
    # "only images without OCR text" leaves a cleared image alone; without it, it is read again
    report = service.ocr_session(store, info.name, set_ids=[a], only_missing=True, cache=False)
    assert store.load_candidate_set(a).documents[1].ocr_text == "" and all(
        r.status in ("skipped", "no_image") for r in report[a])
    service.ocr_session(store, info.name, set_ids=[a], cache=False)
    assert store.load_candidate_set(a).documents[1].ocr_text


@needs_tesseract
@needs_font
def test_cli_ocr_session_thresholds_and_clear(store, tmp_path, capsys):
    info, a, b = _session_with_images(store, tmp_path)
    rc, out, err = run_cli(capsys, "ocr", "--session", "ocr-s", "--set", a, "--no-cache")
    assert rc == 0, err
    assert "1 no text found" in out and f"{ocr.NO_TEXT_FOUND}: document 'photo'" in out
    assert store.load_candidate_set(b).documents[0].ocr_text is None      # --set: only set a
    rc, out, err = run_cli(capsys, "ocr", "--session", "ocr-s", "--set", a, "--no-cache", "--min-confidence", "0",
                           "--min-word-confidence", "0")
    assert rc == 0 and store.load_candidate_set(a).documents[0].ocr_text     # the junk, when asked for
    rc, out, err = run_cli(capsys, "ocr", "--session", "ocr-s", "--clear-all")
    assert rc == 0 and "Cleared the OCR text of 5 document(s) in 2 set(s)" in out
    assert all(d.ocr_text == ("" if d.image else None) for d in store.load_candidate_set(a).documents)


@pytest.mark.parametrize("argv,needles", [
    (["ocr", "--session", "s", "--min-confidence", "150"], ["--min-confidence must be from 0 to 100"]),
    (["ocr", "--input", "x.csv", "--clear-all"], ["--clear and --clear-all apply to a session"]),
    (["ocr", "--session", "s", "--drop-edits"], ["--drop-edits only applies with --clear"]),
    (["ocr", "--session", "s", "--clear", " , "], ["--clear was given no doc ids"]),
    (["ocr", "--input", "x.csv", "--set", "1"], ["--set and --only-missing apply to --session"]),
])
def test_cli_ocr_option_errors(capsys, store, argv, needles):
    store.create_session("s")
    rc, out, err = run_cli(capsys, *argv)
    assert_analyst_error(rc, err, *needles)


@needs_tesseract
def test_bundled_sample_sets_photos_no_text_labels_keep_text():
    """The sample sets an analyst starts from: the Photos sample's pictures give "no text found",
    its scanned page and the e-commerce product labels keep their text."""
    root = Path(__file__).resolve().parent.parent / "data" / "samples"
    photos = [root / "photos" / "images" / f"{n}.jpg" for n in ("astronaut", "cat", "coffee", "horse", "rocket")]
    labels = {root / "ecommerce" / "images" / "p11.jpg": "DENIM JACKET",
              root / "ecommerce" / "images" / "p13.jpg": "牛仔衬衫",
              root / "photos" / "images" / "page.jpg": "Region-based segmentation"}
    results = ocr.ocr_many(photos + list(labels), cache=False, workers=2)
    for res in results[:len(photos)]:
        assert res.status == ocr.NO_TEXT_FOUND, (res.path, res.text)
    for res, want in zip(results[len(photos):], labels.values()):
        assert want in res.text, (res.path, res.text)


def test_an_ocr_edit_belongs_to_the_image_in_every_set_of_the_session(store, tmp_path):
    from tests.helpers import random_image

    img = random_image(tmp_path / "price.png", 60, 40, seed=3)
    other = random_image(tmp_path / "other.png", 60, 40, seed=4)
    session = store.create_session("prices")
    sets = []
    for qid, docs in (("q1", [Document("p", text="price tag", image=img), Document("x", text="x", image=other)]),
                      ("q2", [Document("y", text="y"), Document("p2", text="the same tag", image=img)])):
        sets.append(store.save_candidate_set(session.id, CandidateSet(Query(qid, "price"), docs, name=qid)))
    changed = service.edit_ocr(store, sets[0], "p", "¥128.00")
    assert changed == [(sets[0], "p"), (sets[1], "p2")]
    first, second = store.load_candidate_set(sets[0]), store.load_candidate_set(sets[1])
    assert first.doc("p").ocr_edited == "¥128.00" and first.doc("p").description == "[OCR] ¥128.00 [TEXT] price tag"
    assert second.doc("p2").description == "[OCR] ¥128.00 [TEXT] the same tag"       # its own [TEXT]
    assert first.doc("x").ocr_edited is None and second.doc("y").ocr_edited is None
    # another session holding the same image is not touched
    other_session = store.create_session("elsewhere")
    o = store.save_candidate_set(other_session.id, CandidateSet(Query("q", "price"),
                                                               [Document("p", text="t", image=img)], name="o"))
    service.edit_ocr(store, sets[0], "p", "¥129.00")
    assert store.load_candidate_set(o).doc("p").ocr_edited is None
    with pytest.raises(InputError):
        service.edit_ocr(store, sets[0], "nope", "x")
