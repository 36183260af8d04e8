"""OCR on rendered product text and a real scanned page; cache, parallel run, errors, descriptions.

Character accuracy (workbench.ocr.char_accuracy) = 1 - Levenshtein(read, truth) / len(truth),
whitespace ignored; averaged per language over the rendered images.
"""

from __future__ import annotations

import shutil
import statistics
import threading
from pathlib import Path

import pytest
from PIL import Image

from workbench import ocr
from workbench.errors import Cancelled, ImageError, LanguageMissing, OCRError, OcrTimeout, TesseractMissing
from workbench.images import file_hash
from workbench.model import CandidateSet, Document, Query

pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract not installed")

FONT = Path(ocr.FONT_PATH)
needs_font = pytest.mark.skipif(not FONT.exists(), reason="CJK font not installed")

# (text, font px, noisy background)
ENGLISH = [("Wireless Bluetooth Headphones 40H", 16, False), ("Stainless Steel Bottle 750ml", 24, False),
           ("Organic Green Tea 100 Bags", 36, False), ("Wireless Bluetooth Headphones 40H", 24, True)]
CHINESE = [("无线蓝牙耳机超长续航", 16, False), ("不锈钢保温杯大容量", 24, False),
           ("有机绿茶一百袋装", 36, False), ("无线蓝牙耳机超长续航", 24, True)]


def _render(folder: Path, samples, prefix):
    paths = []
    for i, (text, size, noisy) in enumerate(samples):
        path = folder / f"{prefix}{i}.png"
        ocr.render_sample(text, size, noisy=noisy, seed=i).save(path)
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ocr-samples")
    return {"eng": _render(folder, ENGLISH, "en"), "chi_sim": _render(folder, CHINESE, "zh")}


def test_char_accuracy_definition():
    assert ocr.char_accuracy("Green Tea", "Green Tea") == 1.0
    assert ocr.char_accuracy("无 线 蓝 牙", "无线蓝牙") == 1.0            # whitespace ignored
    assert ocr.char_accuracy("Grean Tea", "Green Tea") == pytest.approx(1 - 1 / 8)
    assert ocr.char_accuracy("", "abc") == 0.0
    assert ocr.char_accuracy("completely different and long", "abc") == 0.0


@needs_font
@pytest.mark.parametrize("lang,samples", [("eng", ENGLISH), ("chi_sim", CHINESE)])
def test_rendered_product_text_accuracy(rendered, lang, samples):
    results = ocr.ocr_many(rendered[lang], "chi_sim+eng", cache=False)
    accs = [ocr.char_accuracy(r.text, s[0]) for r, s in zip(results, samples)]
    assert all(r.ok and not r.empty for r in results)
    assert statistics.mean(accs) >= 0.85, list(zip([r.text for r in results], accs))


def test_scanned_page_known_words():
    skimage = pytest.importorskip("skimage")
    page = Path(skimage.__file__).parent / "data" / "page.png"
    text = ocr.ocr_image(page, "eng", cache=False).text
    for word in ("segmentation", "markers", "coins", "background", "pixels", "label", "object"):
        assert word in text, text


def test_blank_image_flagged_empty(tmp_path):
    path = tmp_path / "blank.png"
    Image.new("RGB", (300, 120), "white").save(path)
    res = ocr.ocr_image(path, cache=False)
    assert res.empty and res.ok and res.text == ""


def test_cache_hit_per_hash_and_settings(rendered, tmp_path):
    cache = ocr.OcrCache(tmp_path / "cache")
    path = rendered["eng"][0]
    first = ocr.ocr_image(path, "eng", cache=cache)
    assert not first.cached and first.seconds > 0 and len(cache) == 1
    copy = tmp_path / "renamed.png"
    copy.write_bytes(path.read_bytes())
    again = ocr.ocr_image(copy, "eng", cache=cache)      # same bytes, other name -> hit
    assert again.cached and again.text == first.text and again.image_hash == file_hash(path)
    other_langs = ocr.ocr_image(path, "chi_sim+eng", cache=cache)
    assert not other_langs.cached
    other_psm = ocr.ocr_image(path, "eng", settings=ocr.OcrSettings(psm=7), cache=cache)
    assert not other_psm.cached and len(cache) == 3
    # default cache lives under WORKBENCH_HOME
    ocr.ocr_image(path, "eng")
    assert len(ocr.OcrCache()) == 1


class _SlowFakeEngine(ocr.OcrEngine):
    """A stand-in engine (this is the engine interface, not the reranker model)."""

    name = "fake"

    def __init__(self):
        self.calls = 0
        self.lock = threading.Lock()

    def read(self, image):
        with self.lock:
            self.calls += 1
        return f"size {image.width}"


def test_ocr_many_progress_errors_and_order(rendered, tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_text("not an image")
    paths = [rendered["eng"][0], bad, rendered["eng"][1], tmp_path / "missing.png"]
    seen = []
    results = ocr.ocr_many(paths, engine=_SlowFakeEngine(), cache=False, workers=2,
                           progress=lambda d, t: seen.append((d, t)))
    assert [r.path for r in results] == [str(p) for p in paths]
    assert results[0].ok and results[2].ok
    assert isinstance(results[1].error, ImageError) and results[1].error.kind == "not_image"
    assert results[3].error.kind == "missing"
    assert seen[0] == (0, 4) and seen[-1] == (4, 4)


def test_ocr_many_cancel_keeps_finished(rendered):
    cancel = threading.Event()
    done = []

    def on_result(i, res):
        done.append(i)
        cancel.set()

    paths = rendered["eng"] + rendered["chi_sim"]
    with pytest.raises(Cancelled) as info:
        ocr.ocr_many(paths, engine=_SlowFakeEngine(), cache=False, workers=1, cancel=cancel, on_result=on_result)
    assert 1 <= info.value.done < len(paths)
    kept = [r for r in info.value.results if r is not None]
    assert len(kept) == info.value.done == len(done)


def test_timeout_reported_per_image(rendered):
    settings = ocr.OcrSettings(timeout=0.001)
    res = ocr.ocr_many(rendered["eng"][:2], "eng", settings=settings, cache=False)
    assert all(isinstance(r.error, OcrTimeout) for r in res)
    assert "timeout" in res[0].error.fix and res[0].image_hash is None


def test_languages_listed_and_missing_language_error():
    langs = ocr.list_languages()
    assert "eng" in langs and "chi_sim" in langs
    with pytest.raises(LanguageMissing) as info:
        ocr.TesseractEngine("eng+klingon").check()
    assert "klingon" in info.value.message and "chi_sim" in info.value.message
    assert "tesseract-ocr-klingon" in info.value.fix


def test_missing_tesseract_binary(monkeypatch, rendered):
    import pytesseract

    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    with pytest.raises(TesseractMissing) as info:
        ocr.ocr_many(rendered["eng"][:1], cache=False)
    assert isinstance(info.value, OCRError)
    assert ocr.APT_INSTALL in info.value.fix


# ------------------------------------------------------------------ descriptions

def test_build_description_sections_and_whitespace():
    d = ocr.build_description("  Green\n\tTea  100 \u3000Bags ", "Organic  tea\nfrom Fujian", {"brand": "Acme"})
    assert d == "[OCR] Green Tea 100 Bags [TEXT] Organic tea from Fujian brand: Acme"
    assert ocr.build_description("", "only text") == "[TEXT] only text"
    assert ocr.build_description("only ocr", "") == "[OCR] only ocr"
    assert ocr.build_description(" ", None, {"x": None}) == ""
    assert ocr.build_description("无 线 蓝 牙 耳机", "") == "[OCR] 无线蓝牙耳机"


def test_build_description_cap_marked():
    long_ocr = " ".join(["headphones"] * 40)
    long_text = " ".join(["wireless"] * 40)
    d = ocr.build_description(long_ocr, long_text, cap=200)
    assert len(d) <= 200 and d.startswith("[OCR] headphones") and "[TEXT] wireless" in d
    assert d.count("…") == 2
    short = ocr.build_description("short ocr", long_text, cap=100)
    assert short.startswith("[OCR] short ocr [TEXT] wireless") and short.endswith("…") and len(short) <= 100
    assert "…" not in ocr.build_description("a", "b", cap=200)
    uncapped = ocr.build_description(long_ocr, long_text, cap=None)
    assert "…" not in uncapped and len(uncapped) > 600
    zh = ocr.build_description("无线蓝牙耳机" * 50, "", cap=50)
    assert len(zh) == 50 and zh.endswith("…")


@needs_font
def test_describe_set_fills_docs_and_keeps_going(rendered, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"")
    docs = [
        Document("d1", text="Headphones, 40 hours", image=str(rendered["eng"][0])),
        Document("d2", text="保温杯", image=str(rendered["chi_sim"][1]), ocr_edited="不锈钢保温杯 (edited)"),
        Document("d3", text="no image here"),
        Document("d4", text="broken", image=str(broken)),
    ]
    cset = CandidateSet(Query("q1", "tea"), docs)
    seen = []
    report = ocr.describe_set(cset, cache=ocr.MemoryOcrCache(), on_doc=lambda d, r: seen.append(d.id),
                              progress=lambda d, t: None)
    by_id = {r.doc_id: r for r in report}
    assert [r.doc_id for r in report] == ["d1", "d2", "d3", "d4"]
    assert by_id["d1"].status == "ok" and docs[0].description.startswith("[OCR] Wireless Bluetooth")
    assert docs[0].description.endswith("[TEXT] Headphones, 40 hours")
    assert docs[1].ocr_text and docs[1].description.startswith("[OCR] 不锈钢保温杯 (edited) [TEXT] 保温杯")
    assert by_id["d3"].status == "no_image" and docs[2].description is None
    assert by_id["d4"].status == "error" and by_id["d4"].error.kind == "empty" and docs[3].description is None
    assert sorted(seen) == ["d1", "d2", "d4"]

    docs[0].ocr_text = "kept as is"
    again = ocr.describe_set(cset, cache=ocr.MemoryOcrCache(), only_missing=True)
    assert {r.doc_id: r.status for r in again} == {"d1": "skipped", "d2": "skipped", "d3": "no_image", "d4": "error"}
    assert docs[0].ocr_text == "kept as is"


# ------------------------------------------------------------------ CLI

def _candidate_csv(folder: Path, image: Path) -> Path:
    import pandas as pd

    (folder / "imgs").mkdir()
    shutil.copy(image, folder / "imgs" / "tea.png")
    rows = [
        dict(query_id="q1", query_text="green tea", query_image="", doc_id="d1", doc_text="loose leaf",
             doc_image="imgs/tea.png", brand="Acme"),
        dict(query_id="q1", query_text="green tea", query_image="", doc_id="d2", doc_text="text only",
             doc_image="", brand=""),
    ]
    path = folder / "cands.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


@needs_font
def test_cli_input_writes_descriptions(tmp_path, capsys):
    import pandas as pd

    from workbench.cli import main

    folder = tmp_path / "in"
    folder.mkdir()
    image = tmp_path / "tea.png"
    ocr.render_sample("Organic Green Tea 100 Bags", 28).save(image)
    src = _candidate_csv(folder, image)
    out = tmp_path / "out.csv"
    assert main(["ocr", "--input", str(src), "--output", str(out), "--langs", "eng", "--cap", "120"]) == 0
    df = pd.read_csv(out, keep_default_na=False)
    d1 = df[df.doc_id == "d1"].iloc[0]
    assert "Organic Green Tea" in d1.ocr_text
    assert d1.description.startswith("[OCR] Organic Green Tea") and "[TEXT] loose leaf brand: Acme" in d1.description
    assert df[df.doc_id == "d2"].iloc[0].description == ""
    assert "1 described" in capsys.readouterr().out


def test_cli_missing_language_is_analyst_error(tmp_path, capsys):
    from workbench.cli import main

    assert main(["ocr", "--input", str(tmp_path / "x.csv"), "--langs", "eng+xyz"]) == 2
    err = capsys.readouterr().err
    assert "xyz" in err and "How to fix" in err


@needs_font
def test_cli_session_saves_to_store(tmp_path, capsys):
    store_mod = pytest.importorskip("workbench.store")
    from workbench.cli import main

    image = tmp_path / "zh.png"
    ocr.render_sample("不锈钢保温杯大容量", 28).save(image)
    docs = [Document("d1", text="保温杯", image=str(image), image_hash=file_hash(image)),
            Document("d2", text="plain")]
    store = store_mod.Store()
    session = store.create_session("ocr-test")
    set_id = store.save_candidate_set(session.id, CandidateSet(Query("q1", "杯子"), docs))
    store.close()
    assert main(["ocr", "--session", "ocr-test"]) == 0
    store = store_mod.Store()
    loaded = store.load_candidate_set(set_id)
    store.close()
    d1 = loaded.doc("d1")
    assert ocr.char_accuracy(d1.ocr_text, "不锈钢保温杯大容量") >= 0.85
    assert d1.description.startswith("[OCR] ") and d1.description.endswith("[TEXT] 保温杯")
    assert loaded.doc("d2").description is None
