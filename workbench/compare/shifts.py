"""Rank tables and rank shifts against a baseline run, for one query."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import InputError
from ..model import Run
from .runs import (
    _check_runs,
    ordered_scores,
    query_key,
    unique_labels,
)

# --------------------------------------------------------------------------- rank table


def rank_table(runs: Sequence[Run], baseline: int | str = 0) -> pd.DataFrame:
    """Per-document rank and score in every run of ONE query, with the shift vs a baseline.

    Columns: ``doc_id``, then per run ``<label> rank``, ``<label> score``, and for every
    non-baseline run ``<label> shift`` = baseline rank − run rank (positive: the run moved
    the document up), then ``max |shift|`` and ``changed`` (True when any run places the
    document elsewhere than the baseline, or lacks it). Rows follow the baseline order;
    documents missing from the baseline come last. ``baseline`` is an index into
    ``runs`` or a label; default the first run. Ranks are positions in the run's order
    (see the module doc), so ties are broken the same way everywhere.
    """
    runs = list(runs)
    _check_runs(runs)
    if len({query_key(r) for r in runs}) > 1:
        raise InputError.coded("compare.several_queries", {"n": len({query_key(r) for r in runs})})
    labels = unique_labels(runs)
    b = _baseline_index(labels, baseline)
    order = [b] + [i for i in range(len(runs)) if i != b]
    ranked = [ordered_scores(runs[i]) for i in order]
    # rows: baseline order first, then documents only other runs have (first seen)
    doc_ids: dict[str, None] = {}
    for scores in ranked:
        for s in scores:
            doc_ids.setdefault(str(s.doc_id), None)
    docs = list(doc_ids)
    pos = {d: i for i, d in enumerate(docs)}
    n = len(docs)
    cols: dict[str, object] = {"doc_id": docs}
    rank_arrays = []
    for i, scores in zip(order, ranked):
        rank = np.zeros(n, dtype=np.int64)
        score = np.full(n, np.nan)
        for r, s in enumerate(scores, start=1):
            j = pos[str(s.doc_id)]
            rank[j] = r
            score[j] = s.score
        rank_arrays.append(rank)
        cols[f"{labels[i]} rank"] = pd.array(np.where(rank > 0, rank, 0), dtype="Int64")
        cols[f"{labels[i]} rank"][rank == 0] = pd.NA
        cols[f"{labels[i]} score"] = score
    base = rank_arrays[0]
    missing_any = np.zeros(n, dtype=bool)
    max_abs = np.zeros(n, dtype=np.int64)
    for i, rank in zip(order[1:], rank_arrays[1:]):
        missing = (rank == 0) | (base == 0)
        shift = base - rank
        col = pd.array(shift, dtype="Int64")
        col[missing] = pd.NA
        cols[f"{labels[i]} shift"] = col
        missing_any |= missing
        max_abs = np.maximum(max_abs, np.where(missing, 0, np.abs(shift)))
    cols["max |shift|"] = pd.array(max_abs, dtype="Int64")
    cols["changed"] = (max_abs != 0) | missing_any
    return pd.DataFrame(cols)


def rank_shift_long(runs: Sequence[Run], baseline: int | str = 0) -> pd.DataFrame:
    """Long-form rank view of ONE query for a slope/bump chart.

    Columns: ``doc_id, run, rank, score, shift, changed`` (one row per document × run;
    ``shift`` vs the baseline run, 0 for the baseline itself).
    """
    table = rank_table(runs, baseline)
    labels = unique_labels(runs)
    b = _baseline_index(labels, baseline)
    rows = []
    for lab in labels:
        part = pd.DataFrame({
            "doc_id": table["doc_id"],
            "run": lab,
            "rank": table[f"{lab} rank"],
            "score": table[f"{lab} score"],
            "shift": table[f"{lab} shift"] if lab != labels[b] else pd.array([0] * len(table), dtype="Int64"),
            "changed": table["changed"],
        })
        rows.append(part.dropna(subset=["rank"]))
    return pd.concat(rows, ignore_index=True)


def _baseline_index(labels: list[str], baseline: int | str) -> int:
    if isinstance(baseline, str):
        if baseline not in labels:
            raise InputError.coded("compare.baseline_not_compared", {
                "baseline": baseline, "labels": ", ".join(labels)})
        return labels.index(baseline)
    if not -len(labels) <= baseline < len(labels):
        raise InputError.coded("compare.baseline_out_of_range", {"baseline": baseline, "last": len(labels) - 1})
    return baseline % len(labels)
