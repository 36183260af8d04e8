"""Shared Streamlit helpers for app.py and the pages in pages/.

Every page starts with `ui.init_state()`; the sidebar is drawn once by app.py
(st.navigation runs the page inside app.py's script run, so it shows on every page).
Library calls go through `workbench.*` only; this file holds no SQL, torch or OCR.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import importlib
import inspect
import threading
from pathlib import Path

import streamlit as st

from workbench import config
from workbench.errors import WorkbenchError

# Named session-state keys (one place, so pages never invent ad-hoc ones).
STATE_DEFAULTS: dict = {
    "session_id": None,          # current analysis session (SessionInfo.id)
    "set_id": None,              # candidate set last worked on
    "import_result": None,       # ImportResult waiting to be saved (Import page)
    "import_source": None,       # name of the file / sample it came from
    "rerank_run_id": None,       # stored run shown on the Rerank page
    "rerank_adhoc": None,        # (CandidateSet, RankedResults) of an unsaved ad-hoc ranking
    "rerank_running": None,      # {"set_id": …} while a run is in flight (to recover after cancel)
    "compare_run_ids": [],       # runs shown on the Compare page
    "compare_running": None,
    "ocr_running": None,
    "ocr_set_id": None,
    "open_session_id": None,     # session opened on the Sessions page
    "confirm_delete": None,      # session id awaiting delete confirmation
}


def init_state() -> None:
    for key, value in STATE_DEFAULTS.items():
        if key not in st.session_state:
            st.session_state[key] = copy.deepcopy(value)


# ----------------------------------------------------------------- optional modules
def optional(module: str):
    """Import workbench.<module>, or None while it is not built yet."""
    name = f"workbench.{module}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
            return None
        raise


def require(module: str, what: str):
    mod = optional(module)
    if mod is None:
        st.info(f"{what} is not available yet: `workbench.{module}` is missing from this build.",
                icon=":material/construction:")
        st.stop()
    return mod


# ----------------------------------------------------------------- errors
def show_error(err: BaseException) -> None:
    """Render an analyst error (message + fix); re-raise anything else as a bug."""
    if not isinstance(err, WorkbenchError):
        raise err
    text = f"**{err.message}**"
    if err.fix:
        text += f"\n\n**How to fix:** {err.fix}"
    st.error(text, icon=":material/error:")


@contextlib.contextmanager
def errors_shown():
    """`with ui.errors_shown(): …` shows WorkbenchErrors; other exceptions propagate."""
    try:
        yield
    except WorkbenchError as err:
        show_error(err)


# ----------------------------------------------------------------- store
@st.cache_resource(show_spinner=False)
def _store(path: str):
    from workbench.store import Store

    return Store(path)


def get_store():
    """The Store for the configured db (one per db path, shared by sessions)."""
    require("store", "The database")
    return _store(str(config.db_path()))


def current_session(required: bool = True):
    """SessionInfo of the sidebar's session, or None; with required, stop with a hint."""
    store = get_store()
    sid = st.session_state.get("session_id")
    if sid is not None:
        with contextlib.suppress(WorkbenchError):
            return store.get_session(sid)
    if required:
        st.info("No session yet. Import a candidate set (Import page) or pick a sample on Home; "
                "that creates a session.", icon=":material/info:")
        st.stop()
    return None


# ----------------------------------------------------------------- reranker
@st.cache_resource(show_spinner="Loading the reranker (once per model)…", max_entries=4)
def load_reranker(backend: str, model_path: str | None = None, dtype: str | None = None,
                  device: str | None = None):
    """(reranker, lock) shared by every browser session; hold the lock while scoring."""
    registry = require("rerank.registry", "Reranking")
    opts = {}
    if backend not in ("lexical", "bm25"):
        opts = {k: v for k, v in {"model_path": model_path, "dtype": dtype, "device": device}.items()
                if v}
    return registry.get_reranker(backend, **opts), threading.Lock()


def backend_picker(key: str, allow_lexical: bool = True):
    """Backend radio + model path input; returns (backend, model_path)."""
    choices = ["qwen-vl", "lexical"] if allow_lexical else ["qwen-vl"]
    default = 0 if config.model_path() else (1 if allow_lexical else 0)
    labels = {"qwen-vl": "Qwen-VL model (Lychee-rerank-mm)", "lexical": "Lexical (BM25 baseline)"}
    backend = st.radio("Backend", choices, index=default, format_func=labels.get,
                       horizontal=True, key=f"{key}_backend")
    model_path = None
    if backend == "qwen-vl":
        model_path = st.text_input("Model path or id", value=config.model_path() or "",
                                   key=f"{key}_model",
                                   help="Defaults to $WORKBENCH_MODEL. A local folder with the "
                                        "Lychee-rerank-mm weights (or a tiny test checkpoint).")
        model_path = model_path.strip() or None
    return backend, model_path


# ----------------------------------------------------------------- long work
class StreamlitProgress:
    """progress(done, total) callback drawing an st.progress bar."""

    def __init__(self, label: str):
        self.label = label
        self.bar = st.progress(0.0, text=f"{label}: starting…")

    def __call__(self, done: int, total: int) -> None:
        frac = 0.0 if not total else min(1.0, done / total)
        self.bar.progress(frac, text=f"{self.label}: {done}/{total}")

    def done(self):
        self.bar.empty()


def save_upload(uploaded, folder: str = "uploads") -> tuple[str, str]:
    """Write an st.file_uploader file under WORKBENCH_HOME; returns (path, sha256)."""
    data = uploaded.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    out = config.home_dir() / folder
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{digest[:16]}{Path(uploaded.name).suffix.lower()}"
    if not path.exists():
        path.write_bytes(data)
    return str(path), digest


# ----------------------------------------------------------------- sidebar
@st.cache_data(ttl=120, show_spinner=False)
def doctor_summary() -> list[dict] | None:
    """Cheap doctor checks (no smoke scoring pass), cached two minutes."""
    doctor = optional("doctor")
    if doctor is None:
        return None
    fn = doctor.run_checks
    params = inspect.signature(fn).parameters
    kwargs = {}
    for name in ("smoke", "run_smoke", "score"):
        if name in params:
            kwargs[name] = False
    if "model_path" in params:
        kwargs["model_path"] = config.model_path()
    try:
        checks = fn(**kwargs)
    except WorkbenchError as err:
        return [{"name": "doctor", "ok": False, "detail": err.message, "fix": err.fix or ""}]
    return [{"name": c.name, "ok": bool(c.ok), "detail": str(getattr(c, "detail", "") or ""),
             "fix": str(getattr(c, "fix", "") or "")} for c in checks]


def sidebar() -> None:
    with st.sidebar:
        st.markdown("### 🍒 Lychee workbench")
        store = None
        if optional("store") is not None:
            try:
                store = get_store()
            except WorkbenchError as err:
                show_error(err)
        if store is not None:
            sessions = store.list_sessions()
            ids = [s.id for s in sessions]
            names = {s.id: f"{s.name}  ({s.n_sets} sets, {s.n_runs} runs)" for s in sessions}
            if st.session_state.session_id not in ids:
                st.session_state.session_id = ids[0] if ids else None
            if ids:
                picked = st.selectbox("Session", ids, index=ids.index(st.session_state.session_id),
                                      format_func=names.get)
                if picked != st.session_state.session_id:
                    st.session_state.session_id = picked
            else:
                st.caption("No sessions yet — import a set to start one.")
        st.caption(f"Database: `{config.db_path()}`")

        st.markdown("**Backend & device**")
        checks = doctor_summary()
        if checks is None:
            st.caption("Status checks not available yet (workbench.doctor missing).")
        else:
            for c in checks:
                mark = "✅" if c["ok"] else "⚠️"
                st.caption(f"{mark} **{c['name']}** — {c['detail']}",
                           help=None if c["ok"] or not c["fix"] else f"Fix: {c['fix']}")
        model = config.model_path()
        st.caption(f"Model: `{model}`" if model else "Model: not set (WORKBENCH_MODEL)")

        if store is not None and hasattr(store, "cache_stats"):
            stats = store.cache_stats() or {}
            st.markdown("**Score cache**")
            st.caption(f"{stats.get('entries', 0)} cached scores · {stats.get('models', 0)} models · "
                       f"{stats.get('instructions', 0)} instructions")


def short(text, n: int = 120) -> str:
    from workbench.ui_helpers import short as _short

    return _short(text, n)


def uploads_folder(files) -> str:
    """Write uploaded image files, keeping their names, into one fresh folder
    (for io.import_folder, which takes document ids from the file names)."""
    digest = hashlib.sha256(b"".join(hashlib.sha256(f.getvalue()).digest() for f in files)).hexdigest()[:16]
    folder = config.home_dir() / "imports" / f"images-{digest}"
    folder.mkdir(parents=True, exist_ok=True)
    for f in files:
        target = folder / Path(f.name).name
        if not target.exists():
            target.write_bytes(f.getvalue())
    return str(folder)


# ----------------------------------------------------------------- shared renderers
def recover_interrupted_run(state_key: str, run_key: str | None = None) -> None:
    """A click during a run reruns the script and stops the run mid-way: mark it cancelled
    (its saved batches stay) and point the page at it so partial results are shown."""
    info = st.session_state.get(state_key)
    if not info:
        return
    st.session_state[state_key] = None
    store = get_store()
    stopped = []
    for set_id in info.get("set_ids") or [info.get("set_id")]:
        if set_id is None:
            continue
        for run in store.list_runs(set_id=set_id):
            if run.status == "running" and run.id not in info.get("known", ()):
                store.finish_run(run.id, "cancelled")
                stopped.append(run.id)
    if stopped and run_key:
        value = st.session_state.get(run_key)
        st.session_state[run_key] = (value or []) + stopped if isinstance(value, list) else max(stopped)
    st.warning("The run was stopped. Every batch scored before the stop is saved and shown below "
               "(status *cancelled*).", icon=":material/stop_circle:")


def export_bytes(fn, *args, **kwargs) -> bytes:
    """Call an io exporter that writes to a buffer and return the bytes."""
    import io as _io

    buf = _io.BytesIO()
    try:
        fn(*args, buf, **kwargs)
        return buf.getvalue()
    except TypeError:
        sbuf = _io.StringIO()
        fn(*args, sbuf, **kwargs)
        return sbuf.getvalue().encode("utf-8")


RESULT_COLUMNS = {
    "rank": st.column_config.NumberColumn("Rank", width="small", format="%d"),
    "score": st.column_config.ProgressColumn("Score P(yes)", min_value=0.0, max_value=1.0,
                                             format="%.3f", width="small"),
    "thumbnail": st.column_config.ImageColumn("Image", width="small"),
    "doc_id": st.column_config.TextColumn("Doc", width="small"),
    "description": st.column_config.TextColumn("Description", width="large"),
    "label": st.column_config.SelectboxColumn("Label", options=[0, 1, 2], width="small",
                                              help="0 not relevant · 1 partly · 2 relevant"),
}


def score_chart(frame):
    import altair as alt

    data = frame.assign(label=frame["label"].map(
        lambda v: "unlabelled" if v is None or v != v else f"grade {int(v)}"))
    return (alt.Chart(data).mark_bar().encode(
        x=alt.X("rank:O", title="rank"), y=alt.Y("score:Q", scale=alt.Scale(domain=[0, 1]), title="P(yes)"),
        color=alt.Color("label:N", legend=alt.Legend(orient="bottom")),
        tooltip=["rank", "doc_id", alt.Tooltip("score:Q", format=".3f"), "label"])
        .properties(height=220))


def run_results(store, run_id: int, key: str) -> None:
    """Results table of one stored run: score bars, thumbnails, editable labels, save, export."""
    from workbench.ui_helpers import labels_from_frame, results_frame, run_label

    with errors_shown():
        run = store.load_run(run_id)
        cset = store.load_candidate_set(run.set_id)
        frame = results_frame(run.scores, cset, store.get_labels(run.set_id))
        st.subheader("Results")
        st.caption(run_label(run) + f" · instruction: _{short(run.instruction, 140)}_")
        m = st.columns(5)
        m[0].metric("Status", run.status)
        m[1].metric("Scored", f"{len(run.scores)}/{len(cset.documents)}")
        m[2].metric("Cache hits", f"{run.cache_hits}/{run.cache_hits + run.cache_misses}")
        total = (run.timings or {}).get("total_s")
        m[3].metric("Time", f"{total:.1f} s" if total else "—")
        m[4].metric("Labelled", int(frame["label"].notna().sum()))
        if run.status == "cancelled":
            st.warning(f"Cancelled run: {len(run.scores)} of {len(cset.documents)} documents were scored "
                       "before the stop; they are saved.")
        edited = st.data_editor(frame, key=f"{key}_editor_{run_id}", column_config=RESULT_COLUMNS,
                                disabled=["rank", "score", "thumbnail", "doc_id", "description"],
                                hide_index=True, width="stretch", row_height=64,
                                height=min(64 * len(frame) + 40, 720))
        c1, c2, c3 = st.columns([1, 1, 3])
        if c1.button("Save labels", type="primary", icon=":material/save:", key=f"{key}_save_{run_id}"):
            labels = labels_from_frame(edited, cset.query.id)
            store.set_labels(run.set_id, labels)
            st.success(f"Saved {len(labels)} labels for “{cset.name or cset.query.id}”.")
        io = optional("io")
        if io is not None:
            c2.download_button("Export CSV", export_bytes(io.export_long, [run]),
                               f"run-{run.id}.csv", "text/csv", icon=":material/download:",
                               key=f"{key}_dl_{run_id}")
        if len(frame):
            with c3.expander("Score chart", expanded=False):
                st.altair_chart(score_chart(edited), width="stretch")


def adhoc_results(cset, results, instruction: str, backend: str) -> None:
    from workbench.ui_helpers import results_frame

    st.subheader("Results (not saved)")
    st.caption(f"{backend} · _{short(instruction, 140)}_ — tick “Save as a new candidate set” to keep "
               "labels and the run.")
    frame = results_frame(list(results), cset, {})
    st.dataframe(frame.drop(columns=["label"]), column_config=RESULT_COLUMNS, hide_index=True,
                 width="stretch", row_height=64)
    st.download_button("Export CSV", frame.drop(columns=["thumbnail"]).to_csv(index=False).encode("utf-8"),
                       "adhoc-results.csv", "text/csv", icon=":material/download:")
