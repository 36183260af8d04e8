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
from workbench.i18n import t
from workbench.errors import WorkbenchError

from . import frames, state
from .frames import esc

# ----------------------------------------------------------------- errors
# Fixes written for the command line, said the way the app does it.
_APP_WORDING = (
    ("--encoding gbk (or encoding='gbk')", "the encoding (e.g. gbk) — re-save the file as UTF-8 and upload it again"),
    ("e.g. --encoding gbk", "e.g. re-save it as UTF-8"),
    ("--model PATH", "the Model path box"),
    ("--model", "the Model path box"),
    ("--backend lexical", "the Lexical (BM25) backend"),
    ("--k 10", "k = 10"),
    ("--k", "k"),
    ("WORKBENCH_DEBUG=1", "the error log"),
)


def app_wording(text: str) -> str:
    """A library fix written for the CLI, said for the app: no command-line flags, and
    internal cache/upload folders shown by their file name only."""
    out = str(text or "")
    for cli, app in _APP_WORDING:
        out = out.replace(cli, app)
    home = str(config.home_dir())
    if home and home in out:
        import re

        out = re.sub(re.escape(home) + r"[^\s'\"]*", lambda m: Path(m.group(0)).name or "the upload", out)
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
    st.error(f"Something went wrong (error id **{error_id}**). What you saved so far is kept. "
             f"The details are in the workbench error log ({esc(errorlog.log_path().name)} under the "
             "workbench home folder); quote the id when you report it.", icon=":material/bug_report:")
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
@st.cache_resource(show_spinner="Loading the reranker (once per model)…", max_entries=4)
def _load_reranker(backend: str, model_path: str | None = None, dtype: str | None = None,
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

        raise InputError("No server URL is given.",
                         "Type the serving engine's address in the Server URL box, e.g. "
                         "http://127.0.0.1:8000/v1, then press Test connection.")
    if backend == "qwen-vl" and model_path:
        from workbench import hub

        hub.check_reachable(model_path)
    return _load_reranker(backend, model_path, dtype, device, prompt_format or None)


BACKEND_LABELS = {"qwen-vl": "Qwen-VL model (Lychee-rerank-mm)",
                  "remote": "Serving engine (vLLM, SGLang, workbench serve)",
                  "lexical": "Lexical (BM25 baseline)"}
FORMAT_AUTO = "auto"


def _format_label(name: str) -> str:
    from workbench.rerank.prompts import PRESETS

    if name == FORMAT_AUTO:
        return "auto: the model's own (lychee for Qwen2.5-VL, qwen3-vl-reranker for Qwen3-VL)"
    return f"{name}: {PRESETS[name].description}"


def model_choice(key: str, allow_lexical: bool = True) -> dict:
    """The backend and model selection (one widget group for every page that scores).

    Returns {"backend", "model_path" (a folder / id, or the server URL), "prompt_format"}."""
    from workbench.rerank.prompts import PRESETS

    choices = ["qwen-vl", "remote", "lexical"] if allow_lexical else ["qwen-vl", "remote"]
    state.default(f"{key}_backend", "qwen-vl" if config.model_path() or not allow_lexical else "lexical")
    backend = st.radio("Backend", choices, format_func=BACKEND_LABELS.get, horizontal=True,
                       key=f"{key}_backend")
    model_path = None
    prompt_format = None
    if backend == "qwen-vl":
        state.default(f"{key}_model", config.model_path() or "")
        model_path = st.text_input("Model path or id", key=f"{key}_model",
                                   help="Defaults to $WORKBENCH_MODEL. A local folder with the "
                                        "Lychee-rerank-mm weights (or a tiny test checkpoint), or a "
                                        "Hugging Face model id.")
        model_path = (model_path or "").strip() or None
    elif backend == "remote":
        c_url, c_btn = st.columns([4, 1], vertical_alignment="bottom")
        model_path = c_url.text_input(
            "Server URL", key=f"{key}_url", placeholder="http://127.0.0.1:8000/v1",
            help="The OpenAI-compatible address of a vLLM or SGLang server, or of `workbench serve`. "
                 "Several replicas: separate their URLs with commas. An API key is read from "
                 "WORKBENCH_API_KEY.").strip() or None
        if c_btn.button("Test connection", key=f"{key}_probe", icon=":material/lan:"):
            with errors_shown("test the connection"):
                if not model_path:
                    from workbench.errors import InputError

                    raise InputError("No server URL is given.",
                                     "Type the address in the Server URL box, e.g. http://127.0.0.1:8000/v1.")
                from workbench.rerank.remote import probe

                models, protocol = probe(model_path)
                st.session_state[f"{key}_probed"] = (model_path, models, protocol)
        probed = st.session_state.get(f"{key}_probed")
        if probed and probed[0] == model_path:
            st.success(f"Connected. Protocol: {esc(probed[2])} · model(s): "
                       f"{esc(', '.join(probed[1]) or '—')}", icon=":material/check_circle:")
    if backend in ("qwen-vl", "remote"):
        state.default(f"{key}_format", FORMAT_AUTO)
        fmt = st.selectbox("Prompt format", [FORMAT_AUTO, *PRESETS], key=f"{key}_format",
                           format_func=_format_label,
                           help="How instruction, query and document are laid out for the model. "
                                "lychee-v1 reproduces runs saved before the lychee format existed.")
        prompt_format = None if fmt == FORMAT_AUTO else fmt
    return {"backend": backend, "model_path": model_path, "prompt_format": prompt_format}


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
    with st.expander("Prompt sent to the model", icon=":material/description:"):
        with errors_shown("show the prompt"):
            from workbench.rerank.prompts import preview

            fmt = prompt_format_for(choice)
            path = choice.get("model_path") or ""
            tok = None
            if choice.get("backend") == "qwen-vl" and path and (Path(path).expanduser() / "config.json").is_file():
                tok = _tokenizer(str(Path(path).expanduser()))
            pv = preview(fmt, instruction, query.text, query.image, doc.ranking_text, doc.image, tokenizer=tok)
            st.caption(f"Prompt format {esc(fmt)} · first document “{esc(doc.id)}”"
                       + (f" · {pv.tokens} tokens" if pv.tokens is not None else
                          " · token count: give a local model folder")
                       + (f" · image tokens {' + '.join(map(str, pv.image_tokens))}" if pv.image_tokens else ""))
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
    # err.message stays English whatever the UI language (the table shows the translation)
    missing_images = any("does not exist" in str(getattr(e, "message", ""))  # i18n: not UI text (the English message)
                         and getattr(e, "column", None) in ("query_image", "doc_image", "image")
                         for e in result.rejected)
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
        st.download_button(t("import.report_download"), result.rejected_csv(), f"{stem}-rejected_rows.csv",
                           "text/csv", icon=":material/download:", key="import_rejected_dl")


# ----------------------------------------------------------------- sidebar
@st.cache_data(ttl=600, show_spinner="Checking GPU, flash-attn, tesseract and the model…")
def doctor_summary() -> list[dict] | None:
    """Cheap doctor checks (no smoke scoring pass), cached ten minutes."""
    from workbench import doctor

    try:
        checks = doctor.run_checks(smoke=False, port=False)
    except WorkbenchError as err:
        return [{"name": "doctor", "ok": False, "detail": err.message, "fix": err.fix or ""}]
    return [{"name": c.name, "ok": bool(c.ok), "detail": str(c.detail or ""), "fix": str(c.fix or "")}
            for c in checks]


def language_switch() -> None:
    """English / 中文, remembered in the URL (?lang=); the options name themselves."""
    def changed() -> None:
        picked = st.session_state["sb_lang"] or st.session_state.get("ui_lang")   # a click on the chosen one
        st.session_state.ui_lang = i18n.set_language(picked)

    st.session_state["sb_lang"] = st.session_state.get("ui_lang") or i18n.DEFAULT
    st.segmented_control(t("app.language"), list(i18n.LANGUAGES), format_func=i18n.LANGUAGES.get,
                         key="sb_lang", on_change=changed, label_visibility="collapsed",
                         selection_mode="single")


def sidebar() -> None:
    from . import jobs as ui_jobs

    with st.sidebar:
        st.markdown("### :material/filter_vintage: Lychee workbench")
        language_switch()
        store = None
        try:
            store = state.get_store()
        except WorkbenchError as err:
            show_error(err)
        if store is not None:
            sessions = store.list_sessions()
            ids = [s.id for s in sessions]
            names = {s.id: f"{s.name}  ({frames.plural(s.n_sets, 'set')}, {frames.plural(s.n_runs, 'run')})"
                     for s in sessions}
            if st.session_state.session_id not in ids:
                st.session_state.session_id = ids[0] if ids else None
            if ids:
                st.session_state["sb_session"] = st.session_state.session_id
                st.selectbox("Session", ids, format_func=names.get, key="sb_session",
                             on_change=state.session_picker_changed, args=("sb_session",))
            else:
                st.caption("No sessions yet — import a set to start one.")
            with st.container():         # always drawn: the elements below keep their place
                ui_jobs.sidebar_panel()
        st.caption(f"Database: {esc(config.db_path().name)}", help=str(config.db_path()))

        st.markdown("**Backend & device**")
        checks = doctor_summary()
        if checks:
            good = [c for c in checks if c["ok"]]
            st.caption(f":material/check_circle: {len(good)} of {len(checks)} checks pass: "
                       + ", ".join(esc(c["name"]) for c in good))
            for c in checks:
                if not c["ok"]:
                    st.caption(f":material/warning: **{esc(c['name'])}** — {esc(app_wording(c['detail']))}",
                               help=f"Fix: {app_wording(c['fix'])}" if c["fix"] else None)
        model = config.model_path()
        st.caption(f"Model: {esc(Path(model).name or model)}" if model else "Model: not set (WORKBENCH_MODEL)")

        if store is not None:
            stats = store.cache_stats() or {}
            st.markdown("**Score cache**")
            st.caption(f"{frames.plural(stats.get('entries', 0), 'cached score')} · "
                       f"{frames.plural(stats.get('models', 0), 'model')} · "
                       f"{frames.plural(stats.get('instructions', 0), 'instruction')}")


def seed_samples(store):
    """Load the bundled sample sets (idempotent)."""
    from workbench.samples import seed_samples as seed

    return seed(store)
