"""Links from the Compare page's metrics to the per-query matrix behind them (no Streamlit here)."""

from __future__ import annotations

from urllib.parse import urlencode

import pandas as pd


def matrix_link(session_id: int, query_id: str, run_ids=None) -> str:
    """Relative URL of the Matrix page for one query of a session (opened from another page)."""
    params = {"session": session_id, "query": query_id}
    if run_ids:
        params["runs"] = ",".join(str(i) for i in run_ids)
    return "./matrix?" + urlencode(params)


def per_query_links(result, metric: str, session_id: int) -> pd.DataFrame:
    """`MetricsResult.wide(metric)` (query x run) with a `matrix` column linking each query's
    row to the Matrix page: each metric value leads to the rankings it was computed from."""
    wide = result.wide(metric).reset_index()
    wide.insert(1, "matrix", [matrix_link(session_id, q) for q in wide["query_id"]])
    return wide
