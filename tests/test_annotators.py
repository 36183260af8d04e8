"""Annotator agreement: kappa and alpha checked against hand computations."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from workbench.compare.annotators import (
    ALL,
    agreement_by_query,
    agreement_table,
    cohen_kappa,
    disagreements,
    krippendorff_alpha,
)

A = [0, 1, 2, 1, 0, 2, 1, 1, 0, 2]
B = [0, 1, 1, 1, 0, 2, 2, 1, 0, 2]


def test_kappa_by_hand():
    # p_o = 8/10; both annotators graded 0,1,2 three, four and three times: p_e = (9+16+9)/100
    assert cohen_kappa(A, B) == pytest.approx((0.8 - 0.34) / (1 - 0.34))
    assert cohen_kappa(A, A) == pytest.approx(1.0)
    # everything graded the same by both: no chance agreement to improve on
    assert math.isnan(cohen_kappa([1, 1, 1], [1, 1, 1]))
    # systematic opposite grading is below chance
    assert cohen_kappa([0, 2, 0, 2], [2, 0, 2, 0]) == pytest.approx(-1.0)


def _alpha_by_hand(data: np.ndarray, ordinal: bool) -> float:
    """Krippendorff's coincidence-matrix formula, written out (units with < 2 grades dropped)."""
    values = sorted({v for v in data.flatten() if not np.isnan(v)})
    index = {v: i for i, v in enumerate(values)}
    o = np.zeros((len(values), len(values)))
    for unit in data.T:
        got = [v for v in unit if not np.isnan(v)]
        m = len(got)
        if m < 2:
            continue
        for i, x in enumerate(got):
            for j, y in enumerate(got):
                if i != j:
                    o[index[x], index[y]] += 1 / (m - 1)
    n_c = o.sum(axis=1)
    n = n_c.sum()

    def delta(c, k):
        if not ordinal:
            return 0.0 if c == k else 1.0
        lo, hi = min(c, k), max(c, k)
        return (n_c[lo:hi + 1].sum() - (n_c[c] + n_c[k]) / 2) ** 2

    d_o = sum(o[c, k] * delta(c, k) for c in range(len(values)) for k in range(len(values)))
    d_e = sum(n_c[c] * n_c[k] * delta(c, k) for c in range(len(values)) for k in range(len(values))) / (n - 1)
    return 1 - d_o / d_e


# Krippendorff's textbook example (4 coders, 12 units, missing grades): nominal alpha 0.743
TEXTBOOK = np.array([
    [1, 2, 3, 3, 2, 1, 4, 1, 2, np.nan, np.nan, np.nan],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, np.nan, 3],
    [np.nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, np.nan],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, np.nan],
])


def test_alpha_textbook_and_by_hand():
    assert _alpha_by_hand(TEXTBOOK, ordinal=False) == pytest.approx(0.743, abs=5e-4)
    import pandas as pd

    wide = pd.DataFrame(TEXTBOOK.T)
    assert krippendorff_alpha(wide) == pytest.approx(_alpha_by_hand(TEXTBOOK, ordinal=True), abs=1e-9)


def test_agreement_table_pairs_and_all():
    rows = []
    for i, (a, b) in enumerate(zip(A, B)):
        rows.append(("ann", "q1" if i < 5 else "q2", f"d{i}", a))
        rows.append(("bob", "q1" if i < 5 else "q2", f"d{i}", b))
    rows.append(("cy", "q1", "d0", 0))          # cy graded one unit only
    rows.append(("cy", "q1", "d2", 2))
    table = agreement_table(rows)
    pair = table[(table.annotator_a == "ann") & (table.annotator_b == "bob")].iloc[0]
    assert pair.n == 10 and pair.agreement == pytest.approx(0.8)
    assert pair.kappa == pytest.approx((0.8 - 0.34) / 0.66)
    cy = table[(table.annotator_a == "ann") & (table.annotator_b == "cy")].iloc[0]
    assert cy.n == 2 and cy.agreement == pytest.approx(1.0)
    everyone = table[table.annotator_a == ALL].iloc[0]
    assert everyone.n == 10
    data = np.full((3, 10), np.nan)
    data[0], data[1] = A, B
    data[2, 0], data[2, 2] = 0, 2
    assert everyone.alpha == pytest.approx(_alpha_by_hand(data, ordinal=True), abs=1e-9)
    per_query = agreement_by_query(rows)
    assert set(per_query.query_id) == {"q1", "q2"}
    q2 = per_query[(per_query.query_id == "q2") & (per_query.annotator_a == "ann") & (per_query.annotator_b == "bob")]
    assert q2.iloc[0].agreement == pytest.approx(Counter(x == y for x, y in zip(A[5:], B[5:]))[True] / 5)


def test_disagreements_lists_only_differing_units():
    rows = [("ann", "q", f"d{i}", a) for i, a in enumerate(A)] + [("bob", "q", f"d{i}", b) for i, b in enumerate(B)]
    diff = disagreements(rows)
    assert list(diff.doc_id) == ["d2", "d6"]
    assert list(diff["ann"]) == [2, 1] and list(diff["bob"]) == [1, 2]


def test_single_annotator_and_one_value_give_nan_not_errors():
    table = agreement_table([("ann", "q", "d1", 1), ("ann", "q", "d2", 2)])
    assert len(table) == 1 and math.isnan(table.iloc[0].alpha)
    table = agreement_table([("a", "q", "d1", 1), ("b", "q", "d1", 1)])
    assert math.isnan(table.iloc[-1].alpha) and table.iloc[0].agreement == 1.0
