"""Shared Streamlit helpers for app.py and the pages in pages/.

Every page starts with `ui.init_state()`; the sidebar is drawn once by app.py
(st.navigation runs the page inside app.py's script run, so it shows on every page).
Library calls go through `workbench.*` only; this file holds no SQL, torch or OCR.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import threading
from pathlib import Path

import streamlit as st

from workbench import config, service
from workbench.errors import WorkbenchError

# Named session-state keys (one place, so pages never invent ad-hoc ones).
STATE_DEFAULTS: dict = {
    "session_id": None,          # current analysis session (SessionInfo.id)
    "set_id": None,              # candidate set last worked on
    "import_result": None,       # ImportResult waiting to be saved (Import page)
    "import_source": None,       # name of the file / sample it came from
    "import_failed": None,       # ImportResult of a read where every row was rejected
    "rerank_run_id": None,       # stored run shown on the Rerank page
    "rerank_adhoc": None,        # (CandidateSet, RankedResults) of an unsaved ad-hoc ranking
    "rerank_running": None,      # {"set_id": …} while a run is in flight (to recover after cancel)
    "compare_run_ids": [],       # runs shown on the Compare page
    "compare_running": None,
    "compare_note": None,        # one-off message after a comparison run (cache reuse)
    "ocr_running": None,
    "ocr_set_id": None,
    "ocr_report": None,          # per-document OCR outcome of the last run (ok / empty / error)
    "ocr_version": 0,            # bumped after OCR so the editable text areas reload
    "sessions_running": None,    # {"run_ids": […]} while the Sessions page re-runs a session
    "open_session_id": None,     # session opened on the Sessions page
    "confirm_delete": None,      # session id awaiting delete confirmation
}


def init_state() -> None:
    for key, value in STATE_DEFAULTS.items():
        if key not in st.session_state:
            st.session_state[key] = copy.deepcopy(value)


# ----------------------------------------------------------------- errors
def show_error(err: BaseException) -> None:
    """Render an analyst error (message + fix); re-raise anything else as a bug."""
    if not isinstance(err, WorkbenchError):
        raise err
    def lines(value: str) -> str:          # keep the message's own line breaks (lists of rows)
        return "  \n".join(part.strip() for part in str(value).splitlines() if part.strip())

    text = f"**{lines(err.message)}**"
    if err.fix:
        text += f"\n\n**How to fix:** {lines(err.fix)}"
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
def _store(path: str, code_version: int):
    from workbench.store import Store

    return Store(path)


def get_store():
    """The Store for the configured db (one per db path, shared by sessions).

    Keyed by the identity of the loaded `workbench.model` module too: when Streamlit
    reloads changed library code, a Store cached before the reload would hand out
    objects of the old classes (isinstance checks in io/service then fail)."""
    import workbench.model

    return _store(str(config.db_path()), id(workbench.model))


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
    from workbench.rerank import registry

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


# ----------------------------------------------------------------- sidebar
@st.cache_data(ttl=600, show_spinner="Checking GPU, flash-attn, tesseract and the model…")
def doctor_summary() -> list[dict] | None:
    """Cheap doctor checks (no smoke scoring pass), cached two minutes."""
    from workbench import doctor

    try:
        checks = doctor.run_checks(smoke=False, port=False)
    except WorkbenchError as err:
        return [{"name": "doctor", "ok": False, "detail": err.message, "fix": err.fix or ""}]
    return [{"name": c.name, "ok": bool(c.ok), "detail": str(c.detail or ""), "fix": str(c.fix or "")}
            for c in checks]


def sidebar() -> None:
    with st.sidebar:
        st.markdown("### :material/filter_vintage: Lychee workbench")
        store = None
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
        if checks:
            good = [c for c in checks if c["ok"]]
            st.caption(f":material/check_circle: {len(good)} of {len(checks)} checks pass: "
                       + ", ".join(c["name"] for c in good))
            for c in checks:
                if not c["ok"]:
                    st.caption(f":material/warning: **{c['name']}** — {c['detail']}",
                               help=f"Fix: {c['fix']}" if c["fix"] else None)
        model = config.model_path()
        st.caption(f"Model: `{model}`" if model else "Model: not set (WORKBENCH_MODEL)")

        if store is not None:
            stats = store.cache_stats() or {}
            st.markdown("**Score cache**")
            st.caption(f"{stats.get('entries', 0)} cached scores · {stats.get('models', 0)} models · "
                       f"{stats.get('instructions', 0)} instructions")


def import_kept(read, *args, **kwargs):
    """Call an io reader (read_candidates, import_folder); when every row is rejected, keep
    its ImportResult in st.session_state.import_failed (for the rejected-rows download)
    and re-raise so the error and its fix are shown."""
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
    missing_images = (frame["error"].str.contains("does not exist", regex=False)
                      & frame["column"].isin(["query_image", "doc_image", "image"])).any()
    if missing_images and uploaded and not uploaded.lower().endswith(".zip"):
        st.info("Image paths in an uploaded CSV/JSONL are looked up next to the file, and an upload "
                "brings no folder with it. **Put the file and its image folder in one ZIP and upload "
                "the ZIP**, or import from the command line: `workbench import path/to/file.csv`.",
                icon=":material/folder_zip:")
    with st.expander(f"Validation report: {len(frame)} rejected rows", expanded=True):
        # line numbers are ints or "" (whole-file problems): show them as text, not a mixed column
        first = ["line", "column", "error", "fix"]         # why first, the row's own values after
        shown = frame[first + [c for c in frame.columns if c not in first]].astype({"line": str})
        st.dataframe(shown, hide_index=True, width="stretch",
                     column_config={"error": st.column_config.TextColumn(width="large"),
                                    "fix": st.column_config.TextColumn(width="large")})
        stem = Path(uploaded or "import").stem
        st.download_button("Download rejected rows (CSV)", result.rejected_csv(), f"{stem}-rejected_rows.csv",
                           "text/csv", icon=":material/download:", key="import_rejected_dl")


def when(stamp) -> str:
    """'2026-11-25T01:42:23.092+00:00' -> '2026-11-25 01:42' (tables stay narrow)."""
    text = str(stamp or "")
    return text[:16].replace("T", " ") if len(text) >= 16 and text[10:11] == "T" else text


def short(text, n: int = 120) -> str:
    from workbench.ui_helpers import short as _short

    return _short(text, n)


def uploads_folder(files) -> str:
    """Write uploaded image files, keeping their names, into one fresh folder
    (for formats.import_folder, which takes document ids from the file names)."""
    digest = hashlib.sha256(b"".join(hashlib.sha256(f.getvalue()).digest() for f in files)).hexdigest()[:16]
    folder = config.home_dir() / "imports" / f"images-{digest}"
    folder.mkdir(parents=True, exist_ok=True)
    for f in files:
        target = folder / Path(f.name).name
        if not target.exists():
            target.write_bytes(f.getvalue())
    return str(folder)


# ----------------------------------------------------------------- shared renderers
def track_run(state_key: str):
    """on_run_created callback: remember each run id in st.session_state[state_key]["run_ids"],
    so a stopped script knows exactly which runs it left behind."""
    def remember(run_id: int) -> None:
        info = st.session_state.get(state_key)
        if info is not None:
            info.setdefault("run_ids", []).append(run_id)
    return remember


def recover_interrupted_run(state_key: str, run_key: str | None = None, message: str | None = None) -> None:
    """A click during a run reruns the script and stops the run mid-way: mark it cancelled
    (its saved batches stay) and point the page at it so partial results are shown."""
    info = st.session_state.get(state_key)
    if not info:
        return
    st.session_state[state_key] = None
    store = get_store()
    stopped = []
    if "run_ids" in info:            # the runs this script started (service on_run_created)
        candidates = [store.load_run(rid) for rid in info["run_ids"]]
    else:                            # OCR and older callers: any run left "running" on the sets
        candidates = [run for set_id in (info.get("set_ids") or [info.get("set_id")]) if set_id is not None
                      for run in store.list_runs(set_id=set_id)]
    for run in candidates:
        if run.status == "running":
            service.stop_run(store, run.id)
            stopped.append(run.id)
    if stopped and run_key:
        value = st.session_state.get(run_key)
        st.session_state[run_key] = (value or []) + stopped if isinstance(value, list) else max(stopped)
    st.warning(message or "The run was stopped. Every batch scored before the stop is saved and shown "
               "below (status *cancelled*).", icon=":material/stop_circle:")

def edited_labels(frame) -> dict:
    return {r.doc_id: int(r.label) for r in frame.itertuples() if r.label is not None and r.label == r.label}


def seed_samples(store):
    """Load the bundled sample sets (idempotent)."""
    from workbench.samples import seed_samples as seed

    return seed(store)


RESULT_COLUMNS = {
    "rank": st.column_config.NumberColumn("Rank", width="small", format="%d"),
    "score": st.column_config.ProgressColumn("Score P(yes)", min_value=0.0, max_value=1.0,
                                             format="%.3f", width="small"),   # see result_columns()
    "thumbnail": st.column_config.ImageColumn("Image", width="small"),
    "doc_id": st.column_config.TextColumn("Doc", width="small"),
    "description": st.column_config.TextColumn("Description", width="large"),
    "label": st.column_config.SelectboxColumn("Label", options=[0, 1, 2], width="small",
                                              help="0 not relevant · 1 partly · 2 relevant"),
}


def result_columns(backend: str | None, scores) -> dict:
    """RESULT_COLUMNS with the score bar fitted to the run: 0–1 for P(yes); for raw scores
    (BM25, imported) the bar spans the run's own range, so it never overflows."""
    from workbench.ui_helpers import score_scale

    scale = score_scale(backend, scores)
    return {**RESULT_COLUMNS, "score": st.column_config.ProgressColumn(
        scale["title"], min_value=scale["min"], max_value=scale["max"], format="%.3f", width="small",
        help=scale["help"])}


def score_chart(frame, backend: str | None = None):
    import altair as alt

    from workbench.ui_helpers import score_scale

    scale = score_scale(backend, frame["score"])
    y_scale = alt.Scale(domain=[0, 1]) if scale["probability"] else alt.Scale(zero=True)
    data = frame.assign(label=frame["label"].map(
        lambda v: "unlabelled" if v is None or v != v else f"grade {int(v)}"))
    return (alt.Chart(data).mark_bar().encode(
        x=alt.X("rank:O", title="rank"), y=alt.Y("score:Q", scale=y_scale, title=scale["title"]),
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
        if frame["thumbnail"].isna().all():
            frame = frame.drop(columns=["thumbnail"])
        edited = st.data_editor(frame, key=f"{key}_editor_{run_id}",
                                column_config=result_columns(run.backend, frame["score"]),
                                disabled=["rank", "score", "thumbnail", "doc_id", "description"],
                                hide_index=True, width="stretch", row_height=64,
                                height=min(64 * len(frame) + 40, 720))
        c1, c2, c3 = st.columns([1, 1, 3])
        if c1.button("Save labels", type="primary", icon=":material/save:", key=f"{key}_save_{run_id}"):
            labels = labels_from_frame(edited, cset.query.id)
            store.set_labels(run.set_id, labels)
            st.success(f"Saved {len(labels)} labels for “{cset.name or cset.query.id}”.")
        from workbench import formats

        c2.download_button("Export CSV", formats.export_long([run], labels={run.set_id: edited_labels(edited)}),
                           f"run-{run.id}.csv", "text/csv", icon=":material/download:",
                           key=f"{key}_dl_{run_id}")
        if len(frame):
            with c3.expander("Score chart", expanded=False):
                st.altair_chart(score_chart(edited, run.backend), width="stretch")


def adhoc_results(cset, results, instruction: str, backend: str) -> None:
    """Results of an unsaved ranking; `instruction` and `backend` are those it was scored with."""
    from workbench.ui_helpers import results_frame

    st.subheader("Results (not saved)")
    st.caption(f"{backend} · _{short(instruction, 140)}_ — tick “Save as a new candidate set” and run "
               "again to keep labels and the run.")
    frame = results_frame(list(results), cset, {})
    if frame["thumbnail"].isna().all():
        frame = frame.drop(columns=["thumbnail"])
    st.dataframe(frame.drop(columns=["label"]), column_config=result_columns(backend, frame["score"]),
                 hide_index=True, width="stretch", row_height=64)
    from workbench.formats import to_csv_bytes

    export = frame.drop(columns=["thumbnail", "label"], errors="ignore")
    export.insert(0, "query_id", cset.query.id)
    export.insert(1, "query_text", cset.query.text or "")
    export = export.assign(instruction=instruction, backend=backend)
    st.download_button("Export CSV", to_csv_bytes(export), f"{cset.query.id}-results.csv", "text/csv",
                       icon=":material/download:", key="adhoc_dl")


def thumbnail_uri(path, size: int = 160):
    from workbench.ui_helpers import thumbnail_data_uri

    return thumbnail_data_uri(path, size)


# ----------------------------------------------------------------- comparison
def run_name(run) -> str:
    from workbench.ui_helpers import run_label

    return run_label(run)


def _shift_style(value):
    if value is None or value != value or value == 0:
        return ""
    return "background-color: #d8f0dc; color: #14532d" if value > 0 else "background-color: #fadadd; color: #7f1d1d"


def render_comparison(compare, result) -> None:
    import altair as alt
    import pandas as pd

    for note in result.notes:
        st.caption(f"ℹ️ {note}")
    summary = result.discrimination_summary
    for row in summary.itertuples(index=False):
        if row.n_flagged:
            sub = result.discrimination[(result.discrimination["run"] == row.run) & result.discrimination["flagged"]]
            backends = {r.backend for r in (result.groups.runs.get(row.run) or {}).values()}
            if backends and backends <= {"lexical", "bm25"}:
                # BM25 ignores the instruction: the model's remedies would mislead here
                st.warning(f"**{row.run}** (BM25): scores barely separate the documents on {row.n_flagged} of "
                           f"{row.n_queries} quer{'y' if row.n_queries == 1 else 'ies'} ({sub['reasons'].iloc[0]}): "
                           "most documents share no word with the query.\n\n**Try:** add text to the documents "
                           "(OCR page: read the images into descriptions), or rank with the Qwen-VL model. BM25 "
                           "ignores the instruction, so changing it changes nothing here.",
                           icon=":material/warning:")
                continue
            st.warning(f"**{row.run}**: scores barely discriminate on {row.n_flagged} of {row.n_queries} "
                       f"quer{'y' if row.n_queries == 1 else 'ies'} ({sub['reasons'].iloc[0]}). "
                       "This is the guide's “all scores about 0.5” symptom.\n\n**Try:** "
                       + " ".join(f"({i}) {r}" for i, r in enumerate(compare.REMEDIES, 1)),
                       icon=":material/warning:")

    t_metrics, t_shift, t_scores, t_agree = st.tabs(["Metrics", "Rank shifts", "Score distribution", "Agreement"])
    with t_metrics:
        if result.metrics is None:
            st.info("Label documents (Rerank or Sessions page: 0/1/2) to see NDCG, MRR, P@k, Recall@k and MAP.")
        else:
            st.markdown("**Runs × metrics** (mean over labelled queries)")
            table = result.metrics.table
            num = [c for c in table.columns if c != "n_queries"]
            st.dataframe(table.style.format("{:.3f}", subset=num).highlight_max(subset=num, color="#d8f0dc"),
                         width="stretch")
            if result.significance is not None and len(result.significance):
                for row in result.significance.itertuples(index=False):
                    (st.success if row.winner else st.info)(row.verdict)
                with st.expander("Paired tests"):
                    st.dataframe(result.significance, hide_index=True, width="stretch")
            for (a, b), frame in result.win_loss.items():
                if frame.empty or frame["query_id"].nunique() < 2:
                    continue             # one query: the metrics table above says it all
                st.markdown(f"**Per-query win/loss** — _{b}_ vs baseline _{a}_ on {frame['metric'].iloc[0]}")
                chart = alt.Chart(frame).mark_bar().encode(
                    x=alt.X("query_id:N", sort=None, title="query"),
                    y=alt.Y("diff:Q", title="challenger − baseline", axis=alt.Axis(format="+.2f")),
                    color=alt.Color("outcome:N", scale=alt.Scale(domain=["win", "tie", "loss"],
                                                                 range=["#2e7d32", "#9e9e9e", "#c62828"])),
                    tooltip=["query_id", alt.Tooltip("value_a:Q", format=".3f"),
                             alt.Tooltip("value_b:Q", format=".3f"), alt.Tooltip("diff:Q", format="+.3f")],
                ).properties(height=220)
                st.altair_chart(chart, width="stretch")
    with t_shift:
        qids = list(result.rank_tables)
        q = st.selectbox("Query", qids, key="cmp_query") if len(qids) > 1 else qids[0]
        table = result.rank_tables[q]
        only = st.toggle("Show only changed", key="cmp_only_changed")
        shown = table[table["changed"]] if only else table
        shift_cols = [c for c in shown.columns if c.endswith(" shift") or c == "max |shift|"]
        score_cols = [c for c in shown.columns if c.endswith(" score")]
        st.dataframe(shown.style.map(_shift_style, subset=[c for c in shift_cols if c != "max |shift|"])
                     .format("{:.3f}", subset=score_cols, na_rep="—"),
                     hide_index=True, width="stretch")
        st.caption("shift = baseline rank − rank in that run: green moved up, red moved down.")
        runs_q = result.groups.for_query(q)
        if len(runs_q) >= 2:
            long = compare.rank_shift_long(runs_q)
            long["rank"] = long["rank"].astype(float)
            slope = alt.Chart(long).mark_line(point=True).encode(
                x=alt.X("run:N", sort=None, title=None), y=alt.Y("rank:Q", scale=alt.Scale(reverse=True)),
                detail="doc_id:N", color=alt.Color("changed:N", scale=alt.Scale(domain=[False, True],
                                                                               range=["#bdbdbd", "#c2185b"])),
                tooltip=["doc_id", "run", "rank", alt.Tooltip("score:Q", format=".3f")],
            ).properties(height=320)
            st.altair_chart(slope, width="stretch")
    with t_scores:
        scores = result.scores
        order = list(dict.fromkeys(scores["run"]))
        raw = {label for label, by_q in result.groups.runs.items()
               if any(r.backend in ("lexical", "bm25") for r in by_q.values())}
        probability = (bool(len(scores)) and bool(scores["score"].between(0, 1).all())
                       and not set(scores["run"]) & raw)
        x = alt.X("run:N", title=None, sort=order, axis=alt.Axis(labelAngle=0, labelLimit=220))
        y_title = "P(yes)" if probability else "score (raw scores are not probabilities)"
        # The band gets its own one-row data: layered over `scores` it would be drawn once per
        # score and the stacked translucent rects turn solid.
        band = alt.Chart(pd.DataFrame({"lo": [0.4], "hi": [0.6]})).mark_rect(
            opacity=0.15, color="#f9a825").encode(y="lo:Q", y2="hi:Q")
        box = alt.Chart(scores).mark_boxplot(extent="min-max", size=36, opacity=0.5).encode(
            x=x, y=alt.Y("score:Q", title=y_title))
        dots = alt.Chart(scores).mark_tick(opacity=0.7, thickness=2, size=24, color="#c2185b").encode(
            x=x, y="score:Q", tooltip=["run", "query_id", "doc_id", alt.Tooltip("score:Q", format=".3f")])
        layers = [band, box, dots] if probability else [box, dots]
        st.altair_chart(alt.layer(*layers).properties(height=320), width="stretch")
        st.caption("Shaded band: 0.4–0.6. Most scores inside it means the instruction barely discriminates."
                   if probability else "Raw scores (BM25 or imported) are shown on their own scale.")
        st.dataframe(summary.style.format("{:.3f}", subset=["share_flagged", "mean_std", "mean_iqr",
                                                             "mean_share_mid"], na_rep="—"),
                     hide_index=True, width="stretch")
    with t_agree:
        pairs = result.correlations.pairs
        if pairs is None or pairs.empty:
            st.info("Agreement needs two runs over the same documents.")
        else:
            st.dataframe(pairs.style.format(precision=3), hide_index=True, width="stretch")
            heat = result.correlations.long("kendall_tau")
            chart = alt.Chart(heat).mark_rect().encode(
                x=alt.X("run_a:N", title=None), y=alt.Y("run_b:N", title=None),
                color=alt.Color("value:Q", scale=alt.Scale(domain=[-1, 1], scheme="redblue"), title="Kendall τ-b"),
                tooltip=["run_a", "run_b", alt.Tooltip("value:Q", format=".3f")])
            st.altair_chart(chart.properties(height=260), width="stretch")


def labels_editor(store, set_id: int) -> None:
    """Grades and notes of one set, editable (notes are kept with the label)."""
    from workbench.model import Label

    cset = store.load_candidate_set(set_id)
    labels = store.get_labels(set_id)
    import pandas as pd

    frame = pd.DataFrame([{"doc_id": d.id, "description": short(d.ranking_text, 200),
                           "label": labels[d.id].grade if d.id in labels else None,
                           "note": labels[d.id].note if d.id in labels else ""} for d in cset.documents])
    edited = st.data_editor(frame, key=f"labels_editor_{set_id}", hide_index=True, width="stretch",
                            disabled=["doc_id", "description"],
                            column_config={"label": RESULT_COLUMNS["label"],
                                           "description": st.column_config.TextColumn(width="large"),
                                           "note": st.column_config.TextColumn("Note", width="medium")})
    if st.button("Save labels and notes", type="primary", key=f"labels_save_{set_id}"):
        with errors_shown():
            items = [Label(cset.query.id, r.doc_id, int(r.label), r.note or "")
                     for r in edited.itertuples() if r.label is not None and r.label == r.label]
            store.set_labels(set_id, items)
            st.success(f"Saved {len(items)} labels.")
