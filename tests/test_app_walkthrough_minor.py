"""Minor items of a user walkthrough (issue 23): the Import preview names images by the names
the analyst's file used and shows its extra columns; runs read without "None", repeated words or
ambiguous names; the zh UI has no English leftovers (template names, backend codes, "id",
exception class names); the OCR page counts one way; and every error fix the app can show reads
cleanly (no CLI flag outside a command to copy, no doubled "e.g.", no "the X box" in a command).

Real store, real files, AppTest pages; nothing mocked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.test_pages import app, ok
from workbench import i18n
from workbench.model import CandidateSet, Document, Query, Run
from workbench.store import Store


def _png(path: Path, colour=(200, 30, 30)) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (40, 30), colour).save(path)
    return path


def _page(path: str, lang: str = "en", **state):
    at = app()
    if lang != "en":
        at.session_state["ui_lang"] = lang              # as the sidebar's switch sets it
        ok(at.run())
    for key, value in state.items():
        at.session_state[key] = value
    at.switch_page(path)
    return ok(at.run())


def _texts(at) -> str:
    """Every text the page shows: elements' values and labels, tables' cells, options (a table's
    headings come from its column_config, not its data's column names)."""
    out = []
    for kind in ("markdown", "caption", "text", "title", "header", "subheader", "info", "warning", "success",
                 "error", "toast", "expander", "metric"):
        for el in getattr(at, kind, []):
            for attr in ("value", "label", "body"):
                v = getattr(el, attr, None)
                if isinstance(v, str):
                    out.append(v)
    for el in at.dataframe:
        out += el.value.astype(str).to_numpy().ravel().tolist()
    for kind in ("selectbox", "multiselect", "radio"):
        for el in getattr(at, kind, []):
            out.append(str(el.label))
            out += [str(o) for o in el.options]
    return "\n".join(str(x) for x in out)


# ----------------------------------------------------------------------------- 13. Import preview
def _import_zip(tmp_path: Path) -> Path:
    import zipfile

    folder = tmp_path / "src"
    _png(folder / "pics" / "coffee-query.png", (90, 60, 30))
    for i in range(3):
        _png(folder / "pics" / f"mug-{i}.png", (30 * i, 100, 150))
    (folder / "cands.csv").write_text(
        "query_id,query_text,query_image,doc_id,doc_text,doc_image,类别\n"
        + "".join(f"img-query-coffee,,pics/coffee-query.png,d{i},,pics/mug-{i}.png,杯子{i}\n" for i in range(3)),
        encoding="utf-8")
    out = tmp_path / "coffee.zip"
    with zipfile.ZipFile(out, "w") as zf:
        for p in folder.rglob("*"):
            zf.write(p, p.relative_to(folder).as_posix())
    return out


def test_import_preview_names_images_by_their_own_names_and_shows_extra_columns(tmp_path):
    from workbench import formats

    result = formats.read_candidates(_import_zip(tmp_path))
    # the images are kept by content hash; the result remembers the names the file used
    doc = result.sets[0].documents[0]
    assert "mug-0" not in Path(doc.image).name
    assert result.image_names[doc.image] == "pics/mug-0.png"
    assert result.image_names[result.sets[0].query.image] == "pics/coffee-query.png"

    at = _page("pages/import_page.py", import_result=result, import_source="coffee.zip")
    title = next(e.label for e in at.expander if "img-query-coffee" in e.label)
    assert "“”" not in title and "pics/coffee-query.png" in title, title
    preview = next(d.value for d in at.dataframe if "doc_id" in d.value.columns)
    assert preview["image"].tolist() == ["pics/mug-0.png", "pics/mug-1.png", "pics/mug-2.png"]
    assert not any("imports" in str(v) or "images/" in str(v)[:7] for v in preview["image"])
    assert preview["类别"].tolist() == ["杯子0", "杯子1", "杯子2"]            # the file's extra column
    assert preview["thumbnail"].str.startswith("data:image/jpeg;base64,").all()
    shown = [img.proto.imgs[0] for img in at.get("image") if img.proto.imgs]     # the query image, small
    assert any(i.url.startswith("data:image/") and i.caption == "pics/coffee-query.png" for i in shown), shown


# ----------------------------------------------------------------------------- 14. runs wording
def _session_with_runs(tmp_path, name="walk"):
    store = Store()
    info = store.create_session(name)
    img = _png(tmp_path / "a.png")
    sid = store.save_candidate_set(info.id, CandidateSet(
        Query("q1", "咖啡杯"), [Document("d1", "白色咖啡杯", image=str(img)), Document("d2", "黑色马克杯"),
                               Document("d3", "茶壶")], name="咖啡"))
    from workbench.model import Result

    scores = [Result(doc_id=f"d{i}", score=1.0 - i / 10, rank=i) for i in (1, 2, 3)]
    done = store.create_run(sid, Run(instruction="找相似商品", backend="qwen-vl", model_id="m", status="done",
                                     query_id="q1", name="自定义-v1", params={"prompt": "lychee"}, scores=scores))
    twin = store.create_run(sid, Run(instruction="找相似商品", backend="qwen-vl", model_id="m", status="done",
                                     query_id="q1", name="自定义-v1", params={"prompt": "lychee-v1"}, scores=scores))
    old = store.create_run(sid, Run(instruction="", backend="imported", model_id="es", status="imported",
                                    query_id="q1", name="旧搜索ES", scores=scores))
    trec = store.create_run(sid, Run(instruction="", backend="trec", model_id="bm25-run", status="imported",
                                     query_id="q1", name="first stage", scores=scores))
    from workbench import service

    service.set_run_note(store, done, "基线运行")
    from workbench.model import Label

    store.set_labels(sid, [Label("q1", "d1", 2)])
    return store, info, sid, (done, twin, old, trec)


def test_run_labels_say_imported_once_and_name_backends_in_words(tmp_path):
    from ui import frames

    store, info, _sid, (done, _twin, old, trec) = _session_with_runs(tmp_path)
    runs = {r.id: r for r in store.list_runs(session_id=info.id)}
    assert frames.run_label(runs[old]) == f"#{old} 旧搜索ES · imported"
    assert frames.run_label(runs[done]) == f"#{done} 自定义-v1 · Lychee (local model) · done"
    assert frames.run_label(runs[trec]) == f"#{trec} first stage · TREC run · imported"
    with i18n.language("zh"):
        assert frames.run_label(runs[old]) == f"#{old} 旧搜索ES · 导入的结果"
        assert frames.run_label(runs[done]) == f"#{done} 自定义-v1 · Lychee（本地模型） · 完成"
        assert "trec" not in frames.run_label(runs[trec])


def test_sessions_runs_table_shows_note_and_prompt_format_and_no_none(tmp_path):
    _store, info, _sid, (done, twin, old, _trec) = _session_with_runs(tmp_path)
    at = _page("pages/sessions_page.py", session_id=info.id, run_ids=[done])
    table = next(d.value for d in at.dataframe if "started" in d.value.columns)
    row = table.set_index("run")
    assert row.loc[done, "note"] == "基线运行" and row.loc[done, "prompt"] == "lychee"
    assert row.loc[twin, "prompt"] == "lychee-v1" and row.loc[old, "prompt"] == ""
    assert "None" not in table.astype(str).to_numpy().ravel().tolist()
    # the results and labels editors draw an ungraded cell empty, not as the word "None"
    editors = [d for d in at.dataframe if "label" in d.value.columns]
    assert editors and all(d.proto.placeholder == "" for d in editors), [d.proto.placeholder for d in editors]
    assert any(d.value["label"].isna().any() for d in editors)        # there are ungraded rows
    # saving a note names the run with its number: two runs share the name 自定义-v1
    at.text_area(key=f"run_note_{done}").input("新的备注").run()
    next(b for b in at.button if b.key == f"run_note_save_{done}").click().run()
    ok(at)
    assert any(f"#{done} 自定义-v1" in toast.value for toast in at.toast), [t.value for t in at.toast]


# ----------------------------------------------------------------------------- 15. zh leftovers
ENGLISH_LEFTOVERS = ("e-commerce", "papers", "legal", "product similarity", "qwen-vl", "trec",
                     "ConnectError", "ReadTimeout", "Errno", " id ", "· id")


def _no_english(text: str) -> list[str]:
    return [w for w in ENGLISH_LEFTOVERS if w in text]


def test_zh_sessions_page_has_no_english_leftovers(tmp_path):
    _store, info, _sid, (_done, _twin, _old, trec) = _session_with_runs(tmp_path)
    at = _page("pages/sessions_page.py", lang="zh", session_id=info.id, run_ids=[trec])
    text = _texts(at)
    assert "电商" in text and "论文" in text                             # the Re-run templates, localized
    assert not _no_english(text), _no_english(text)
    assert "导入的结果 · 已导入" not in text


def test_zh_label_page_names_the_document_in_chinese(tmp_path):
    _store, info, sid, _ = _session_with_runs(tmp_path)
    at = _page("pages/label_page.py", lang="zh", session_id=info.id, set_id=sid)
    text = _texts(at)
    assert "个文档，共 3 个 · 文档编号 d" in text, text
    assert not _no_english(text), _no_english(text)


def test_zh_rerank_connection_error_is_said_in_words(tmp_path):
    """A refused connection and a server that never answers: no exception class names."""
    import socket
    import threading

    from workbench.errors import WorkbenchError
    from workbench.rerank.remote import probe

    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()                                          # nothing listens there: refused
    with pytest.raises(WorkbenchError) as refused:
        probe(f"http://127.0.0.1:{port}/v1", timeout=2.0)
    for lang, words in (("en", "connection refused"), ("zh", "连接被拒绝")):
        message, fix = i18n.error_text(refused.value, lang=lang, surface="app")
        assert words in message and not _no_english(message + fix), (message, fix)

    sock = socket.socket()                                # accepts, never answers
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    held = []
    threading.Thread(target=lambda: held.extend(sock.accept() for _ in range(4)), daemon=True).start()
    import httpx

    from workbench.rerank.remote import transport_words

    try:
        httpx.post(f"http://127.0.0.1:{sock.getsockname()[1]}/v1/rerank", json={}, timeout=0.5)
    except httpx.HTTPError as exc:
        words = transport_words(exc)
    assert words == "no answer in time" and i18n.localize(words) == "no answer in time"
    with i18n.language("zh"):
        assert i18n.localize(words) == "未能及时应答"
    sock.close()


def test_an_unreachable_hub_is_said_in_words(monkeypatch):
    import os
    import socket

    from workbench import hub
    from workbench.errors import ModelNotFound

    with socket.socket() as s:                 # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("HF_HUB_CACHE", str(Path(os.environ["WORKBENCH_HOME"]) / "hf"))
    with pytest.raises(ModelNotFound) as exc:
        hub.check_reachable("some-org/some-reranker")
    message, _ = i18n.error_text(exc.value, lang="zh", surface="app")
    assert "（连接被拒绝）" in message and "Error" not in message, message


def test_ocr_header_and_review_caption_count_the_same_way(tmp_path):
    store = Store()
    info = store.create_session("ocr counts")
    docs = [Document(f"d{i}", image=str(_png(tmp_path / f"{i}.png", (i * 20, 0, 0)))) for i in range(6)]
    sid = store.save_candidate_set(info.id, CandidateSet(Query("q", "杯子"), docs, name="s"))
    store.update_document_text(sid, "d0", ocr_text="MUG 350ml")
    store.update_document_text(sid, "d1", ocr_text="TEA")
    store.update_document_text(sid, "d2", ocr_text="")
    store.update_document_text(sid, "d3", ocr_text="", ocr_edited="手写的字")    # edited: counted as edited
    store.update_document_text(sid, "d4", ocr_text="CUP", ocr_edited="CUP 2")   # edited too
    at = _page("pages/ocr_page.py", lang="zh", session_id=info.id, set_id=sid)
    counts = "有文字 2 · 已修改 2 · 未发现文字 1 · 未识别 1"
    header = [m.value for m in at.markdown if "个带图片" in m.value]
    assert header and counts in header[0], header
    captions = [c.value for c in at.caption if "已修改" in c.value]
    assert captions and captions[0].startswith(counts), captions


def test_hints_quote_the_labels_they_name():
    """A hint naming a checkbox or option quotes its real label (both languages)."""
    pairs = [("frames.results_unsaved_caption", "rerank.save_adhoc"), ("advice.remedy_precise", "rerank.precise"),
             ("ocr.cleared_end", "ocr.only_missing"), ("ocr.nothing_read", "ocr.only_missing")]
    for lang in ("en", "zh"):
        cat = i18n.CATALOGS[lang]
        for hint, label in pairs:
            quoted = re.findall(r"“([^”]+)”", cat[hint])
            real = cat[label]
            assert any(real.startswith(q) and len(q) >= min(len(real.split("（")[0].split(" (")[0]), 40) * 0.9
                       for q in quoted), (lang, hint, quoted, real)
        assert cat["sessions.precise"] == cat["rerank.precise"]       # one toggle, one name


# ----------------------------------------------------------------------------- 9. error fix texts
COMMAND_FIELDS = {"command", "chat_command", "rerank_command", "pip", "pip_all", "recover", "dump", "swap"}


def _dummy(field: str) -> str:
    """A command field is filled with a command line (with a flag), as the library fills it."""
    return "tool --flag X1" if field in COMMAND_FIELDS else "X1"


def app_fix_texts() -> list[tuple[str, str, str]]:
    """(language, key, text) of every fix the app can show: every err.<code>.fix.app, and every
    err.<code>.fix without an app variant (codes the app never raises excepted: tests/test_i18n.py's
    CLI_ONLY), rendered with dummy params (commands as the app fills them)."""
    from tests.test_i18n import CLI_ONLY, CLI_ONLY_PREFIXES

    out = []
    for lang, cat in i18n.CATALOGS.items():
        for key in cat:
            if not key.startswith("err.") or not key.endswith((".fix", ".fix.app")):
                continue
            base = key.removesuffix(".app")
            code = base[len("err."):-len(".fix")]
            if key.endswith(".fix") and key + ".app" in cat:
                continue
            if key.endswith(".fix") and (code in CLI_ONLY or code.startswith(CLI_ONLY_PREFIXES)):
                continue
            fields = i18n.fields(cat[key]) | i18n.fields(cat.get(f"err.{code}", ""))
            with i18n.surface("app"):
                text = i18n.t(base, lang=lang, **{f: _dummy(f) for f in fields})
            out.append((lang, key, text))
    return out


COMMAND_WORDS = re.compile(r"python -m |vllm serve |pip install |apt-get install |brew install |export [A-Z_]+=")


def garbled(text: str) -> list[str]:
    problems = []
    spans = re.findall(r"`([^`]*)`", text)
    prose = re.sub(r"`[^`]*`", " ", text)
    if re.search(r"(?<![\w-])--[a-z]", prose):
        problems.append("a CLI flag outside a command to copy")
    if COMMAND_WORDS.search(prose):
        problems.append("a shell command not shown as a command (in backticks)")
    for span in spans:
        if re.search(r"\bbox\b|框|“|\bthe [A-Z]", span):
            problems.append(f"the app's words inside a command: {span}")
    marked = prose.replace("e.g.", "\x00").replace("例如", "\x00")
    if re.search(r"\x00[^,;.:!?，；。：！？]*\x00", marked):
        problems.append("a doubled 'e.g.'")
    if re.search(r"\b(\w+(?: \w+){1,3}) \1\b", prose):
        problems.append("a doubled phrase")
    return problems


def test_every_fix_the_app_can_show_reads_cleanly():
    texts = app_fix_texts()
    assert len(texts) > 300 and {lang for lang, _, _ in texts} == {"en", "zh"}
    bad = {f"{lang} {key}": (garbled(text), text) for lang, key, text in texts if garbled(text)}
    assert not bad, "\n".join(f"{k}: {p} :: {text}" for k, (p, text) in bad.items())


def test_the_garbling_check_catches_what_the_app_once_showed():
    assert garbled("Start one with: python -m vllm.entrypoints.openai.api_server the Model path box DIR --port 8000")
    assert garbled("…or name its encoding, e.g. the encoding (e.g. gbk) under Text encoding on the Import page")
    assert garbled("Start it with `vllm serve DIR` and type it into the Model path box.") == []
    assert garbled("Run `vllm serve the Model path box --port 8000`.")
