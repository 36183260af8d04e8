"""Pure-python helpers the Streamlit pages use to shape data for display.

No Streamlit import here (the pages own rendering); no SQL, torch or OCR either.
Everything returns plain values or pandas DataFrames so it can be unit-tested.
"""

from __future__ import annotations

import base64
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import ImageError, InputError
from .model import CandidateSet, Document, Label, Query, Run

THUMB_SIZE = 160
IMAGE_ONLY = "(image only: no text yet; the OCR page can read it)"


@lru_cache(maxsize=4096)
def _thumb(path: str, mtime: float, size: int) -> str | None:
    from .images import thumbnail_bytes

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


def short(text: str | None, n: int = 160) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 1] + "…"


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
            "description": short(doc.ranking_text, 300) or (IMAGE_ONLY if doc.image else ""),
            "label": None if grade is None else int(grade),
        })
    cols = ["rank", "score", "thumbnail", "doc_id", "description", "label"]
    return pd.DataFrame(rows, columns=cols)


NON_PROBABILITY_BACKENDS = ("lexical", "bm25")


def score_scale(backend: str | None, scores) -> dict[str, Any]:
    """How to show a run's scores: a probability (Lychee's P(yes), 0–1) or a raw score
    (BM25, imported rankings) whose bar is scaled to the run's own range.

    Returns {"probability": bool, "title": str, "min": float, "max": float, "help": str}.
    """
    values = [float(v) for v in scores if v is not None and v == v]
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    if (backend or "") not in NON_PROBABILITY_BACKENDS and 0.0 <= lo and hi <= 1.0:
        return {"probability": True, "title": "Score P(yes)", "min": 0.0, "max": 1.0,
                "help": "The model's probability that the document meets the instruction (0–1)."}
    title = "BM25 score" if (backend or "") in NON_PROBABILITY_BACKENDS else "Score"
    lo = min(lo, 0.0)
    if hi <= lo:
        hi = lo + 1.0
    return {"probability": False, "title": title, "min": lo, "max": hi,
            "help": "Raw score, not a probability: only the order within this set means something. "
                    f"The bar is scaled to this run's range ({lo:.3g}–{hi:.3g})."}


def labels_from_frame(frame: pd.DataFrame, query_id: str) -> list[Label]:
    """Label objects for every row of a results frame with a grade set."""
    out = []
    for row in frame.itertuples(index=False):
        grade = row.label
        if grade is None or (isinstance(grade, float) and pd.isna(grade)):
            continue
        out.append(Label(query_id=query_id, doc_id=str(row.doc_id), grade=int(grade)))
    return out


def apply_editor_state(frame: pd.DataFrame, state: dict | None) -> pd.DataFrame:
    """Apply a st.data_editor widget state ({"edited_rows": {row: {col: val}}}) to a frame."""
    frame = frame.copy()
    for row, changes in ((state or {}).get("edited_rows") or {}).items():
        for col, val in changes.items():
            frame.at[frame.index[int(row)], col] = val
    return frame


def adhoc_set(query: Query, docs: list[Document], name: str) -> CandidateSet:
    if not docs:
        raise InputError("There are no documents to rank.",
                         "Paste one document per line, type a single document, or pick a stored set.")
    return CandidateSet(query=query, documents=docs, name=name, source="pasted")


def run_label(run: Run) -> str:
    """Short human name of a run for pickers and chart legends."""
    name = run.name or short(run.instruction, 40)
    return f"#{run.id} {name} · {run.backend} · {run.status}"


def shift_frame(runs: list[Run], names: list[str]) -> pd.DataFrame:
    """Side-by-side rank/score per run, plus the rank shift of each run vs the first.

    Fallback used only when workbench.compare has no rank table of its own.
    """
    base: dict[str, dict[str, Any]] = {}
    for run, name in zip(runs, names):
        for s in run.scores:
            row = base.setdefault(s.doc_id, {"doc_id": s.doc_id})
            row[f"rank · {name}"] = s.rank
            row[f"score · {name}"] = round(float(s.score), 4)
    frame = pd.DataFrame(list(base.values()))
    if frame.empty:
        return frame
    first = f"rank · {names[0]}"
    for name in names[1:]:
        frame[f"shift · {name}"] = frame[first] - frame[f"rank · {name}"]
    return frame.sort_values(first).reset_index(drop=True)


def near_half_share(scores: list[float], lo: float = 0.4, hi: float = 0.6) -> float:
    if not scores:
        return 0.0
    return sum(lo <= s <= hi for s in scores) / len(scores)


def scores_long(runs: list[Run], names: list[str]) -> pd.DataFrame:
    """One row per (run, doc) for the score-distribution chart."""
    rows = [{"run": name, "doc_id": s.doc_id, "score": float(s.score), "rank": s.rank}
            for run, name in zip(runs, names) for s in run.scores]
    return pd.DataFrame(rows, columns=["run", "doc_id", "score", "rank"])
