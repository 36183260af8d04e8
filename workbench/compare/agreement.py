"""Agreement between runs: Kendall tau-b, Spearman rho and top-k overlap, per query or per session."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..extras import require
from ..model import Run
from .runs import (
    DEFAULT_K,
    RunGroups,
    _as_groups,
    _check_runs,
    _is_session,
    ordered_doc_ids,
    unique_labels,
)


def _stats():
    """scipy.stats, imported on first use (the [compare] extra)."""
    return require("scipy.stats", "comparing runs", extra="compare", code="compare.needs_package")

# --------------------------------------------------------------------------- correlations


@dataclass
class Correlations:
    """Pairwise agreement between runs.

    ``pairs``: one row per unordered pair: ``run_a, run_b, n_queries, n_common,
    kendall_tau, spearman_rho, overlap@k`` (plus ``kendall_p``/``spearman_p`` for a single
    query). For a session the values are means over the queries both runs cover.
    ``per_query`` (session only): the same per query.
    """

    pairs: pd.DataFrame
    k: int
    labels: list[str]
    per_query: pd.DataFrame | None = None

    def matrix(self, column: str = "kendall_tau") -> pd.DataFrame:
        """Square labels × labels frame of one column (1.0 on the diagonal)."""
        m = pd.DataFrame(np.eye(len(self.labels)), index=self.labels, columns=self.labels)
        for row in self.pairs.itertuples(index=False):
            v = getattr(row, column) if column.isidentifier() else row[self.pairs.columns.get_loc(column)]
            m.loc[row.run_a, row.run_b] = v
            m.loc[row.run_b, row.run_a] = v
        return m

    def long(self, column: str = "kendall_tau") -> pd.DataFrame:
        """Heat-map frame: ``run_a, run_b, value`` over all ordered pairs."""
        m = self.matrix(column)
        out = m.rename_axis("run_a").reset_index().melt(id_vars="run_a", var_name="run_b", value_name="value")
        return out


def _pair_stats(a: Run, b: Run, k: int, pvalues: bool = True) -> dict:
    sa = {str(s.doc_id): s.score for s in a.scores}
    sb = {str(s.doc_id): s.score for s in b.scores}
    common = [d for d in sa if d in sb]
    x = np.array([sa[d] for d in common], dtype=float)
    y = np.array([sb[d] for d in common], dtype=float)
    tau = tau_p = rho = rho_p = float("nan")
    if len(common) >= 2 and np.ptp(x) > 0 and np.ptp(y) > 0:
        # the exact p-value is costly and unused when averaging over a session; the
        # asymptotic one divides by n - 2, so two documents always take the exact path
        exact = pvalues or len(common) < 3
        t = _stats().kendalltau(x, y, variant="b", method="auto" if exact else "asymptotic")
        tau, tau_p = float(t.statistic), float(t.pvalue)
        if pvalues:
            r = _stats().spearmanr(x, y)
            rho, rho_p = float(r.statistic), float(r.pvalue)
        else:
            # Spearman's rho is Pearson's r on average ranks (what spearmanr computes)
            rho = float(np.corrcoef(_stats().rankdata(x), _stats().rankdata(y))[0, 1])
    return {
        "n_common": len(common),
        "kendall_tau": tau, "kendall_p": tau_p,
        "spearman_rho": rho, "spearman_p": rho_p,
        f"overlap@{k}": top_k_overlap(a, b, k),
    }


def top_k_overlap(a: Run, b: Run, k: int = DEFAULT_K) -> float:
    """|top-k(a) ∩ top-k(b)| / k', with k' = min(k, len(a), len(b)).

    Dividing by k' (not k) keeps two identical 5-document runs at 1.0 for k=10.
    NaN when a run is empty.
    """
    ka = min(k, len(a.scores), len(b.scores))
    if ka <= 0:
        return float("nan")
    ta = set(ordered_doc_ids(a)[:ka])
    tb = set(ordered_doc_ids(b)[:ka])
    return len(ta & tb) / ka


def correlations(runs, k: int = DEFAULT_K) -> Correlations:
    """Kendall τ-b and Spearman ρ (scipy, on the scores of the documents both runs
    scored; ties handled by τ-b and average ranks) and top-k overlap between every pair.

    ``runs`` is a list of runs of ONE query, or a session (RunGroups / dict) — then the
    per-query values are averaged per pair. τ/ρ are NaN when fewer than 2 common
    documents or one run gives all of them the same score (no order to correlate).
    """
    if not isinstance(runs, (RunGroups, Mapping)):
        runs = list(runs)
    if _is_session(runs):
        return _session_correlations(_as_groups(runs), k)
    _check_runs(runs, 2)
    labels = unique_labels(runs)
    rows = []
    for (la, a), (lb, b) in itertools.combinations(zip(labels, runs), 2):
        rows.append({"run_a": la, "run_b": lb, "n_queries": 1, **_pair_stats(a, b, k)})
    return Correlations(pd.DataFrame(rows), k, labels)


def _session_correlations(groups: RunGroups, k: int) -> Correlations:
    labels = groups.labels
    if len(labels) < 2:
        _check_runs(labels, 2)
    rows = []
    for la, lb in itertools.combinations(labels, 2):
        for q in groups.common_query_ids([la, lb]):
            rows.append({"run_a": la, "run_b": lb, "query_id": q,
                         **_pair_stats(groups.runs[la][q], groups.runs[lb][q], k, pvalues=False)})
    per_query = pd.DataFrame(rows, columns=["run_a", "run_b", "query_id", "n_common", "kendall_tau",
                                            "kendall_p", "spearman_rho", "spearman_p", f"overlap@{k}"])
    cols = ["n_common", "kendall_tau", "spearman_rho", f"overlap@{k}"]
    pairs = per_query.groupby(["run_a", "run_b"], sort=False)[cols].mean().reset_index()
    pairs.insert(2, "n_queries", per_query.groupby(["run_a", "run_b"], sort=False).size().to_numpy())
    return Correlations(pairs, k, labels, per_query)
