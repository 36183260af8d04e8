"""The tidy export: one long table, one row per (run, document), with everything an analyst
joins by hand otherwise: run id / name / note, query text, document text, image path, OCR text,
score, rank, label and note. As CSV (`to_csv_bytes`) or Parquet (`to_parquet_bytes`, pyarrow,
the ``[parquet]`` extra). Loading it back:

    import pandas as pd
    df = pd.read_parquet("runs.parquet")          # or pd.read_csv("runs.csv")
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping

import pandas as pd

from ..extras import require
from ..model import CandidateSet, Label, Run

TIDY_COLUMNS = [
    "run_id", "run_name", "run_note", "run_status", "instruction", "backend", "model", "prompt_format",
    "set_id", "query_id", "query_text", "query_image",
    "doc_id", "doc_text", "image_path", "ocr_text", "ocr_raw", "description",
    "score", "rank", "label", "note",
]
_INT = ("run_id", "set_id", "rank", "label")


def tidy_frame(runs: Iterable[Run], sets: Mapping[int, CandidateSet],
               labels: Mapping[int, Mapping[str, Label]] | None = None,
               notes: Mapping[int, Mapping[str, str]] | None = None) -> pd.DataFrame:
    """One row per (run, scored document), in run order then rank order.

    ``sets``: ``{set_id: CandidateSet}`` holding every run's set (documents give text, image
    path, OCR text and description); ``labels``: ``{set_id: {doc_id: Label}}`` (grade and
    note); ``notes``: ``{set_id: {doc_id: note}}`` (`Store.get_notes`: notes on graded and
    ungraded documents; wins over the label's note). ``ocr_text`` is the OCR text in
    force (the analyst's edit when there is one), ``ocr_raw`` what the engine read.
    """
    labels = labels or {}
    notes = notes or {}
    records = []
    for run in runs:
        cset = sets.get(run.set_id) if run.set_id is not None else None
        docs = {d.id: d for d in cset.documents} if cset else {}
        labs = labels.get(run.set_id, {}) if run.set_id is not None else {}
        doc_notes = notes.get(run.set_id, {}) if run.set_id is not None else {}
        query = cset.query if cset else None
        for s in sorted(run.scores, key=lambda s: (s.rank, s.doc_id)):
            doc = docs.get(s.doc_id)
            lab = labs.get(s.doc_id)
            records.append({
                "run_id": run.run_id if run.run_id is not None else run.id, "run_name": run.label, "run_note": run.note or "", "run_status": run.status,
                "instruction": run.instruction, "backend": run.backend, "model": run.model_id,
                "prompt_format": run.prompt_format or "",
                "set_id": run.set_id, "query_id": run.query_id or (query.id if query else ""),
                "query_text": query.text if query else "", "query_image": (query.image or "") if query else "",
                "doc_id": s.doc_id, "doc_text": doc.text if doc else "",
                "image_path": (doc.image or "") if doc else "",
                "ocr_text": (doc.ocr_final or "") if doc else "", "ocr_raw": (doc.ocr_text or "") if doc else "",
                "description": (doc.description or "") if doc else "",
                "score": s.score, "rank": s.rank,
                "label": lab.grade if lab is not None and lab.grade is not None else pd.NA,
                "note": doc_notes.get(s.doc_id) or ((lab.note or "") if lab is not None else ""),
            })
    df = pd.DataFrame.from_records(records, columns=TIDY_COLUMNS)
    for col in _INT:
        df[col] = df[col].astype("Int64")
    df["score"] = df["score"].astype("float64")
    for col in TIDY_COLUMNS:
        if col not in _INT and col != "score":
            df[col] = df[col].astype(object).where(df[col].notna(), "").astype(str)
    return df


def to_parquet_bytes(df: pd.DataFrame) -> bytes:
    """Parquet bytes (pyarrow; nullable integers stay integers, text stays UTF-8)."""
    require("pyarrow", "the Parquet export", extra="parquet")
    buf = io.BytesIO()
    df.to_parquet(buf, engine="pyarrow", index=False)
    return buf.getvalue()
