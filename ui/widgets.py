"""Widgets shared by the pages: errors, the backend/model choice, uploads, the sidebar.

User text shown through any Markdown-rendering call goes through `frames.esc` first.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from pathlib import Path

import streamlit as st

from workbench import config, errorlog, i18n
from workbench.i18n import t, tn
from workbench.errors import WorkbenchError

from . import frames, state
from .frames import esc

# ----------------------------------------------------------------- errors
# Fixes written for the command line, said the way the app does it: CLI text -> catalog key
# of the app's wording (the zh error texts may keep the flag, e.g. "--encoding gbk", literally).
_APP_WORDING = (
    ("(or pass --model PATH)", "app.wording.model_folder"),  # i18n: not UI text
    ("（或传入 --model PATH）", "app.wording.model_folder"),  # i18n: not UI text
    ("--skip-unknown, or the", "app.wording.the"),  # i18n: not UI text
    ("--skip-unknown，或在", "app.wording.in"),  # i18n: not UI text
    ("(CLI: --encoding NAME, e.g. --encoding gbk or --encoding latin-1)", "app.wording.encoding_note"),  # i18n: not UI text
    ("（命令行：--encoding NAME，例如 --encoding gbk 或 --encoding latin-1）", "app.wording.encoding_note"),  # i18n: not UI text
    ("--encoding gbk (or encoding='gbk')", "app.wording.encoding_gbk"),  # i18n: not UI text
    ("e.g. --encoding gbk", "app.wording.eg_encoding"),  # i18n: not UI text
    ("--encoding gbk", "app.wording.encoding"),  # i18n: not UI text
    ("--encoding NAME", "app.wording.encoding_name"),  # i18n: not UI text
    ("--encoding latin-1", "app.wording.encoding_latin1"),  # i18n: not UI text
    ("--encoding", "app.wording.encoding_box"),  # i18n: not UI text
    ("--model PATH", "app.wording.model_box"),  # i18n: not UI text
    ("--model", "app.wording.model_box"),  # i18n: not UI text
    ("--backend lexical", "app.wording.lexical"),  # i18n: not UI text
    ("--k 10", "app.wording.k10"),  # i18n: not UI text
    ("--k", "app.wording.k"),  # i18n: not UI text
    ("WORKBENCH_DEBUG=1", "app.wording.error_log"),  # i18n: not UI text
)


def app_wording(text: str) -> str:
    """A library fix written for the CLI, said for the app (in the UI's language): no
    command-line flags, and internal cache/upload folders shown by their file name only."""
    out = str(text or "")
    for cli, key in _APP_WORDING:
        if cli in out:
            out = out.replace(cli, t(key))
    home = str(config.home_dir())
    if home and home in out:
        import re

        out = re.sub(re.escape(home) + r"[^\s'\"]*", lambda m: Path(m.group(0)).name or t("app.wording.upload"),
                     out)
    return out


def show_error(err: BaseException, where: str = "") -> None:
    """An analyst error: its message and fix, as plain text. Anything else is a bug: its
    details go to the error log and the analyst gets a short message with the error id."""
    if not isinstance(err, WorkbenchError):
        unexpected(err, where)
        return

    def lines(value: str) -> str:          # keep the message's own line breaks (lists of rows)
        return "  \n".join(esc(part.strip()) for part in app_wording(value).splitlines() if part.strip())

    message, fix = i18n.error_text(err)    # coded errors in the UI's language
    text = f"**{lines(message)}**"
    if fix:
        text += f"\n\n**{t('err.how_to_fix')}** {lines(fix)}"
    st.error(text, icon=":material/error:")


def unexpected(err: BaseException, where: str = "") -> str:
    error_id = errorlog.record(err, where)
    st.error(t("app.unexpected", error_id=error_id, log=esc(errorlog.log_path().name)),
             icon=":material/bug_report:")
    return error_id


@contextlib.contextmanager
def errors_shown(where: str = ""):
    """`with errors_shown(): …` shows WorkbenchErrors with their fix, and any other
    exception as a short message with an error id (details in the error log)."""
    try:
        yield
    except WorkbenchError as err:
        show_error(err)
    except Exception as err:  # noqa: BLE001 - logged with an id; Streamlit's own stop/rerun pass
        unexpected(err, where)


# ----------------------------------------------------------------- reranker
@st.cache_resource(show_spinner=False, max_entries=4)
def _load_reranker_cached(backend: str, model_path: str | None = None, dtype: str | None = None,
                   device: str | None = None, prompt_format: str | None = None):
    from workbench.rerank import registry

    opts = {}
    if backend == "remote":
        opts = {k: v for k, v in {"urls": model_path, "prompt_format": prompt_format}.items() if v}
    elif backend not in ("lexical", "bm25"):
        opts = {k: v for k, v in {"model_path": model_path, "dtype": dtype, "device": device,
                                  "prompt_format": prompt_format}.items() if v}
    reranker = registry.get_reranker(backend, **opts)
    if backend in ("lexical", "bm25"):
        from workbench.rerank.lexical import tokenize

        tokenize("预热 warm-up")      # jieba loads its dictionary here (seconds), not in the first job
    return reranker, threading.Lock()


def load_reranker(backend: str, model_path: str | None = None, dtype: str | None = None,
                  device: str | None = None, prompt_format: str | None = None):
    """(reranker, lock) shared by every browser session; the lock is held while scoring.

    A model id that is neither a local folder nor in the Hugging Face cache is checked
    for a reachable hub first, so no network fails in seconds, not minutes. For the
    "remote" backend `model_path` is the server URL (commas: replicas)."""
    if backend == "remote" and not model_path:
        from workbench.errors import InputError

        raise InputError.coded("ui.no_server_url")
    if backend == "qwen-vl" and model_path:
        from workbench import hub

        hub.check_reachable(model_path)
    return _load_reranker(backend, model_path, dtype, device, prompt_format or None)


def _load_reranker(backend: str, model_path: str | None = None, dtype: str | None = None,
                   device: str | None = None, prompt_format: str | None = None):
    """The cached reranker, with a spinner in the UI's language while it loads."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if get_script_run_ctx() is None:                 # a worker thread: no page to spin on
        return _load_reranker_cached(backend, model_path, dtype, device, prompt_format)
    with st.spinner(t("app.loading_reranker")):
        return _load_reranker_cached(backend, model_path, dtype, device, prompt_format)


BACKEND_KEYS = {"qwen-vl": "app.backend.qwen_vl", "remote": "app.backend.remote", "lexical": "app.backend.lexical"}
FORMAT_AUTO = "auto"


def backend_label(backend: str) -> str:
    """A backend's name in the UI's language (the radio's options, run labels)."""
    return t(BACKEND_KEYS[backend]) if backend in BACKEND_KEYS else str(backend)


def _format_label(name: str) -> str:
    from workbench.rerank.prompts import PRESETS

    if name == FORMAT_AUTO:
        return t("app.format.auto")
    key = "app.format." + name.replace("-", "_").replace(".", "_")
    return f"{name}: {t(key) if i18n.has(key) else PRESETS[name].description}"


def model_choice(key: str, allow_lexical: bool = True) -> dict:
    """The backend and model selection (one widget group for every page that scores).

    Returns {"backend", "model_path" (a folder / id, or the server URL), "prompt_format"}."""
    from workbench.rerank.prompts import PRESETS

    choices = ["qwen-vl", "remote", "lexical"] if allow_lexical else ["qwen-vl", "remote"]
    state.default(f"{key}_backend", "qwen-vl" if config.model_path() or not allow_lexical else "lexical")
    backend = st.radio(t("app.backend"), choices, format_func=backend_label, horizontal=True,
                       key=f"{key}_backend")
    model_path = None
    prompt_format = None
    if backend == "qwen-vl":
        state.default(f"{key}_model", config.model_path() or "")
        model_path = st.text_input(t("app.model_path"), key=f"{key}_model", help=t("app.model_path.help"))
        model_path = (model_path or "").strip() or None
        vision = _vision_attention_check()
        if not vision["ok"] and vision["transformers"] != "missing":
            st.warning(t("doctor.vision_attention.changed", version=vision["transformers"], what=vision["what"])
                       + "  \n" + t("doctor.vision_attention.changed.fix"), icon=":material/speed:")
    elif backend == "remote":
        c_url, c_btn = st.columns([4, 1], vertical_alignment="bottom")
        model_path = c_url.text_input(
            t("app.server_url"), key=f"{key}_url", placeholder="http://127.0.0.1:8000/v1",
            help=t("app.server_url.help")).strip() or None
        if c_btn.button(t("app.test_connection"), key=f"{key}_probe", icon=":material/lan:"):
            with errors_shown("test the connection"):  # i18n: not UI text
                if not model_path:
                    from workbench.errors import InputError

                    raise InputError.coded("ui.no_server_url_probe")
                from workbench.rerank.remote import probe

                models, protocol = probe(model_path)
                st.session_state[f"{key}_probed"] = (model_path, models, protocol)
        probed = st.session_state.get(f"{key}_probed")
        if probed and probed[0] == model_path:
            st.success(t("app.connected", protocol=esc(probed[2]), models=esc(", ".join(probed[1]) or "—")),
                       icon=":material/check_circle:")
    if backend in ("qwen-vl", "remote"):
        state.default(f"{key}_format", FORMAT_AUTO)
        fmt = st.selectbox(t("app.prompt_format"), [FORMAT_AUTO, *PRESETS], key=f"{key}_format",
                           format_func=_format_label, help=t("app.prompt_format.help"))
        prompt_format = None if fmt == FORMAT_AUTO else fmt
    return {"backend": backend, "model_path": model_path, "prompt_format": prompt_format}


@st.cache_data(show_spinner=False, ttl=600)
def _vision_attention_check() -> dict:
    """Whether the installed transformers keeps the grouped vision attention (read from its source
    without importing it; the same verdict as `workbench doctor`'s "image speed-up")."""
    from workbench.rerank.vision_attention import check_transformers

    return check_transformers()


def prompt_format_for(choice: dict) -> str:
    """The prompt format a choice scores with (auto: the checkpoint family's default)."""
    from workbench.rerank.prompts import DEFAULT_FOR_FAMILY

    if choice.get("prompt_format"):
        return choice["prompt_format"]
    path = choice.get("model_path") or ""
    if choice.get("backend") == "qwen-vl" and path and (Path(path).expanduser() / "config.json").is_file():
        from workbench.rerank.qwen_vl.checkpoint import _read_config, detect_family

        folder = Path(path).expanduser()
        return DEFAULT_FOR_FAMILY[detect_family(str(folder), _read_config(folder))]
    if choice.get("backend") == "remote" and "qwen3" in path.lower():
        return "qwen3-vl-reranker"
    return "lychee"


@st.cache_resource(show_spinner=False, max_entries=4)
def _tokenizer(path: str):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path)


def prompt_expander(choice: dict, instruction: str, query, doc) -> None:
    """"Prompt sent to the model": the exact text of one pair (what `workbench prompt` prints)."""
    if choice.get("backend") not in ("qwen-vl", "remote") or query is None or doc is None:
        return
    with st.expander(t("app.prompt_sent"), icon=":material/description:"):
        with errors_shown("show the prompt"):  # i18n: not UI text
            from workbench.rerank.prompts import preview

            fmt = prompt_format_for(choice)
            path = choice.get("model_path") or ""
            tok = None
            if choice.get("backend") == "qwen-vl" and path and (Path(path).expanduser() / "config.json").is_file():
                tok = _tokenizer(str(Path(path).expanduser()))
            pv = preview(fmt, instruction, query.text, query.image, doc.ranking_text, doc.image, tokenizer=tok)
            parts = [t("app.prompt_caption", format=esc(fmt), doc=esc(doc.id)),
                     t("app.prompt_tokens", n=pv.tokens) if pv.tokens is not None else t("app.prompt_no_tokens")]
            if pv.image_tokens:
                parts.append(t("app.prompt_image_tokens", tokens=" + ".join(map(str, pv.image_tokens))))
            st.caption(" · ".join(parts))
            st.code(pv.text, language=None, wrap_lines=True)


def backend_picker(key: str, allow_lexical: bool = True) -> tuple[str, str | None]:
    choice = model_choice(key, allow_lexical)
    return choice["backend"], choice["model_path"]


# ----------------------------------------------------------------- uploads
def save_upload(uploaded, folder: str = "uploads") -> tuple[str, str]:
    """Write an st.file_uploader file under WORKBENCH_HOME; returns (path, sha256).

    The file keeps the analyst's own name (in a folder named by its content hash), so
    error messages and the rejected-rows report name the file they uploaded."""
    data = uploaded.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    out = config.home_dir() / folder / digest[:16]
    out.mkdir(parents=True, exist_ok=True)
    name = Path(uploaded.name).name.strip() or "upload"
    path = out / name
    if not path.exists():
        path.write_bytes(data)
    return str(path), digest


def uploads_folder(files, name: str = "images") -> str:
    """Write uploaded image files, keeping their names, into one fresh folder named
    `name` (formats.import_folder takes document ids from the file names and, without a
    query id, names the set after the folder)."""
    digest = hashlib.sha256(b"".join(hashlib.sha256(f.getvalue()).digest() for f in files)).hexdigest()[:16]
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in name).strip("-") or "images"
    folder = config.home_dir() / "imports" / digest / safe[:60]
    folder.mkdir(parents=True, exist_ok=True)
    for f in files:
        target = folder / Path(f.name).name
        if not target.exists():
            target.write_bytes(f.getvalue())
    return str(folder)


def import_kept(read, *args, **kwargs):
    """Call a formats reader; when every row is rejected, keep its ImportResult (for the
    rejected-rows download) and re-raise so the error and its fix are shown."""
    from workbench.errors import NothingImported

    try:
        return read(*args, **kwargs)
    except NothingImported as err:
        st.session_state.import_failed = getattr(err, "result", None)
        raise


def rejected_rows(result, uploaded: str | None = None) -> None:
    """Validation report of an import: rejected rows with line, error and fix, downloadable."""
    frame = result.rejected_frame()
    if frame.empty:
        return
    report = frame.attrs.get("report_columns") or {c: c for c in ("line", "column", "error", "fix")}
    missing_images = any(getattr(e, "code", None) == "import.image_missing" for e in result.rejected)
    if missing_images and uploaded and not uploaded.lower().endswith(".zip"):
        st.info(t("import.report_zip_hint"), icon=":material/folder_zip:")
    with st.expander(t("import.report_title", rows=i18n.tn("import.n_rejected_rows", len(frame))), expanded=True):
        shown = frames.rejected_view(frame)
        headings = {report[k]: st.column_config.Column(report[k].replace(k, t(f"import.col_{k}")))
                    for k in ("line", "column", "source") if k in report}
        headings.update({report[k]: st.column_config.TextColumn(report[k].replace(k, t(f"import.col_{k}")),
                                                                width="large") for k in ("error", "fix")})
        st.dataframe(shown, hide_index=True, width="stretch", column_config=headings)
        stem = Path(uploaded or "import").stem
        st.download_button(t("import.report_download"), result.rejected_csv(bom=True), f"{stem}-rejected_rows.csv",
                           "text/csv", icon=":material/download:", key="import_rejected_dl")


# ----------------------------------------------------------------- sidebar
@st.cache_data(ttl=600, show_spinner=False)
def _doctor_summary(lang: str) -> list[dict] | None:
    """Cheap doctor checks (no smoke scoring pass), cached ten minutes per UI language (the
    doctor writes its details in the current language)."""
    from workbench import doctor

    with i18n.language(lang):
        try:
            checks = doctor.run_checks(smoke=False, port=False)
        except WorkbenchError as err:
            message, fix = i18n.error_text(err)
            return [{"name": "doctor", "ok": False, "detail": message, "fix": fix or ""}]
    return [{"name": c.name, "ok": bool(c.ok), "detail": str(c.detail or ""), "fix": str(c.fix or "")}
            for c in checks]


def doctor_summary() -> list[dict] | None:
    """Cheap doctor checks (no smoke scoring pass), cached ten minutes."""
    with st.spinner(t("app.doctor_spinner")):
        return _doctor_summary(i18n.get_language())


def _check_key(name: str) -> str:
    return "app.check." + "".join(c if c.isalnum() else "_" for c in name.lower())


def check_name(name: str) -> str:
    """A doctor check's name in the UI's language (tool names stay as they are)."""
    key = _check_key(name) + ".name"
    return t(key) if i18n.has(key) else name


def check_text(check: dict) -> tuple[str, str | None]:
    """(what the sidebar says about a failed check, its tooltip). English shows the doctor's
    own detail and fix; another language shows the check's translated summary, with the
    doctor's detail and fix (English, they carry versions and paths) in the tooltip."""
    detail, fix = app_wording(check["detail"]), app_wording(check["fix"]) if check["fix"] else ""
    key = _check_key(check["name"])
    if i18n.get_language() != "en" and i18n.has(key):
        return t(key), "\n\n".join(p for p in (detail, t("app.check_fix", fix=fix) if fix else "") if p)
    return detail, t("app.check_fix", fix=fix) if fix else None


def language_switch() -> None:
    """English / 中文, remembered in the URL (?lang=); the options name themselves."""
    def changed() -> None:
        picked = st.session_state["sb_lang"] or st.session_state.get("ui_lang")   # a click on the chosen one
        st.session_state.ui_lang = i18n.set_language(picked)

    st.session_state["sb_lang"] = st.session_state.get("ui_lang") or i18n.DEFAULT
    st.segmented_control(t("app.language"), list(i18n.LANGUAGES), format_func=i18n.LANGUAGES.get,
                         key="sb_lang", on_change=changed, label_visibility="collapsed",
                         selection_mode="single")


# Streamlit's own English that the pages show (toolbarMode=minimal hides the rest): the file
# uploader's button and size line. Checked against Streamlit 1.67's DOM: the dropzone
# <section data-testid="stFileUploaderDropzone"> holds the button
# (data-testid="stBaseButton-secondary" > … > stMarkdownContainer > <p>Upload</p>) and
# <div data-testid="stFileUploaderDropzoneInstructions"> <div> <span>200MB per file • CSV, …</span>.
# The original text is hidden (visibility, so innerText skips it; no font size, so it takes
# no room) and the translation is drawn by ::after.
_UPLOADER_BUTTON = ('[data-testid="stFileUploaderDropzone"] [data-testid="stBaseButton-secondary"] '  # i18n: not UI text
                    '[data-testid="stMarkdownContainer"] > p')
_UPLOADER_LIMIT = '[data-testid="stFileUploaderDropzoneInstructions"] span'  # i18n: not UI text


def _css_string(text: str) -> str:
    return '"' + "".join(c if c.isalnum() or c in " .,:;()•/-—%" or ord(c) > 127 else f"\\{ord(c):x} "
                         for c in text) + '"'


def localize_streamlit() -> None:
    """Streamlit's own English in the UI's language (one CSS block; nothing in English)."""
    if i18n.get_language() == "en":
        return
    try:
        limit = int(st.get_option("server.maxUploadSize"))
    except Exception:  # noqa: BLE001 - an odd config value: the default
        limit = 200
    rules = []
    for selector, text, size in ((_UPLOADER_BUTTON, t("app.st.upload"), "1rem"),
                                 (_UPLOADER_LIMIT, t("app.st.upload_limit", mb=limit), "0.875rem")):
        rules.append(f"{selector} {{visibility: hidden; font-size: 0;}}")
        rules.append(f"{selector}::after {{content: {_css_string(text)}; visibility: visible; "
                     f"font-size: {size};}}")
    st.html("<style>" + "\n".join(rules) + "</style>")


def sidebar() -> None:
    from . import jobs as ui_jobs

    with st.sidebar:
        st.markdown(f"### :material/filter_vintage: {t('app.sidebar_title')}")
        localize_streamlit()
        language_switch()
        store = None
        try:
            store = state.get_store()
        except WorkbenchError as err:
            show_error(err)
        if store is not None:
            sessions = store.list_sessions()
            ids = [s.id for s in sessions]
            names = {s.id: t("app.session_option", name=s.name, sets=tn("count.sets", s.n_sets),
                               runs=tn("count.runs", s.n_runs)) for s in sessions}
            if st.session_state.session_id not in ids:
                st.session_state.session_id = ids[0] if ids else None
            if ids:
                st.session_state["sb_session"] = st.session_state.session_id
                st.selectbox(t("app.session"), ids, format_func=names.get, key="sb_session",
                             on_change=state.session_picker_changed, args=("sb_session",))
            else:
                st.caption(t("app.no_sessions"))
            with st.container():         # always drawn: the elements below keep their place
                ui_jobs.sidebar_panel()
        st.caption(t("app.database", name=esc(config.db_path().name)), help=str(config.db_path()))

        st.markdown(f"**{t('app.backend_device')}**")
        checks = doctor_summary()
        if checks:
            good = [c for c in checks if c["ok"]]
            st.caption(":material/check_circle: " + t("app.checks_pass", good=len(good), total=len(checks),
                                                      names=t("app.list_sep").join(esc(check_name(c["name"])) for c in good)))
            for c in checks:
                if not c["ok"]:
                    text, help_ = check_text(c)
                    st.caption(f":material/warning: **{esc(check_name(c['name']))}** — {esc(text)}", help=help_)
        model = config.model_path()
        st.caption(t("app.model", name=esc(Path(model).name or model)) if model else t("app.model_not_set"))

        if store is not None:
            stats = store.cache_stats() or {}
            st.markdown(f"**{t('app.score_cache')}**")
            st.caption(" · ".join((tn("count.cached_scores", stats.get("entries", 0)),
                                   tn("count.models", stats.get("models", 0)),
                                   tn("count.instructions", stats.get("instructions", 0)))))


def seed_samples(store):
    """Load the bundled sample sets (idempotent)."""
    from workbench.samples import seed_samples as seed

    return seed(store)
