"""The instruction x document matrix (promptfoo style) for ONE query: documents as rows (image,
text, label and note once per row), runs as columns (rank and score per cell, shift vs a
baseline run), and the rows where the runs disagree flagged with the reason.

A row *differs* when
  * some run moves it by at least `k` places against the baseline (``max |shift| >= k``), or a
    run lacks it; or
  * a run's rank contradicts the document's label: with R = the number of documents labelled
    relevant (grade >= 1), a document graded 2 ranked below R, or a document graded 0 ranked
    within the top R (where a perfect ranking would put the relevant ones).
Streamlit-free; the page renders `MatrixView.frame` and filters with `only_differences()`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..errors import InputError
from ..i18n import t
from ..model import CandidateSet, Label, Run
from .runs import unique_labels
from .shifts import _baseline_index, rank_table

DEFAULT_SHIFT_K = 3


@dataclass
class MatrixView:
    frame: pd.DataFrame          # one row per document (see matrix_frame)
    runs: list[str]              # run labels, in the order given
    baseline: str                # the baseline run's label
    k: int                       # the rank-shift threshold
    relevant: int                # R: documents labelled relevant (grade >= 1)
    set_id: int | None = None    # the query's candidate set (its documents and labels): the one to label them in

    def only_differences(self) -> pd.DataFrame:
        return self.frame[self.frame["differs"]].reset_index(drop=True)

    @property
    def n_differ(self) -> int:
        return int(self.frame["differs"].sum())

    def rank_columns(self) -> list[str]:
        return [f"{r} rank" for r in self.runs]

    def shift_columns(self) -> list[str]:
        return [f"{r} shift" for r in self.runs if r != self.baseline]


def _grade_note(labels: Any, doc_id: str) -> tuple[Any, str]:
    if not labels or doc_id not in labels:
        return pd.NA, ""
    value = labels[doc_id]
    if isinstance(value, Label):
        return value.grade, value.note or ""
    return (pd.NA if value is None else int(value)), ""


def label_conflict(grade: Any, rank: Any, relevant: int) -> str | None:
    """Why a rank contradicts a label ('' = it does not), see the module doc."""
    if relevant <= 0 or pd.isna(grade) or pd.isna(rank):
        return None
    if grade == 2 and rank > relevant:
        return t("advice.why_graded_2", rank=int(rank), relevant=relevant)
    if grade == 0 and rank <= relevant:
        return t("advice.why_graded_0", rank=int(rank), relevant=relevant)
    return None


def matrix_frame(runs: Sequence[Run], cset: CandidateSet | None = None,
                 labels: Mapping[str, Label | int] | None = None, *, baseline: int | str = 0,
                 k: int = DEFAULT_SHIFT_K, notes: Mapping[str, str] | None = None) -> MatrixView:
    """Build the matrix of runs of ONE query.

    ``cset``: the query's candidate set (image path and text per document; without it those
    columns are empty). ``labels``: ``{doc_id: Label or grade}``; ``notes``: ``{doc_id: note}``
    for notes on documents (overrides the label's note). ``baseline``: index or label of the
    baseline run. Columns: ``doc_id, image, text, label, note``, per run ``<run> rank``,
    ``<run> score`` and (not for the baseline) ``<run> shift`` (baseline rank - run rank,
    positive = moved up), then ``max |shift|``, ``conflicts`` (runs whose rank contradicts the
    label), ``differs`` and ``why``. Rows follow the baseline's order.
    """
    runs = list(runs)
    if k < 1:
        raise InputError.coded("compare.bad_shift_threshold", {"k": k})
    names = unique_labels(runs)
    b = _baseline_index(names, baseline)
    table = rank_table(runs, b)
    docs = {d.id: d for d in cset.documents} if cset is not None else {}
    grades, note_col = [], []
    for doc_id in table["doc_id"]:
        grade, note = _grade_note(labels, doc_id)
        if notes and notes.get(doc_id):
            note = notes[doc_id]
        grades.append(grade)
        note_col.append(note)
    relevant = sum(1 for g in grades if not pd.isna(g) and g >= 1)
    front = pd.DataFrame({
        "doc_id": table["doc_id"],
        "image": [(docs[d].image or "") if d in docs else "" for d in table["doc_id"]],
        "text": [(docs[d].ranking_text if d in docs else "") for d in table["doc_id"]],
        "label": pd.array(grades, dtype="Int64"),
        "note": note_col,
    })
    body = table.drop(columns=["doc_id", "changed"])
    frame = pd.concat([front, body], axis=1)
    conflicts, whys, differs = [], [], []
    for i in range(len(frame)):
        row_conf, why = [], []
        for name in names:
            reason = label_conflict(frame.at[i, "label"], frame.at[i, f"{name} rank"], relevant)
            if reason:
                row_conf.append(name)
                why.append(t("advice.why_run", run=name, reason=reason))
        shift = int(frame.at[i, "max |shift|"])
        missing = [n for n in names if pd.isna(frame.at[i, f"{n} rank"])]
        if shift >= k:
            movers = [n for n in names if n != names[b] and not pd.isna(frame.at[i, f"{n} shift"])
                      and abs(int(frame.at[i, f"{n} shift"])) >= k]
            why.insert(0, t("advice.why_moved", moves=t("advice.list_sep").join(
                t("advice.why_move", shift=f"{int(frame.at[i, f'{n} shift']):+d}", run=n) for n in movers)))
        if missing:
            why.append(t("advice.why_missing", runs=t("advice.list_sep").join(missing)))
        conflicts.append(", ".join(row_conf))
        whys.append(t("advice.clause_sep").join(why))
        differs.append(bool(shift >= k or row_conf or missing))
    frame["conflicts"] = conflicts
    frame["differs"] = differs
    frame["why"] = whys
    return MatrixView(frame, names, names[b], k, relevant, cset.id if cset is not None else None)
