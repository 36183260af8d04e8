"""Ranking metrics against relevance labels (NDCG@k, MRR, P@k, Recall@k, MAP, Judged@k).

Computed here in plain Python with ranx's definitions (``query_metrics``; a test checks them
against ranx on random runs and graded labels): ranx compiles its numba kernels in every new
process (3–30 s before the first number), which a page or a CLI call cannot afford at 1,000
queries. Definitions (relevant = grade >= 1, ranx's ``rel_lvl=1``):
NDCG@k = DCG@k / ideal DCG@k with linear gains grade / log2(rank + 1) (ranx ``ndcg``, Järvelin &
Kekäläinen); MRR = 1 / rank of the first relevant document (no cut-off); P@k = relevant in the top
k / k; Recall@k = relevant in the top k / relevant; MAP = mean over the relevant documents of the
precision at their rank (0 for those not retrieved).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError
from .pooling import JUDGED_WARN, judged_at_k, judged_warnings
from .runs import (
    DEFAULT_K,
    Labels,
    _as_groups,
    ordered_doc_ids,
)

# --------------------------------------------------------------------------- metrics


def metric_names(k: int = DEFAULT_K) -> list[str]:
    """Display names of the metrics, in table order."""
    return [f"NDCG@{k}", "MRR", f"P@{k}", f"Recall@{k}", "MAP"]


@dataclass
class MetricsResult:
    """IR metrics of a session's runs against graded labels.

    ``per_query``: long frame ``run, query_id, metric, value`` (chart-ready).
    ``table``: runs × metrics means, plus ``Judged@k`` and ``n_queries`` (rows in label order).
    ``skipped``: query ids that have runs but no relevant (grade >= 1) label — left out.
    """

    per_query: pd.DataFrame
    table: pd.DataFrame
    k: int
    skipped: list[str]
    labels: list[str]
    #: per run: ``Judged@k`` (the table's column), ``n_queries``, ``n_below`` (queries whose top k is
    #: judged below ``judged_threshold``) and ``min`` — :func:`workbench.compare.pooling.judged_at_k`
    judged: pd.DataFrame | None = None
    judged_threshold: float = JUDGED_WARN

    def judged_warnings(self, metric: str | None = None) -> list[str]:
        """One sentence per run whose metrics rest on too few judgements (mean Judged@k below
        ``judged_threshold``): "NDCG@10 of run X rests on 34% judged documents; label more …"."""
        if self.judged is None or self.judged.empty:
            return []
        return judged_warnings(self.judged, self.k, metric or metric_names(self.k)[0], self.judged_threshold)

    def values(self, run: str, metric: str) -> pd.Series:
        """Per-query values of one run and metric, indexed by query_id."""
        pq = self.per_query
        sel = pq[(pq["run"] == run) & (pq["metric"] == metric)]
        return pd.Series(sel["value"].to_numpy(), index=sel["query_id"].to_numpy(), name=run)

    def wide(self, metric: str) -> pd.DataFrame:
        """query_id × run frame of one metric."""
        pq = self.per_query[self.per_query["metric"] == metric]
        return pq.pivot(index="query_id", columns="run", values="value")[
            [lab for lab in self.labels if lab in set(pq["run"])]]


def warm_up() -> float:
    """Kept for callers of the ranx era: the metrics need no compilation any more (0 s)."""
    return 0.0


def query_metrics(order: list[str], relevant: dict[str, int], k: int) -> tuple[float, float, float, float, float]:
    """(NDCG@k, MRR, P@k, Recall@k, AP) of one ranked list `order` (doc ids, best first) against
    `relevant` ({doc_id: grade >= 1}). ranx's definitions (module doc)."""
    import math

    if not relevant:
        return 0.0, 0.0, 0.0, 0.0, 0.0
    gains = sorted(relevant.values(), reverse=True)[:k]
    ideal = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    dcg = sum(relevant.get(d, 0) / math.log2(i + 2) for i, d in enumerate(order[:k]))
    hits_k = sum(1 for d in order[:k] if d in relevant)
    rr = 0.0
    hits, ap = 0, 0.0
    for i, d in enumerate(order):
        if d in relevant:
            hits += 1
            ap += hits / (i + 1)
            if rr == 0.0:
                rr = 1.0 / (i + 1)
    return (dcg / ideal if ideal else 0.0), rr, hits_k / k, hits_k / len(relevant), ap / len(relevant)


def _label_grades(labels: Labels) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for q, per_doc in labels.items():
        for d, g in per_doc.items():
            if g is None:
                continue
            g = getattr(g, "grade", g)   # accept Label objects too
            out.setdefault(str(q), {})[str(d)] = int(g)
    return out


def metrics(runs, labels: Labels, k: int = DEFAULT_K, judged_threshold: float = JUDGED_WARN) -> MetricsResult:
    """NDCG@k, MRR, P@k, Recall@k and MAP per query and averaged (ranx's definitions).

    ``runs``: one query's ``list[Run]`` or a session (RunGroups / dict / list of runs of
    many queries — a list is grouped with :func:`group_runs`). ``labels``:
    ``{query_id: {doc_id: grade}}``. Graded semantics, tie order and skipped queries are
    described in the module doc. Raises InputError when no query has a relevant label.
    """
    groups = _as_groups(runs)
    grades = _label_grades(labels)
    qrels_all = {q: {d: g for d, g in per.items() if g >= 1} for q, per in grades.items()}
    evaluable = {q for q, per in qrels_all.items() if per}
    skipped = [q for q in groups.query_ids if q not in evaluable]
    if not any(q in evaluable for q in groups.query_ids):
        raise InputError.coded("compare.no_relevant_labels")
    names = metric_names(k)
    rows = []
    table_rows = []
    rankings: dict[str, dict[str, list[str]]] = {}
    for lab, per_q in groups.runs.items():
        qids = [q for q in per_q if q in evaluable]
        if not qids:
            continue
        values: dict[str, list[float]] = {name: [] for name in names}
        judged = {}
        rankings[lab] = {}
        for q in qids:
            order = rankings[lab][q] = ordered_doc_ids(per_q[q])
            for name, v in zip(names, query_metrics(order, qrels_all[q], k)):
                values[name].append(v)
            top = order[:k]
            judged[q] = (sum(d in grades.get(q, {}) for d in top) / len(top)) if top else float("nan")
        means = {}
        for name in names:
            rows.extend((lab, q, name, v) for q, v in zip(qids, values[name]))
            means[name] = float(np.mean(values[name]))
        rows.extend((lab, q, f"Judged@{k}", judged[q]) for q in qids)
        means[f"Judged@{k}"] = float(np.nanmean(list(judged.values())))
        table_rows.append({"run": lab, **means, "n_queries": len(qids)})
    per_query = pd.DataFrame(rows, columns=["run", "query_id", "metric", "value"])
    table = pd.DataFrame(table_rows).set_index("run")
    judged_frame = judged_at_k(rankings, grades, k, threshold=judged_threshold)
    return MetricsResult(per_query, table, k, skipped, list(table.index), judged_frame, judged_threshold)
