"""Labelling mode (Label Studio / Argilla style), without Streamlit: the order documents are shown
in, the "unlabelled only" queue, progress per query and per session, and undoable grade changes.

Every grade and note is saved the moment it is given (service.grade_document / note_document);
a `LabelChange` remembers what it replaced so `service.undo_label` can put it back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from .model import CandidateSet, Label

GRADE_NAMES = {0: "not relevant", 1: "partly relevant", 2: "relevant"}


@dataclass(frozen=True)
class LabelChange:
    """One grade given (or removed): enough to undo it."""

    set_id: int
    doc_id: str
    before: int | None       # grade before (None: ungraded)
    after: int | None        # grade after (None: the grade was removed)


def labelling_queue(cset: CandidateSet, labels: Mapping[str, Label | int] | None = None, *,
                    order: Sequence[str] | None = None, unlabelled_only: bool = False,
                    keep: str | None = None) -> list[str]:
    """Doc ids in the order they are shown: `order` (e.g. a run's ranking; documents it lacks
    follow in set order) or the set's order. `unlabelled_only` leaves out graded documents,
    except `keep` (the one on screen, so grading it does not make it vanish under the cursor)."""
    ids = [d.id for d in cset.documents]
    if order:
        known = set(ids)
        first = [d for d in dict.fromkeys(str(x) for x in order) if d in known]
        ids = first + [d for d in ids if d not in set(first)]
    if unlabelled_only:
        graded = set(labels or {})
        ids = [d for d in ids if d not in graded or d == keep]
    return ids


def step(queue: Sequence[str], current: str | None, delta: int) -> str | None:
    """The doc id `delta` places from `current` in `queue`, clamped to its ends (None if empty)."""
    if not queue:
        return None
    if current not in queue:
        return queue[0] if delta >= 0 else queue[-1]
    i = queue.index(current) + delta
    return queue[max(0, min(len(queue) - 1, i))]


def next_unlabelled(queue: Sequence[str], labels: Mapping[str, object], current: str | None) -> str | None:
    """The first ungraded document after `current` (wrapping round), else None: all graded."""
    if not queue:
        return None
    start = queue.index(current) + 1 if current in queue else 0
    for d in list(queue[start:]) + list(queue[:start]):
        if d not in labels:
            return d
    return None


def progress_frame(sets: Sequence[tuple[int, str, str, int, int]]) -> pd.DataFrame:
    """Rows (set_id, query_id, query_text, documents, labelled) -> a table with the share done,
    plus an 'all' row summing them (progress per query and for the whole session)."""
    df = pd.DataFrame(list(sets), columns=["set_id", "query_id", "query_text", "documents", "labelled"])
    total = pd.DataFrame([{"set_id": pd.NA, "query_id": "all", "query_text": "",
                           "documents": int(df["documents"].sum()), "labelled": int(df["labelled"].sum())}])
    df = pd.concat([df, total], ignore_index=True) if len(df) else total
    df["set_id"] = df["set_id"].astype("Int64")
    df["share"] = (df["labelled"] / df["documents"].where(df["documents"] > 0)).fillna(0.0).round(3)
    return df


def labels_grid(cset: CandidateSet, labels: Mapping[str, Label], notes: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The Labels & notes grid: one row per document with its image (for a thumbnail), text,
    OCR text in force, grade and note (graded or not)."""
    notes = notes or {}
    rows = []
    for d in cset.documents:
        lab = labels.get(d.id)
        rows.append({"doc_id": d.id, "image": d.image or "", "text": d.text, "ocr_text": d.ocr_final or "",
                     "label": lab.grade if lab is not None else pd.NA,
                     "note": notes.get(d.id) or (lab.note if lab is not None else "") or ""})
    df = pd.DataFrame(rows, columns=["doc_id", "image", "text", "ocr_text", "label", "note"])
    df["label"] = df["label"].astype("Int64")
    return df
