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
    annotator: str = ""      # whose grade ('' the default annotator)


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


# ----------------------------------------------------------------- labelling what matters first
# TREC pooling (workbench.compare.pooling) applied to the queue: the documents in the top k of any
# chosen run first. These helpers take rankings, not stored runs: `{run_label: {query_key: [doc_id,
# ...]}}`, built from Runs by `query_rankings` (one place that knows how runs look).

def query_rankings(runs) -> tuple[dict[str, dict[str, list[str]]], dict[str, list[int]]]:
    """Rankings of the given Runs (``{label: {query_key: [doc_id, ...]}}``, newest run per label and
    query) and the run ids behind each label (``{label: [id, ...]}``), e.g. the runs of one set."""
    from .compare import group_runs
    from .compare.pooling import rankings_from_runs

    runs = list(runs)
    groups = group_runs(runs)
    ids: dict[str, list[int]] = {}
    for lab, per_q in groups.runs.items():
        ids[lab] = [r.id for r in per_q.values() if r.id is not None]
    return rankings_from_runs(groups), ids


def set_rankings(store, set_id: int) -> tuple[dict[str, dict[str, list[str]]], dict[str, list[int]]]:
    """:func:`query_rankings` of the comparable runs that rank one stored set (the Label page's
    input; the one place here that reads runs from the store)."""
    return query_rankings(store.load_run(r.id) for r in store.list_runs(set_id=set_id) if r.comparable)


def session_pool(store, session_id: int, depth: int, runs: Sequence[str] | None = None):
    """The depth-`depth` pool of every query of a session (the chosen run labels; all when None):
    a :func:`workbench.compare.pooling.pool_frame` (``query_id, pool, judged, unjudged``) with the
    set id of each query added. Reads every comparable run of the session: an on-demand count."""
    from .compare.pooling import pool_frame

    info = store.get_session(session_id)
    rankings, _ = query_rankings(store.load_run(r.id) for r in store.list_runs(session_id=info.id) if r.comparable)
    sets = store.list_candidate_sets(info.id)
    labels = {str(s.query_id): store.get_labels(s.id) for s in sets if s.n_labels}
    chosen = [r for r in runs if r in rankings] if runs else None
    frame = pool_frame(rankings, labels, depth, chosen or None, queries=[str(s.query_id) for s in sets])
    frame.insert(0, "set_id", [s.id for s in sets])
    return frame


def pool_queue(cset: CandidateSet, rankings, depth: int, runs: Sequence[str] | None = None,
               labels: Mapping[str, Label | int] | None = None, *, unlabelled_only: bool = False,
               keep: str | None = None) -> tuple[list[str], list[str]]:
    """The labelling queue ordered by pool (TREC pooling at `depth` over the chosen `runs`' rankings of
    this set's query: their top `depth` documents first, then deeper ones, then documents no chosen
    run ranked), and the pool itself (doc ids, pool order). `unlabelled_only`/`keep` as in
    :func:`labelling_queue`."""
    from .compare.pooling import pool, pool_order

    q = str(cset.query.id)
    ids = [d.id for d in cset.documents]
    order = pool_order(rankings, q, depth, runs, candidates=ids)
    known = set(ids)
    pooled = [d for d in pool(rankings, q, depth, runs) if d in known]
    return labelling_queue(cset, labels, order=order, unlabelled_only=unlabelled_only, keep=keep), pooled


def pool_unjudged(pooled: Sequence[str], labels: Mapping[str, object]) -> list[str]:
    """The pool documents that have no grade yet (in pool order)."""
    return [d for d in pooled if d not in labels]
