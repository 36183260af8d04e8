"""Comparison analytics: metrics vs ranx, correlations with ties, significance, discrimination."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from workbench import compare
from workbench.errors import InputError, WorkbenchError
from workbench.model import Run, Result


def make_run(qid, scores: dict[str, float], name="r", ranks: dict[str, int] | None = None, id=None,
             backend="qwen-vl", instruction="inst"):
    """Run with ranks from scores (desc), ties broken by doc id, unless ranks given."""
    if ranks is None:
        order = sorted(scores, key=lambda d: (-scores[d], d))
        ranks = {d: i for i, d in enumerate(order, 1)}
    return Run(instruction=instruction, backend=backend, model_id="m", query_id=qid, name=name, id=id,
               scores=[Result(d, s, ranks[d]) for d, s in scores.items()])


# --------------------------------------------------------------------------- labels & grouping


def test_run_label_and_grouping_keeps_newest_and_reports_replaced():
    a1 = make_run("q1", {"x": 1}, name="", id=1, instruction="Find   shoes", backend="bm25")
    a2 = make_run("q1", {"x": 2}, name="", id=5, instruction="Find shoes", backend="bm25")
    b = make_run("q2", {"x": 1}, name="", id=2, instruction="Find shoes", backend="bm25")
    assert compare.run_label(a1) == "bm25: Find shoes"
    g = compare.group_runs([a2, b, a1])
    assert g.labels == ["bm25: Find shoes"]
    assert g.runs["bm25: Find shoes"]["q1"] is a2
    assert g.replaced == [a1] and "superseded" in g.warnings[0]
    assert g.query_ids == ["q1", "q2"]


# --------------------------------------------------------------------------- rank table


def test_rank_table_shifts_and_changed():
    base = make_run("q", {"a": .9, "b": .8, "c": .7, "d": .6}, name="base")
    other = make_run("q", {"a": .9, "b": .5, "c": .8, "e": .1}, name="new")
    t = compare.rank_table([base, other])
    assert list(t["doc_id"]) == ["a", "b", "c", "d", "e"]   # baseline order, extra docs last
    row = t.set_index("doc_id")
    assert row.loc["c", "new shift"] == 1          # 3rd -> 2nd: moved up one
    assert row.loc["b", "new shift"] == -1
    assert row.loc["a", "new shift"] == 0 and not row.loc["a", "changed"]
    assert row.loc["d", "changed"] and pd.isna(row.loc["d", "new rank"])   # missing from new
    assert row.loc["e", "changed"] and pd.isna(row.loc["e", "base rank"])
    assert list(t.loc[t["changed"], "doc_id"]) == ["b", "c", "d", "e"]
    # another baseline by label
    t2 = compare.rank_table([base, other], baseline="new").set_index("doc_id")
    assert t2.loc["c", "base shift"] == -1
    long = compare.rank_shift_long([base, other])
    assert set(long.columns) >= {"doc_id", "run", "rank", "score", "shift"}
    assert len(long) == 8
    with pytest.raises(InputError) as e:
        compare.rank_table([base, other], baseline="nope")
    assert e.value.fix


def test_rank_table_ties_follow_rank_then_score_then_doc_id():
    r = Run("i", "b", "m", query_id="q", name="r",
            scores=[Result("z", .5, 1), Result("y", .5, 1), Result("x", .9, 1)])   # all ranks tied
    assert compare.ordered_doc_ids(r) == ["x", "y", "z"]
    t = compare.rank_table([r])
    assert list(t["r rank"]) == [1, 2, 3]


# --------------------------------------------------------------------------- correlations


def test_tau_and_rho_with_ties_match_scipy_and_known_values():
    # x has a tie, y has a tie; known tau-b for these vectors
    x = {"a": 1, "b": 2, "c": 2, "d": 3, "e": 4}
    y = {"a": 1, "b": 3, "c": 2, "d": 3, "e": 5}
    ra, rb = make_run("q", x, "A"), make_run("q", y, "B")
    c = compare.correlations([ra, rb], k=3)
    row = c.pairs.iloc[0]
    xs, ys = list(x.values()), list(y.values())
    assert row.kendall_tau == pytest.approx(stats.kendalltau(xs, ys).statistic)
    assert row.spearman_rho == pytest.approx(stats.spearmanr(xs, ys).statistic)
    # hand computation: concordant 8, discordant 0, ties only-x 1 (b,c), only-y 1 (b,d)
    # tau_b = (8 - 0) / sqrt((8+0+1) * (8+0+1)) = 8/9
    assert row.kendall_tau == pytest.approx(8 / 9)
    # rho from average ranks x: 1,2.5,2.5,4,5 y: 1,3.5,2,3.5,5 (Pearson of ranks)
    assert row.spearman_rho == pytest.approx(np.corrcoef([1, 2.5, 2.5, 4, 5], [1, 3.5, 2, 3.5, 5])[0, 1])
    m = c.matrix("kendall_tau")
    assert m.loc["A", "B"] == m.loc["B", "A"] == pytest.approx(8 / 9) and m.loc["A", "A"] == 1
    assert set(c.long().columns) == {"run_a", "run_b", "value"}


def test_correlation_on_common_docs_and_constant_scores_is_nan():
    a = make_run("q", {"a": 3, "b": 2, "c": 1, "x": 0}, "A")
    b = make_run("q", {"a": 3, "b": 2, "c": 1, "y": 9}, "B")
    c = make_run("q", {"a": .5, "b": .5, "c": .5}, "C")
    pairs = compare.correlations([a, b, c]).pairs.set_index(["run_a", "run_b"])
    assert pairs.loc[("A", "B"), "n_common"] == 3
    assert pairs.loc[("A", "B"), "kendall_tau"] == pytest.approx(1.0)
    assert math.isnan(pairs.loc[("A", "C"), "kendall_tau"])


def test_top_k_overlap():
    a = make_run("q", {d: 10 - i for i, d in enumerate("abcdefgh")}, "A")
    b = make_run("q", {d: 10 - i for i, d in enumerate("abxyzcde")}, "B")
    assert compare.top_k_overlap(a, b, 3) == pytest.approx(2 / 3)
    assert compare.top_k_overlap(a, b, 5) == pytest.approx(2 / 5)   # {a, b}
    assert compare.top_k_overlap(a, b, 6) == pytest.approx(3 / 6)   # {a, b, c}
    short = make_run("q", {"a": 1, "b": 0.5}, "S")
    assert compare.top_k_overlap(short, short, 10) == 1.0   # k' = min(k, n)


def test_session_correlations_average_per_pair():
    runs = []
    for q in range(4):
        runs.append(make_run(f"q{q}", {"a": 3, "b": 2, "c": 1}, "A"))
        runs.append(make_run(f"q{q}", {"a": 1, "b": 2, "c": 3} if q % 2 else {"a": 3, "b": 2, "c": 1}, "B"))
    c = compare.correlations(compare.group_runs(runs))
    row = c.pairs.iloc[0]
    assert row.n_queries == 4 and row.kendall_tau == pytest.approx(0.0)   # mean of +1,-1,+1,-1
    assert len(c.per_query) == 4


# --------------------------------------------------------------------------- discrimination


def test_discrimination_flags_scores_clustered_at_half():
    rng = np.random.default_rng(1)
    clustered = make_run("q", {f"d{i}": float(v) for i, v in enumerate(rng.normal(0.5, 0.03, 20))}, "C")
    d = compare.discrimination(clustered)
    assert d.flagged and d.probabilistic
    assert d.share_mid >= 0.5
    assert len(d.remedies) == 3 and "Be precise and avoid vague terms" in d.message
    assert any("scenario-specific" in r for r in d.remedies)


def test_discrimination_quiet_on_well_spread_scores():
    spread = make_run("q", {f"d{i}": v for i, v in enumerate(np.linspace(0.01, 0.99, 20))}, "S")
    d = compare.discrimination(spread)
    assert not d.flagged and d.reasons == [] and d.remedies == []
    assert d.std == pytest.approx(np.std(np.linspace(0.01, 0.99, 20)))
    assert d.iqr == pytest.approx(np.subtract(*np.percentile(np.linspace(.01, .99, 20), [75, 25])))


def test_discrimination_bm25_scale_does_not_trip_probability_rules():
    # BM25 scores between 4.4 and 5.6 (unbounded scale): mid-band / std rules must not apply
    bm25 = make_run("q", {f"d{i}": v for i, v in enumerate(np.linspace(4.45, 5.55, 12))}, "B", backend="bm25")
    d = compare.discrimination(bm25)
    assert not d.probabilistic and d.share_mid is None and not d.flagged
    # ... but most documents sharing one BM25 score (no query term) is flagged
    zeros = make_run("q", {**{f"z{i}": 0.0 for i in range(8)}, "a": 7.5, "b": 3.1}, "Z", backend="bm25")
    dz = compare.discrimination(zeros)
    assert dz.flagged and "identical score" in dz.reasons[0]
    # raw scores that happen to lie in [0, 1] are still not probabilities (score_kind decides)
    small = make_run("q", {f"d{i}": v for i, v in enumerate(np.linspace(0.45, 0.55, 12))}, "S", backend="lexical")
    assert small.score_kind == "raw"
    ds = compare.discrimination(small)
    assert not ds.probabilistic and not ds.flagged
    same = make_run("q", {f"d{i}": v for i, v in enumerate(np.linspace(0.45, 0.55, 12))}, "P", backend="qwen-vl")
    assert same.score_kind == "probability" and compare.discrimination(same).flagged


def test_discrimination_table_and_summary_over_session():
    runs = [make_run(f"q{q}", {f"d{i}": 0.5 + 0.001 * i for i in range(10)}, "flat") for q in range(3)]
    runs += [make_run(f"q{q}", {f"d{i}": i / 10 for i in range(10)}, "spread") for q in range(3)]
    t = compare.discrimination_table(compare.group_runs(runs))
    assert len(t) == 6
    s = compare.discrimination_summary(t).set_index("run")
    assert s.loc["flat", "share_flagged"] == 1.0 and s.loc["spread", "n_flagged"] == 0
    dist = compare.score_distribution(runs)
    assert list(dist.columns) == ["run", "query_id", "doc_id", "score", "rank"] and len(dist) == 60


# --------------------------------------------------------------------------- metrics vs ranx


def _ranx_eval(qrels, run_dict, metrics):
    from ranx import Qrels, evaluate
    from ranx import Run as RRun
    rr = RRun(run_dict)
    evaluate(Qrels(qrels), rr, metrics, return_mean=False)
    return {m: dict(rr.scores[m]) for m in metrics}


def test_metrics_equal_ranx_on_hand_made_qrels_with_ties():
    labels = {
        "q1": {"a": 2, "b": 0, "c": 1, "d": 0, "e": 2},
        "q2": {"a": 0, "b": 1},
        "q3": {"x": 0},                       # no relevant doc: skipped
    }
    # q1 has tied scores: b and c both 0.7; our order puts b (rank 2) before c (rank 3)
    r1 = make_run("q1", {"a": 0.9, "b": 0.7, "c": 0.7, "d": 0.2, "e": 0.1, "f": 0.05}, "A",
                  ranks={"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6})
    r2 = make_run("q2", {"a": 0.9, "b": 0.4, "z": 0.3}, "A")
    r3 = make_run("q3", {"x": 0.9}, "A")
    res = compare.metrics([r1, r2, r3], labels, k=3)
    assert res.skipped == ["q3"]
    # the same computation straight in ranx, with the same (tie-broken) order as distinct scores
    qrels = {"q1": {"a": 2, "c": 1, "e": 2}, "q2": {"b": 1}}
    run = {"q1": {"a": 6, "b": 5, "c": 4, "d": 3, "e": 2, "f": 1}, "q2": {"a": 3, "b": 2, "z": 1}}
    names = {"ndcg@3": "NDCG@3", "mrr": "MRR", "precision@3": "P@3", "recall@3": "Recall@3", "map": "MAP"}
    ref = _ranx_eval(qrels, run, list(names))
    for rname, disp in names.items():
        got = res.values("A", disp)
        for q in ("q1", "q2"):
            assert got[q] == pytest.approx(ref[rname][q]), (disp, q)
        assert res.table.loc["A", disp] == pytest.approx(np.mean([ref[rname]["q1"], ref[rname]["q2"]]))
    # values known by hand (grade >= 1 relevant; graded linear gains for NDCG)
    assert res.values("A", "MRR")["q2"] == pytest.approx(0.5)
    assert res.values("A", "P@3")["q1"] == pytest.approx(2 / 3)
    assert res.values("A", "Recall@3")["q1"] == pytest.approx(2 / 3)
    assert res.values("A", "MAP")["q1"] == pytest.approx((1 + 2 / 3 + 3 / 5) / 3)
    dcg = 2 / np.log2(2) + 0 + 1 / np.log2(4)
    idcg = 2 / np.log2(2) + 2 / np.log2(3) + 1 / np.log2(4)
    assert res.values("A", "NDCG@3")["q1"] == pytest.approx(dcg / idcg)
    assert res.table.loc["A", "n_queries"] == 2
    assert res.table.loc["A", "Judged@3"] == pytest.approx(((3 / 3) + (2 / 3)) / 2)


@pytest.mark.parametrize("k", [1, 3, 10, 50])
def test_metrics_equal_ranx_on_random_runs_and_graded_labels(k):
    """Our plain-Python metrics equal ranx's on many random queries: runs longer and shorter
    than k, relevant documents the run never retrieved, grades 0-3."""
    import random

    from workbench.compare.evaluate import query_metrics

    rng = random.Random(k)
    qrels, run = {}, {}
    for q in range(120):
        docs = [f"d{i}" for i in range(rng.randint(1, 40))]
        rng.shuffle(docs)
        pool = docs + [f"x{i}" for i in range(rng.randint(0, 5))]          # judged, never retrieved
        rel = {d: rng.randint(1, 3) for d in rng.sample(pool, rng.randint(1, min(8, len(pool))))}
        qrels[f"q{q}"] = rel
        run[f"q{q}"] = {d: float(len(docs) - i) for i, d in enumerate(docs)}
    names = {f"ndcg@{k}": 0, "mrr": 1, f"precision@{k}": 2, f"recall@{k}": 3, "map": 4}
    ref = _ranx_eval(qrels, run, list(names))
    for q, scores in run.items():
        ours = query_metrics(list(scores), qrels[q], k)
        for name, i in names.items():
            assert ours[i] == pytest.approx(ref[name][q], abs=1e-12), (name, q)


def test_tie_order_changes_metric_consistently_with_rank_table():
    labels = {"q": {"b": 0, "c": 2}}
    # b and c tie on score and carry no rank difference: doc id decides -> b before c
    r = Run("i", "b", "m", query_id="q", name="T",
            scores=[Result("c", 0.5, 1), Result("b", 0.5, 1), Result("a", 0.9, 1)])
    assert list(compare.rank_table([r])["doc_id"]) == ["a", "b", "c"]
    res = compare.metrics([r], labels, k=3)
    assert res.values("T", "MRR")["q"] == pytest.approx(1 / 3)
    # deterministic: same answer with the scores listed in another order
    r.scores.reverse()
    assert compare.metrics([r], labels, k=3).values("T", "MRR")["q"] == pytest.approx(1 / 3)


def test_metrics_without_any_relevant_label_raises_with_fix():
    with pytest.raises(InputError) as e:
        compare.metrics([make_run("q", {"a": 1}, "A")], {"q": {"a": 0}})
    assert isinstance(e.value, WorkbenchError) and "Label" in e.value.fix


# --------------------------------------------------------------------------- significance


def _session(n_queries, quality_a, quality_b, seed, n_docs=20):
    rng = np.random.default_rng(seed)
    runs, labels = [], {}
    for q in range(n_queries):
        qid = f"q{q}"
        grades = rng.choice([0, 1, 2], size=n_docs, p=[.6, .25, .15])
        grades[0] = 2
        labels[qid] = {f"d{i}": int(g) for i, g in enumerate(grades)}
        for name, noise in (("A", quality_a), ("B", quality_b)):
            sc = grades + rng.normal(0, noise, n_docs)
            runs.append(make_run(qid, {f"d{i}": float(v) for i, v in enumerate(sc)}, name))
    return runs, labels


def test_significance_finds_planted_difference():
    runs, labels = _session(30, quality_a=3.0, quality_b=0.3, seed=7)
    res = compare.metrics(runs, labels, k=10)
    t = compare.compare_pair(res, "A", "B")
    assert t.n == 30 and t.mean_diff > 0
    assert t.p_permutation < 0.01 and t.p_ttest < 0.01
    v = compare.winner(t)
    assert v.winner == "B" and v.reason == "significant" and "beats" in v.text
    wl = compare.win_loss(res, "A", "B")
    assert set(wl["outcome"]) <= {"win", "loss", "tie"} and (wl["outcome"] == "win").sum() == t.wins
    assert wl["diff"].is_monotonic_decreasing


def test_significance_no_difference_for_same_distribution():
    # One seeded session is a single draw at alpha = 0.05 (a 1-in-20 false alarm is the
    # test working as designed), so check the calibration over 40 seeded sessions:
    # runs A and B come from the same distribution, the verdict must be "no significant
    # difference" in at least 34 of 40 (expected 38; P(fewer than 34) < 1%).
    verdicts, p_values = [], []
    for seed in range(40):
        runs, labels = _session(30, quality_a=1.0, quality_b=1.0, seed=100 + seed)
        t = compare.compare_pair(compare.metrics(runs, labels, k=10), "A", "B")
        assert t.n == 30
        verdicts.append(compare.winner(t))
        p_values.append(t.p_permutation)
    quiet = [v for v in verdicts if v.reason == "not_significant"]
    assert len(quiet) >= 34, p_values
    assert all(v.winner is None and "No significant difference" in v.text for v in quiet)
    assert all(v.reason in ("not_significant", "significant") for v in verdicts)


def test_winner_is_cautious_with_few_queries():
    runs, labels = _session(4, quality_a=3.0, quality_b=0.1, seed=3)
    t = compare.compare_pair(compare.metrics(runs, labels), "A", "B")
    v = compare.winner(t)
    assert v.winner is None and v.reason == "too_few_queries" and "Too few queries" in v.text


def test_identical_runs_give_p_one():
    t = compare.paired_test(pd.Series([.5, .6, .7]), pd.Series([.5, .6, .7]))
    assert t.p_permutation == 1.0 and t.p_ttest == 1.0 and t.ties == 3


@pytest.mark.parametrize("n, n_resamples", [(9, 10_000), (40, 20_000)])
def test_sign_flip_pvalue_equals_scipy_permutation_test(n, n_resamples):
    rng = np.random.default_rng(n)
    d = rng.normal(0.1, 0.3, n)
    ref = stats.permutation_test((d,), lambda z, axis: np.mean(z, axis=axis), permutation_type="samples",
                                 vectorized=True, n_resamples=n_resamples, rng=np.random.default_rng(0)).pvalue
    got = compare.sign_flip_pvalue(d, n_resamples=n_resamples, seed=0)
    if 2 ** n <= n_resamples:
        assert got == pytest.approx(ref, abs=1e-12)       # exact enumeration: identical
    else:
        se = math.sqrt(ref * (1 - ref) / n_resamples)      # Monte Carlo: within sampling error
        assert abs(got - ref) < 5 * se + 1e-3


def test_significance_table_all_pairs():
    runs, labels = _session(8, 1.0, 0.5, seed=2)
    runs += [make_run(r.query_id, {s.doc_id: -s.score for s in r.scores}, "C") for r in runs if r.name == "A"]
    res = compare.metrics(runs, labels)
    t = compare.significance_table(res)
    assert [(a, b) for a, b in zip(t.run_a, t.run_b)] == [("A", "B"), ("A", "C"), ("B", "C")]
    assert t["verdict"].str.len().min() > 0
    tb = compare.significance_table(res, baseline="C")
    assert list(tb.run_b) == ["A", "B"]


# --------------------------------------------------------------------------- everything


def test_compare_session_builds_all_tables():
    runs, labels = _session(6, 1.0, 0.5, seed=5)
    s = compare.compare_session(runs, labels, k=5)
    assert set(s.rank_tables) == {f"q{i}" for i in range(6)}
    assert s.metrics is not None and list(s.metrics.table.index) == ["A", "B"]
    assert list(s.metrics.table.columns) == compare.metric_names(5) + ["Judged@5", "n_queries"]
    assert len(s.significance) == 1 and ("A", "B") in s.win_loss
    assert len(s.correlations.pairs) == 1
    s2 = compare.compare_session(runs, None)
    assert s2.metrics is None and any("No labels" in n for n in s2.notes)


def test_lists_of_runs_one_query_vs_many_queries():
    # one query, two unnamed runs with the same label: both kept, labels made unique
    a = make_run("q", {"a": .9, "b": .1}, name="", id=1)
    b = make_run("q", {"a": .1, "b": .9}, name="", id=2)
    res = compare.metrics([a, b], {"q": {"b": 2}})
    assert len(res.labels) == 2 and all(lab.endswith(("#1", "#2")) for lab in res.labels)
    assert sorted(res.table["MRR"]) == [0.5, 1.0]
    # a list spanning queries is grouped per label; a rank table refuses it with a fix
    many = [make_run(f"q{i}", {"a": 1, "b": 2, "c": 3}, n) for i in range(3) for n in ("A", "B")]
    c = compare.correlations(many)
    assert c.pairs.iloc[0].n_queries == 3 and c.pairs.iloc[0].kendall_tau == pytest.approx(1.0)
    with pytest.raises(InputError) as e:
        compare.rank_table(many)
    assert "for_query" in e.value.fix


def test_winner_counts_are_from_the_winners_side():
    # B vs A: B better on 3 queries, worse on 9, mean diff -0.1, significant -> A wins 9-3
    t = compare.PairedTest("A", "B", "MAP", n=12, mean_a=.6, mean_b=.5, mean_diff=-.1, t_stat=-3.0,
                           p_ttest=.01, p_permutation=.01, wins=3, losses=9, ties=0)
    v = compare.winner(t)
    assert v.winner == "A" and "'A' beats 'B' on MAP by 0.100" in v.text
    assert "better on 9, worse on 3, tied on 0" in v.text
    assert compare.winner(t, alpha=0.005).winner is None       # stricter alpha: no call


def test_session_correlations_with_two_document_queries():
    """A query with only two documents must not crash the session averages (scipy's
    asymptotic tau p-value divides by n - 2)."""
    from workbench.compare import correlations
    from workbench.model import Run, Result

    def run(name, qid, scores):
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        return Run(name, "lexical", "bm25", query_id=qid, name=name,
                   scores=[Result(d, s, r) for r, (d, s) in enumerate(ranked, 1)])

    runs = [run("a", "q1", {"d1": 0.9, "d2": 0.1}), run("b", "q1", {"d1": 0.2, "d2": 0.8}),
            run("a", "q2", {"x": 0.5, "y": 0.4, "z": 0.1}), run("b", "q2", {"x": 0.6, "y": 0.3, "z": 0.2})]
    result = correlations(runs)
    (pair,) = result.pairs.to_dict("records")
    assert pair["kendall_tau"] == pytest.approx((-1.0 + 1.0) / 2)
