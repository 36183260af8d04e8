"""Labelling mode, the instruction x document matrix and OCR's "no text found", in a real browser
(Debian Chromium via Playwright). The data is seeded through the library into the server's db;
every action in the browser is the analyst's. Screenshots go to test-artifacts/;
scripts/screenshots refreshes the README's docs/screenshots/label.png and matrix.png from them."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.browser import TIMEOUT_MS, idle, new_page, require_chromium, shot, streamlit

pytestmark = pytest.mark.browser


@pytest.fixture
def served(tmp_path):
    require_chromium()
    env = dict(os.environ)          # conftest's isolated_workbench: this test's own db and home
    with streamlit(tmp_path, env) as url:
        yield url


@pytest.fixture
def page(browser):
    pg = new_page(browser)
    pg.warm = True
    try:
        yield pg
    finally:
        pg.close()


def _open(page, url: str, path: str) -> None:
    """A fresh server learns st.navigation's pages on its first run: load the root first,
    or a deep link shows "Page not found" once."""
    if getattr(page, "warm", False):
        page.goto(url)
        page.get_by_text("Lychee workbench").first.wait_for()
        _idle(page)
        page.warm = False
    page.goto(f"{url}/{path}")


def _idle(page) -> None:
    idle(page)


def _shot(page, name: str, readme: bool = False) -> None:
    shot(page, name, readme=readme, wait_ms=500)


def _store():
    from workbench.store import Store

    return Store(os.environ["WORKBENCH_DB"])


def _text_image(path: Path, text: str) -> str:
    from workbench import ocr

    ocr.render_sample(text, 28).save(path)
    return str(path)


def test_label_a_query_with_the_keyboard_and_every_grade_survives_a_reload(served, page, tmp_path):
    from workbench.model import CandidateSet, Document, Query

    store = _store()
    info = store.create_session("labelling")
    docs = [Document("d1", "Stainless steel bottle 750 ml", image=_text_image(tmp_path / "1.png", "Steel Bottle 750ml")),
            Document("d2", "Glass teapot with infuser"), Document("d3", "Bamboo cutting board"),
            Document("d4", "Insulated travel mug 500 ml")]
    set_id = store.save_candidate_set(info.id, CandidateSet(Query("q1", "不锈钢保温杯 insulated bottle"), docs))
    _open(page, served, f"label?session={info.id}&set={set_id}")
    page.get_by_role("heading", name="Label").wait_for()
    _idle(page)
    page.get_by_text("0 of 4 documents graded").wait_for()
    _shot(page, "label", readme=True)
    for n, key in enumerate(("2", "0", "0", "1"), start=1):   # each grade moves on to the next ungraded one
        page.keyboard.press(key)
        page.get_by_text(f"This query: {n} of 4 documents graded").wait_for()
        _idle(page)
    page.get_by_text("This query: 4 of 4 documents graded").wait_for()
    # undo the last grade (d4 = 1) and give it 2 instead, then a note on d3
    page.keyboard.press("U")
    _idle(page)
    page.get_by_text("Undone: d4 is ungraded again").wait_for()
    page.keyboard.press("2")
    _idle(page)
    page.reload()
    page.get_by_role("heading", name="Label").wait_for()
    _idle(page)
    page.get_by_text("4 of 4 documents graded").wait_for()
    grades = {d: lab.grade for d, lab in _store().get_labels(set_id).items()}
    assert grades == {"d1": 2, "d2": 0, "d3": 0, "d4": 2}
    _shot(page, "label_done")


def test_matrix_of_three_runs_differences_and_baseline(served, page, tmp_path):
    from workbench.model import CandidateSet, Document, Query, Result, Run

    store = _store()
    info = store.create_session("matrix")
    docs = [Document(d, f"product {d}", image=_text_image(tmp_path / f"{d}.png", f"Item {d.upper()}") if d in "ab" else None)
            for d in "abcdef"]
    set_id = store.save_candidate_set(info.id, CandidateSet(Query("q1", "red shoes"), docs))
    store.set_label(set_id, "a", 2, "the one")
    for name, order in (("precise", "abcdef"), ("vague", "bacdef"), ("bm25", "eabcdf")):
        store.create_run(set_id, Run(f"instruction {name}", "lexical", "bm25", name=name, status="done",
                                     scores=[Result(d, 1 - 0.1 * i, i + 1) for i, d in enumerate(order)]))
    _open(page, served, f"matrix?session={info.id}")
    page.get_by_role("heading", name="Matrix").wait_for()
    _idle(page)
    grid = page.locator('[data-testid="stDataFrame"]')
    grid.wait_for()
    page.get_by_text("baseline: precise · 2 rows of 6 differ").wait_for()   # e moves 4 places in bm25;
    _shot(page, "matrix", readme=True)                                      # vague ranks a (graded 2) 2nd

    def rows() -> int:
        return int(grid.locator('[role="grid"]').first.get_attribute("aria-rowcount")) - 1

    assert rows() == 6
    page.get_by_text("Only differences").click()
    _idle(page)
    page.wait_for_function("() => document.querySelector('[data-testid=\"stDataFrame\"] [role=\"grid\"]')"
                           ".getAttribute('aria-rowcount') === '3'")
    assert rows() == 2
    # baseline: bm25 instead of precise; the shift columns follow it
    page.locator('[data-testid="stMain"]').get_by_role("combobox", name="Baseline run").click()
    page.get_by_role("option", name="bm25").click()
    _idle(page)
    page.get_by_text("baseline: bm25 · 2 rows of 6 differ").wait_for()
    assert rows() == 2
    _shot(page, "matrix_baseline")


def _settled(page) -> None:
    """_idle, then no element left over from the run before (Streamlit marks them stale)."""
    _idle(page)
    page.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')", timeout=TIMEOUT_MS)


def test_compare_links_a_query_to_its_matrix_with_the_compared_runs_and_baseline(served, page):
    """Compare (whole session, baseline changed, second query) -> "Open query q2 in the Matrix":
    the Matrix shows that query, only the compared runs, and the same baseline."""
    from workbench.model import CandidateSet, Document, Query, Result, Run

    store = _store()
    info = store.create_session("compare to matrix")
    compared = []
    for q in ("q1", "q2"):
        set_id = store.save_candidate_set(info.id, CandidateSet(Query(q, f"red shoes {q}"),
                                                                [Document(d, f"product {d}") for d in "abcde"]))
        store.set_label(set_id, "a", 2)
        for name, order in (("precise", "acbde"), ("vague", "bcdae"), ("other", "edcba")):
            rid = store.create_run(set_id, Run(f"instruction {name}", "lexical", "bm25", name=name, status="done",
                                               query_id=q, scores=[Result(d, 1 - 0.1 * i, i + 1)
                                                                   for i, d in enumerate(order)]))
            if name != "other":
                compared.append(rid)
    _open(page, served, f"compare?session={info.id}&runs={','.join(map(str, compared))}")
    page.get_by_role("heading", name="Compare instructions and backends").wait_for()
    _idle(page)
    main = page.locator('[data-testid="stMain"]')
    main.get_by_text("Whole session (2 sets)").click()
    _settled(page)
    main.get_by_role("combobox", name="Baseline run").click()
    page.get_by_role("option", name="vague").click()
    _settled(page)
    main.get_by_role("tab", name="Rank shifts").click()
    main.get_by_role("combobox", name="Query").click()
    page.get_by_role("option", name="q2").click()
    _settled(page)
    main.get_by_text("Open query q2 in the Matrix").click()
    page.get_by_role("heading", name="Matrix").wait_for()
    _idle(page)
    main.get_by_text("Query 2 of 2 · baseline: vague").wait_for()
    tags = main.locator('[data-testid="stMultiSelect"] .react-aria-ComboBox [data-tag]')   # the chosen runs
    assert [tags.nth(i).get_attribute("aria-label") for i in range(tags.count())] == ["precise", "vague"]
    assert "query=q2" in page.url and "baseline=" in page.url
    _shot(page, "compare_to_matrix")
    page.reload()                                    # the view, baseline included, is in the URL
    _idle(page)
    main.get_by_text("Query 2 of 2 · baseline: vague").wait_for()


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract not installed")
def test_ocr_photos_give_no_text_found_and_text_images_keep_their_text(served, page, tmp_path):
    import skimage
    from PIL import Image

    from workbench.model import CandidateSet, Document, Query

    data = Path(skimage.__file__).parent / "data"
    store = _store()
    info = store.create_session("ocr")
    photo = tmp_path / "coffee.png"
    Image.open(data / "coffee.png").convert("RGB").save(photo)
    docs = [Document("photo", "a cup of coffee", image=str(photo)),
            Document("label", "bottle", image=_text_image(tmp_path / "l.png", "Stainless Steel Bottle 750ml"))]
    set_id = store.save_candidate_set(info.id, CandidateSet(Query("q", "bottle"), docs))
    _open(page, served, f"ocr?session={info.id}&set={set_id}")
    page.get_by_role("heading", name="OCR").wait_for()
    _idle(page)
    page.get_by_role("button", name="Run OCR").click()
    page.get_by_text("no text found", exact=False).first.wait_for()
    _idle(page)
    page.reload()
    _idle(page)
    main = page.locator('[data-testid="stMain"]')
    main.get_by_text("photo · no text found").wait_for()
    main.get_by_text("label · text").wait_for()
    # the text image's OCR text is on screen (plain text or the description boxes' values)
    # (the boxes render after the status lines: look again until they are there)
    for _ in range(60):
        boxes = [main.get_by_role("textbox").nth(i).input_value()
                 for i in range(main.get_by_role("textbox").count())]
        shown = [main.inner_text(), *boxes]
        if any("Stainless Steel Bottle" in t for t in shown):
            break
        page.wait_for_timeout(500)
    assert any("Stainless Steel Bottle" in t for t in shown), (shown[0][:3000], boxes)
    assert not any("[OCR]" in t for t in boxes if "coffee" in t)     # the photo brings no junk
    cset = _store().load_candidate_set(set_id)
    assert cset.documents[0].ocr_text == "" and cset.documents[0].description == "[TEXT] a cup of coffee"
    _shot(page, "ocr_no_text")
