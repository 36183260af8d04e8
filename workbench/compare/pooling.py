"""Labelling what matters first: TREC pooling and Judged@k.

Pure functions over *rankings*, whatever stores them: ``{run_label: {query_key: [doc_id, ...]}}``
(each list best first) and labels ``{query_key: {doc_id: grade}}``. Thin adapters build rankings
from what the compare layer holds (:func:`rankings_from_runs`: a ``RunGroups``, a
``{label: {query: Run}}`` dict or a list of runs).

**Pooling** (as TREC builds its judgement pools): the pool of a query at depth k is the union of
the top k documents of the chosen runs. :func:`pool_order` puts a query's documents in the order
they are worth judging: by their best rank in any chosen run (rank 1 of every run, then rank 2,
…; ties in run order), so the first ``pool_size`` documents are exactly the depth-k pool and the
order goes on deeper after it; documents no chosen run ranked follow in their candidate order.

**Judged@k**: the share of a run's top k that carries a label (any grade, 0 included), per query;
a metric computed on a run whose top k is mostly unjudged counts unjudged documents as not
relevant and so reads lower (or differently) than it would with judgements — the number to watch
before trusting NDCG@k and friends. :func:`judged_at_k` gives, per run, the mean over queries and
the number of queries below a threshold (default :data:`JUDGED_WARN`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from ..errors import InputError

Rankings = Mapping[str, Mapping[str, Sequence[str]]]     # run label -> query key -> doc ids, best first
Grades = Mapping[str, Mapping[str, object]]              # query key -> doc id -> grade (or Label)

DEFAULT_DEPTH = 10
JUDGED_WARN = 0.5        # Judged@k below this: the metric rests on too few judgements


# --------------------------------------------------------------------------- adapters

def rankings_from_runs(runs, labels_of: Iterable[str] | None = None) -> dict[str, dict[str, list[str]]]:
    """``{label: {query_key: [doc_id, ...]}}`` from a RunGroups, a ``{label: {query: Run}}`` dict or a
    list of Runs (grouped as :func:`workbench.compare.group_runs` does). `labels_of`: keep these run
    labels only (in that order)."""
    from .runs import _as_groups, ordered_doc_ids

    groups = _as_groups(runs)
    wanted = list(labels_of) if labels_of is not None else groups.labels
    return {lab: {q: ordered_doc_ids(run) for q, run in groups.runs[lab].items()}
            for lab in wanted if lab in groups.runs}


def _judged_ids(labels: Grades, query: str) -> set[str]:
    per = labels.get(query) or labels.get(str(query)) or {}
    return {str(d) for d, g in per.items() if getattr(g, "grade", g) is not None}


def _chosen(rankings: Rankings, runs: Iterable[str] | None) -> list[str]:
    return [r for r in (list(runs) if runs is not None else list(rankings)) if r in rankings]


def query_keys(rankings: Rankings, runs: Iterable[str] | None = None) -> list[str]:
    """Every query key of the chosen runs, in first-seen order."""
    seen: dict[str, None] = {}
    for r in _chosen(rankings, runs):
        for q in rankings[r]:
            seen.setdefault(str(q), None)
    return list(seen)


# --------------------------------------------------------------------------- pooling

def _best_ranks(rankings: Rankings, query: str, runs: list[str]) -> dict[str, tuple[int, int]]:
    """doc id -> (best rank, index of the first chosen run that gives it that rank)."""
    best: dict[str, tuple[int, int]] = {}
    for ri, r in enumerate(runs):
        for rank, d in enumerate(rankings[r].get(query) or (), 1):
            d = str(d)
            if d not in best or (rank, ri) < best[d]:
                best[d] = (rank, ri)
    return best


def pool(rankings: Rankings, query: str, depth: int, runs: Iterable[str] | None = None) -> list[str]:
    """The depth-`depth` pool of one query: the documents in the top `depth` of any chosen run, in
    pool order (rank 1 of each run in run order, then rank 2, …)."""
    if depth < 1:
        raise InputError.coded("pool.bad_depth", {"depth": depth})
    best = _best_ranks(rankings, str(query), _chosen(rankings, runs))
    return [d for d, (rank, _) in sorted(best.items(), key=lambda kv: kv[1]) if rank <= depth]


def pool_order(rankings: Rankings, query: str, depth: int, runs: Iterable[str] | None = None,
               candidates: Sequence[str] | None = None) -> list[str]:
    """A query's documents in the order worth judging: the depth-`depth` pool first (pool order),
    then the rest by their best rank in any chosen run, then `candidates` no chosen run ranked (in
    their own order). Only `candidates` are returned when they are given."""
    pooled = pool(rankings, query, depth, runs)
    best = _best_ranks(rankings, str(query), _chosen(rankings, runs))
    deeper = [d for d, (rank, _) in sorted(best.items(), key=lambda kv: kv[1]) if rank > depth]
    order = pooled + deeper
    if candidates is None:
        return order
    known = {str(c) for c in candidates}
    ranked = [d for d in order if d in known]
    seen = set(ranked)
    return ranked + [str(c) for c in dict.fromkeys(candidates) if str(c) not in seen]


def pool_frame(rankings: Rankings, labels: Grades, depth: int, runs: Iterable[str] | None = None,
               queries: Iterable[str] | None = None) -> pd.DataFrame:
    """Per query: ``query_id, pool, judged, unjudged`` (documents of the depth-`depth` pool of the
    chosen runs; judged = with a label of any grade). `queries`: these query keys (default: every
    query the chosen runs rank)."""
    qs = [str(q) for q in queries] if queries is not None else query_keys(rankings, runs)
    rows = []
    for q in qs:
        pooled = pool(rankings, q, depth, runs)
        judged = _judged_ids(labels, q)
        n_judged = sum(d in judged for d in pooled)
        rows.append((q, len(pooled), n_judged, len(pooled) - n_judged))
    return pd.DataFrame(rows, columns=["query_id", "pool", "judged", "unjudged"])


def pool_summary(frame: pd.DataFrame) -> dict[str, int]:
    """Totals of a :func:`pool_frame`: pool documents, judged, unjudged, queries with unjudged ones."""
    return {"pool": int(frame["pool"].sum()), "judged": int(frame["judged"].sum()),
            "unjudged": int(frame["unjudged"].sum()), "queries": len(frame),
            "queries_open": int((frame["unjudged"] > 0).sum())}


# --------------------------------------------------------------------------- Judged@k

def judged_share(order: Sequence[str], judged: set[str], k: int) -> float:
    """Share of the top `k` of `order` that is judged (NaN for an empty ranking)."""
    top = [str(d) for d in order[:k]]
    return sum(d in judged for d in top) / len(top) if top else float("nan")


def judged_at_k(rankings: Rankings, labels: Grades, k: int = 10, *, threshold: float = JUDGED_WARN,
                runs: Iterable[str] | None = None, queries: Iterable[str] | None = None) -> pd.DataFrame:
    """Per run (index ``run``): ``Judged@k`` (mean over its queries of the judged share of its top
    k), ``n_queries``, ``n_below`` (queries whose share is below `threshold`) and ``min`` (the
    lowest share). `queries`: only these query keys (e.g. those a metric is computed on)."""
    if k < 1:
        raise InputError.coded("pool.bad_k", {"k": k})
    only = {str(q) for q in queries} if queries is not None else None
    rows = []
    for r in _chosen(rankings, runs):
        shares = [judged_share(order, _judged_ids(labels, str(q)), k)
                  for q, order in rankings[r].items() if only is None or str(q) in only]
        shares = [s for s in shares if s == s]            # NaN: an empty ranking says nothing
        mean = sum(shares) / len(shares) if shares else float("nan")
        rows.append({"run": r, f"Judged@{k}": mean, "n_queries": len(shares),
                     "n_below": sum(s < threshold for s in shares),
                     "min": min(shares) if shares else float("nan")})
    return pd.DataFrame(rows, columns=["run", f"Judged@{k}", "n_queries", "n_below", "min"]).set_index("run")


def judged_warnings(judged: pd.DataFrame, k: int, metric: str | None = None,
                    threshold: float = JUDGED_WARN) -> list[str]:
    """One sentence per run whose mean Judged@k is below `threshold`, in the UI's language: which
    metric rests on how few judgements, and what to do (the Label page, ordered by pool)."""
    from ..i18n import t

    metric = metric or f"NDCG@{k}"
    out = []
    for run, row in judged.iterrows():
        share = row[f"Judged@{k}"]
        if share != share or share >= threshold:
            continue
        out.append(t("compare.judged_warning", metric=metric, run=str(run), share=f"{share:.0%}", k=k,
                     below=int(row["n_below"]), queries=int(row["n_queries"]), threshold=f"{threshold:.0%}"))
    return out
