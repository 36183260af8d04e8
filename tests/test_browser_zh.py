"""The app in 中文 in a real browser (Debian Chromium via Playwright): every page opened with
?lang=zh shows no English left on screen, except data, model/product names and file names.

Seeded like run_workbench.sh (db init --samples), plus two BM25 runs with different
instructions on every set of the photos sample (through the library), so Compare, Matrix
and Label have content. The allow-list is built from the DATA (every word of the stored
sessions, sets, queries, documents, OCR text, runs, instructions and file names) plus a short
list of product and format names; any other English word (two or more ASCII letters) on
screen fails, with the page, the words and the lines they stand in.

Three checks, on one server: the sidebar and Streamlit's own chrome (the file uploader) on
every page; the main area of every page; the switch back to English, and `lang=zh` kept in
the URL while navigating. The README's docs/screenshots/zh_rerank.png is refreshed by scripts/screenshots.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser import TIMEOUT_MS, app_env, idle, new_page, require_chromium, shot, streamlit

pytestmark = pytest.mark.browser
PAGES = ("home", "import", "ocr", "rerank", "compare", "matrix", "label", "sessions")

# Names that stay as they are in Chinese (products, models, formats, units, tools the sidebar's
# checks name). Compared case-insensitively.
NAMES = {
    "lychee", "lychee-rerank-mm", "qwen", "qwen-vl", "bm25", "ocr", "csv", "tsv", "trec", "parquet", "zip",
    "json", "jsonl", "sqlite", "vllm", "sglang", "ndcg", "mrr", "gpu", "cpu", "url", "utf", "api", "id",
    "png", "jpg", "jpeg", "webp", "heic", "avif", "gif", "bmp", "tif", "tiff", "xlsx", "xls", "ods", "mb",
    "gb", "kb", "python", "torch", "transformers", "cuda", "bf16", "bfloat16", "flash-attn", "sdpa",
    "tesseract", "pytesseract", "hugging", "face", "openai", "workbench_model", "recall", "token",
    "tokens", "yes", "no", "p(yes)", "k", "ms", "min", "s",
    "english",                      # the language switch names each language in itself
    "map", "overlap@k", "nvidia",   # metric and vendor names
    "beir", "vidore",               # the benchmark layouts the Import page reads
}

# Commands, links and generated run names are shown as they are typed / stored, in any language.
LITERAL = re.compile(r"pip install [\w.=<>\[\]-]+(?: --[\w-]+)*|\bworkbench [a-z]+\b|\bnvidia-smi\b"
                     r"|(?:\./|https?://)\S+"                # a link column's URL (the grid shows its label)
                     r"|\b[\w-]+ \+ precise\b")             # a run name made from a template + the suffix


# ----------------------------------------------------------------- words
TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_.@/'’:][A-Za-z0-9]+)*")
JOINERS = re.compile(r"[-_.@/'’:]")


def tokens(text: str) -> list[str]:
    return TOKEN.findall(text or "")


def data_words(store) -> set[str]:
    """Every word of what the db holds: sessions, sets, queries, documents, OCR text, image
    file names, runs (names, instructions, models, backends), labels' notes."""
    texts: list[str] = []
    for s in store.list_sessions():
        texts += [s.name, s.description or ""]
    for info in store.list_candidate_sets():
        texts += [info.name or "", info.query_id or "", str(getattr(info, "source", "") or "")]
        cset = store.load_candidate_set(info.id)
        q = cset.query
        texts += [q.id, q.text or "", str(q.image or "")]
        for d in cset.documents:
            texts += [d.id, d.text or "", d.description or "", d.ocr_text or "", d.ocr_edited or "",
                      d.ranking_text or "", str(d.image or ""), Path(str(d.image or "")).name,
                      *(str(v) for v in (d.metadata or {}).values())]
        texts += list(store.get_notes(info.id).values())
    for r in store.list_runs():
        texts += [r.name or "", r.instruction or "", r.model_id or "", r.backend or ""]
    words: set[str] = set()
    for text in texts:
        for tok in tokens(text):
            words.add(tok)
            words.update(p for p in JOINERS.split(tok) if p)
    return words


# Whole texts that are data wherever they stand: the instruction templates (the model's
# prompts, English by design) and the description markers of a ranking text.
def verbatim() -> list[str]:
    from workbench.config import INSTRUCTION_TEMPLATES

    return sorted({*INSTRUCTION_TEMPLATES.values(), "[OCR]", "[TEXT]"}, key=len, reverse=True)


def english_left(text: str, allowed: set[str], whole: list[str] | None = None) -> dict[str, str]:
    """{word: the line it stands in} for every English word of `text` that is not data or a name."""
    found: dict[str, str] = {}
    for data in whole if whole is not None else verbatim():
        text = (text or "").replace(data, " ")
    text = LITERAL.sub(" ", text or "")
    for line in (text or "").splitlines():
        for tok in tokens(line):
            if _allowed(tok, allowed):
                continue
            found.setdefault(tok, line.strip()[:120])
    return found


def _allowed(tok: str, allowed: set[str]) -> bool:
    if sum(c.isalpha() for c in tok) < 2 or any(c.isdigit() for c in tok):   # ids, versions, nDCG@10
        return True
    if tok in allowed or tok.lower() in NAMES:
        return True
    parts = [p for p in JOINERS.split(tok) if p]
    return len(parts) > 1 and all(_allowed(p, allowed) for p in parts)


def test_the_word_check_finds_english_and_lets_data_and_names_through():
    allowed = {"denim", "jacket", "p01", "cat.jpg"}
    found = english_left("Rank 排名 denim jacket · nDCG@10 0.91 · BM25 分数 · cat.jpg\nSave labels 保存"
                         "\n运行：pip install flash-attn --no-build-isolation ./label?set=1&doc=x Install", allowed)
    assert set(found) == {"Rank", "Save", "labels", "Install"}
    assert found["Save"] == "Save labels 保存"


# ----------------------------------------------------------------- the browser
# The visible text of an element: text nodes that are rendered (not display:none,
# visibility:hidden or transparent), without icon ligatures (material icon names are text) and
# `code` spans (literal column names and commands), plus the tables' headings and cells and
# the placeholders of visible inputs.
VISIBLE_TEXT = """(root) => {
  const out = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const opts = {checkOpacity: true, checkVisibilityCSS: true, opacityProperty: true, visibilityProperty: true};
  let node;
  while ((node = walker.nextNode())) {
    const el = node.parentElement;
    if (!el || !node.textContent.trim()) continue;
    // icons are ligature text; `code` spans are literal identifiers (column names, commands)
    if (el.closest('[data-testid="stIconMaterial"], style, script, noscript, [translate="no"], code')) continue;
    if (!el.checkVisibility(opts)) continue;
    out.push(node.textContent);
  }
  // st.dataframe / st.data_editor draw on a canvas; their headings and cells are in the
  // grid's accessible table (not "visible", but what the canvas shows)
  for (const grid of root.querySelectorAll('[data-testid="stDataFrame"]')) {
    if (!grid.checkVisibility(opts)) continue;                 // e.g. in a closed expander
    for (const cell of grid.querySelectorAll('table[role="grid"] th, table[role="grid"] td')) {
      const text = cell.textContent.trim();
      if (text && !text.startsWith('data:')) out.push(text);     // image cells hold data URIs
    }
  }
  for (const input of root.querySelectorAll('input[placeholder], textarea[placeholder]')) {
    if (input.placeholder && !input.value && input.checkVisibility(opts)) out.push(input.placeholder);
  }
  return out.join('\\n');
}"""


def _idle(page) -> None:
    idle(page)


def _text(page, selector: str) -> str:
    return page.locator(selector).first.evaluate(VISIBLE_TEXT)


def _seed(env) -> dict:
    """Two BM25 runs (different instructions) on every set of the photos sample, a label and a
    note, OCR text on one document; returns the ids the URLs need."""
    from workbench import service
    from workbench.config import INSTRUCTION_TEMPLATES
    from workbench.rerank import registry
    from workbench.store import Store

    store = Store(env["WORKBENCH_DB"])
    try:
        session = next(s for s in store.list_sessions() if "photo" in s.name.lower())
        sets = store.list_candidate_sets(session.id)
        reranker = registry.get_reranker("lexical")
        runs: list[int] = []
        for name, instruction in (("bm25-web", INSTRUCTION_TEMPLATES["web"]),
                                  ("bm25-qa", INSTRUCTION_TEMPLATES["QA"])):
            for info in sets:
                run = service.rerank_set(store, info.id, instruction, reranker, name=name)
                if info.id == sets[0].id:
                    runs.append(run.id)
        first = store.load_candidate_set(sets[0].id)
        doc = first.documents[0]
        store.update_document_text(sets[0].id, doc.id, ocr_text="猫 CAT")
        service.note_document(store, sets[0].id, first.documents[-1].id, "需要复核")
        files = {Path(env["WORKBENCH_DB"]).name, Path(env["WORKBENCH_MODEL"]).name}   # the sidebar names them
        allowed = data_words(store) | {w for f in files for w in tokens(f)}
        return {"session": session.id, "set": sets[0].id, "runs": runs, "allowed": allowed}
    finally:
        store.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory, tiny_checkpoint):
    require_chromium()
    tmp = tmp_path_factory.mktemp("zh")
    env = app_env(tmp, WORKBENCH_MODEL=tiny_checkpoint)
    seeded = _seed(env)
    with streamlit(tmp, env) as url:
        yield url, seeded


def _new_page(browser):
    return new_page(browser, locale="zh-CN")


def _query(seeded, lang: str = "zh") -> str:
    runs = ",".join(str(r) for r in seeded["runs"])
    return f"session={seeded['session']}&set={seeded['set']}&runs={runs}&lang={lang}"


def _open(page, url: str, name: str, seeded) -> None:
    page.goto(f"{url}/{name}?{_query(seeded)}")
    page.locator('[data-testid="stSidebar"]').first.wait_for()
    page.locator('[data-testid="stMain"] h1, [data-testid="stMain"] h2, [data-testid="stMain"] h3').first.wait_for()
    _idle(page)
    page.wait_for_timeout(800)           # fragments and images settle
    _idle(page)
    _close_page_not_found(page)


def _close_page_not_found(page) -> None:
    """A deep link in a new browser session of a fresh server can race st.navigation's first
    run: Streamlit then shows its "Page not found" dialog over the right page (the analyst
    tests load the root first for the same reason). It is Streamlit's, not the app's: close it."""
    dialog = page.get_by_role("dialog").filter(has_text="Page not found")
    if dialog.count():
        dialog.get_by_role("button", name="Close").click()
        dialog.wait_for(state="detached")


@pytest.fixture(scope="module")
def walked(served, browser):
    """Every page opened in 中文: {page: {"sidebar": text, "main": text, "uploader": [...]}}."""
    url, seeded = served
    page = _new_page(browser)
    page.goto(url)                       # a fresh server learns st.navigation's pages on its first run
    page.locator('[data-testid="stSidebar"]').first.wait_for()
    _idle(page)
    out = {}
    try:
        for name in PAGES:
            _open(page, url, name, seeded)
            shot(page, f"zh_{name}", readme=name == "rerank", wait_ms=0)
            uploader = page.locator('[data-testid="stFileUploaderDropzone"]').evaluate_all(
                """els => els.map(e => {
                     const p = e.querySelector('[data-testid="stBaseButton-secondary"] [data-testid="stMarkdownContainer"] > p');
                     const s = e.querySelector('[data-testid="stFileUploaderDropzoneInstructions"] span');
                     return {button: p ? getComputedStyle(p, '::after').content : null,
                             limit: s ? getComputedStyle(s, '::after').content : null};
                   })""")
            out[name] = {"sidebar": _text(page, '[data-testid="stSidebar"]'),
                         "main": _text(page, '[data-testid="stMain"]'), "uploader": uploader,
                         "url": page.url}
    finally:
        page.close()
    return out


def _nav(page, title: str, path: str) -> None:
    """Click a page in the sidebar; a click that lands while a rerun settles can be lost
    (tests/test_browser.py's _nav does the same): click again."""
    for attempt in range(3):
        _idle(page)
        page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()
        try:
            _wait_url(page, path, "", timeout=TIMEOUT_MS // 3)
            return
        except Exception:  # noqa: BLE001 - playwright's TimeoutError
            if attempt == 2:
                raise


def _wait_url(page, path: str, param: str, timeout: int = TIMEOUT_MS) -> None:
    """The app writes the view into the URL after the page's run (history.replaceState: no
    navigation event to wait for)."""
    paths = [path, "/"] if path == "/home" else [path]       # the default page's URL is the root
    try:
        page.wait_for_function("([paths, param]) => paths.some(p => location.pathname.endsWith(p)) && "
                               "location.search.includes(param)", arg=[paths, param], timeout=timeout)
    except Exception as err:  # noqa: BLE001 - playwright's TimeoutError: say where the page is
        raise AssertionError(f"the URL did not become {path}?…{param}: it is {page.url}") from err


def _report(found: dict[str, dict[str, str]]) -> str:
    lines = []
    for name, words in found.items():
        lines.append(f"{name}: {len(words)} English word(s): {', '.join(sorted(words)[:60])}")
        for line in list(dict.fromkeys(words.values()))[:12]:
            lines.append(f"    | {line}")
    return "\n".join(lines)


def test_sidebar_and_streamlit_chrome_are_chinese_on_every_page(walked, served):
    _url, seeded = served
    found = {name: words for name, shown in walked.items()
             if (words := english_left(shown["sidebar"], seeded["allowed"]))}
    assert not found, "English left in the sidebar (?lang=zh):\n" + _report(found)
    for name, shown in walked.items():
        assert "lang=zh" in shown["url"], f"{name}: the URL lost lang=zh: {shown['url']}"
        assert "后端与设备" in shown["sidebar"] and "分数缓存" in shown["sidebar"], name
    # the file uploader's own English (Streamlit's) is replaced: hidden text, Chinese ::after
    uploaders = [u for shown in walked.values() for u in shown["uploader"]]
    assert uploaders, "no file uploader on any page"
    for u in uploaders:
        assert "上传" in (u["button"] or "") and "MB" in (u["limit"] or "") and "文件" in (u["limit"] or ""), u
    import_text = walked["import"]["main"]
    assert "Upload" not in tokens(import_text) and "per file" not in import_text


def test_every_page_in_chinese_has_no_english_left(walked, served):
    """The lead's check after every page is translated: main area of every page in 中文."""
    _url, seeded = served
    found = {name: words for name, shown in walked.items()
             if (words := english_left(shown["main"], seeded["allowed"]))}
    assert not found, ("English left on the pages (?lang=zh); each word is shown with a line it "
                       "stands in:\n" + _report(found))


def test_switch_back_to_english_and_lang_stays_in_the_url(served, browser):
    url, seeded = served
    page = _new_page(browser)
    try:
        page.goto(url)
        page.locator('[data-testid="stSidebar"]').first.wait_for()
        _idle(page)
        _open(page, url, "rerank", seeded)
        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.get_by_text("后端与设备").wait_for()
        # navigating between pages keeps lang=zh in the URL (and the pages in Chinese)
        for title, path in (("对比", "compare"), ("矩阵", "matrix"), ("首页", "home")):
            _nav(page, title, f"/{path}")
            _wait_url(page, f"/{path}", "lang=zh")
            _idle(page)
            sidebar.get_by_text("分数缓存").wait_for()
            assert "lang=zh" in page.url, page.url
        # the sidebar's switch: English again, remembered in the URL
        sidebar.locator("button", has_text="English").first.click()
        sidebar.get_by_text("Backend & device").wait_for()
        _idle(page)
        _wait_url(page, "/home", "lang=en")
        text = _text(page, '[data-testid="stSidebar"]')
        assert "Score cache" in text and "后端与设备" not in text and "分数缓存" not in text
        _nav(page, "Rerank", "/rerank")
        _wait_url(page, "/rerank", "lang=en")
        _idle(page)
        sidebar.get_by_text("Backend & device").wait_for()
    finally:
        page.close()


@pytest.mark.parametrize("locale,expected,absent", [("zh-CN", "后端与设备", "Backend & device"),
                                                    ("en-US", "Backend & device", "后端与设备")])
def test_without_lang_in_the_url_the_browser_language_decides(served, browser, locale, expected, absent):
    """No ?lang=: a Chinese browser gets 中文, an English one English (st.context.locale)."""
    url, _seeded = served
    page = browser.new_page(viewport={"width": 1500, "height": 1000}, locale=locale)
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(url)
        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.get_by_text(expected).wait_for()
        _idle(page)
        assert absent not in _text(page, '[data-testid="stSidebar"]')
    finally:
        page.close()
