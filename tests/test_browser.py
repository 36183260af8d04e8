"""One real-browser walk: headless Debian Chromium (Playwright) against `streamlit run app.py`.

Started the way run_workbench.sh starts it (db init --samples, then streamlit run), with
WORKBENCH_MODEL pointing at the tiny Qwen-VL checkpoint. Screenshots of every page go to
test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from tests.browser import (CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, app_env, idle,
                           require_chromium, shot, streamlit)

pytestmark = pytest.mark.browser


@pytest.fixture
def server(tmp_path, tiny_checkpoint):
    require_chromium()
    env = app_env(tmp_path, WORKBENCH_MODEL=tiny_checkpoint)
    with streamlit(tmp_path, env) as url:
        yield url, env


def _shot(page, name: str) -> None:
    shot(page, name)


def _idle(page) -> None:
    idle(page, 300)


def _nav(page, title: str) -> None:
    target = (page.get_by_role("heading", level=1).filter(has_text=title).first if title != "Home"
              else page.get_by_text("Quick start"))
    for attempt in range(3):      # a click that lands while a rerun settles can be lost: click again
        _idle(page)
        page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()
        try:
            target.wait_for(timeout=TIMEOUT_MS // 3)
            break
        except Exception:  # noqa: BLE001 - playwright's TimeoutError
            if attempt == 2:
                raise
    _idle(page)


def test_browser_walk(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    url, env = server
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1000}, accept_downloads=True)
        page.set_default_timeout(TIMEOUT_MS)
        try:
            page.goto(url)
            page.get_by_text("Quick start").wait_for()
            _idle(page)
            _shot(page, "01_home")

            # import a sample set into a new session
            _nav(page, "Import")
            page.get_by_role("tab", name="Sample sets").click()
            page.locator('[data-testid="stMain"]').get_by_role("combobox", name="Sample").click()
            page.get_by_role("option", name="Photos", exact=False).click()
            _idle(page)
            page.get_by_role("button", name="Read sample").click()
            page.get_by_text("Save into a session").wait_for()
            _idle(page)
            main = page.locator('[data-testid="stMain"]')
            combo = main.get_by_role("combobox", name="Session")
            combo.scroll_into_view_if_needed()
            combo.click()
            page.keyboard.type("New session")
            page.keyboard.press("Enter")
            _idle(page)
            page.get_by_label("New session name").fill("browser session")
            page.get_by_label("New session name").press("Enter")
            _idle(page)
            _shot(page, "02_import")
            page.get_by_role("button", name="Save to session").click()
            page.get_by_text("candidate sets into", exact=False).first.wait_for()   # saved: the session is set
            _idle(page)

            # rerank with the tiny Qwen-VL checkpoint (WORKBENCH_MODEL)
            _nav(page, "Rerank")
            expect(page.get_by_role("textbox", name="Model path or id")).to_have_value(env["WORKBENCH_MODEL"])
            page.get_by_role("button", name="Run rerank").click()
            page.get_by_role("heading", name="Results").wait_for(timeout=240_000)
            _idle(page)
            expect(page.locator('[data-testid="stMetricValue"]').first).to_have_text("done")

            # label the top document (grid cell: click, type, Enter) and save
            from workbench.store import Store

            store = Store(env["WORKBENCH_DB"])
            run = store.list_runs()[-1]
            top = store.load_run(run.id).ranking()[0]
            old = store.get_labels(run.set_id).get(top)
            grade = 2 if old is None or old.grade != 2 else 1
            grid = page.locator('[data-testid="stDataFrame"]').first
            grid.scroll_into_view_if_needed()
            box = grid.bounding_box()
            page.mouse.dblclick(box["x"] + box["width"] - 40, box["y"] + 35 + 32)
            page.get_by_role("option", name=str(grade), exact=True).click()
            page.wait_for_timeout(300)
            page.keyboard.press("Escape")
            _idle(page)
            _shot(page, "04_rerank")
            for attempt in range(3):     # a click that lands while the editor's rerun settles can be lost
                page.get_by_role("button", name="Save labels").click()
                try:
                    page.get_by_text(re.compile(r"Saved \d+ labels? for")).wait_for(timeout=30_000)
                    break
                except Exception:  # noqa: BLE001 - playwright's TimeoutError
                    if attempt == 2:
                        raise
                    _idle(page)
            assert store.get_labels(run.set_id)[top].grade == grade

            # compare two instructions (the rerank's e-commerce scores come from the cache)
            _nav(page, "Compare")
            page.get_by_role("button", name="Run comparison").click()
            page.get_by_role("tab", name="Rank shifts").wait_for(timeout=90_000)   # ranx compiles once
            _idle(page)
            _shot(page, "05_compare")
            page.get_by_role("tab", name="Rank shifts").click()
            page.get_by_text("shift = baseline rank").wait_for()

            # OCR page renders the grid
            _nav(page, "OCR")
            _shot(page, "03_ocr")

            # reopen the session and download its CSV
            _nav(page, "Sessions")
            expect(page.get_by_role("heading", name="browser session")).to_be_visible()
            page.get_by_role("tab", name="Export / import").click()
            with page.expect_download() as dl:
                page.get_by_role("button", name="Download CSV").click()
            path = tmp_path / "export.csv"
            dl.value.save_as(path)
            _shot(page, "06_sessions")
        except BaseException:
            _shot(page, "failure")
            raise
        finally:
            browser.close()

    frame = pd.read_csv(path)
    assert {"query_id", "doc_id", "rank", "score", "instruction", "backend", "label"} <= set(frame.columns)
    runs = frame.groupby(["instruction", "backend"]).size()
    assert len(runs) == 2, runs                            # the rerank + the second compared instruction
    assert (frame["backend"] == "qwen-vl").all()
    assert frame["score"].between(0, 1).all()
    per_run = frame.groupby("instruction")["doc_id"].nunique()
    assert (per_run == per_run.iloc[0]).all() and per_run.iloc[0] >= 3
    # the label saved in the grid (a run now spans the session's queries: rows of this query only)
    qid = store.get_set(run.set_id).query_id
    assert (frame.loc[(frame["doc_id"] == top) & (frame["query_id"].astype(str) == str(qid)), "label"] == grade).all()
