"""The Matrix in a real browser (Debian Chromium via Playwright), issue 23: each row's "label" link
opens the Label page on that row's own document on every query (it used to name the first
query's set), and the view (query, runs, baseline, k, "Only differences") survives a reload.

The grid is a canvas: a row's link is clicked where the grid draws it (ui.matrix_links' column
widths and row height), and opens a new tab, as for the analyst. scripts/screenshots refreshes
docs/screenshots/walkthrough/matrix-label-link.png and matrix-layout.png from here."""

from __future__ import annotations

import os
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser import TIMEOUT_MS, idle, new_page, require_chromium, shot, streamlit

pytestmark = pytest.mark.browser

QUERIES = {"bx-taxi": ("Is a taxi home after a late client dinner reimbursable under the expense policy?", "taxi"),
           "bx-meal": ("What is the per-diem meal allowance for business travel?", "meal"),
           "bx-hotel": ("Which hotel receipts are accepted for travel expense claims?", "hotel")}


@pytest.fixture
def served(tmp_path):
    require_chromium()
    env = dict(os.environ)          # conftest's isolated_workbench: this test's own db and home
    with streamlit(tmp_path, env) as url:
        yield url


@pytest.fixture
def page(browser):
    pg = new_page(browser)
    try:
        yield pg
    finally:
        pg.close()


def _seed() -> int:
    """Three expense-policy queries, each its own set of six documents, three runs of each."""
    from workbench.model import CandidateSet, Document, Query, Result, Run
    from workbench.store import Store

    store = Store(os.environ["WORKBENCH_DB"])
    store.create_session("another session")        # the ids of sets and runs do not start at 1
    info = store.create_session("expenses")
    orders = {"web": [1, 2, 3, 4, 5, 6], "custom 1": [4, 1, 2, 3, 6, 5], "web + precise": [6, 2, 1, 3, 4, 5]}
    for qid, (text, stem) in QUERIES.items():
        docs = [Document(f"{stem}-{i:02d}", f"{stem} receipt {i}: the expense policy, section {i}, says the {stem} "
                         f"cost is reimbursable when the receipt is itemised and submitted within 30 days")
                for i in range(1, 7)]
        set_id = store.save_candidate_set(info.id, CandidateSet(Query(qid, text), docs, name=qid))
        store.set_label(set_id, f"{stem}-01", 2)
        store.set_label(set_id, f"{stem}-04", 0)
        for name, order in orders.items():
            store.create_run(set_id, Run(f"instruction {name}", "qwen-vl", "lychee", name=name, status="done",
                                         query_id=qid, scores=[Result(f"{stem}-{d:02d}", round(0.52 - 0.01 * i, 3),
                                                                      i + 1) for i, d in enumerate(order)]))
    return info.id


def _open(page, url: str, path: str) -> None:
    """A fresh server learns st.navigation's pages on its first run: load the root first."""
    page.goto(url)
    page.get_by_text("Lychee workbench").first.wait_for()
    idle(page)
    page.goto(f"{url}/{path}")


def _cell(page, col: int, row: int):
    """The grid's accessible copy of a cell (glide renders the table for screen readers)."""
    return page.locator(f'[data-testid="stDataFrame"] #glide-cell-{col}-{row}')


def _shown(page, first_doc: str) -> None:
    idle(page)
    page.wait_for_function("d => { const c = document.querySelector('[data-testid=\"stDataFrame\"] #glide-cell-0-0');"
                           " return c && c.innerText === d; }", arg=first_doc)


def _follow_label_link(page, row: int):
    """Click row `row`'s "label" link where the grid draws it; returns the tab it opens."""
    from ui.matrix_links import MATRIX_HEADER_HEIGHT, MATRIX_ROW_HEIGHT, MATRIX_WIDTHS

    box = page.locator('[data-testid="stDataFrame"] canvas').first.bounding_box()
    x = box["x"] + MATRIX_WIDTHS["doc_id"] + MATRIX_WIDTHS["label"] + MATRIX_WIDTHS["label_it"] / 2
    if page.locator('[data-testid="stDataFrame"] th').first.inner_text() == "Image":    # documents with images
        x += MATRIX_WIDTHS["thumbnail"]
    y = box["y"] + MATRIX_HEADER_HEIGHT + MATRIX_ROW_HEIGHT * (row + 0.5)
    page.mouse.move(x, y)
    page.wait_for_timeout(300)
    with page.context.expect_page() as opened:
        page.mouse.click(x, y)
    tab = opened.value
    tab.set_default_timeout(TIMEOUT_MS)
    return tab


def test_label_links_open_each_rows_own_document_on_later_queries(served, page):
    sid = _seed()
    _open(page, served, f"matrix?session={sid}")
    page.get_by_role("heading", name="Matrix").wait_for()
    _shown(page, "taxi-01")
    main = page.locator('[data-testid="stMain"]')
    for qid, row in (("bx-meal", 1), ("bx-hotel", 2)):      # the 2nd and the 3rd query
        main.get_by_role("button", name="Next").click()
        stem = QUERIES[qid][1]
        _shown(page, f"{stem}-01")
        main.get_by_text(f"Query {list(QUERIES).index(qid) + 1} of 3").wait_for()
        doc = _cell(page, 0, row).inner_text()
        link = parse_qs(urlsplit(_cell(page, 2, row).inner_text()).query)
        assert link["doc"] == [doc] and link["session"] == [str(sid)]
        if qid == "bx-meal":
            shot(page, "walkthrough/matrix-layout", readme=True, wait_ms=800)
        label = _follow_label_link(page, row)
        try:
            label.get_by_role("heading", name="Label").wait_for()
            idle(label)
            # that very document of that query: its id, its query's text, its set in the URL
            label.get_by_text(f"id {doc}").wait_for()
            label.get_by_role("heading", name=QUERIES[qid][0]).wait_for()
            assert parse_qs(urlsplit(label.url).query)["doc"] == [doc]
            if qid == "bx-meal":
                label.get_by_role("button", name="Next").wait_for()
                label.get_by_role("button", name="Undo").wait_for()
                idle(label)
                shot(label, "walkthrough/matrix-label-link", readme=True, wait_ms=1500)
        finally:
            label.close()


def test_reload_keeps_query_runs_baseline_k_and_only_differences(served, page):
    sid = _seed()
    _open(page, served, f"matrix?session={sid}")
    page.get_by_role("heading", name="Matrix").wait_for()
    _shown(page, "taxi-01")
    main = page.locator('[data-testid="stMain"]')
    main.get_by_role("button", name="Next").click()
    _shown(page, "meal-01")
    k = main.get_by_role("spinbutton", name="k (shift)")
    k.fill("4")
    k.press("Enter")
    idle(page)
    main.get_by_text("Only differences").click()
    idle(page)
    page.wait_for_function("() => new URL(location.href).searchParams.get('diff') === '1'"
                           " && new URL(location.href).searchParams.get('k') === '4'")
    page.wait_for_function("() => document.querySelector('[data-testid=\"stDataFrame\"] [role=\"grid\"]')"
                           ".getAttribute('aria-rowcount') !== '7'")        # 6 rows + the header: filtered
    status = main.get_by_text("Query 2 of 3 · baseline: web").inner_text()
    assert "shift ≥ 4" in status
    rows = page.locator('[data-testid="stDataFrame"] [role="grid"]').first.get_attribute("aria-rowcount")
    page.reload()
    page.get_by_role("heading", name="Matrix").wait_for()
    _shown(page, "meal-01")
    idle(page)
    assert main.get_by_text("Query 2 of 3 · baseline: web").inner_text() == status
    assert main.get_by_role("spinbutton", name="k (shift)").input_value() == "4"
    assert main.locator('[data-testid="stCheckbox"] input').first.is_checked()      # Only differences
    assert page.locator('[data-testid="stDataFrame"] [role="grid"]').first.get_attribute("aria-rowcount") == rows
    shot(page, "matrix_after_reload")
