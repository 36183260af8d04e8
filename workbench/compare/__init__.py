"""Comparison analytics: which instruction or backend ranks this data best, and by how much.

Pure functions over `workbench.model.Run` objects (plus a labels dict) that return
pandas DataFrames or small dataclasses, ready for the Compare page to render.
Every frame meant for a chart is long-form (one row per mark) so Altair can take
it as it is. No Streamlit here.

Two scopes
----------
* **One candidate set** (one query): pass ``list[Run]``; each run is one column.
* **A session** (many queries): runs are grouped by a *run label* across queries.
  ``group_runs(runs)`` returns a :class:`RunGroups` whose ``.runs`` is
  ``dict[label, dict[query_id, Run]]``. The label is ``run.name`` when set, else
  ``"<backend>: <instruction>"`` (see :func:`run_label`), so the same instruction
  + backend run over 50 candidate sets forms one group. Functions that work on a
  session accept a ``RunGroups`` or that plain ``dict[str, dict[str, Run]]``.

Orders and ties
---------------
A run's order is its ``Score.rank`` (1 = best) as the engine or the import set it.
When ranks tie or are missing the order falls back to the higher score, then the
smaller doc id, so every function here (rank table, top-k overlap, metrics) sees
the same deterministic order (:func:`ordered_doc_ids`; ranx, the reference the
metrics are tested against, sorts by score with an unstable sort, so the tests hand it
strictly decreasing pseudo-scores built from *our* order).

Labels
------
``labels`` is ``dict[query_id, dict[doc_id, grade]]`` with grades 0/1/2
(``model.LABEL_GRADES``). Binary metrics (MRR, P@k, Recall@k, MAP) count a
document as relevant when its grade is >= 1 (ranx's default ``rel_lvl=1``).
NDCG@k uses the grades as linear gains (ranx ``ndcg``, the Järvelin & Kekäläinen
form: gain 1 for "partly relevant", 2 for "relevant"). Unlabelled documents
count as not relevant; the ``Judged@k`` column says how much of the top k was
labelled at all, so a high metric on thin labels is visible as such. Queries with
no relevant document have undefined recall/NDCG; they are left out of the
metrics and listed in ``MetricsResult.skipped``.

Modules: runs (labels, order, grouping), shifts (rank tables), agreement (tau, rho, overlap),
advice (discrimination and remedies), evaluate (metrics with ranx's definitions, in plain
Python: no numba compilation in each new process), significance (paired tests, winner,
win/loss), session (everything at once). ``import workbench.compare`` does not import scipy
(the ``[compare]`` extra); it loads on first use.
"""

from .advice import (
    MAX_SHARE_MID,
    MAX_SHARE_TIED,
    MIN_DOCS,
    MIN_IQR,
    MIN_STD,
    REMEDIES,
    Discrimination,
    discrimination,
    discrimination_summary,
    discrimination_table,
    score_distribution,
)
from .agreement import Correlations, correlations, top_k_overlap
from .evaluate import MetricsResult, metric_names, metrics, warm_up
from .runs import (
    ALPHA,
    DEFAULT_K,
    MIN_QUERIES_FOR_WINNER,
    Labels,
    RunGroups,
    RunsByLabel,
    group_runs,
    ordered_doc_ids,
    ordered_scores,
    query_key,
    run_label,
    unique_labels,
)
from .matrix import DEFAULT_SHIFT_K, MatrixView, label_conflict, matrix_frame
from .session import SessionComparison, compare_session
from .shifts import rank_shift_long, rank_table
from .significance import (
    PairedTest,
    Verdict,
    compare_pair,
    paired_test,
    sign_flip_pvalue,
    significance_table,
    win_loss,
    winner,
)

__all__ = [
    "DEFAULT_SHIFT_K", "MatrixView", "label_conflict", "matrix_frame",
    "Labels",
    "RunsByLabel",
    "DEFAULT_K",
    "ALPHA",
    "MIN_QUERIES_FOR_WINNER",
    "run_label",
    "query_key",
    "ordered_scores",
    "ordered_doc_ids",
    "unique_labels",
    "RunGroups",
    "group_runs",
    "rank_table",
    "rank_shift_long",
    "Correlations",
    "top_k_overlap",
    "correlations",
    "REMEDIES",
    "MAX_SHARE_MID",
    "MIN_STD",
    "MIN_IQR",
    "MAX_SHARE_TIED",
    "MIN_DOCS",
    "Discrimination",
    "discrimination",
    "discrimination_table",
    "discrimination_summary",
    "score_distribution",
    "metric_names",
    "MetricsResult",
    "warm_up",
    "metrics",
    "PairedTest",
    "sign_flip_pvalue",
    "paired_test",
    "compare_pair",
    "significance_table",
    "Verdict",
    "winner",
    "win_loss",
    "SessionComparison",
    "compare_session",
]
