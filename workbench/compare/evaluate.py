"""Ranking metrics against relevance labels (NDCG@k, MRR, P@k, Recall@k, MAP, Judged@k), computed by ranx."""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError
from ..extras import require
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


def _ranx_names(k: int) -> dict[str, str]:
    return {f"ndcg@{k}": f"NDCG@{k}", "mrr": "MRR", f"precision@{k}": f"P@{k}",
            f"recall@{k}": f"Recall@{k}", "map": "MAP"}


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


_ranx = None
# numba's fallback "workqueue" threading layer aborts the process when two threads run a
# parallel kernel at once (Streamlit serves each browser session from its own thread).
_RANX_LOCK = threading.Lock()


def _import_ranx():
    global _ranx
    if _ranx is None:
        # numba: imported lazily, it costs seconds
        _ranx = require("ranx", "ranking metrics (NDCG, MRR, P@k, Recall@k, MAP)", extra="compare",
                        code="compare.metrics_need_package")
    return _ranx


def warm_up() -> float:
    """Import ranx and compile its metrics once; returns the seconds it took."""
    import time
    t0 = time.perf_counter()
    ranx = _import_ranx()
    q = ranx.Qrels({"q": {"a": 2, "b": 1}})
    r = ranx.Run({"q": {"a": 2.0, "b": 1.0, "c": 0.0}})
    with _RANX_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ranx.evaluate(q, r, list(_ranx_names(DEFAULT_K)), return_mean=False, save_results_in_run=True)
    return time.perf_counter() - t0


def _label_grades(labels: Labels) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for q, per_doc in labels.items():
        for d, g in per_doc.items():
            if g is None:
                continue
            g = getattr(g, "grade", g)   # accept Label objects too
            out.setdefault(str(q), {})[str(d)] = int(g)
    return out


def metrics(runs, labels: Labels, k: int = DEFAULT_K) -> MetricsResult:
    """NDCG@k, MRR, P@k, Recall@k and MAP per query and averaged, computed by ranx.

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
    ranx = _import_ranx()
    names = _ranx_names(k)
    rows = []
    table_rows = []
    for lab, per_q in groups.runs.items():
        qids = [q for q in per_q if q in evaluable]
        if not qids:
            continue
        run_dict, judged = {}, {}
        for q in qids:
            order = ordered_doc_ids(per_q[q])
            n = len(order)
            # strictly decreasing pseudo-scores carry OUR order (ties already broken) into ranx
            run_dict[q] = {d: float(n - i) for i, d in enumerate(order)} or {"__empty__": 0.0}
            top = order[:k]
            judged[q] = (sum(d in grades.get(q, {}) for d in top) / len(top)) if top else float("nan")
        qrels = ranx.Qrels({q: qrels_all[q] for q in qids})
        rrun = ranx.Run(run_dict)
        with _RANX_LOCK, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ranx.evaluate(qrels, rrun, list(names), return_mean=False, save_results_in_run=True)
        means = {}
        for rname, disp in names.items():
            per = rrun.scores[rname]
            vals = [float(per[q]) for q in qids]
            rows.extend((lab, q, disp, v) for q, v in zip(qids, vals))
            means[disp] = float(np.mean(vals))
        rows.extend((lab, q, f"Judged@{k}", judged[q]) for q in qids)
        means[f"Judged@{k}"] = float(np.nanmean(list(judged.values())))
        table_rows.append({"run": lab, **means, "n_queries": len(qids)})
    per_query = pd.DataFrame(rows, columns=["run", "query_id", "metric", "value"])
    table = pd.DataFrame(table_rows).set_index("run")
    return MetricsResult(per_query, table, k, skipped, list(table.index))
