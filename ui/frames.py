"""Tables and small texts the pages show, built without Streamlit (unit-testable).

Everything here returns plain values or pandas DataFrames. Cells never show "None" or
"nan": missing values are empty strings or "—"; dates are "YYYY-MM-DD HH:MM"; sets are
named, not numbered. Texts are in the UI's language (workbench.i18n); column names stay
the data's own keys, `headings(frame)` gives the translated headings to show.
"""

from __future__ import annotations

import base64
import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from workbench.errors import ImageError, InputError
from workbench.i18n import has, t, tn
from workbench.model import CandidateSet, Document, Label, Query, Run
from workbench.rerank.spec import backend_names

THUMB_SIZE = 160
IMAGE_ONLY = "(image only: no text yet; the OCR page can read it)"   # i18n: not UI text (English value; image_only())
NON_PROBABILITY_BACKENDS = backend_names(score_kind="lexical")   # BM25 (its declared score kind)
DASH = "—"


# ----------------------------------------------------------------- small texts
# English nouns that plural() knows -> their counted catalog key (frames section / common).
COUNT_KEYS = {  # i18n: not UI text (the English nouns callers pass; the texts are the count.* keys)
    "set": "count.sets", "candidate set": "count.candidate_sets",  # i18n: not UI text
    "identical set": "count.identical_sets", "run": "count.runs",  # i18n: not UI text
    "identical run": "count.identical_runs", "doc": "count.docs", "document": "count.documents",  # i18n: not UI text
    "pasted document": "count.pasted_documents",  # i18n: not UI text
    "selected document": "count.selected_documents",  # i18n: not UI text
    "query": "count.queries", "label": "count.labels", "row": "count.rows",
    "rejected row": "count.rejected_rows", "image": "count.images",  # i18n: not UI text
    "warning": "count.warnings", "model": "count.models", "instruction": "count.instructions",
    "cached score": "count.cached_scores", "description": "count.descriptions",  # i18n: not UI text
    "changed description": "count.changed_descriptions", "judgment": "count.judgments",  # i18n: not UI text
}


def plural(n: int, one: str, many: str | None = None) -> str:
    """plural(1, 'candidate set') -> '1 candidate set'; plural(2, 'query', 'queries') -> '2 queries'.

    A noun in COUNT_KEYS is said in the UI's language (i18n.tn); the English is the same.
    New code calls `tn("count.sets", n)` directly."""
    key = COUNT_KEYS.get(one)
    if key and has(key):
        return tn(key, n)
    return f"{n} {one if n == 1 else (many or one + 's')}"


def image_only() -> str:
    """The description cell of a document with an image and no text yet."""
    return t("frames.image_only")


def short(text: str | None, n: int = 160) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= n else text[: n - 1] + "…"


def when(stamp) -> str:
    """'2026-11-25T01:42:23.092+00:00' -> '2026-11-25 01:42'; empty -> ''."""
    text = str(stamp or "")
    return text[:16].replace("T", " ") if len(text) >= 16 and text[10:11] == "T" else text


def blank(value) -> Any:
    """None / NaN -> '' (a cell never shows 'None')."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return value


# User text in Markdown goes through THE escaping helper, ui/markup.py (imported here too, so
# `from ui.frames import esc` and `ui.esc` are the same function).
from .markup import esc  # noqa: F401


def set_name(info) -> str:
    """A set's human name: its name, else its query id."""
    return str(getattr(info, "name", "") or getattr(info, "query_id", "") or t("frames.set_n", id=info.id))


def set_option(info) -> str:
    return t("frames.set_option", name=set_name(info), docs=tn("count.docs", info.n_docs))


def status_text(status: str | None) -> str:
    """A run's status (done, cancelled, imported, …) in the UI's language; the data keeps the English word."""
    key = f"frames.status.{status}"
    return t(key) if status and has(key) else str(status or "")


def backend_text(backend: str | None) -> str:
    """A run's backend as a short name (bm25, qwen-vl, remote… are names; lexical is said)."""
    key = f"frames.backend.{str(backend or '').replace('-', '_')}"     # qwen-vl -> frames.backend.qwen_vl
    return t(key) if backend and has(key) else str(backend or "")


def run_name(run: Run) -> str:
    """A run's name, else its instruction (short), said with its #id in messages."""
    return run.name or short(run.instruction, 40) or t("frames.no_instruction")


def run_label(run: Run) -> str:
    """Short human name of a run for pickers and chart legends."""
    name = run_name(run)
    if run.status == "imported" and run.backend == "imported":     # "· imported · imported" said once
        return t("frames.run_label_imported", id=run.id, name=name, backend=backend_text(run.backend))
    return t("frames.run_label", id=run.id, name=name, backend=backend_text(run.backend),
             status=status_text(run.status))


def duration(seconds) -> str:
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return DASH
    seconds = float(seconds)
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


# ----------------------------------------------------------------- thumbnails
@lru_cache(maxsize=4096)
def _thumb(path: str, mtime: float, size: int) -> str | None:
    from workbench.images import thumbnail_bytes

    try:
        data = thumbnail_bytes(path, size)
    except ImageError:
        return None
    return "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")


def thumbnail_data_uri(path: str | Path | None, size: int = THUMB_SIZE) -> str | None:
    """A small JPEG data URI for st.column_config.ImageColumn, or None (no/bad image)."""
    if not path:
        return None
    p = Path(path)
    if not p.is_file():
        return None
    return _thumb(str(p), p.stat().st_mtime, size)


# ----------------------------------------------------------------- results
def results_frame(scores: list, cset: CandidateSet, labels: dict[str, Any] | None = None,
                  thumbs: bool = True) -> pd.DataFrame:
    """Rank, score, thumbnail, description and label per document, best first.

    `scores` holds Score objects (rank/score/doc_id) or engine Results (same fields).
    `labels` maps doc_id -> Label or int grade. Unscored documents are left out.
    """
    labels = labels or {}
    docs = {d.id: d for d in cset.documents}
    rows = []
    for s in sorted(scores, key=lambda s: s.rank):
        doc = docs.get(s.doc_id) or getattr(s, "document", None) or Document(id=s.doc_id)
        lab = labels.get(s.doc_id, doc.label)
        grade = getattr(lab, "grade", lab)
        rows.append({
            "rank": int(s.rank),
            "score": float(s.score),
            "thumbnail": thumbnail_data_uri(doc.image) if thumbs else None,
            "doc_id": s.doc_id,
            "description": short(doc.ranking_text, 300) or (image_only() if doc.image else ""),
            "label": None if grade is None else int(grade),
        })
    cols = ["rank", "score", "thumbnail", "doc_id", "description", "label"]
    return pd.DataFrame(rows, columns=cols)


def score_scale(backend: str | None, scores) -> dict[str, Any]:
    """How to show a run's scores: a probability (Lychee's P(yes), 0–1) or a raw score
    (BM25, imported rankings) whose bar is scaled to the run's own range."""
    values = [float(v) for v in scores if v is not None and v == v]
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    if (backend or "") not in NON_PROBABILITY_BACKENDS and 0.0 <= lo and hi <= 1.0:
        return {"probability": True, "title": t("frames.score_pyes"), "min": 0.0, "max": 1.0,
                "help": t("frames.score_pyes.help")}
    title = t("frames.score_bm25") if (backend or "") in NON_PROBABILITY_BACKENDS else t("frames.score")
    lo = min(lo, 0.0)
    if hi <= lo:
        hi = lo + 1.0
    return {"probability": False, "title": title, "min": lo, "max": hi,
            "help": t("frames.score_raw.help", lo=f"{lo:.3g}", hi=f"{hi:.3g}")}


GRADE_COLOURS = {"grade 0": "#9e9e9e", "grade 1": "#f9a825", "grade 2": "#2e7d32", "unlabelled": "#90a4ae"}
GRADE_KEYS = {"grade 0": "frames.grade_0", "grade 1": "frames.grade_1", "grade 2": "frames.grade_2",
              "unlabelled": "frames.unlabelled"}


def grade_colours() -> dict[str, str]:
    """GRADE_COLOURS keyed by the chart's label texts in the UI's language."""
    return {t(GRADE_KEYS[name]): colour for name, colour in GRADE_COLOURS.items()}


def chart_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """The results frame with a text 'label' column for charts (grade 0/1/2 or unlabelled),
    in the UI's language (the keys of grade_colours())."""
    return frame.assign(label=frame["label"].map(
        lambda v: t("frames.unlabelled") if v is None or v != v else t(f"frames.grade_{int(v)}")))


def run_metrics(run: Run, n_docs: int, n_labelled: int) -> list[tuple[str, str, str | None]]:
    """(label, value, help) of the metric row over a run's results; nothing shows 0/0."""
    scored = len(run.scores)
    out = [(t("frames.metric.status"), status_text(run.status), None),
           (t("frames.metric.scored"), f"{scored}/{n_docs}", None)]
    looked = run.cache_hits + run.cache_misses
    hits = t("frames.metric.cache_hits")
    if run.status == "imported":
        out.append((hits, DASH, t("frames.metric.cache_hits.imported")))
    elif looked:
        out.append((hits, f"{run.cache_hits}/{looked}", t("frames.metric.cache_hits.help")))
    else:
        out.append((hits, DASH, t("frames.metric.cache_hits.stopped")))
    total = (run.timings or {}).get("total_s")
    out.append((t("frames.metric.time"), duration(total) if total else DASH,
                None if total else t("frames.metric.time.imported")))
    out.append((t("frames.metric.labelled"), f"{n_labelled}/{n_docs}", None))
    return out


def labels_from_frame(frame: pd.DataFrame, query_id: str) -> list[Label]:
    """Label objects for every row of a results frame with a grade set."""
    out = []
    for row in frame.itertuples(index=False):
        grade = row.label
        if grade is None or (isinstance(grade, float) and pd.isna(grade)):
            continue
        out.append(Label(query_id=query_id, doc_id=str(row.doc_id), grade=int(grade)))
    return out


def labels_frame(cset: CandidateSet, labels: dict[str, Label], notes: dict[str, str] | None = None) -> pd.DataFrame:
    """Grades and notes of one set, one row per document (the Labels & notes editor), with a
    thumbnail; `notes` (Store.get_notes) holds notes of graded and ungraded documents alike."""
    notes = notes or {}
    return pd.DataFrame([{"thumbnail": thumbnail_data_uri(d.image) if d.image else None,
                          "doc_id": d.id, "description": short(d.ranking_text, 200) or
                          (image_only() if d.image else ""),
                          "label": labels[d.id].grade if d.id in labels else None,
                          "note": notes.get(d.id) or (labels[d.id].note if d.id in labels else "") or ""}
                         for d in cset.documents],
                        columns=["thumbnail", "doc_id", "description", "label", "note"])


def labels_and_notes(frame: pd.DataFrame, query_id: str) -> tuple[list[Label], list[str], list[str]]:
    """From the edited labels grid: (labels to save, doc ids whose grade was cleared,
    doc ids with a note but no grade). A cleared note is an empty note, never NaN."""
    labels, cleared, orphan_notes = [], [], []
    for row in frame.itertuples(index=False):
        note = blank(row.note)
        note = str(note).strip() if note != "" else ""
        grade = blank(row.label)
        if grade == "":
            cleared.append(str(row.doc_id))
            if note:
                orphan_notes.append(str(row.doc_id))
            continue
        labels.append(Label(query_id, str(row.doc_id), int(grade), note))
    return labels, cleared, orphan_notes


def adhoc_set(query: Query, docs: list[Document], name: str) -> CandidateSet:
    if not docs:
        raise InputError.coded("ui.no_documents")
    return CandidateSet(query=query, documents=docs, name=name, source="pasted")


# ----------------------------------------------------------------- lists
# Column names are the data's keys; the headings shown come from here (st.dataframe's
# column_config takes a plain string as a column's label):
#     st.dataframe(frame, column_config=frames.headings(frame))
HEADING_COLUMNS = ("session", "sets", "runs", "created", "description", "run", "name", "set", "backend",
                   "status", "instruction", "started", "doc_id", "text", "image", "label", "rank", "score",
                   "thumbnail", "note", "query_id", "query_text", "query", "document", "doc_text",
                   "line", "column", "error", "fix", "ocr_text", "docs", "labels", "labelled", "progress")


def heading(column: str) -> str:
    """The heading of a data column in the UI's language (the column name when unknown)."""
    key = f"frames.col.{column}"
    return t(key) if has(key) else str(column)


def headings(frame: pd.DataFrame, **overrides) -> dict[str, str]:
    """{column: heading} for st.dataframe/st.data_editor's column_config (known columns only)."""
    out = {str(c): heading(str(c)) for c in frame.columns if has(f"frames.col.{c}")}
    out.update(overrides)
    return out


def sessions_frame(sessions) -> pd.DataFrame:
    return pd.DataFrame([{"session": s.name, "sets": s.n_sets, "runs": s.n_runs,
                          "created": when(s.created_at), "description": blank(s.description)}
                         for s in sessions], columns=["session", "sets", "runs", "created", "description"])


def runs_frame(runs, sets) -> pd.DataFrame:
    """A session's runs with set names (not ids), readable dates, status and backend in the
    UI's language, the prompt format scored with (empty for BM25 and imported runs) and the note."""
    names = {s.id: set_name(s) for s in sets}
    return pd.DataFrame([{"run": r.id, "name": blank(r.name), "set": names.get(r.set_id, blank(r.set_id)),
                          "backend": backend_text(r.backend), "prompt": blank(r.prompt_format),
                          "status": status_text(r.status), "instruction": blank(r.instruction),
                          "note": blank(getattr(r, "note", None)), "started": when(r.started_at)} for r in runs],
                        columns=["run", "name", "set", "backend", "prompt", "status", "instruction", "note",
                                 "started"])


def run_infos_frame(runs) -> pd.DataFrame:
    """A session's runs, one row per run (one configuration over many queries): id, name, queries
    ranked (finished / in the run), backend, prompt format, status, instruction, note, created."""
    rows = []
    for r in runs:
        queries = f"{r.n_done}/{r.n_rankings}" if r.n_done != r.n_rankings else str(r.n_rankings)
        rows.append({"run": r.id, "name": blank(r.name), "queries": queries, "backend": backend_text(r.backend),
                     "prompt": blank(r.prompt_format), "status": status_text(r.status),
                     "instruction": blank(r.instruction), "note": blank(r.note), "started": when(r.created_at)})
    return pd.DataFrame(rows, columns=["run", "name", "queries", "backend", "prompt", "status", "instruction",
                                       "note", "started"])


def run_info_label(run) -> str:
    """A run (configuration) in pickers: its name, backend and how many queries it ranks."""
    return t("frames.run_info_label", id=run.id, name=run.name, backend=backend_text(run.backend),
             queries=tn("count.queries", run.n_rankings), status=status_text(run.status))


def image_name(path: str | None, names: dict[str, str] | None = None) -> str:
    """The name an imported image had in the analyst's file (ImportResult.image_names), else
    the stored file's own name; never the internal imports/images/<hash> path."""
    if not path:
        return ""
    return (names or {}).get(str(path)) or Path(str(path)).name


def query_preview(query: Query, names: dict[str, str] | None = None) -> str:
    """The query as the Import preview names it: its text, else its image's file name."""
    return short(query.text, 80) or image_name(query.image, names)


def preview_frame(cset: CandidateSet, names: dict[str, str] | None = None, thumbs: bool = False) -> pd.DataFrame:
    """The Import preview of a set: id, text, image (its original file name, a thumbnail when
    `thumbs`), label, then the file's extra columns (Document.metadata) under their own names."""
    base = ["doc_id", "thumbnail", "text", "image", "label"]
    extra: list[str] = []
    for d in cset.documents:
        extra += [str(k) for k in (d.metadata or {}) if str(k) not in extra and str(k) not in base]
    rows = [{"doc_id": d.id, "thumbnail": thumbnail_data_uri(d.image) if thumbs and d.image else None,
             "text": short(d.text, 200), "image": image_name(d.image, names),
             "label": "" if d.label is None else str(d.label),
             **{k: str(blank((d.metadata or {}).get(k))) for k in extra}} for d in cset.documents]
    frame = pd.DataFrame(rows, columns=base + extra)
    return frame if frame["thumbnail"].notna().any() else frame.drop(columns=["thumbnail"])


def rejected_view(frame: pd.DataFrame) -> pd.DataFrame:
    """The rejected-rows report with why first (line, column, error, fix), the row's own
    values after. The report columns never clash with the file's columns: ImportResult
    names them (frame.attrs['report_columns'])."""
    report = frame.attrs.get("report_columns") or {c: c for c in ("line", "column", "error", "fix", "source")}
    first = [report[c] for c in ("line", "column", "error", "fix")]
    shown = frame[first + [c for c in frame.columns if c not in first]].copy()
    shown[report["line"]] = shown[report["line"]].astype(str)
    return shown


def adhoc_export(frame: pd.DataFrame, cset: CandidateSet, instruction: str, backend: str) -> pd.DataFrame:
    export = frame.drop(columns=["thumbnail", "label"], errors="ignore")
    export.insert(0, "query_id", cset.query.id)
    export.insert(1, "query_text", cset.query.text or "")
    return export.assign(instruction=instruction, backend=backend)


def ids_param(values) -> str:
    return ",".join(str(int(v)) for v in values)


def parse_ids(text) -> list[int]:
    out = []
    for part in str(text or "").split(","):
        part = part.strip()
        if part.isdigit():
            out.append(int(part))
    return out


def apply_editor_state(frame: pd.DataFrame, state: dict | None) -> pd.DataFrame:
    """Apply a st.data_editor widget state ({"edited_rows": {row: {col: val}}}) to a frame."""
    frame = frame.copy()
    for row, changes in ((state or {}).get("edited_rows") or {}).items():
        for col, val in changes.items():
            frame.at[frame.index[int(row)], col] = val
    return frame
