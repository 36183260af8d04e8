"""The app in a real browser (Debian Chromium via Playwright): the worker and its Cancel,
reloads, copied URLs, every page fresh and after a reload, and no outside request made
by Markdown/HTML in imported text. Screenshots go to test-artifacts/ (git-ignored)."""

from __future__ import annotations

import http.server
import re
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tests.browser import (ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, ROOT, TIMEOUT_MS, VENV_BIN, free_port,  # noqa: F401
                           idle, new_page, require_chromium, shot, start_streamlit, stop_streamlit)
from tests.browser import app_env as _app_env

_free_port = free_port

pytestmark = pytest.mark.browser

PAGES = {"home": "Quick start", "import": "Import candidate sets", "ocr": "OCR", "rerank": "Rerank",
         "compare": "Compare instructions and backends", "sessions": "Sessions"}


def _start(tmp_path, env: dict, extra: list[str] | None = None):
    return start_streamlit(tmp_path, env, extra)


_stop = stop_streamlit


@pytest.fixture
def app_env(tmp_path, tiny_checkpoint):
    require_chromium()
    return _app_env(tmp_path, WORKBENCH_MODEL=tiny_checkpoint)


@pytest.fixture
def server(tmp_path, app_env):
    proc, log, url, _port = _start(tmp_path, app_env)
    try:
        yield url, app_env
    finally:
        _stop(proc, log)


_warmed: set[str] = set()


def _page(browser, url: str | None = None, **kw):
    page = new_page(browser, **kw)
    if url and url not in _warmed:
        # A fresh Streamlit server learns the pages of st.navigation from its first script
        # run; until then a deep link shows "Page not found" once. Load the root first.
        page.goto(url)
        page.get_by_text("Lychee workbench").first.wait_for()
        idle(page)
        _warmed.add(url)
    return page


def no_error(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator(
        '[data-testid="stException"]').first.inner_text()
    assert page.get_by_text("Something went wrong").count() == 0
    assert page.get_by_text("This app has encountered an error").count() == 0


def _big_set(env, n_docs: int = 240) -> tuple[int, int]:
    """A session with one set of long-ish text documents (many batches on the tiny model)."""
    from workbench.model import CandidateSet, Document, Query
    from workbench.store import Store

    store = Store(env["WORKBENCH_DB"])
    session = store.create_session("cancel test")
    words = "red running shoes lightweight breathable mesh trail cushioning grip".split()
    docs = [Document(id=f"d{i:03d}", text=" ".join(words[(i + j) % len(words)] for j in range(120)))
            for i in range(n_docs)]
    set_id = store.save_candidate_set(session.id, CandidateSet(Query(id="q-big", text="red running shoes"),
                                                               docs, name="big set"))
    return session.id, set_id


def _scored(env, run_id: int) -> int:
    from workbench.store import Store

    return len(Store(env["WORKBENCH_DB"]).load_run(run_id).scores)


def _start_rerank(page, url: str, sid: int, set_id: int, env) -> int:
    from workbench.store import Store

    page.goto(f"{url}/rerank?session={sid}&set={set_id}")
    page.get_by_role("button", name="Run rerank").wait_for()
    idle(page)
    page.get_by_role("button", name="Run rerank").click()
    store = Store(env["WORKBENCH_DB"])
    deadline = time.time() + 60
    while not store.list_runs(set_id=set_id):
        assert time.time() < deadline, "the run did not start"
        time.sleep(0.2)
    return store.list_runs(set_id=set_id)[-1].id


def _wait_scored(env, run_id: int, at_least: int, timeout: float = 90) -> int:
    deadline = time.time() + timeout
    while (n := _scored(env, run_id)) < at_least:
        assert time.time() < deadline, f"only {n} scores after {timeout} s"
        time.sleep(0.2)
    return n


def _wait_status(env, run_id: int, status: str, timeout: float = 120):
    from workbench.store import Store

    store = Store(env["WORKBENCH_DB"])
    deadline = time.time() + timeout
    while (run := store.load_run(run_id)).status != status:
        assert time.time() < deadline, f"run {run_id} is {run.status}, not {status}"
        time.sleep(0.3)
    return run


# ---------------------------------------------------------------------------------------------
def test_cancel_in_browser_stops_within_a_batch_and_keeps_partial_scores(server, browser):
    url, env = server
    total = 960                                      # ~120 tiny-model batches: far from done at the click
    sid, set_id = _big_set(env, n_docs=total)
    page = _page(browser, url)
    run_id = _start_rerank(page, url, sid, set_id, env)
    progress = page.locator('[data-testid="stMain"] [data-testid="stProgress"]')
    progress.first.wait_for()
    _wait_scored(env, run_id, 16)
    shot(page, "cancel_1_running")
    before = _scored(env, run_id)
    clicked = time.time()
    page.locator('[data-testid="stMain"]').get_by_role("button", name="Cancel").click()
    run = _wait_status(env, run_id, "cancelled")
    stopped_after = time.time() - clicked
    n = len(run.scores)
    # Cancel acts between batches: the click travels browser -> server -> callback first, and on a
    # busy 2-core machine a few fast tiny-model batches (8 text documents) finish meanwhile. What
    # the analyst needs: it stops within seconds, far from the end, and keeps what was scored.
    assert before <= n < total, (before, n)
    assert stopped_after < 20, f"the run took {stopped_after:.1f} s to stop after Cancel"
    assert sorted(s.rank for s in run.scores) == list(range(1, n + 1))   # settled ranks
    page.get_by_text("Cancelled run").wait_for()
    idle(page)
    assert page.locator('[data-testid="stMetricValue"]').first.inner_text() == "cancelled"
    assert page.get_by_text(f"{n}/{total}").count() >= 1
    no_error(page)
    shot(page, "cancel_2_cancelled")


def test_reload_mid_run_shows_the_session_and_the_progress(server, browser):
    url, env = server
    # big enough that the run is still going when the second tab arrives, however fast the
    # machine is (it is cancelled, so the size costs nothing)
    n = 2400
    sid, set_id = _big_set(env, n_docs=n)
    page = _page(browser, url)
    run_id = _start_rerank(page, url, sid, set_id, env)
    _wait_scored(env, run_id, 8)
    page.reload()
    page.get_by_role("heading", name="Rerank").wait_for()
    assert f"session={sid}" in page.url and f"set={set_id}" in page.url
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("Running work").wait_for()
    expect_text = re.compile(rf"Rerank: \d+/{n}")
    sidebar.locator('[data-testid="stProgress"]').get_by_text(expect_text).wait_for()
    page.locator('[data-testid="stMain"] [data-testid="stProgress"]').first.wait_for()
    assert sidebar.get_by_role("combobox", name="Session").input_value().startswith("cancel test")
    shot(page, "reload_mid_run")
    # another page of the same session still shows the running work in the sidebar
    page.goto(f"{url}/sessions?session={sid}")
    page.locator('[data-testid="stSidebar"]').get_by_text("Running work").wait_for()
    # a second tab of the session sees the same run and can stop it
    other = _page(browser, url)
    other.goto(f"{url}/rerank?session={sid}&set={set_id}")
    other.locator('[data-testid="stMain"]').get_by_role("button", name="Cancel").click()
    run = _wait_status(env, run_id, "cancelled")
    assert 0 < len(run.scores) < n
    no_error(page)
    no_error(other)


def test_copied_url_reopens_session_runs_and_query(server, browser):
    url, env = server
    from workbench.store import Store

    store = Store(env["WORKBENCH_DB"])
    page = _page(browser, url)
    # rank a small sample set twice (lexical: fast), then compare
    info = next(s for s in store.list_candidate_sets() if s.n_labels > 0)
    page.goto(f"{url}/compare?session={info.session_id}&set={info.id}")
    page.get_by_role("button", name="Run comparison").wait_for()
    idle(page)
    page.get_by_text("Lexical (BM25 baseline)").click()
    idle(page)
    page.get_by_role("button", name="Run comparison").click()
    page.get_by_role("tab", name="Rank shifts").wait_for(timeout=90_000)
    idle(page)
    runs = store.list_runs(set_id=info.id)
    assert len(runs) == 2
    page.wait_for_url(re.compile(r"runs=.*query="))
    copied = page.url
    assert f"session={info.session_id}" in copied and "runs=" in copied
    assert "query=" in copied
    fresh = _page(browser, url)                              # a colleague's browser: no session state
    fresh.goto(copied)
    fresh.get_by_role("tab", name="Rank shifts").wait_for(timeout=90_000)
    idle(fresh)
    chips = fresh.locator('[data-testid="stMultiSelect"]').last.inner_text()
    for run in runs:                           # the whole runs these rankings belong to, by name
        assert store.get_run_info(run.run_id).name in chips, chips
    query_box = fresh.get_by_role("combobox", name="Query", exact=True)
    if query_box.count():                      # (its value can arrive a moment after the tab)
        from playwright.sync_api import expect

        expect(query_box).to_have_value(info.query_id, timeout=30_000)
    picked = fresh.locator('[data-testid="stSidebar"]').get_by_role("combobox", name="Session").input_value()
    assert picked.startswith(store.get_session(info.session_id).name)
    no_error(fresh)
    shot(fresh, "copied_url_compare")
    # the Rerank view of one run
    fresh.goto(f"{url}/rerank?session={info.session_id}&set={info.id}&runs={runs[0].id}")
    fresh.get_by_role("heading", name="Results").wait_for()
    idle(fresh)
    assert f"#{runs[0].id}" in fresh.locator('[data-testid="stMain"]').inner_text()
    no_error(fresh)


@pytest.mark.parametrize("fresh_db", [True, False], ids=["empty-db", "samples"])
def test_every_page_loads_fresh_and_after_reload(tmp_path, app_env, browser, fresh_db):
    env = dict(app_env)
    if fresh_db:
        env["WORKBENCH_DB"] = str(tmp_path / "empty.db")
    proc, log, url, _ = _start(tmp_path, env)
    try:
        for path, heading in PAGES.items():
            page = _page(browser, url)
            page.goto(f"{url}/{path}")
            page.get_by_text(heading).first.wait_for()
            idle(page)
            no_error(page)
            page.reload()
            page.get_by_text(heading).first.wait_for()
            idle(page)
            no_error(page)
            page.close()
    finally:
        _stop(proc, log)


# ---------------------------------------------------------------------------------------------
class _Beacon(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802
        _Beacon.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_markdown_and_html_in_imported_text_make_no_request(tmp_path, server, browser):
    url, env = server
    listener = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Beacon)
    port = listener.server_address[1]
    thread = threading.Thread(target=listener.serve_forever, daemon=True)
    thread.start()
    _Beacon.hits = []
    md = f"![x](http://127.0.0.1:{port}/beacon.png)"
    html = f'<img src="http://127.0.0.1:{port}/img.png">'
    csv = tmp_path / f"evil {md[:2]}.csv"
    csv.write_text("query_id,query_text,query_image,doc_id,doc_text,doc_image,label\n"
                   f"q1,\"shoes {md} {html}\",,d1,\"{md} red shoes\",,2\n"
                   f"q1,\"shoes {md} {html}\",,d2,\"{html} blue hat\",,0\n"
                   f"q1,\"shoes {md} {html}\",,d3,\"**bold** [link](http://127.0.0.1:{port}/link)\",,\n",
                   encoding="utf-8")
    try:
        page = _page(browser, url)
        page.goto(f"{url}/import")
        page.get_by_text("Import candidate sets").wait_for()
        idle(page)
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(csv))
        idle(page)
        page.get_by_role("button", name="Read file").click()
        page.get_by_text("Save into a session").wait_for()
        idle(page)
        page.locator('[data-testid="stExpander"]').last.click()    # the set's preview
        idle(page)
        page.get_by_label("New session name").fill(f"evil {md}")
        page.get_by_label("New session name").press("Enter")
        idle(page)
        shot(page, "beacon_import")
        page.get_by_role("button", name="Save to session").click()
        idle(page)
        page.get_by_text("Saved 1 candidate set").wait_for()
        assert _Beacon.hits == [], ("import", _Beacon.hits)
        for path in ("rerank", "ocr", "compare", "sessions", "home"):
            page.goto(f"{url}/{path}{page.url[page.url.find('?'):] if '?' in page.url else ''}")
            page.get_by_text(PAGES[path]).first.wait_for()
            idle(page)
            if path == "rerank":
                page.get_by_text("Lexical (BM25 baseline)").click()
                idle(page)
                page.get_by_role("button", name="Run rerank").click()
                page.get_by_role("heading", name="Results").wait_for(timeout=180_000)
                idle(page)
                assert md in page.locator('[data-testid="stMain"]').inner_text()   # shown as typed
                shot(page, "beacon_rerank")
            no_error(page)
            page.wait_for_timeout(500)
            assert _Beacon.hits == [], (path, _Beacon.hits)
        page.wait_for_timeout(1000)
        assert _Beacon.hits == [], _Beacon.hits
    finally:
        listener.shutdown()


def test_app_binds_loopback_and_hides_error_details(tmp_path, app_env):
    """Started like the docstring says (`streamlit run app.py`, no address flag): it
    listens on 127.0.0.1 only, and the browser gets no error details."""
    import tomllib

    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert cfg["server"]["address"] == "127.0.0.1"
    assert cfg["client"]["showErrorDetails"] not in ("full", True, "true", "stacktrace")
    proc, log, url, port = _start(tmp_path, app_env)
    try:
        listening = []
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                lines = Path(table).read_text().splitlines()[1:]
            except OSError:
                continue
            for line in lines:
                local, state = line.split()[1], line.split()[3]
                addr, p = local.split(":")
                if int(p, 16) == port and state == "0A":
                    listening.append(addr)
        assert listening, "no listening socket found"
        assert set(listening) == {"0100007F"}, listening          # 127.0.0.1 only
        with urllib.request.urlopen(url + "/_stcore/health", timeout=5) as r:
            assert r.status == 200
    finally:
        _stop(proc, log)
