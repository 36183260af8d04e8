"""Benchmark: all comparison tables of a 50-query x 20-doc x 4-run session in <= 1 s.

Run: .venv/bin/python bench/compare.py [--queries 50 --docs 20 --runs 4 --repeat 3]

The metrics are plain Python (ranx's definitions): "metrics (ours) vs ranx" times both on the
same session in this run, ranx's first call (import + numba compile, paid in every new process)
separately from its warm calls.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workbench import compare  # noqa: E402
from workbench.model import Run, Result  # noqa: E402

THRESHOLD_S = 1.0


def make_session(n_queries: int, n_docs: int, n_runs: int, seed: int = 0):
    """Synthetic session: graded labels and runs of increasing quality (+ one BM25-like)."""
    rng = np.random.default_rng(seed)
    runs, labels = [], {}
    for q in range(n_queries):
        qid = f"q{q:03d}"
        grades = rng.choice([0, 1, 2], size=n_docs, p=[0.6, 0.25, 0.15])
        grades[rng.integers(n_docs)] = 2
        labels[qid] = {f"{qid}-d{i:02d}": int(g) for i, g in enumerate(grades)}
        for r in range(n_runs):
            noise = rng.normal(0, 1.5 - 0.3 * r, n_docs)
            raw = grades + noise
            if r == n_runs - 1:
                scores = np.round(np.clip(raw * 3 + 5, 0, None), 1)  # BM25-like, unbounded, ties
            else:
                scores = 1 / (1 + np.exp(-raw))
            order = np.argsort(-scores, kind="stable")
            sc = [Result(f"{qid}-d{i:02d}", float(scores[i]), rank=int(np.where(order == i)[0][0]) + 1, index=i)
                  for i in range(n_docs)]
            runs.append(Run(instruction=f"instruction {r}", backend="bm25" if r == n_runs - 1 else "qwen-vl",
                            model_id="m", id=q * n_runs + r + 1, query_id=qid, scores=sc,
                            name=f"run{r}"))
    return runs, labels


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--queries", type=int, default=50)
    ap.add_argument("--docs", type=int, default=20)
    ap.add_argument("--runs", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    runs, labels = make_session(args.queries, args.docs, args.runs)
    t0 = time.perf_counter()
    ranx_metrics(runs, labels)                       # import + numba compile: every new process pays it
    ranx_cold = time.perf_counter() - t0

    parts = {
        "group runs": lambda: compare.group_runs(runs),
    }
    groups = compare.group_runs(runs)
    met = compare.metrics(groups, labels)
    parts.update({
        "rank tables (all queries)": lambda: [compare.rank_table(groups.for_query(q)) for q in groups.query_ids],
        "correlations + overlap": lambda: compare.correlations(groups),
        "discrimination": lambda: compare.discrimination_summary(compare.discrimination_table(groups)),
        "metrics (ours)": lambda: compare.metrics(groups, labels),
        "metrics (ranx, warm)": lambda: ranx_metrics(runs, labels),
        "significance (all pairs)": lambda: compare.significance_table(met),
        "win/loss (vs baseline)": lambda: [compare.win_loss(met, met.labels[0], b) for b in met.labels[1:]],
        "score distribution": lambda: compare.score_distribution(groups),
    })
    rows = []
    for name, fn in parts.items():
        best = min(_time(fn) for _ in range(args.repeat))
        rows.append((name, best))
    total = min(_time(lambda: compare.compare_session(runs, labels)) for _ in range(args.repeat))

    print(f"session: {args.queries} queries x {args.docs} docs x {args.runs} runs "
          f"(best of {args.repeat})")
    print(f"ranx first call (import + numba compile, in every new process): {ranx_cold:.2f} s; ours needs none")
    print(f"{'part':<32}{'seconds':>10}")
    for name, s in rows:
        print(f"{name:<32}{s:>10.3f}")
    ok = total <= THRESHOLD_S
    print()
    print(f"{'check':<32}{'measured s':>11}{'threshold s':>13}  result")
    print(f"{'compare_session (all tables)':<32}{total:>11.3f}{THRESHOLD_S:>13.1f}  {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


def ranx_metrics(runs, labels, k: int = 10):
    """The same metrics computed by ranx (the reference), for the side-by-side row."""
    from ranx import Qrels, Run, evaluate

    groups = compare.group_runs(runs)
    qrels = {q: {d: g for d, g in per.items() if g >= 1} for q, per in labels.items()}
    qrels = {q: per for q, per in qrels.items() if per}
    for per_q in groups.runs.values():
        run = {q: {d: float(len(o) - i) for i, d in enumerate(o)}
               for q in per_q if q in qrels for o in [compare.ordered_doc_ids(per_q[q])]}
        evaluate(Qrels({q: qrels[q] for q in run}), Run(run),
                 [f"ndcg@{k}", "mrr", f"precision@{k}", f"recall@{k}", "map"], return_mean=False)


def _time(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


if __name__ == "__main__":
    sys.exit(main())
