"""Links from the Compare page's metrics to the per-query matrix behind them (no Streamlit here).

A link carries the session, the query, the compared runs (ids) and the baseline run (an id):

    ./matrix?session=3&query=q7&runs=40,41,42&baseline=40

The Matrix page reads `runs` and `baseline` from such a link once (see pages/matrix_page.py):
those runs become its columns and that run its baseline.

Also the Matrix's own links, to the Label page (`label_link`: the query's own set and the row's
document), and the Matrix grid's layout (column widths in pixels, row height): the page draws
with them and the browser tests click a row's link with them."""

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


# The Matrix grid: the document, its label, the link to label it and the reason first (the doc and
# the label pinned), then per run its cell and its shift, the document's text last. Rows taller
# than 4 rem (64 px) let the grid wrap the reason and the text instead of cutting them.
MATRIX_WIDTHS = {"thumbnail": 100, "doc_id": 110, "label": 60, "label_it": 80, "why": 400, "run": 120,
                 "shift": 90, "text": 400}
MATRIX_ROW_HEIGHT = 88
MATRIX_HEADER_HEIGHT = 35
MATRIX_MAX_ROWS_SHOWN = 8


def matrix_height(n_rows: int) -> int:
    """The grid's height: every row up to MATRIX_MAX_ROWS_SHOWN, then it scrolls."""
    return MATRIX_HEADER_HEIGHT + MATRIX_ROW_HEIGHT * max(1, min(n_rows, MATRIX_MAX_ROWS_SHOWN)) + 3


def label_link(session_id: int, set_id: int, doc_id: str) -> str:
    """Relative URL of the Label page opened on one document of one candidate set (in a new tab,
    in the language it was followed from)."""
    return "./label?" + urlencode({"session": str(session_id), "set": str(set_id), "doc": str(doc_id),
                                   "lang": i18n.get_language()})


def matrix_link(session_id: int, query_id: str, run_ids=None, baseline: int | None = None) -> str:
    """Relative URL of the Matrix page for one query of a session (opened from another page)."""
    return "./matrix?" + urlencode(matrix_params(session_id, query_id, run_ids, baseline))


def per_query_links(result, metric: str, session_id: int, run_ids=None, baseline: int | None = None) -> pd.DataFrame:
    """`MetricsResult.wide(metric)` (query x run) with a `matrix` column linking each query's
    row to the Matrix page: each metric value leads to the rankings it was computed from."""
    wide = result.wide(metric).reset_index()
    wide.insert(1, "matrix", [matrix_link(session_id, q, *for_query(run_ids, baseline, q)) for q in wide["query_id"]])
    return wide


def for_query(run_ids, baseline, query_id: str):
    """(rankings, baseline ranking) of a link to one query: `run_ids` and `baseline` are either the
    same for every query or mappings ``query_id -> ids`` / ``query_id -> id`` (a run over 1,000
    queries links each query with its own few rankings, not all 5,000)."""
    from collections.abc import Mapping

    ids = run_ids.get(str(query_id)) if isinstance(run_ids, Mapping) else run_ids
    base = baseline.get(str(query_id)) if isinstance(baseline, Mapping) else baseline
    return ids, base
