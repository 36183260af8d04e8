"""Links from the Compare page's metrics to the per-query matrix behind them (no Streamlit here).

A link carries the session, the query, the compared runs (ids) and the baseline run (an id):

    ./matrix?session=3&query=q7&runs=40,41,42&baseline=40

The Matrix page reads `runs` and `baseline` from such a link once (see pages/matrix_page.py):
those runs become its columns and that run its baseline."""

from __future__ import annotations

from urllib.parse import urlencode

import pandas as pd

from workbench import i18n


def matrix_params(session_id: int, query_id: str, run_ids=None, baseline: int | None = None) -> dict[str, str]:
    """The URL parameters of the Matrix page for one query of a session."""
    params = {"session": str(session_id), "query": str(query_id)}
    if run_ids:
        params["runs"] = ",".join(str(i) for i in run_ids)
    if baseline is not None:
        params["baseline"] = str(baseline)
    params["lang"] = i18n.get_language()      # the link opens in the language it was followed from
    return params


def matrix_link(session_id: int, query_id: str, run_ids=None, baseline: int | None = None) -> str:
    """Relative URL of the Matrix page for one query of a session (opened from another page)."""
    return "./matrix?" + urlencode(matrix_params(session_id, query_id, run_ids, baseline))


def per_query_links(result, metric: str, session_id: int, run_ids=None, baseline: int | None = None) -> pd.DataFrame:
    """`MetricsResult.wide(metric)` (query x run) with a `matrix` column linking each query's
    row to the Matrix page: each metric value leads to the rankings it was computed from."""
    wide = result.wide(metric).reset_index()
    wide.insert(1, "matrix", [matrix_link(session_id, q, run_ids, baseline) for q in wide["query_id"]])
    return wide
