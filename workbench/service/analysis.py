"""Comparisons of a session's runs (Compare page, Matrix page, `workbench compare`)."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import InputError
from ..model import COMPARABLE_STATUSES
from .labels import labels_by_query


def load_rankings(store, *, run_ids: Sequence[int] | None = None, ranking_ids: Sequence[int] | None = None,
                  query_id: str | None = None, comparable: bool = True, scores: bool = True) -> list:
    """Rankings (`Run`, with their scores, best first) in two SQL statements, not one `load_run` each
    (what keeps Compare and Matrix fast on 1,000 queries x 100 documents x 5 runs): those of the runs
    `run_ids` (run ids, one configuration each) or the rankings `ranking_ids`, optionally only the
    ones of query `query_id`; `comparable` keeps finished ones (done, cancelled, imported). Oldest
    ranking first."""
    from sqlalchemy import select

    from ..model import Result
    from ..store import recovery
    from ..store import schema as tb

    g = tb.rankings
    stmt = store._rankings_select().order_by(g.c.id)
    if run_ids is not None:
        stmt = stmt.where(g.c.run_id.in_([int(i) for i in run_ids]))
    if ranking_ids is not None:
        stmt = stmt.where(g.c.id.in_([int(i) for i in ranking_ids]))
    if query_id is not None:
        stmt = stmt.where(g.c.query_id == str(query_id))
    if comparable:
        stmt = stmt.where(g.c.status.in_(list(COMPARABLE_STATUSES)))
    with store._read() as conn:
        rows = conn.execute(stmt).all()
        runs = {r.id: store._to_run(r) for r in rows}
        if not runs or not scores:
            return list(runs.values())
        sc = tb.scores
        # the scores of the rankings picked above, by the same filter, best first: one statement
        q = (select(sc.c.ranking_id, sc.c.doc_id, sc.c.score, sc.c.rank, sc.c.position)
             .select_from(sc.join(g, g.c.id == sc.c.ranking_id).join(tb.runs, tb.runs.c.id == g.c.run_id))
             .order_by(sc.c.ranking_id, sc.c.rank, sc.c.doc_id))
        if stmt.whereclause is not None:
            q = q.where(stmt.whereclause)
        current, bucket = None, None
        for rid, doc, score, rank, pos in conn.execute(q).tuples():
            if rid != current:
                current, bucket = rid, runs[rid].scores
            bucket.append(Result(doc, score, rank, pos))
    for run in runs.values():
        if any(s.rank is None for s in run.scores):          # unranked (in flight) last, as load_run
            run.scores.sort(key=lambda s: (s.rank is None, s.rank or 0, s.doc_id))
        if recovery.has_rank_gaps(run.scores):
            run.scores = recovery.normalise_ranks(run.scores)
    return list(runs.values())


def session_labels(store, session, source: str = "adjudicated", set_ids=None) -> dict[str, dict[str, int]]:
    """`labels_by_query` of a session's sets (or `set_ids` of it) in three statements, the same
    rules as `store.metric_labels` (models' grades left out, the people's majority, the
    adjudicated grade over it; ``annotator:NAME``: that annotator's)."""
    from sqlalchemy import select

    from ..store import schema as tb
    from ..store.labels import majority, parse_source

    info = store.get_session(session)
    kind, name = parse_source(source)
    lab, cs, adj = tb.labels, tb.candidate_sets, tb.adjudications
    wanted = {int(i) for i in set_ids} if set_ids is not None else None
    query_of = {s.id: str(s.query_id) for s in store.list_candidate_sets(info.id)
                if wanted is None or s.id in wanted}
    per: dict[tuple[int, str], list[int]] = {}
    with store._read() as conn:
        stmt = (select(lab.c.set_id, lab.c.doc_id, lab.c.annotator, lab.c.grade)
                .select_from(lab.join(cs, cs.c.id == lab.c.set_id)).where(cs.c.session_id == info.id))
        if kind == "annotator":
            stmt = stmt.where(lab.c.annotator == name)
            models: set[str] = set()
        else:
            models = store._models(conn)
        for sid, doc, who, grade in conn.execute(stmt):
            if sid in query_of and who not in models:
                per.setdefault((sid, doc), []).append(int(grade))
        grades = ({k: int(v[-1]) for k, v in per.items()} if kind == "annotator"
                  else {k: majority(v) for k, v in per.items()})
        if kind == "adjudicated":
            for sid, doc, grade in conn.execute(
                    select(adj.c.set_id, adj.c.doc_id, adj.c.grade).select_from(adj.join(cs, cs.c.id == adj.c.set_id))
                    .where(cs.c.session_id == info.id)):
                if sid in query_of:
                    grades[(sid, doc)] = int(grade)
    out: dict[str, dict[str, int]] = {}
    for (sid, doc), grade in grades.items():
        if grade is not None:
            out.setdefault(query_of[sid], {})[doc] = grade
    return out


def compare_session_runs(store, session, run_ids: Sequence[int], k: int = 10, *, query_id: str | None = None,
                         labels_source: str = "adjudicated", **kwargs):
    """`workbench.compare.compare_session` over whole RUNS of a session (run ids from
    `store.list_run_infos`: one configuration over many queries), metrics averaged over the
    session's queries; `query_id` narrows it to one query (a filter, not the unit). The first
    run is the baseline unless `baseline` (a run name) says otherwise. Scores are loaded in a
    few statements (`load_rankings`)."""
    from .. import compare

    info = store.get_session(session)
    if not run_ids:
        raise InputError.coded("runs.none_picked")
    if k < 1:
        raise InputError.coded("runs.bad_k", {"k": k})
    mine = {r.id: r for r in store.list_run_infos(info.id)}
    foreign = [int(r) for r in run_ids if int(r) not in mine]
    if foreign:
        raise InputError.coded("runs.not_in_session", {"runs": ", ".join(map(str, foreign)), "session": info.name})
    order = {int(r): n for n, r in enumerate(run_ids)}
    rankings = load_rankings(store, run_ids=list(order), query_id=query_id)
    if not rankings:
        from ..errors import NotFound

        raise NotFound.coded("runs.none_finished", {"session": info.name})
    rankings.sort(key=lambda g: (order[g.run_id], g.id))       # runs in the order picked
    set_ids = {g.set_id for g in rankings} if query_id is not None else None
    labels = session_labels(store, info.id, labels_source, set_ids)
    return compare.compare_session(rankings, labels=labels or None, k=k, **kwargs)


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
    wanted = [int(r) for r in run_ids]
    loaded = {r.id: r for r in load_rankings(store, ranking_ids=wanted, comparable=False)}
    missing = [r for r in wanted if r not in loaded]
    if missing:
        store.load_run(missing[0])                 # NotFound, worded as ever
    runs = [loaded[r] for r in wanted]
    labels = labels_by_query(store, sorted({r.set_id for r in runs if r.set_id is not None}), labels_source)
    return compare.compare_session(runs, labels=labels or None, k=k, **kwargs)


def session_query_ids(store, session, run_ids: Sequence[int] | None = None) -> list[str]:
    """The query ids with a finished ranking in the session (or in the runs `run_ids`), in the order
    their sets were stored: cheap metadata (one statement, no scores)."""
    from sqlalchemy import func, select

    from ..store import schema as tb

    info = store.get_session(session)
    g, r, cs = tb.rankings, tb.runs, tb.candidate_sets
    stmt = (select(g.c.query_id).select_from(g.join(r, r.c.id == g.c.run_id).join(cs, cs.c.id == g.c.set_id))
            .where(r.c.session_id == info.id, g.c.status.in_(list(COMPARABLE_STATUSES)))
            .group_by(g.c.query_id).order_by(func.min(g.c.set_id)))
    if run_ids is not None:
        stmt = stmt.where(g.c.run_id.in_([int(i) for i in run_ids]))
    with store._read() as conn:
        return [str(q) for q in conn.execute(stmt).scalars()]


def query_matrix(store, session, query_id: str | None = None, *, run_ids: Sequence[int] | None = None,
                 baseline: int | str = 0, k: int | None = None, runs: Sequence[int] | None = None,
                 labels_source: str = "adjudicated"):
    """The instruction x document matrix of one query of a session (`workbench.compare.matrix`).

    Columns: the session's runs (or the runs `runs`: run ids, or the rankings `run_ids`: ranking
    ids of any query, standing for their runs), the newest finished ranking of each for the
    query. Only that query's rankings are loaded. `query_id` None = the first query. Returns
    ``(MatrixView, query_ids)``, the second being every query of the session with rankings of
    those runs, in order, for stepping. The label column follows `labels_source` (adjudicated,
    majority or annotator:NAME; as Compare), with the default annotator's notes. Raises NotFound
    when the session has no runs,
    InputError for an unknown query id or runs of another session.
    """
    from ..compare import DEFAULT_SHIFT_K, group_runs, matrix_frame
    from ..errors import NotFound

    info = store.get_session(session)
    infos = {r.id: r for r in store.list_run_infos(info.id)}
    if run_ids:
        picked = load_rankings(store, ranking_ids=list(run_ids), comparable=False)
        found = {g.id: g for g in picked}
        foreign = [int(i) for i in run_ids if int(i) not in found or found[int(i)].run_id not in infos]
        if foreign:
            raise InputError.coded("runs.not_in_session", {"runs": ", ".join(map(str, foreign)),
                                                           "session": info.name})
        runs = list(dict.fromkeys(found[int(i)].run_id for i in run_ids))
    elif runs:
        foreign = [int(i) for i in runs if int(i) not in infos]
        if foreign:
            raise InputError.coded("runs.not_in_session", {"runs": ", ".join(map(str, foreign)),
                                                           "session": info.name})
        runs = [int(i) for i in runs]
    else:
        runs = list(infos)
    queries = session_query_ids(store, info.id, runs) if runs else []
    if not queries:
        raise NotFound.coded("runs.none_finished", {"session": info.name})
    qid = queries[0] if query_id is None else str(query_id)
    if qid not in queries:
        raise InputError.coded("runs.no_runs_for_query", {"session": info.name, "query": qid,
                                                          "valid": ", ".join(queries[:10])})
    order = {r: n for n, r in enumerate(runs)}
    rankings = sorted(load_rankings(store, run_ids=runs, query_id=qid), key=lambda g: (order[g.run_id], g.id))
    chosen = group_runs(rankings).for_query(qid)
    set_id = chosen[0].set_id
    cset = store.load_candidate_set(set_id) if set_id is not None else None
    labels = {}
    if set_id is not None:
        from ..model import Label

        notes = store.get_labels(set_id)
        labels = {d: Label(qid, d, int(g), notes[d].note if d in notes else "")
                  for d, g in store.metric_labels(set_id, labels_source).items()}
    view = matrix_frame(chosen, cset, labels, baseline=baseline, k=k or DEFAULT_SHIFT_K)
    return view, queries


def session_run_ids(store, session) -> list[int]:
    """Ids of a session's runs that can be compared (done, cancelled or imported), oldest first."""
    info = store.get_session(session)
    return [r.id for r in store.list_runs(session_id=info.id) if r.status in COMPARABLE_STATUSES]


def comparison_tables(result, only: str | None = None) -> dict[str, "object"]:
    """Every table of a SessionComparison as a DataFrame, ready for CSV export.

    Keys: ``metrics`` (runs × metrics; only with labels), ``per_query_metrics``,
    ``significance``, ``rank_shifts`` (every query's rank table, with a query_id column),
    ``correlations``, ``discrimination``. ``only``: just that table (the rank shifts of 1,000
    queries are built only when asked for); an empty frame when the comparison has none.
    """
    import pandas as pd

    if only == "rank_shifts":
        frame = (pd.concat([t.assign(query_id=q)[["query_id", *t.columns]] for q, t in result.rank_tables.items()],
                           ignore_index=True) if result.rank_tables else pd.DataFrame())
        return {only: frame}
    out: dict[str, pd.DataFrame] = {}
    if result.metrics is not None:
        out["metrics"] = result.metrics.table.reset_index()
        out["per_query_metrics"] = result.metrics.per_query
    if result.significance is not None and len(result.significance):
        out["significance"] = result.significance
    if result.rank_tables and only is None:
        out["rank_shifts"] = pd.concat(
            [t.assign(query_id=q)[["query_id", *t.columns]] for q, t in result.rank_tables.items()],
            ignore_index=True)
    pairs = result.correlations.pairs
    if pairs is not None and len(pairs):
        out["correlations"] = pairs
    out["discrimination"] = result.discrimination
    if only is not None:
        return {only: out.get(only, pd.DataFrame())}
    return out


def runs_by_label_source(store, session, run_ids: Sequence[int], k: int = 10, *, metric: str | None = None,
                         sources: Sequence[str] | None = None, query_id: str | None = None):
    """How the ranking of runs changes with whose labels the metric rests on (team mode).

    One row per run (in the order picked), and for each labels source (default: adjudicated,
    majority, then ``annotator:NAME`` for every person who graded in the session) two columns:
    the metric's session mean (``<source>``) and the run's place under it (``<source> rank``,
    1 = best; ties share the better place). ``metric`` defaults to NDCG@k. The rankings are
    loaded once; only the labels change between columns.
    """
    import pandas as pd

    from .. import compare
    from ..compare.runs import run_label

    info = store.get_session(session)
    if not run_ids:
        raise InputError.coded("runs.none_picked")
    if k < 1:
        raise InputError.coded("runs.bad_k", {"k": k})
    metric = metric or f"NDCG@{k}"
    if sources is None:
        kinds = store.annotator_kinds()
        from .annotators import session_grades

        people = sorted({a for a in session_grades(store, info.id)["annotator"] if kinds.get(a) != "model"})
        sources = ["adjudicated", "majority", *(f"annotator:{p}" for p in people)]
    order = {int(r): n for n, r in enumerate(run_ids)}
    rankings = load_rankings(store, run_ids=list(order), query_id=query_id)
    if not rankings:
        from ..errors import NotFound

        raise NotFound.coded("runs.none_finished", {"session": info.name})
    rankings.sort(key=lambda g: (order[g.run_id], g.id))
    names: list[str] = []
    for g in rankings:
        if run_label(g) not in names:
            names.append(run_label(g))
    set_ids = {g.set_id for g in rankings} if query_id is not None else None
    frame = pd.DataFrame(index=pd.Index(names, name="run"))
    for source in sources:
        labels = session_labels(store, info.id, source, set_ids)
        values = pd.Series(float("nan"), index=frame.index)
        if labels:
            table = compare.metrics(rankings, labels, k).table
            if metric not in table.columns:
                raise InputError.coded("runs.bad_metric", {"metric": metric, "valid": ", ".join(map(str, table.columns))})
            values = table[metric].reindex(frame.index)
        frame[source] = values
        frame[f"{source} rank"] = values.rank(ascending=False, method="min").astype("Int64")
    return frame
