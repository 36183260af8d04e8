"""Agreement between annotators: raw agreement and Cohen's kappa per pair, Krippendorff's alpha for all.

Input is one grade per (annotator, query, document): a long frame with columns
``annotator, query_id, doc_id, grade`` (or an iterable of such tuples). A *unit* is one
(query, document); a pair of annotators is compared on the units both graded.

- raw agreement: the share of common units with the same grade;
- Cohen's kappa (unweighted): (p_o - p_e) / (1 - p_e), p_e from each annotator's own grade
  frequencies on the common units. Undefined (NaN) when p_e is 1 (both gave one same grade
  to everything): there is no chance agreement to improve on;
- Krippendorff's alpha, ordinal (grades 0 < 1 < 2), over all annotators and every unit graded
  by at least two of them: the maintained `krippendorff` package (the [team] extra). NaN when
  fewer than two annotators or only one grade value occurs.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..extras import require

COLUMNS = ["annotator_a", "annotator_b", "n", "agreement", "kappa", "alpha"]
ALL = "(all)"


def _krippendorff():
    """The krippendorff package, imported on first use (the [team] extra)."""
    return require("krippendorff", "annotator agreement (Krippendorff's alpha)", extra="team")


def _frame(grades) -> pd.DataFrame:
    if isinstance(grades, pd.DataFrame):
        frame = grades
    else:
        frame = pd.DataFrame(list(grades), columns=["annotator", "query_id", "doc_id", "grade"])
    missing = {"annotator", "query_id", "doc_id", "grade"} - set(frame.columns)
    if missing:
        raise ValueError(f"agreement needs the columns annotator, query_id, doc_id, grade; missing {sorted(missing)}")
    frame = frame[["annotator", "query_id", "doc_id", "grade"]].dropna(subset=["grade"])
    frame = frame.astype({"annotator": str, "query_id": str, "doc_id": str})
    frame["grade"] = frame["grade"].astype(int)
    # one grade per annotator and unit: the last one given wins (a label's current value)
    return frame.drop_duplicates(["annotator", "query_id", "doc_id"], keep="last")


def cohen_kappa(a: Iterable[int], b: Iterable[int]) -> float:
    """Unweighted Cohen's kappa of two equally long grade sequences (NaN when undefined)."""
    a, b = list(a), list(b)
    if len(a) != len(b):
        raise ValueError("cohen_kappa needs two sequences of the same length")
    n = len(a)
    if n == 0:
        return math.nan
    observed = sum(x == y for x, y in zip(a, b)) / n
    ca, cb = Counter(a), Counter(b)
    expected = sum(ca[v] * cb[v] for v in set(ca) | set(cb)) / (n * n)
    if expected >= 1.0:
        return math.nan
    return (observed - expected) / (1.0 - expected)


def krippendorff_alpha(wide: pd.DataFrame) -> float:
    """Ordinal alpha of a units × annotators grade table (NaN where an annotator gave none)."""
    data = wide.to_numpy(dtype=float).T            # the package wants annotators × units
    if data.shape[0] < 2 or data.shape[1] == 0:
        return math.nan
    values = np.unique(data[~np.isnan(data)])
    pairable = (np.sum(~np.isnan(data), axis=0) >= 2).any()
    if len(values) < 2 or not pairable:
        return math.nan
    return float(_krippendorff().alpha(reliability_data=data, level_of_measurement="ordinal",
                                       value_domain=sorted(values)))


def agreement_table(grades) -> pd.DataFrame:
    """One row per pair of annotators (n, agreement, kappa) and one row for all of them (alpha).

    ``n`` is the number of units both graded (for the all-annotators row: units graded by at
    least two).
    """
    frame = _frame(grades)
    wide = frame.pivot_table(index=["query_id", "doc_id"], columns="annotator", values="grade",
                             aggfunc="last")
    annotators = sorted(wide.columns)
    rows = []
    for a, b in itertools.combinations(annotators, 2):
        both = wide[[a, b]].dropna()
        n = len(both)
        agreement = float((both[a] == both[b]).mean()) if n else math.nan
        kappa = cohen_kappa(both[a].astype(int), both[b].astype(int)) if n else math.nan
        rows.append({"annotator_a": a, "annotator_b": b, "n": n, "agreement": agreement,
                     "kappa": kappa, "alpha": math.nan})
    if annotators:
        shared = wide[wide.notna().sum(axis=1) >= 2]
        if len(shared):
            same = shared.apply(lambda r: r.dropna().nunique() == 1, axis=1)
            overall_agreement = float(same.mean())
        else:
            overall_agreement = math.nan
        rows.append({"annotator_a": ALL, "annotator_b": ALL, "n": len(shared),
                     "agreement": overall_agreement, "kappa": math.nan,
                     "alpha": krippendorff_alpha(wide[annotators])})
    return pd.DataFrame(rows, columns=COLUMNS)


def agreement_by_query(grades) -> pd.DataFrame:
    """`agreement_table` per query, with a ``query_id`` column first."""
    frame = _frame(grades)
    parts = []
    for query_id, group in frame.groupby("query_id", sort=True):
        table = agreement_table(group)
        table.insert(0, "query_id", query_id)
        parts.append(table)
    if not parts:
        return pd.DataFrame(columns=["query_id", *COLUMNS])
    return pd.concat(parts, ignore_index=True)


def disagreements(grades) -> pd.DataFrame:
    """The units whose grades differ between annotators: query_id, doc_id, then one column per annotator."""
    frame = _frame(grades)
    wide = frame.pivot_table(index=["query_id", "doc_id"], columns="annotator", values="grade",
                             aggfunc="last")
    differ = wide[wide.apply(lambda r: r.dropna().nunique() > 1, axis=1)] if len(wide) else wide
    return differ.reset_index()
