"""Paired significance tests between two runs' per-query metrics, the winner verdict and win/loss tables."""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError
from ..i18n import t, tn
from ..extras import require
from .evaluate import MetricsResult
from .runs import (
    ALPHA,
    MIN_QUERIES_FOR_WINNER,
)


def _stats():
    """scipy.stats, imported on first use (the [compare] extra)."""
    return require("scipy.stats", "comparing runs", extra="compare", code="compare.needs_package")

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
            t = _stats().ttest_rel(y, x)
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
            raise InputError.coded("compare.run_without_metrics", {"run": lab, "labels": ", ".join(result.labels)})
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
    m = test.metric or t("advice.the_metric")
    if test.n < min_queries:
        return Verdict(None, "too_few_queries",
                       tn("advice.verdict_too_few", test.n, need=min_queries, metric=m))
    p = test.p_value
    if math.isnan(p) or p >= alpha:
        return Verdict(None, "not_significant",
                       t("advice.verdict_not_significant", metric=m, run_a=test.run_a, run_b=test.run_b,
                         diff=f"{test.mean_diff:+.3f}", p=f"{p:.3f}", n=test.n))
    if test.mean_diff > 0:
        win, lose, wins, losses = test.run_b, test.run_a, test.wins, test.losses
    else:
        win, lose, wins, losses = test.run_a, test.run_b, test.losses, test.wins
    return Verdict(win, "significant",
                   t("advice.verdict_significant", winner=win, loser=lose, metric=m,
                     diff=f"{abs(test.mean_diff):.3f}", p=f"{p:.3g}", n=test.n, wins=wins, losses=losses,
                     ties=test.ties))


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
