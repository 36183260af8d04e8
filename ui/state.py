"""Session state in one place: named keys, the URL (st.query_params), the Store.

What a user would share or reload lives in the URL:

    ?session=3&set=12&runs=40,41&query=q7&lang=zh&ocr=chi_sim%2Beng

`lang` is the UI language (en / zh; without it, the browser's language, st.context.locale),
`ocr` the OCR languages.

The Rerank form is part of the view too (only what differs from its defaults is written):

    ?tpl=QA&instr=…&precise=1&backend=qwen-vl&model=/models/lychee&fmt=lychee-v1
    ?backend=remote&server=http://10.0.0.5:8000/v1

so leaving the page, a reload or a copied link brings back the same template, instruction,
"be precise" suffix, backend, model path / server URL and prompt format (a Run then scores
with what the form shows, never a silently restored default).

`init_state()` (called by app.py before every page) reads the URL once per browser
session, so a reload or a copied link reopens the same view; `sync_url()` (called by
app.py after the page) writes the current view back.
"""

from __future__ import annotations

import contextlib
import copy

import streamlit as st

from workbench import config, i18n
from workbench.errors import WorkbenchError
from workbench.rerank.spec import BACKENDS, LEXICAL, QWEN_VL

from . import frames

# Named session-state keys (pages never invent ad-hoc ones).
DEFAULTS: dict = {
    "session_id": None,          # current analysis session (URL: session)
    "set_id": None,              # candidate set worked on (URL: set)
    "run_ids": [],               # runs shown: the Rerank run, the Compare selection (URL: runs)
    "query": None,               # query id in view on Compare's rank shifts (URL: query)
    "compare_runs": [],          # Compare: the runs compared (run ids, not rankings; URL: cruns)
    "label_doc": None,           # document in view in labelling mode (URL: doc)
    "pool_depth": None,          # Label page: order by pool at this depth; None: set order (URL: pool)
    "pool_runs": None,           # Label page: run labels pooled; None: every run of the query
    "pool_run_ids": [],          # ... their run ids (URL: pool_runs)
    "ocr_langs": "chi_sim+eng",  # OCR languages (URL: ocr)
    "ui_lang": None,             # UI language, en / zh (URL: lang; default: the browser's)
    "annotator": "",             # who grades and notes in this tab ('': the default "(unnamed)"; URL: annotator)
    "import_result": None,       # ImportResult waiting to be saved (Import page)
    "import_source": None,       # name of the file / sample it came from
    "import_failed": None,       # ImportResult of a read where every row was rejected
    "rerank_adhoc": None,
    "run_warnings": {},          # run id -> engine warnings of this tab's runs (e.g. truncation)        # (CandidateSet, RankedResults, instruction, backend) not saved
    "seen_jobs": [],             # ids of finished jobs whose outcome this tab has taken in
    "flash": [],                 # one-off messages for the next run: (kind, text)
    "confirm_delete": None,      # session id awaiting delete confirmation
    "confirm_delete_run": None,  # run id awaiting delete confirmation
    "clear_run_name": False,     # empty the Rerank run-name box before it is drawn
}

# Widget values that survive leaving a page (Streamlit drops the state of widgets that
# were not drawn in a run; re-assigning them at the top of every run keeps them).
KEEP = ("rr_template", "rr_precise", "rr_name", "rr_mode", "rr_qtext", "rr_pasted", "rr_single",
        "rr_save_adhoc", "rr_backend", "rr_model", "rr_url", "rr_format", "cmp_scope", "cmp_templates", "cmp_custom",
        "cmp_precise", "cmp_backend", "cmp_model", "cmp_lex", "cmp_k", "cmp_only_changed", "cmp_labels",
        "ocr_only_missing", "ss_tpl", "ss_precise", "ss_backend", "ss_model", "ss_filter",
        "ss_shape", "ss_bom")
KEEP_PREFIXES = ("rr_instruction_", "ss_instr_")

# The Rerank form in the URL: URL key -> session key (the instruction text: rr_instruction_<template>)
FORM_URL = {"tpl": "rr_template", "precise": "rr_precise", "backend": "rr_backend", "model": "rr_model",
            "server": "rr_url", "fmt": "rr_format"}
FORM_BACKENDS = tuple(BACKENDS)   # the declared backends (workbench.rerank.spec)
URL_KEYS = ("session", "set", "runs", "cruns", "query", "lang", "annotator", "ocr", "doc", "pool", "pool_runs", *FORM_URL,
            "instr")


def _tab_language() -> str | None:
    """The language of the browser tab this thread runs for (None outside a script run)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if get_script_run_ctx(suppress_warning=True) is None:
        return None
    return st.session_state.get("ui_lang")


i18n.set_fallback(_tab_language)     # widget callbacks run before app.py sets the language


def apply_language() -> str:
    """Set this run's UI language (before anything is drawn): the state's choice, else the
    URL's `lang`, else the browser's locale, else English."""
    chosen = st.session_state.get("ui_lang")
    if not chosen:
        chosen = i18n.normalize(st.query_params.get("lang"))
    if not chosen:
        with contextlib.suppress(Exception):
            chosen = i18n.from_locale(st.context.locale)
    st.session_state.ui_lang = i18n.set_language(chosen)
    return st.session_state.ui_lang


def localized(callback):
    """Wrap a widget callback (on_click / on_change) that builds texts: Streamlit runs callbacks
    in the new run's script thread BEFORE app.py sets the language, so without this t() in a
    callback speaks the default (English) in a 中文 tab.

        st.button(t("label.next"), on_click=ui.state.localized(go), args=(1,))"""
    import functools

    @functools.wraps(callback)
    def run(*args, **kwargs):
        apply_language()
        return callback(*args, **kwargs)

    return run


def init_state() -> None:
    first = "_state_ready" not in st.session_state
    for key, value in DEFAULTS.items():
        if key not in st.session_state:
            st.session_state[key] = copy.deepcopy(value)
    for key in list(st.session_state.keys()):
        if key in KEEP or key.startswith(KEEP_PREFIXES):
            st.session_state[key] = st.session_state[key]
    if first:
        st.session_state["_state_ready"] = True
        read_url()
    for kind, text in take_flash():         # messages left by the run before an st.rerun
        getattr(st, kind)(text)


def default(key: str, value) -> None:
    """Give a widget its first value through the state (never through `value=`, which
    clashes with a kept value)."""
    if key not in st.session_state:
        st.session_state[key] = value


def read_url() -> None:
    params = st.query_params
    ints = {k: frames.parse_ids(params.get(k)) for k in ("session", "set", "runs")}
    if ints["session"]:
        st.session_state.session_id = ints["session"][0]
    if ints["set"]:
        st.session_state.set_id = ints["set"][0]
    if ints["runs"]:
        st.session_state.run_ids = ints["runs"]
    if frames.parse_ids(params.get("cruns")):
        st.session_state.compare_runs = frames.parse_ids(params.get("cruns"))
    if params.get("query"):
        st.session_state.query = params.get("query")
    if params.get("ocr"):
        st.session_state.ocr_langs = params.get("ocr")
    if params.get("annotator") is not None:      # team mode: who grades (ui.annotators checks the name)
        from . import annotators

        st.session_state.annotator = annotators.clean(params.get("annotator"))
    if params.get("doc"):
        st.session_state.label_doc = params.get("doc")
    pool = frames.parse_ids(params.get("pool"))       # the Label page's pool order (depth, runs)
    if pool and pool[0] >= 1:
        st.session_state.pool_depth = pool[0]
        st.session_state.pool_run_ids = frames.parse_ids(params.get("pool_runs"))
    read_form(params)


def form_defaults() -> dict:
    """The Rerank form's values when nothing was chosen (none of them is written to the URL)."""
    from workbench.config import model_path

    return {"rr_template": "e-commerce", "rr_precise": False,
            "rr_backend": QWEN_VL.name if model_path() else LEXICAL.name, "rr_model": model_path() or "",
            "rr_url": "", "rr_format": "auto"}


def _template_text(template: str | None) -> str:
    from workbench.config import INSTRUCTION_TEMPLATES

    return INSTRUCTION_TEMPLATES.get(template or "", "")


def read_form(params) -> None:
    """The Rerank form's fields from the URL (unknown choices are ignored, not shown as errors)."""
    from workbench.config import INSTRUCTION_TEMPLATES
    from workbench.rerank.prompts import PRESETS

    s = st.session_state
    tpl = params.get("tpl")
    if tpl in INSTRUCTION_TEMPLATES or tpl == "custom":
        s.rr_template = tpl
    if params.get("precise") is not None:
        s.rr_precise = params.get("precise") in ("1", "true", "yes")
    if params.get("backend") in FORM_BACKENDS:
        s.rr_backend = params.get("backend")
    if params.get("model") is not None:
        s.rr_model = params.get("model")
    if params.get("server") is not None:
        s.rr_url = params.get("server")
    if params.get("fmt") == "auto" or params.get("fmt") in PRESETS:
        s.rr_format = params.get("fmt")
    if params.get("instr") is not None:
        s[f"rr_instruction_{s.get('rr_template') or 'e-commerce'}"] = params.get("instr")


def form_params() -> dict[str, str]:
    """The Rerank form's fields that differ from their defaults, as URL params."""
    s = st.session_state
    defaults = form_defaults()
    out: dict[str, str] = {}
    for url_key, key in FORM_URL.items():
        if key in s and s[key] is not None and s[key] != defaults[key]:
            value = s[key]
            out[url_key] = ("1" if value else "0") if isinstance(value, bool) else str(value)
    template = s.get("rr_template") or defaults["rr_template"]
    text = s.get(f"rr_instruction_{template}")
    if text is not None and text != _template_text(template):
        out["instr"] = str(text)
    return out


def url_params() -> dict[str, str]:
    s = st.session_state
    out = {}
    if s.get("session_id") is not None:
        out["session"] = str(s.session_id)
    if s.get("set_id") is not None:
        out["set"] = str(s.set_id)
    if s.get("run_ids"):
        out["runs"] = frames.ids_param(s.run_ids)
    if s.get("compare_runs"):
        out["cruns"] = frames.ids_param(s.compare_runs)
    if s.get("query"):
        out["query"] = str(s.query)
    if s.get("label_doc"):
        out["doc"] = str(s.label_doc)
    if s.get("pool_depth"):
        out["pool"] = str(int(s.pool_depth))
        if s.get("pool_run_ids"):
            out["pool_runs"] = frames.ids_param(s.pool_run_ids)
    if s.get("ocr_langs") and s.ocr_langs != DEFAULTS["ocr_langs"]:
        out["ocr"] = str(s.ocr_langs)
    if s.get("ui_lang"):
        out["lang"] = str(s.ui_lang)
    if s.get("annotator"):
        out["annotator"] = str(s.annotator)
    out.update(form_params())
    return out


def sync_url(page: str | None = None) -> None:
    """Write the view into the URL (only when it changed: each write is a browser message).

    `page` (app.py passes the page's url path): after a move to another page the whole view
    is written again. Streamlit's navigation drops the browser's query string while the
    server's copy (st.query_params) can still hold it, so comparing with that copy alone left
    a bare URL (no session, no lang) after clicking a page in the sidebar.

    app.py calls it before the page runs and again after it: after st.stop() every message
    to the browser is refused (Streamlit handles the stop request on each one), so a page
    that stops keeps the URL written before it ran."""
    wanted = url_params()
    current = {k: st.query_params.get(k) for k in URL_KEYS if st.query_params.get(k) is not None}
    moved = page is not None and st.session_state.get("_url_page") != page
    if page is not None:
        st.session_state["_url_page"] = page
    if moved:
        with contextlib.suppress(Exception):
            st.query_params.from_dict({**{k: v for k, v in st.query_params.to_dict().items()
                                          if k not in URL_KEYS}, **wanted})
        return
    if current != wanted:
        with contextlib.suppress(Exception):
            for key in URL_KEYS:
                if key in wanted and current.get(key) != wanted[key]:
                    st.query_params[key] = wanted[key]
                elif key not in wanted and key in current:
                    del st.query_params[key]


def flash(kind: str, text: str) -> None:
    """A message for the next run (after st.rerun)."""
    st.session_state.flash = [*st.session_state.get("flash", []), (kind, text)]


def take_flash() -> list[tuple[str, str]]:
    out = list(st.session_state.get("flash") or [])
    st.session_state.flash = []
    return out


# ----------------------------------------------------------------- store
@st.cache_resource(show_spinner=False)
def _store(path: str, code_version: int):
    from workbench.store import Store

    return Store(path)


def get_store():
    """The Store for the configured db (one per db path, shared by every browser session).

    Keyed by the identity of the loaded `workbench.model` module too: when Streamlit
    reloads changed library code, a Store cached before the reload would hand out
    objects of the old classes."""
    import workbench.model

    return _store(str(config.db_target()), id(workbench.model))


def current_session(required: bool = True):
    """SessionInfo of the sidebar's session, or None; with required, stop with a hint."""
    store = get_store()
    sid = st.session_state.get("session_id")
    if sid is not None:
        with contextlib.suppress(WorkbenchError):
            return store.get_session(sid)
    if required:
        st.info(i18n.t("app.no_session_yet"), icon=":material/info:")
        st.stop()
    return None


def pick_set(sets) -> int | None:
    """The state's set when it is one of `sets`, else the first."""
    ids = [s.id for s in sets]
    if not ids:
        return None
    return st.session_state.set_id if st.session_state.set_id in ids else ids[0]


def job_key(session_id) -> tuple[str, int | None]:
    """Jobs are keyed by (database, workbench session): two tabs of one session share them."""
    return (str(config.db_target()), session_id)


def set_picker(sets, key: str, label: str | None = None) -> int | None:
    """A candidate-set selectbox bound to the state's set (and so to the URL)."""
    if not sets:
        return None
    from . import paging

    if len(sets) > paging.PAGE_SIZE:          # thousands of sets: a search box and a page of them
        return paging.set_picker(sets, key, label=label)
    by_id = {s.id: s for s in sets}
    st.session_state.set_id = pick_set(sets)
    st.session_state[key] = st.session_state.set_id

    def changed() -> None:
        st.session_state.set_id = st.session_state[key]
        st.session_state.run_ids = []

    return st.selectbox(label or i18n.t("app.candidate_set"), list(by_id), key=key, on_change=changed,
                        format_func=lambda i: frames.set_option(by_id[i]))


def session_picker_changed(key: str) -> None:
    st.session_state.session_id = st.session_state[key]
    st.session_state.set_id = None
    st.session_state.run_ids = []
