"""The Rerank form in a real browser (Debian Chromium via Playwright), issue 23's walkthrough:

* the form remembers: template, instruction, "be precise", backend, model path and prompt format
  survive going to Home and back, a reload, and a reload on another page (they live in the URL);
* a long BM25 run keeps the app usable: its progress moves within seconds, a new tab shows its
  title quickly, the time left is shown, Cancel says "stopping…" and stops within seconds;
* an old job's message does not come back in a new tab.

Screenshots go to test-artifacts/; under scripts/screenshots (WORKBENCH_SCREENSHOTS=1) the ones
marked readme also go to docs/screenshots/walkthrough/."""

from __future__ import annotations

import os
import re
import time

import pytest

from tests.browser import (
    ARTIFACTS,
    ROOT,
    SHOTS,
    app_env,
    idle,
    new_page,
    require_chromium,
    shot,
    start_streamlit,
    stop_streamlit,
)

pytestmark = pytest.mark.browser

MODEL = "/models/lychee-walkthrough"
INSTRUCTION = "Given a question about travel expenses, retrieve the passages of the policy that answer it"


@pytest.fixture
def app(tmp_path):
    """The app without WORKBENCH_MODEL: the form's default backend is BM25, as in the walkthrough."""
    require_chromium()
    env = app_env(tmp_path)
    env.pop("WORKBENCH_MODEL", None)
    proc, log, url, _port = start_streamlit(tmp_path, env)
    try:
        yield url, env
    finally:
        stop_streamlit(proc, log)


def _open(browser, url: str, path: str):
    page = new_page(browser)
    page.goto(url)                     # a fresh server learns its pages from the first run
    page.get_by_text("Lychee workbench").first.wait_for()
    idle(page)
    page.goto(f"{url}/{path}")
    idle(page)
    return page


def _shot(page, name: str, readme: bool = False) -> None:
    """docs/screenshots/walkthrough/after_<name>.png (WALKTHROUGH_SHOTS=before: this file run against
    the code before the fix, for the walkthrough's before / after pictures)."""
    for folder in (ARTIFACTS, SHOTS):
        (folder / "walkthrough").mkdir(parents=True, exist_ok=True)
    shot(page, f"walkthrough/{os.environ.get('WALKTHROUGH_SHOTS', 'after')}_{name}", readme=readme)


def _main(page):
    return page.locator('[data-testid="stMain"]')


def _settled(page) -> None:
    idle(page)
    page.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')")


def _choose(page, label: str, option: str) -> None:
    _main(page).get_by_role("combobox", name=label).click()
    page.get_by_role("option", name=option, exact=True).click()
    _settled(page)


def _form(page) -> dict:
    """What the Rerank form shows."""
    main = _main(page)
    main.get_by_role("combobox", name="Scenario template").wait_for()
    out = {"template": main.get_by_role("combobox", name="Scenario template").input_value(),
           "instruction": main.get_by_role("textbox", name="Instruction text").input_value(),
           "precise": main.get_by_label("Be precise and avoid vague terms").is_checked(),
           "backend": next((b for b in ("Qwen-VL model (Lychee-rerank-mm)", "Lexical (BM25 baseline)",
                                        "Serving engine (vLLM, SGLang, workbench serve)")
                            if main.get_by_role("radio", name=b).is_checked()), None)}
    if main.get_by_role("textbox", name="Model path or id").count():
        out["model"] = main.get_by_role("textbox", name="Model path or id").input_value()
    if main.get_by_role("combobox", name="Prompt format").count():
        out["format"] = main.get_by_role("combobox", name="Prompt format").input_value()
    return out


WANTED = {"template": "QA", "instruction": INSTRUCTION, "precise": True,
          "backend": "Qwen-VL model (Lychee-rerank-mm)", "model": MODEL}


def _check(page, where: str) -> list[str]:
    """What the form lost after `where` (empty: nothing). The walk goes on after a loss, so every
    step's screenshot is taken; the test fails at its end with the whole list."""
    got = _form(page)
    lost = [f"after {where}: {key} is {got.get(key)!r}, not {value!r}" for key, value in WANTED.items()
            if got.get(key) != value]
    if not str(got.get("format", "")).startswith("lychee-v1"):
        lost.append(f"after {where}: the prompt format is {got.get('format')!r}")
    return lost


def _nav(page, name: str) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=name).click()
    if name == "Rerank":
        page.wait_for_function("() => location.pathname.endsWith('/rerank')")
    else:                                                 # Home, the default page, is "/"
        page.wait_for_function("() => !location.pathname.endsWith('/rerank')")
    _settled(page)
    if name == "Rerank":
        _main(page).get_by_role("button", name="Run rerank").wait_for()
        _settled(page)


def test_the_rerank_form_survives_navigation_and_reload(app, browser):
    url, _env = app
    page = _open(browser, url, "rerank")
    main = _main(page)
    before = _form(page)
    assert before["template"] == "e-commerce" and before["backend"] == "Lexical (BM25 baseline)"
    _choose(page, "Scenario template", "QA")
    main.get_by_role("textbox", name="Instruction text").fill(INSTRUCTION)
    main.get_by_role("textbox", name="Instruction text").press("Control+Enter")
    _settled(page)
    main.get_by_text("Be precise and avoid vague terms").click()
    _settled(page)
    main.get_by_text("Qwen-VL model (Lychee-rerank-mm)").click()
    _settled(page)
    main.get_by_role("textbox", name="Model path or id").fill(MODEL)
    main.get_by_role("textbox", name="Model path or id").press("Enter")
    _settled(page)
    fmt = main.get_by_role("combobox", name="Prompt format")
    fmt.click()
    fmt.press_sequentially("lychee-v1:")          # the list filters to the one option
    page.get_by_role("option").filter(has_text="lychee-v1:").first.click()
    _settled(page)
    _shot(page, "rerank_form_1_filled", readme=True)
    assert not _check(page, "filling the form")
    filled_url = page.url

    lost: list[str] = []
    _nav(page, "Home")
    page.get_by_text("Quick start").first.wait_for()
    _nav(page, "Rerank")
    _shot(page, "rerank_form_2_home_and_back", readme=True)
    lost += _check(page, "Home and back")

    page.reload()
    _settled(page)
    _shot(page, "rerank_form_3_reloaded", readme=True)
    lost += _check(page, "a reload")

    _nav(page, "Home")                                  # reload on another page, then back
    page.reload()
    _settled(page)
    _nav(page, "Rerank")
    lost += _check(page, "a reload on Home and back")

    copied = new_page(browser)                          # a copied link opens the same form
    copied.goto(page.url)
    _settled(copied)
    lost += _check(copied, "opening the copied URL")
    assert not lost, "\n".join(lost)
    assert "tpl=QA" in filled_url and "backend=qwen-vl" in filled_url, filled_url


def test_a_copied_link_with_a_server_url_keeps_the_remote_backend(app, browser):
    url, _env = app
    page = _open(browser, url, "rerank?backend=remote&server=http%3A%2F%2F127.0.0.1%3A9%2Fv1&tpl=web")
    main = _main(page)
    assert main.get_by_role("radio", name="Serving engine (vLLM, SGLang, workbench serve)").is_checked()
    assert main.get_by_role("textbox", name="Server URL").input_value() == "http://127.0.0.1:9/v1"
    assert main.get_by_role("combobox", name="Scenario template").input_value() == "web"
    page.get_by_text("Lychee workbench").first.wait_for()
    _nav(page, "Home")
    _nav(page, "Rerank")
    assert main.get_by_role("textbox", name="Server URL").input_value() == "http://127.0.0.1:9/v1"


# ------------------------------------------------------------------ a long BM25 run
def _long_set(env, n_docs: int, chars: int) -> tuple[int, int]:
    """A session with one set of long mixed Chinese / English documents (BM25 tokenises them with jieba)."""
    import random

    from workbench.model import CandidateSet, Document, Query
    from workbench.store import Store

    rnd = random.Random(7)
    zh = "报销流程发票酒店差旅审批部门财务系统提交签字行程单海外出差标准住宿餐饮交通费用预算合同采购供应商"
    en = ["travel", "reimbursement", "invoice", "hotel", "approval", "finance", "process", "itinerary", "budget", "contract"]
    docs = []
    for i in range(n_docs):
        parts, size = [], 0
        while size < chars:
            part = ("".join(rnd.choice(zh) for _ in range(rnd.randint(2, 8))) if rnd.random() < 0.5
                    else " ".join(rnd.choice(en) for _ in range(rnd.randint(1, 4))))
            parts.append(part)
            size += len(part) + 1
        docs.append(Document(id=f"d{i:03d}", text="，".join(parts)[:chars]))
    store = Store(env["WORKBENCH_DB"])
    session = store.create_session("long documents")
    set_id = store.save_candidate_set(session.id, CandidateSet(Query("q1", "海外出差报销需要哪些材料 travel"), docs,
                                                               name="long documents"))
    return session.id, set_id


def _new_tab_seconds(browser, url: str, sid: int) -> float:
    """Seconds a new tab needs to show the Home page's title."""
    other = new_page(browser)
    t0 = time.time()
    other.goto(f"{url}/home?session={sid}")
    other.get_by_text("Quick start").first.wait_for()
    took = time.time() - t0
    other.close()
    return took


def _progress_text(page) -> str:
    bars = _main(page).locator('[data-testid="stProgress"]')
    return bars.first.inner_text() if bars.count() else ""


def test_a_long_bm25_run_keeps_the_app_usable_and_cancel_stops_at_once(app, browser):
    from workbench.store import Store

    url, env = app
    total = 120
    sid, set_id = _long_set(env, total, 20_000)
    page = _open(browser, url, f"rerank?session={sid}&set={set_id}")
    main = _main(page)
    main.get_by_role("radio", name="Lexical (BM25 baseline)").wait_for()
    assert main.get_by_role("radio", name="Lexical (BM25 baseline)").is_checked()
    estimate = main.get_by_text(re.compile(r"This run scores 120 documents × about [\d,]+ tokens each"))
    if os.environ.get("WALKTHROUGH_SHOTS") != "before":
        estimate.wait_for()
    _shot(page, "long_run_1_estimate", readme=True)
    idle_s = _new_tab_seconds(browser, url, sid)          # the same machine, no run going on
    main.get_by_role("button", name="Run rerank").click()
    clicked = time.time()
    # progress moves within seconds (the old app sat at 0/N until the whole set was tokenised)
    moved = None
    while time.time() - clicked < 60:
        m = re.search(r"Rerank: (\d+)/120", _progress_text(page))
        if m and int(m.group(1)) > 0:
            moved = time.time() - clicked
            break
        page.wait_for_timeout(200)
    _shot(page, "long_run_2_progress", readme=True)
    assert moved is not None and moved < 30, f"no progress {time.time() - clicked:.0f} s after Run"
    main.get_by_text(re.compile(r"about [\d.]+ (s|min) left")).wait_for(timeout=30_000)
    # a new tab shows its title quickly while the run goes on
    title_s = _new_tab_seconds(browser, url, sid)
    still = re.search(r"Rerank: (\d+)/120", _progress_text(page))
    assert still, "the run ended before the new tab was measured: make the set bigger"
    # the old app: a minute and more (the worker held the server's interpreter); the busy 2-core
    # build machine makes any page slow, so the bound is relative to a new tab without a run
    assert title_s < max(25.0, 5 * idle_s), f"a new tab took {title_s:.1f} s during the run ({idle_s:.1f} s without)"
    _shot(page, "long_run_3_while_a_new_tab_opened", readme=True)
    # Cancel: "stopping…" at once, stopped within seconds, the run kept as cancelled
    main.get_by_role("button", name="Cancel").click()
    pressed = time.time()
    main.get_by_text(re.compile(r"Rerank: stopping…")).wait_for(timeout=10_000)
    stopping_s = time.time() - pressed
    store = Store(env["WORKBENCH_DB"])
    run_id = store.list_runs(set_id=set_id)[-1].id
    while store.load_run(run_id).status == "running":
        assert time.time() - pressed < 10, "the run did not stop within 10 s of Cancel"
        time.sleep(0.1)
    stopped_s = time.time() - pressed
    assert stopped_s < 10, f"the run took {stopped_s:.1f} s to stop after Cancel"
    main.get_by_text("The ranking was cancelled").wait_for()
    _shot(page, "long_run_4_cancelled", readme=True)
    print(f"progress after {moved:.1f} s, new tab {title_s:.1f} s (idle {idle_s:.1f} s), 'stopping' after "
          f"{stopping_s:.1f} s, stopped after {stopped_s:.1f} s")
    # an old message stays with the tab that saw the work end: a new tab does not show it
    fresh = new_page(browser)
    fresh.goto(f"{url}/rerank?session={sid}&set={set_id}")
    _settled(fresh)
    _main(fresh).get_by_role("button", name="Run rerank").wait_for()
    assert _main(fresh).get_by_text("The ranking was cancelled").count() == 0
    assert (ROOT / "app.py").exists()
