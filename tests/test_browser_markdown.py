"""User text is shown, never rendered: a session whose every text field holds Markdown images,
links, raw HTML, colour directives and icon shortcodes pointing at a local listener, opened on
every page in a real browser (Debian Chromium via Playwright).

The listener must get no request, the browser must ask no host but the app, and the hostile text
must be on the page as typed (issue 21, item 12: the Compare page's "Open query … in the Matrix"
link rendered a query id's `![x](…)`, and the listener got `GET /from-query-id.png`)."""

from __future__ import annotations

import http.server
import threading
import time
from urllib.parse import quote, urlsplit

import pytest

from tests.browser import app_env, idle, new_page, require_chromium, shot, streamlit
from ui.markup import WORD_JOINER

pytestmark = pytest.mark.browser


HITS: list[str] = []              # the paths the listener was asked for


class _Listener(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        HITS.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args):
        pass


def _hostile(port: int, field: str) -> str:
    base = f"http://127.0.0.1:{port}"
    return (f"![x]({base}/{field}.png) [link]({base}/{field}-link) <img src={base}/{field}-raw.png> "
            f":red[{field}] :material/home: $x$ **{field}**")


def _marker(port: int, field: str) -> str:
    """The start of a field's text, as the page must show it (short texts are cut after 40+)."""
    return f"![x](http://127.0.0.1:{port}/{field}.png)"


def _png(path) -> str:
    from PIL import Image

    Image.new("RGB", (32, 24), (200, 30, 30)).save(path)
    return str(path)


def _hostile_session(env, tmp_path, port: int) -> dict:
    """A session where every user-text field is hostile; returns the ids the URLs need."""
    from workbench.model import CandidateSet, Document, Label, Query, Result, Run
    from workbench.store import Store

    def h(field: str) -> str:
        return _hostile(port, field)

    store = Store(env["WORKBENCH_DB"])
    session = store.create_session(h("session-name"))
    docs = [Document(id=f"{h(f'doc-id-{i}')} #{i}", text=h(f"doc-text-{i}"), image=_png(tmp_path / f"d{i}.png"),
                     metadata={"brand": h(f"metadata-{i}")}) for i in range(3)]
    query = Query(id=h("query-id"), text=h("query-text"))
    set_id = store.save_candidate_set(session.id, CandidateSet(query, docs, name=h("set-name")))
    for i, d in enumerate(docs):
        store.update_document_text(set_id, d.id, ocr_text=h(f"ocr-text-{i}"),
                                   description=f"[OCR] {h(f'ocr-description-{i}')} [TEXT] {d.text}")
    store.set_labels(set_id, [Label(query.id, d.id, g, note=h(f"label-note-{i}"))
                              for i, (d, g) in enumerate(zip(docs, (2, 0, 1)))])
    run_ids = []
    for r, order in enumerate(((0, 1, 2), (2, 0, 1))):
        run = Run(instruction=h(f"instruction-{r}"), backend="lexical", model_id="bm25", status="done",
                  name=h("run-name") if r == 0 else "", note=h(f"run-note-{r}"),
                  scores=[Result(doc_id=docs[d].id, score=1.0 - k / 10, rank=k + 1) for k, d in enumerate(order)])
        run_ids.append(store.create_run(set_id, run))
    return {"session": session.id, "set": set_id, "runs": run_ids, "query": query.id, "doc": docs[0].id}


def _visits(ids: dict) -> list[tuple[str, str, list[str]]]:
    """(page, URL parameters, fields whose text that page shows outside tables and inputs)."""
    s, st_, runs = ids["session"], ids["set"], ",".join(map(str, ids["runs"]))
    q = quote(ids["query"], safe="")
    return [
        ("home", f"session={s}", ["set-name", "query-text"]),
        ("import", f"session={s}", []),
        ("ocr", f"session={s}&set={st_}", ["doc-id-0", "ocr-text-0", "doc-text-0"]),
        ("rerank", f"session={s}&set={st_}&runs={ids['runs'][0]}", ["query-text", "run-name", "instruction-0"]),
        ("compare", f"session={s}&set={st_}&runs={runs}", ["query-id", "run-name"]),
        ("matrix", f"session={s}&query={q}&runs={runs}&baseline={ids['runs'][0]}", ["run-name"]),
        ("label", f"session={s}&set={st_}&doc={quote(ids['doc'], safe='')}",
         ["query-text", "doc-id-0", "doc-text-0", "ocr-text-0"]),
        ("sessions", f"session={s}", ["session-name"]),
    ]


def _shown_text(page) -> str:
    """Everything the page shows as text (hidden tabs and the sidebar included), as a reader
    would copy it: the invisible word joiners that keep URLs from becoming links dropped."""
    text = page.locator("body").text_content() or ""
    return " ".join(text.replace(WORD_JOINER, "").split())


def test_markdown_in_every_user_field_is_shown_and_never_fetched(tmp_path):
    require_chromium()
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    listener = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Listener)
    port = listener.server_address[1]
    threading.Thread(target=listener.serve_forever, daemon=True).start()
    env = app_env(tmp_path)
    ids = _hostile_session(env, tmp_path, port)
    try:
        with streamlit(tmp_path, env) as url, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = new_page(browser)
            # the listener and the browser can fail this test: raw HTML does fetch from it
            page.set_content(f'<img src="http://127.0.0.1:{port}/sanity.png">')
            deadline = time.time() + 10
            while "/sanity.png" not in HITS:
                assert time.time() < deadline, "the browser did not reach the listener"
                time.sleep(0.1)
            HITS.clear()

            app = urlsplit(url)
            foreign: list[str] = []
            page.on("request", lambda r: foreign.append(r.url) if urlsplit(r.url).scheme not in ("data", "blob")
                    and urlsplit(r.url).netloc != app.netloc else None)
            page.goto(url)                      # the first run teaches the server the pages
            page.locator("h1").first.wait_for()
            idle(page)
            for name, params, fields in _visits(ids):
                page.goto(f"{url}/{name}?{params}")
                try:
                    page.locator("h1").first.wait_for()
                except PlaywrightTimeout:
                    shot(page, f"markdown_{name}_failed")
                    raise AssertionError(f"{name}: no page title") from None
                idle(page, 800)
                if name == "compare":           # every tab once (their contents render hidden too)
                    tabs = page.get_by_role("tab")
                    tabs.first.wait_for()
                    for i in range(tabs.count()):
                        tabs.nth(i).click()
                        idle(page)
                if name == "ocr":
                    page.locator('[data-testid="stExpander"]').first.click()
                    idle(page)
                page.wait_for_timeout(1000)
                shot(page, f"markdown_{name}")
                assert page.locator('[data-testid="stException"]').count() == 0, (name, page.locator(
                    '[data-testid="stException"]').first.inner_text())
                assert HITS == [], (name, HITS)
                assert foreign == [], (name, foreign)
                text = _shown_text(page)
                assert page.locator(f'a[href*="127.0.0.1:{port}"]').count() == 0, name   # nothing linked
                assert page.locator(f'img[src*="127.0.0.1:{port}"]').count() == 0, name
                boxes = page.eval_on_selector_all("input, textarea", "els => els.map(e => e.value)")
                assert any(_marker(port, "session-name") in b for b in boxes), (name, boxes)  # the sidebar's session
                for field in fields:
                    assert _marker(port, field) in text, (name, field)
                if name == "compare":                                  # the link of issue 21 item 12
                    link = page.locator('[data-testid="stPageLink"]').filter(has_text="Open query").first
                    assert _marker(port, "query-id") in (link.text_content() or "").replace(WORD_JOINER, "")
            page.wait_for_timeout(1000)
            assert HITS == [], HITS
            browser.close()
    finally:
        listener.shutdown()
