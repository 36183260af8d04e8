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
the same deterministic order. ranx itself sorts by score with an unstable sort,
so its tie order is arbitrary; we therefore hand ranx strictly decreasing
pseudo-scores built from *our* order (:func:`ordered_doc_ids`).

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

ranx compiles its metrics with numba. Measured on the 2-core build machine: the
first call in a process costs ~1.5 s of import + ~1.7 s loading numba's on-disk
cache (3-7 s when the machine is busy), and ~13-17 s the very first time in a
fresh venv, when the cache is written. After that a 50-query session evaluates in
~20 ms. Call :func:`warm_up` once at app start (e.g. in a background thread) so
the Compare page never pays it. ``import workbench.compare`` itself does not
import ranx.
"""

from __future__ import annotations

import itertools
from collections import Counter
import math
import threading
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from .config import INSTRUCTION_TEMPLATES, PRECISE_SUFFIX
from .errors import InputError
from .model import Result, Run, unique_run_labels

Labels = Mapping[str, Mapping[str, int]]
RunsByLabel = dict[str, dict[str, Run]]

DEFAULT_K = 10
ALPHA = 0.05
MIN_QUERIES_FOR_WINNER = 5

# --------------------------------------------------------------------------- runs & groups


def run_label(run: Run) -> str:
    """Display label of a run: `Run.label` (the one home of run names)."""
    return run.label


def query_key(run: Run) -> str:
    """The query a run belongs to: ``query_id``, else ``set:<set_id>``, else ``run:<id>``."""
    if run.query_id is not None:
        return str(run.query_id)
    if run.set_id is not None:
        return f"set:{run.set_id}"
    return f"run:{run.id}"


def ordered_scores(run: Run) -> list[Result]:
    """Scores best first: by rank, then higher score, then doc id (deterministic ties)."""
    def key(s: Result):
        rank = s.rank if s.rank is not None else math.inf
        score = -s.score if s.score is not None and not math.isnan(s.score) else math.inf
        return (rank, score, str(s.doc_id))
    return sorted(run.scores, key=key)


def ordered_doc_ids(run: Run) -> list[str]:
    return [str(s.doc_id) for s in ordered_scores(run)]


def unique_labels(runs: Sequence[Run]) -> list[str]:
    """Labels for a list of runs, made unique with ``#id`` (or ``#n``) where two collide."""
    return unique_run_labels(runs)


@dataclass
class RunGroups:
    """Runs of a session grouped by run label: ``runs[label][query_id] -> Run``.

    ``replaced`` holds older runs of the same label and query that were superseded
    by a newer one (higher id, or later in the input) — shown, never silently lost.
    """

    runs: RunsByLabel
    replaced: list[Run] = field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        return list(self.runs)

    @property
    def query_ids(self) -> list[str]:
        seen: dict[str, None] = {}
        for per_q in self.runs.values():
            for q in per_q:
                seen.setdefault(q, None)
        return list(seen)

    def for_query(self, query_id: str) -> list[Run]:
        """The runs of one query, one per label (input for :func:`rank_table`)."""
        return [per_q[query_id] for per_q in self.runs.values() if query_id in per_q]

    def common_query_ids(self, labels: Iterable[str] | None = None) -> list[str]:
        labels = list(labels) if labels is not None else self.labels
        if not labels:
            return []
        common = set(self.runs[labels[0]])
        for lab in labels[1:]:
            common &= set(self.runs[lab])
        return [q for q in self.query_ids if q in common]

    @property
    def warnings(self) -> list[str]:
        return [f"Run {r.id} ('{run_label(r)}', query {query_key(r)}) was superseded by a newer "
                f"run with the same label; the newest one is compared." for r in self.replaced]


def group_runs(runs: Iterable[Run], key=run_label) -> RunGroups:
    """Group a session's runs by label (``key(run)``) and query.

    When one label has several runs for the same query (a re-run), the newest one
    (highest id; later in the input when ids are equal or missing) is compared and
    the others are listed in ``RunGroups.replaced``.
    """
    groups: RunsByLabel = {}
    replaced: list[Run] = []
    for run in runs:
        per_q = groups.setdefault(key(run), {})
        q = query_key(run)
        old = per_q.get(q)
        if old is not None:
            newer = (run.id or 0) >= (old.id or 0)
            replaced.append(old if newer else run)
            if not newer:
                continue
        per_q[q] = run
    return RunGroups(groups, replaced)


def _as_groups(runs) -> RunGroups:
    """RunGroups from RunGroups, a ``{label: {query_id: Run}}`` dict, or a list of runs.

    A list of runs of ONE query keeps every run (labels made unique, like the rank
    table); a list spanning several queries is grouped with :func:`group_runs`.
    """
    if isinstance(runs, RunGroups):
        return runs
    if isinstance(runs, Mapping):
        return RunGroups({str(k): dict(v) for k, v in runs.items()})
    runs = list(runs)
    qids = {query_key(r) for r in runs}
    if len(qids) == 1:
        return RunGroups({lab: {query_key(r): r} for lab, r in zip(unique_labels(runs), runs)})
    return group_runs(runs)


def _is_session(runs) -> bool:
    if isinstance(runs, (RunGroups, Mapping)):
        return True
    return len({query_key(r) for r in runs}) > 1


def _check_runs(runs: Sequence[Run], least: int = 1) -> None:
    if len(runs) < least:
        raise InputError(
            f"Comparison needs at least {least} run(s); got {len(runs)}.",
            "Rerank the candidate set with another instruction or backend first, then compare.",
        )


# --------------------------------------------------------------------------- rank table


def rank_table(runs: Sequence[Run], baseline: int | str = 0) -> pd.DataFrame:
    """Per-document rank and score in every run of ONE query, with the shift vs a baseline.

    Columns: ``doc_id``, then per run ``<label> rank``, ``<label> score``, and for every
    non-baseline run ``<label> shift`` = baseline rank − run rank (positive: the run moved
    the document up), then ``max |shift|`` and ``changed`` (True when any run places the
    document elsewhere than the baseline, or lacks it). Rows follow the baseline order;
    documents missing from the baseline come last. ``baseline`` is an index into
    ``runs`` or a label; default the first run. Ranks are positions in the run's order
    (see the module doc), so ties are broken the same way everywhere.
    """
    runs = list(runs)
    _check_runs(runs)
    if len({query_key(r) for r in runs}) > 1:
        raise InputError(
            "A rank table compares runs of one query, but these runs belong to "
            f"{len({query_key(r) for r in runs})} different queries.",
            "Pick one query first, e.g. group_runs(runs).for_query(query_id).")
    labels = unique_labels(runs)
    b = _baseline_index(labels, baseline)
    order = [b] + [i for i in range(len(runs)) if i != b]
    ranked = [ordered_scores(runs[i]) for i in order]
    # rows: baseline order first, then documents only other runs have (first seen)
    doc_ids: dict[str, None] = {}
    for scores in ranked:
        for s in scores:
            doc_ids.setdefault(str(s.doc_id), None)
    docs = list(doc_ids)
    pos = {d: i for i, d in enumerate(docs)}
    n = len(docs)
    cols: dict[str, object] = {"doc_id": docs}
    rank_arrays = []
    for i, scores in zip(order, ranked):
        rank = np.zeros(n, dtype=np.int64)
        score = np.full(n, np.nan)
        for r, s in enumerate(scores, start=1):
            j = pos[str(s.doc_id)]
            rank[j] = r
            score[j] = s.score
        rank_arrays.append(rank)
        cols[f"{labels[i]} rank"] = pd.array(np.where(rank > 0, rank, 0), dtype="Int64")
        cols[f"{labels[i]} rank"][rank == 0] = pd.NA
        cols[f"{labels[i]} score"] = score
    base = rank_arrays[0]
    missing_any = np.zeros(n, dtype=bool)
    max_abs = np.zeros(n, dtype=np.int64)
    for i, rank in zip(order[1:], rank_arrays[1:]):
        missing = (rank == 0) | (base == 0)
        shift = base - rank
        col = pd.array(shift, dtype="Int64")
        col[missing] = pd.NA
        cols[f"{labels[i]} shift"] = col
        missing_any |= missing
        max_abs = np.maximum(max_abs, np.where(missing, 0, np.abs(shift)))
    cols["max |shift|"] = pd.array(max_abs, dtype="Int64")
    cols["changed"] = (max_abs != 0) | missing_any
    return pd.DataFrame(cols)


def rank_shift_long(runs: Sequence[Run], baseline: int | str = 0) -> pd.DataFrame:
    """Long-form rank view of ONE query for a slope/bump chart.

    Columns: ``doc_id, run, rank, score, shift, changed`` (one row per document × run;
    ``shift`` vs the baseline run, 0 for the baseline itself).
    """
    table = rank_table(runs, baseline)
    labels = unique_labels(runs)
    b = _baseline_index(labels, baseline)
    rows = []
    for lab in labels:
        part = pd.DataFrame({
            "doc_id": table["doc_id"],
            "run": lab,
            "rank": table[f"{lab} rank"],
            "score": table[f"{lab} score"],
            "shift": table[f"{lab} shift"] if lab != labels[b] else pd.array([0] * len(table), dtype="Int64"),
            "changed": table["changed"],
        })
        rows.append(part.dropna(subset=["rank"]))
    return pd.concat(rows, ignore_index=True)


def _baseline_index(labels: list[str], baseline: int | str) -> int:
    if isinstance(baseline, str):
        if baseline not in labels:
            raise InputError(f"Baseline run '{baseline}' is not among the compared runs.",
                             f"Pick one of: {', '.join(labels)}.")
        return labels.index(baseline)
    if not -len(labels) <= baseline < len(labels):
        raise InputError(f"Baseline run number {baseline} is out of range.",
                         f"Pick a number from 0 to {len(labels) - 1}.")
    return baseline % len(labels)


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
        t = stats.kendalltau(x, y, variant="b", method="auto" if exact else "asymptotic")
        tau, tau_p = float(t.statistic), float(t.pvalue)
        if pvalues:
            r = stats.spearmanr(x, y)
            rho, rho_p = float(r.statistic), float(r.pvalue)
        else:
            # Spearman's rho is Pearson's r on average ranks (what spearmanr computes)
            rho = float(np.corrcoef(stats.rankdata(x), stats.rankdata(y))[0, 1])
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


# --------------------------------------------------------------------------- discrimination

REMEDIES = (
    "Use a scenario-specific instruction instead of a generic one (e.g. the "
    f"e-commerce template: \"{INSTRUCTION_TEMPLATES['e-commerce']}\").",
    "Give the model more concrete documents: add the OCR text, a product description or "
    "key attributes so each document carries evidence to judge.",
    f"Append \"{PRECISE_SUFFIX}\" to the instruction (the 'Be precise' option).",
)

# Thresholds of the "scores barely discriminate" rule (see `discrimination`).
MID_LOW, MID_HIGH = 0.4, 0.6
MAX_SHARE_MID = 0.5
MIN_STD = 0.05
MIN_IQR = 0.1
MAX_SHARE_TIED = 0.5
MIN_DOCS = 3


@dataclass
class Discrimination:
    """How well one run's scores separate its documents."""

    label: str
    query_id: str
    n: int
    std: float
    iqr: float
    top1_minus_median: float
    share_mid: float | None          # share of scores in [0.4, 0.6]; None unless probabilities
    share_tied: float                # largest share of documents sharing one exact score
    probabilistic: bool              # all scores within [0, 1]
    flagged: bool
    reasons: list[str] = field(default_factory=list)

    @property
    def remedies(self) -> list[str]:
        return list(REMEDIES) if self.flagged else []

    @property
    def message(self) -> str:
        if not self.flagged:
            return ""
        return ("Scores barely discriminate: " + "; ".join(self.reasons) + ". Try: "
                + " ".join(f"({i}) {r}" for i, r in enumerate(REMEDIES, 1)))


def discrimination(run: Run, label: str | None = None) -> Discrimination:
    """Spread statistics of one run's scores and the "scores barely discriminate" flag.

    Statistics: population std, interquartile range (Q3 − Q1), top-1 score minus the
    median, share of scores in [0.4, 0.6], and the largest share of documents that
    share one exact score.

    The rule (only with at least 3 scored documents). A run is flagged when:

    * **share tied ≥ 0.5** (any scale): half the candidates got one identical score, so
      their order is arbitrary — e.g. BM25 giving 0 to every document without a query term.
    * Only when every score lies in [0, 1] (a probability such as Lychee's P(yes)):
      - **share in [0.4, 0.6] ≥ 0.5**: the model is unsure about half the candidates; a
        coin-flip band that wide means the instruction does not tell it what to look for;
      - **std < 0.05**: all scores sit within a few points of each other, so small input
        noise (OCR errors, image resizing) can reorder the list;
      - **IQR < 0.1**: the middle half of the list is packed into under a tenth of the
        probability scale — the ranking of the bulk is not trustworthy even if one
        outlier keeps std up.

    These thresholds are on the probability scale, so they would misfire on BM25 or
    other unbounded scores; those only get the scale-free tie rule. A uniform spread over
    [0, 1] has std ≈ 0.29, IQR ≈ 0.5 and share-mid ≈ 0.2, far from every threshold.
    """
    lab = label if label is not None else run_label(run)
    x = np.array([s.score for s in run.scores if s.score is not None], dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return Discrimination(lab, query_key(run), 0, float("nan"), float("nan"), float("nan"),
                              None, float("nan"), False, False, [])
    std = float(np.std(x))
    q1, med, q3 = np.percentile(x, [25, 50, 75])
    iqr = float(q3 - q1)
    top1 = float(np.max(x) - med)
    probabilistic = bool(np.all((x >= 0) & (x <= 1)))
    share_mid = float(np.mean((x >= MID_LOW) & (x <= MID_HIGH))) if probabilistic else None
    _, counts = np.unique(x, return_counts=True)
    share_tied = float(counts.max() / n)
    reasons: list[str] = []
    if n >= MIN_DOCS:
        if share_tied >= MAX_SHARE_TIED:
            reasons.append(f"{share_tied:.0%} of documents share one identical score")
        if probabilistic:
            if share_mid >= MAX_SHARE_MID:
                reasons.append(f"{share_mid:.0%} of scores lie between {MID_LOW} and {MID_HIGH}")
            if std < MIN_STD:
                reasons.append(f"standard deviation {std:.3f} < {MIN_STD}")
            if iqr < MIN_IQR:
                reasons.append(f"interquartile range {iqr:.3f} < {MIN_IQR}")
    return Discrimination(lab, query_key(run), n, std, iqr, top1, share_mid, share_tied,
                          probabilistic, bool(reasons), reasons)


def _labelled_runs(runs) -> list[tuple[str, Run]]:
    groups = _as_groups(runs)
    return [(lab, r) for lab, per_q in groups.runs.items() for r in per_q.values()]


def discrimination_table(runs) -> pd.DataFrame:
    """One row per run (per query for a session): the statistics, ``flagged``,
    ``reasons`` and ``remedies`` as text. Accepts a list of runs or a session."""
    items = _labelled_runs(runs)
    rows = []
    for lab, run in items:
        d = discrimination(run, lab)
        rows.append({
            "run": d.label, "query_id": d.query_id, "n": d.n, "std": d.std, "iqr": d.iqr,
            "top1_minus_median": d.top1_minus_median,
            "share_mid": np.nan if d.share_mid is None else d.share_mid,
            "share_tied": d.share_tied, "probabilistic": d.probabilistic, "flagged": d.flagged,
            "reasons": "; ".join(d.reasons), "remedies": " ".join(d.remedies),
        })
    return pd.DataFrame(rows, columns=["run", "query_id", "n", "std", "iqr", "top1_minus_median",
                                       "share_mid", "share_tied", "probabilistic", "flagged",
                                       "reasons", "remedies"])


def discrimination_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per run: queries, queries flagged, share flagged, mean std/IQR/share_mid."""
    g = table.groupby("run", sort=False)
    out = pd.DataFrame({
        "n_queries": g.size(),
        "n_flagged": g["flagged"].sum().astype(int),
        "mean_std": g["std"].mean(),
        "mean_iqr": g["iqr"].mean(),
        "mean_share_mid": g["share_mid"].mean(),
    })
    out.insert(2, "share_flagged", out["n_flagged"] / out["n_queries"])
    return out.reset_index()


def score_distribution(runs) -> pd.DataFrame:
    """Altair-ready long frame of all scores: ``run, query_id, doc_id, score, rank``
    (e.g. ``alt.Chart(df).mark_boxplot().encode(x="run", y="score")``)."""
    items = _labelled_runs(runs)
    rows = [(lab, query_key(r), str(s.doc_id), s.score, pos)
            for lab, r in items for pos, s in enumerate(ordered_scores(r), start=1)]
    return pd.DataFrame(rows, columns=["run", "query_id", "doc_id", "score", "rank"])


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
        import ranx  # noqa: PLC0415  (numba: imported lazily, it costs seconds)
        _ranx = ranx
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
        raise InputError(
            "No compared query has a document labelled relevant, so ranking metrics are undefined.",
            "Label at least one document per query as 1 (partly relevant) or 2 (relevant), "
            "or import TREC qrels whose query ids match the runs' query ids.",
        )
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


# --------------------------------------------------------------------------- significance


@dataclass
class PairedTest:
    """Paired comparison of run B against run A on one metric over their common queries.

    ``mean_diff`` = mean(B − A). ``p_ttest``: scipy.stats.ttest_rel (two-sided).
    ``p_permutation``: two-sided randomisation test (sign flips of the per-query
    differences, scipy.stats.permutation_test, seeded). NaN p-values mean "no
    variation at all" and are reported as 1.0.
    """

    run_a: str
    run_b: str
    metric: str
    n: int
    mean_a: float
    mean_b: float
    mean_diff: float
    t_stat: float
    p_ttest: float
    p_permutation: float
    wins: int        # queries where B > A
    losses: int      # queries where B < A
    ties: int

    @property
    def p_value(self) -> float:
        """The p-value the verdict uses: the randomisation test's (no normality assumed)."""
        return self.p_permutation


def sign_flip_pvalue(d, n_resamples: int = 10_000, seed: int = 0) -> float:
    """Two-sided paired randomisation test of mean(d) = 0 by sign flips.

    The same test and p-value convention as ``scipy.stats.permutation_test((d,),
    mean, permutation_type="samples")``: exact enumeration when 2**n <= n_resamples
    (p = share of the 2**n sign patterns at least as extreme), otherwise n_resamples
    seeded random flips with the (count + 1) / (n_resamples + 1) correction;
    two-sided p = 2 * min(one-sided p), capped at 1. Written out with numpy because
    scipy's generic resampler costs ~40 ms a call against ~3 ms here (the session
    benchmark runs six of them); tests/test_compare.py checks it equals scipy's value.
    """
    d = np.asarray(d, dtype=float)
    n = len(d)
    if n == 0:
        return float("nan")
    observed = d.mean()
    if n < 63 and 2 ** n <= n_resamples:
        patterns = ((np.arange(2 ** n)[:, None] >> np.arange(n)) & 1).astype(bool)
        signs = np.where(patterns, -1.0, 1.0)
        adjustment = 0
    else:
        rng = np.random.default_rng(seed)
        signs = 1.0 - 2.0 * rng.integers(0, 2, size=(n_resamples, n), dtype=np.int8)
        adjustment = 1
    null = signs @ d / n
    total = len(null)
    gamma = abs(np.finfo(float).eps * 100 * observed)
    less = (np.count_nonzero(null <= observed + gamma) + adjustment) / (total + adjustment)
    greater = (np.count_nonzero(null >= observed - gamma) + adjustment) / (total + adjustment)
    return float(min(1.0, 2 * min(less, greater)))


def paired_test(a: pd.Series, b: pd.Series, *, run_a: str = "A", run_b: str = "B",
                metric: str = "", n_resamples: int = 10_000, seed: int = 0) -> PairedTest:
    """Paired t-test and seeded randomisation test of per-query values ``b`` vs ``a``.

    ``a`` and ``b`` are Series indexed by query id; only common, non-NaN queries count.
    """
    joined = pd.concat([a.rename("a"), b.rename("b")], axis=1, join="inner").dropna()
    x, y = joined["a"].to_numpy(float), joined["b"].to_numpy(float)
    n = len(x)
    d = y - x
    t_stat = p_t = p_perm = float("nan")
    if n >= 2 and np.any(d != 0):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = stats.ttest_rel(y, x)
        t_stat, p_t = float(t.statistic), float(t.pvalue)
        p_perm = sign_flip_pvalue(d, n_resamples=n_resamples, seed=seed)
    if n >= 1 and not np.any(d != 0):
        p_t = p_perm = 1.0
    if math.isnan(p_t) and n >= 2:
        p_t = 1.0
    return PairedTest(run_a, run_b, metric, n,
                      float(np.mean(x)) if n else float("nan"),
                      float(np.mean(y)) if n else float("nan"),
                      float(np.mean(d)) if n else float("nan"),
                      t_stat, p_t, p_perm,
                      int(np.sum(d > 0)), int(np.sum(d < 0)), int(np.sum(d == 0)))


def compare_pair(result: MetricsResult, run_a: str, run_b: str, metric: str | None = None,
                 **kw) -> PairedTest:
    """Paired test of two runs of a MetricsResult on one metric (default NDCG@k)."""
    metric = metric or f"NDCG@{result.k}"
    for lab in (run_a, run_b):
        if lab not in result.labels:
            raise InputError(f"Run '{lab}' has no metrics to compare.",
                             f"Pick one of: {', '.join(result.labels)} (runs need labelled queries).")
    return paired_test(result.values(run_a, metric), result.values(run_b, metric),
                       run_a=run_a, run_b=run_b, metric=metric, **kw)


def significance_table(result: MetricsResult, metric: str | None = None,
                       baseline: str | None = None, **kw) -> pd.DataFrame:
    """Paired tests of every pair of runs (or every run vs ``baseline``), one row each,
    with the cautious verdict text."""
    labs = result.labels
    if baseline is not None:
        pairs = [(baseline, lab) for lab in labs if lab != baseline]
    else:
        pairs = list(itertools.combinations(labs, 2))
    rows = []
    for a, b in pairs:
        t = compare_pair(result, a, b, metric, **kw)
        v = winner(t)
        rows.append({"run_a": a, "run_b": b, "metric": t.metric, "n_queries": t.n,
                     "mean_a": t.mean_a, "mean_b": t.mean_b, "mean_diff": t.mean_diff,
                     "p_ttest": t.p_ttest, "p_permutation": t.p_permutation,
                     "wins_b": t.wins, "losses_b": t.losses, "ties": t.ties,
                     "winner": v.winner, "verdict": v.text})
    return pd.DataFrame(rows, columns=["run_a", "run_b", "metric", "n_queries", "mean_a", "mean_b",
                                       "mean_diff", "p_ttest", "p_permutation", "wins_b",
                                       "losses_b", "ties", "winner", "verdict"])


@dataclass
class Verdict:
    winner: str | None       # label of the significantly better run, else None
    reason: str              # "too_few_queries" | "not_significant" | "significant"
    text: str


def winner(test: PairedTest, alpha: float = ALPHA,
           min_queries: int = MIN_QUERIES_FOR_WINNER) -> Verdict:
    """A cautious one-line verdict.

    Fewer than ``min_queries`` (5) common queries → no call at all; p ≥ ``alpha`` (0.05,
    randomisation test) → "no significant difference"; otherwise the run with the higher
    mean wins, with the size of the difference, p and n in the text.
    """
    m = test.metric or "the metric"
    if test.n < min_queries:
        return Verdict(None, "too_few_queries",
                       f"Too few queries to call a winner: {test.n} labelled quer"
                       f"{'y' if test.n == 1 else 'ies'} in common (need at least {min_queries}). "
                       f"Label more queries before trusting a difference on {m}.")
    p = test.p_value
    if math.isnan(p) or p >= alpha:
        return Verdict(None, "not_significant",
                       f"No significant difference on {m} between '{test.run_a}' and '{test.run_b}' "
                       f"(mean diff {test.mean_diff:+.3f}, p = {p:.3f}, n = {test.n} queries).")
    if test.mean_diff > 0:
        win, lose, wins, losses = test.run_b, test.run_a, test.wins, test.losses
    else:
        win, lose, wins, losses = test.run_a, test.run_b, test.losses, test.wins
    return Verdict(win, "significant",
                   f"'{win}' beats '{lose}' on {m} by {abs(test.mean_diff):.3f} "
                   f"(p = {p:.3g}, n = {test.n} queries; better on {wins}, worse on {losses}, "
                   f"tied on {test.ties}).")


def win_loss(result: MetricsResult, run_a: str, run_b: str, metric: str | None = None) -> pd.DataFrame:
    """Per-query win/loss of ``run_b`` (challenger) vs ``run_a`` (baseline) for a bar chart.

    Columns: ``query_id, run_a, run_b, value_a, value_b, diff`` (b − a) and ``outcome``
    in {"win", "loss", "tie"} from b's side; sorted by diff, best first.
    """
    metric = metric or f"NDCG@{result.k}"
    a = result.values(run_a, metric).rename("value_a")
    b = result.values(run_b, metric).rename("value_b")
    f = pd.concat([a, b], axis=1, join="inner").dropna()
    f.index.name = "query_id"
    f = f.reset_index()
    f.insert(1, "run_a", run_a)
    f.insert(2, "run_b", run_b)
    f["diff"] = f["value_b"] - f["value_a"]
    f["outcome"] = np.select([f["diff"] > 1e-12, f["diff"] < -1e-12], ["win", "loss"], "tie")
    f["metric"] = metric
    return f.sort_values("diff", ascending=False, kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- all at once


@dataclass
class SessionComparison:
    """Every comparison table of a session (what the Compare page shows)."""

    groups: RunGroups
    k: int
    rank_tables: dict[str, pd.DataFrame]          # query_id -> rank_table
    correlations: Correlations
    discrimination: pd.DataFrame
    discrimination_summary: pd.DataFrame
    scores: pd.DataFrame                          # score_distribution
    metrics: MetricsResult | None                 # None without labels
    significance: pd.DataFrame | None
    win_loss: dict[tuple[str, str], pd.DataFrame]  # (baseline, challenger) -> frame
    notes: list[str] = field(default_factory=list)


def compare_session(runs, labels: Labels | None = None, k: int = DEFAULT_K,
                    baseline: str | None = None, metric: str | None = None,
                    n_resamples: int = 10_000, seed: int = 0) -> SessionComparison:
    """Compute all comparison tables of a session in one call.

    ``baseline`` (default: the first label) anchors rank shifts and win/loss.
    Metrics, significance (all pairs) and win/loss need ``labels``; without any
    relevant label they are None/empty and ``notes`` says why.
    """
    groups = _as_groups(runs)
    labs = groups.labels
    _check_runs(labs, 1)
    base = baseline if baseline is not None else labs[0]
    if base not in labs:
        raise InputError(f"Baseline run '{base}' is not in this session.", f"Pick one of: {', '.join(labs)}.")
    notes = list(groups.warnings)
    tables = {}
    for q in groups.query_ids:
        runs_q = groups.for_query(q)
        lab_q = [lab for lab in labs if q in groups.runs[lab]]
        b = lab_q.index(base) if base in lab_q else 0
        tables[q] = rank_table(runs_q, baseline=b)
    corr = correlations(groups, k) if len(labs) >= 2 else Correlations(pd.DataFrame(), k, labs)
    disc = discrimination_table(groups)
    met = sig = None
    wl: dict[tuple[str, str], pd.DataFrame] = {}
    if labels:
        try:
            met = metrics(groups, labels, k)
        except InputError as err:
            notes.append(err.message)
        if met is not None:
            if met.skipped:
                notes.append(f"{len(met.skipped)} quer{'y' if len(met.skipped) == 1 else 'ies'} "
                             "without a relevant label left out of the metrics.")
            if len(met.labels) >= 2:
                sig = significance_table(met, metric, n_resamples=n_resamples, seed=seed)
                mb = base if base in met.labels else met.labels[0]
                for lab in met.labels:
                    if lab != mb:
                        wl[(mb, lab)] = win_loss(met, mb, lab, metric)
    else:
        notes.append("No labels: metrics, significance and win/loss need relevance labels.")
    return SessionComparison(groups, k, tables, corr, disc, discrimination_summary(disc),
                             score_distribution(groups), met, sig, wl, notes)
