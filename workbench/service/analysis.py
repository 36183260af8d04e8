"""Comparisons of a session's runs (Compare page, Matrix page, `workbench compare`)."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import InputError
from ..model import COMPARABLE_STATUSES
from .labels import labels_by_query


def compare_runs(store, run_ids: Sequence[int], k: int = 10, *, labels_source: str = "adjudicated", **kwargs):
    """`workbench.compare.compare_session` over stored runs, with the labels of their sets
    (`labels_source`: adjudicated, majority or annotator:NAME, see service.labels_by_query).

    The first run's label is the baseline (rank shifts, win/loss). Extra keyword
    arguments go to compare_session (baseline, metric, n_resamples, seed).
    """
    from .. import compare
    from ..errors import InputError

    if not run_ids:
        raise InputError.coded("runs.none_picked")
    if k < 1:
        raise InputError.coded("runs.bad_k", {"k": k})
    runs = [store.load_run(int(r)) for r in run_ids]
    labels = labels_by_query(store, sorted({r.set_id for r in runs if r.set_id is not None}), labels_source)
    return compare.compare_session(runs, labels=labels or None, k=k, **kwargs)


def query_matrix(store, session, query_id: str | None = None, *, run_ids: Sequence[int] | None = None,
                 baseline: int | str = 0, k: int | None = None):
    """The instruction x document matrix of one query of a session (`workbench.compare.matrix`).

    Runs: the session's comparable runs (or `run_ids`), grouped by run label, the newest run of
    each label for the query. `query_id` None = the first query. Returns ``(MatrixView,
    query_ids)``, the second being every query of the session with runs, in order, for stepping.
    Raises NotFound when the session has no runs, InputError for an unknown query id.
    """
    from ..compare import DEFAULT_SHIFT_K, group_runs, matrix_frame
    from ..errors import NotFound

    info = store.get_session(session)
    ids = list(run_ids) if run_ids else session_run_ids(store, info.id)
    runs = [store.load_run(i) for i in ids]
    if run_ids:
        sets = {s.id for s in store.list_candidate_sets(info.id)}
        foreign = [r.id for r in runs if r.set_id not in sets]
        if foreign:
            raise InputError.coded("runs.not_in_session", {"runs": ", ".join(map(str, foreign)),
                                                           "session": info.name})
    if not runs:
        raise NotFound.coded("runs.none_finished", {"session": info.name})
    groups = group_runs(runs)
    queries = groups.query_ids
    qid = queries[0] if query_id is None else str(query_id)
    if qid not in queries:
        raise InputError.coded("runs.no_runs_for_query", {"session": info.name, "query": qid,
                                                          "valid": ", ".join(queries[:10])})
    chosen = groups.for_query(qid)
    set_id = chosen[0].set_id
    cset = store.load_candidate_set(set_id) if set_id is not None else None
    labels = store.get_labels(set_id) if set_id is not None else {}
    view = matrix_frame(chosen, cset, labels, baseline=baseline, k=k or DEFAULT_SHIFT_K)
    return view, queries


def session_run_ids(store, session) -> list[int]:
    """Ids of a session's runs that can be compared (done, cancelled or imported), oldest first."""
    info = store.get_session(session)
    return [r.id for r in store.list_runs(session_id=info.id) if r.status in COMPARABLE_STATUSES]


def comparison_tables(result) -> dict[str, "object"]:
    """Every table of a SessionComparison as a DataFrame, ready for CSV export.

    Keys: ``metrics`` (runs × metrics; only with labels), ``per_query_metrics``,
    ``significance``, ``rank_shifts`` (every query's rank table, with a query_id column),
    ``correlations``, ``discrimination``.
    """
    import pandas as pd

    out: dict[str, pd.DataFrame] = {}
    if result.metrics is not None:
        out["metrics"] = result.metrics.table.reset_index()
        out["per_query_metrics"] = result.metrics.per_query
    if result.significance is not None and len(result.significance):
        out["significance"] = result.significance
    if result.rank_tables:
        out["rank_shifts"] = pd.concat(
            [t.assign(query_id=q)[["query_id", *t.columns]] for q, t in result.rank_tables.items()],
            ignore_index=True)
    pairs = result.correlations.pairs
    if pairs is not None and len(pairs):
        out["correlations"] = pairs
    out["discrimination"] = result.discrimination
    return out
