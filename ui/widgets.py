"""Widgets shared by the pages: the backend/model choice, uploads, the import report.

Errors are shown by ui.errors, the sidebar is ui.sidebar. User text shown through any
Markdown-rendering call goes through `frames.esc` first.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import streamlit as st

from workbench import config, i18n
from workbench.i18n import t
from workbench.rerank.spec import BACKENDS, LEXICAL, QWEN_VL, backend_has, is_lexical

from . import frames, state
from .errors import errors_shown
from .frames import esc

# ----------------------------------------------------------------- reranker
@st.cache_resource(show_spinner=False, max_entries=4)
def _load_reranker_cached(backend: str, model_path: str | None = None, dtype: str | None = None,
                   device: str | None = None, prompt_format: str | None = None):
    from workbench.rerank import registry

    opts = {}
    if backend_has(backend, "needs_url"):
        opts = {k: v for k, v in {"urls": model_path, "prompt_format": prompt_format}.items() if v}
    elif backend_has(backend, "needs_model_path"):
        opts = {k: v for k, v in {"model_path": model_path, "dtype": dtype, "device": device,
                                  "prompt_format": prompt_format}.items() if v}
    reranker = registry.get_reranker(backend, **opts)
    if is_lexical(backend):
        from workbench.rerank.lexical import tokenize

        tokenize("预热 warm-up")      # jieba loads its dictionary here (seconds), not in the first job
    return reranker, threading.Lock()


def load_reranker(backend: str, model_path: str | None = None, dtype: str | None = None,
                  device: str | None = None, prompt_format: str | None = None):
    """(reranker, lock) shared by every browser session; the lock is held while scoring.

    A model id that is neither a local folder nor in the Hugging Face cache is checked
    for a reachable hub first, so no network fails in seconds, not minutes. For the
    "remote" backend `model_path` is the server URL (commas: replicas)."""
    if backend_has(backend, "needs_url") and not model_path:
        from workbench.errors import InputError

        raise InputError.coded("ui.no_server_url")
    if backend_has(backend, "needs_model_path") and model_path:
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


PROBE_TIMEOUT_S = 5.0     # "Test connection" and the check before a remote run: a server that
                          # accepts connections but never answers is reported in seconds, not minutes


def check_choice(backend: str, model_path: str | None) -> None:
    """What `load_reranker` checks before loading, said on the page at once (the loading itself
    then runs in the job, with Cancel)."""
    if backend_has(backend, "needs_url") and not model_path:
        from workbench.errors import InputError

        raise InputError.coded("ui.no_server_url")
    if backend_has(backend, "needs_model_path") and model_path:
        from workbench import hub

        hub.check_reachable(model_path)


def load_in_job(job, backend: str, model_path: str | None = None, prompt_format: str | None = None):
    """(reranker, lock) loaded inside a job (phase "loading the model"), so the page shows its
    progress panel with Cancel while a model loads: Cancel ends the job at once (the load
    goes on in the background and is cached for the next run)."""
    from workbench.errors import Cancelled

    box: dict = {}

    def load() -> None:
        try:
            if backend_has(backend, "needs_url") and model_path:
                from workbench.rerank.remote import probe

                probe(model_path, timeout=PROBE_TIMEOUT_S)      # fail in seconds when it never answers
            box["value"] = _load_reranker_cached(backend, model_path, None, None, prompt_format or None)
        except BaseException as err:  # noqa: BLE001 - handed to the job
            box["error"] = err

    job.phase = "loading the model"                # i18n: not UI text (ui.jobs' phase name)
    loader = threading.Thread(target=load, name=f"workbench-load-{job.id}", daemon=True)
    loader.start()
    while loader.is_alive():
        loader.join(0.1)
        if job.cancel.is_set():
            raise Cancelled.coded("rank.cancelled_before_scoring", {"done": 0, "total": job.total},
                                  done=0, total=job.total)
    if "error" in box:
        raise box["error"]
    job.phase = "working"
    return box["value"]


def holding(job, lock):
    """A context manager: `lock` (the shared model's) taken for the job, giving up at Cancel."""
    import contextlib

    from workbench.errors import Cancelled

    @contextlib.contextmanager
    def held():
        job.phase = "waiting for the model"        # i18n: not UI text (workbench.jobs' phase name)
        while not lock.acquire(timeout=0.2):
            if job.cancel.is_set():
                raise Cancelled.coded("rank.cancelled_before_scoring", {"done": 0, "total": job.total},
                                      done=0, total=job.total)
        job.phase = "working"
        try:
            yield
        finally:
            lock.release()

    return held()


LONG_RUN_S = 5.0           # an estimate above this is shown before the run (and BM25 runs in a child)
LONG_RUN_TOKENS = 200_000  # … and so is a run of more tokens than this


def run_estimate(docs, backend: str) -> dict:
    """What a run over `docs` will cost, before it starts: documents, tokens per document and
    in all (CJK characters count one token each, other text one per 4 characters), and for BM25
    the seconds it takes here (its tokeniser timed on a sample of these very documents)."""
    import re

    cjk = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
    texts = [d.ranking_text for d in docs]
    chars = sum(len(x) for x in texts)
    sample = "".join(x[:4000] for x in texts[:: max(1, len(texts) // 8)][:8])
    n_cjk = len(cjk.findall(sample))
    share = n_cjk / len(sample) if sample else 0.0
    tokens = int(chars * share + chars * (1 - share) / 4)
    out = {"docs": len(texts), "tokens": tokens, "each": tokens // max(1, len(texts)), "seconds": None}
    if is_lexical(backend) and sample:
        out["seconds"] = chars * _bm25_pace(sample[:16000])
    return out


@st.cache_data(show_spinner=False, max_entries=64)
def _bm25_pace(sample: str) -> float:
    """Seconds per character of BM25's tokeniser on this machine for text like `sample` (a slice of
    the set's own documents: jieba's pace depends on the words), timed once per sample and server."""
    import time

    from workbench.rerank.lexical import tokenize

    tokenize("预热")                     # jieba's dictionary loads once, not in the timing
    t0 = time.perf_counter()
    tokenize(sample)
    return (time.perf_counter() - t0) / max(1, len(sample))


def runs_long(docs) -> bool:
    """Whether BM25 over `docs` takes long enough here to be run in a child process."""
    return bool(docs) and (run_estimate(docs, LEXICAL.name)["seconds"] or 0) > LONG_RUN_S


def estimate_note(docs, backend: str) -> None:
    """Before Run: the size of a run that will take long (documents × tokens, and the time for BM25)."""
    if not docs:
        return
    est = run_estimate(docs, backend)
    long = (est["seconds"] or 0) > LONG_RUN_S or est["tokens"] > LONG_RUN_TOKENS
    if not long:
        return
    params = {"docs": i18n.tn("count.documents", est["docs"]), "tokens": f"{est['each']:,}",
              "total": f"{est['tokens']:,}"}
    if est["seconds"] is not None:
        st.info(t("rerank.estimate_time", time=frames.duration(est["seconds"]), **params), icon=":material/schedule:")
    else:
        st.info(t("rerank.estimate", **params), icon=":material/schedule:")


BACKEND_KEYS = {s.name: s.display_key for s in BACKENDS.values()}   # declared in workbench.rerank.spec
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

    choices = [n for n, s in BACKENDS.items() if allow_lexical or s.score_kind != "lexical"]
    state.default(f"{key}_backend", QWEN_VL.name if config.model_path() or not allow_lexical else LEXICAL.name)
    backend = st.radio(t("app.backend"), choices, format_func=backend_label, horizontal=True,
                       key=f"{key}_backend")
    model_path = None
    prompt_format = None
    if backend_has(backend, "needs_model_path"):
        state.default(f"{key}_model", config.model_path() or "")
        model_path = st.text_input(t("app.model_path"), key=f"{key}_model", help=t("app.model_path.help"))
        model_path = (model_path or "").strip() or None
        vision = _vision_attention_check()
        if not vision["ok"] and vision["transformers"] != "missing":
            st.warning(t("doctor.vision_attention.changed", version=vision["transformers"], what=vision["what"])
                       + "  \n" + t("doctor.vision_attention.changed.fix"), icon=":material/speed:")
    elif backend_has(backend, "needs_url"):
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

                models, protocol = probe(model_path, timeout=PROBE_TIMEOUT_S)
                st.session_state[f"{key}_probed"] = (model_path, models, protocol)
        probed = st.session_state.get(f"{key}_probed")
        if probed and probed[0] == model_path:
            st.success(t("app.connected", protocol=esc(probed[2]), models=esc(", ".join(probed[1]) or "—")),
                       icon=":material/check_circle:")
    if backend_has(backend, "takes_prompt_format"):
        state.default(f"{key}_format", FORMAT_AUTO)
        fmt = st.selectbox(t("app.prompt_format"), [FORMAT_AUTO, *PRESETS], key=f"{key}_format",
                           format_func=_format_label, help=t("app.prompt_format.help"))
        prompt_format = None if fmt == FORMAT_AUTO else fmt
    return {"backend": backend, "model_path": model_path, "prompt_format": prompt_format}


@st.cache_data(show_spinner=False, ttl=600)
def _vision_attention_check() -> dict:
    """Whether the installed transformers keeps the grouped vision attention (read from its source
    without importing it; the same verdict as `workbench doctor`'s "image speed-up")."""
    from workbench.rerank.qwen_vl.vision_attention import check_transformers

    return check_transformers()


def prompt_format_for(choice: dict) -> str:
    """The prompt format a choice scores with (auto: the checkpoint family's default)."""
    from workbench.rerank.prompts import DEFAULT_FOR_FAMILY

    if choice.get("prompt_format"):
        return choice["prompt_format"]
    path = choice.get("model_path") or ""
    if backend_has(choice.get("backend"), "needs_model_path") and path and (Path(path).expanduser() / "config.json").is_file():
        from workbench.rerank.qwen_vl.checkpoint import _read_config, detect_family

        folder = Path(path).expanduser()
        return DEFAULT_FOR_FAMILY[detect_family(str(folder), _read_config(folder))]
    if backend_has(choice.get("backend"), "needs_url") and "qwen3" in path.lower():
        return "qwen3-vl-reranker"
    return "lychee"


@st.cache_resource(show_spinner=False, max_entries=4)
def _tokenizer(path: str):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path)


def prompt_expander(choice: dict, instruction: str, query, doc) -> None:
    """"Prompt sent to the model": the exact text of one pair (what `workbench prompt` prints)."""
    if not backend_has(choice.get("backend"), "takes_prompt_format") or query is None or doc is None:
        return
    with st.expander(t("app.prompt_sent"), icon=":material/description:"):
        with errors_shown("show the prompt"):  # i18n: not UI text
            from workbench.rerank.prompts import preview

            fmt = prompt_format_for(choice)
            path = choice.get("model_path") or ""
            tok = None
            if backend_has(choice.get("backend"), "needs_model_path") and path and (Path(path).expanduser() / "config.json").is_file():
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
    rejected-rows download) and re-raise so the error and its fix are shown.

    The reader runs under the app's surface, so the notes it writes say what to do in the
    app (e.g. "import.note_legacy.app": the Text encoding option, not "--encoding")."""
    from workbench.errors import NothingImported

    try:
        with i18n.surface("app"):
            return read(*args, **kwargs)
    except NothingImported as err:
        st.session_state.import_failed = getattr(err, "result", None)
        raise


def rejected_rows(result, uploaded: str | None = None) -> None:
    """Validation report of an import: rejected rows with line, error and fix, downloadable."""
    frame = result.rejected_frame(surface="app")
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
        from . import paging       # thousands of rejected rows: a page at a time (the download has all)

        paging.table(shown, "import_rejected", hide_index=True, width="stretch", column_config=headings)
        stem = Path(uploaded or "import").stem
        st.download_button(t("import.report_download"), result.rejected_csv(bom=True, surface="app"), f"{stem}-rejected_rows.csv",
                           "text/csv", icon=":material/download:", key="import_rejected_dl")


def seed_samples(store):
    """Load the bundled sample sets (idempotent)."""
    from workbench.samples import seed_samples as seed

    return seed(store)
