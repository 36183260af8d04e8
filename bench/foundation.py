"""Benchmark: the foundation's two speed promises, side by side in one run.

  1. import a generated 10,000-row candidate CSV: workbench.formats.read_candidates
     + Store.save_candidate_set for every set                      (target <= 2 s)
  2. save a session of 1,000 docs x 4 runs: Store.create_run + add_scores
     + finish_run per run                                          (target <= 0.5 s)

Run: .venv/bin/python bench/foundation.py [--rows 10000 --docs-per-query 100 --runs 4 --repeat 3]

Everything happens in a temporary folder (its own WORKBENCH_DB); data/workbench.db is
never touched. The CSV mixes English and Chinese text, metadata columns, labels,
first-stage scores and images (10% of the documents, 20 distinct files). The best of
--repeat runs is reported, each on a fresh database.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

IMPORT_THRESHOLD_S = 2.0
SAVE_THRESHOLD_S = 0.5

WORDS = ["denim", "jacket", "slim", "washed", "metal", "buttons", "cotton", "khaki", "cargo", "pockets",
         "loose", "shirt", "牛仔", "夹克", "修身", "水洗", "金属纽扣", "棉", "口袋", "春秋款", "reimbursement",
         "invoice", "hotel", "itinerary", "报销", "发票", "行程单", "审批"]


def make_csv(folder: Path, n_rows: int, per_query: int, seed: int = 0) -> Path:
    from PIL import Image

    rng = random.Random(seed)
    (folder / "images").mkdir(parents=True, exist_ok=True)
    images = []
    for i in range(20):
        name = f"images/img{i:02d}.png"
        Image.new("RGB", (64, 48), (i * 12, 255 - i * 12, 90)).save(folder / name)
        images.append(name)
    path = folder / "candidates.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["query_id", "query_text", "query_image", "doc_id", "doc_text", "doc_image", "label",
                    "first_stage_score", "brand", "price"])
        qtext: dict[int, str] = {}
        for r in range(n_rows):
            q, d = divmod(r, per_query)
            if q not in qtext:
                qtext[q] = f"query {q} " + " ".join(rng.choice(WORDS) for _ in range(4))
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 20)))
            w.writerow([f"q{q:04d}", qtext[q], "",
                        f"q{q:04d}-d{d:04d}", text, images[r % 20] if r % 10 == 0 else "",
                        rng.choice(["0", "1", "2", ""]), f"{rng.random():.4f}", f"brand{r % 37}",
                        f"{rng.uniform(10, 999):.2f}"])
    return path


def bench_import(csv_path: Path, db: Path) -> tuple[float, float, int, int]:
    from workbench import formats
    from workbench.store import Store

    store = Store(db)
    t0 = time.perf_counter()
    result = formats.read_candidates(csv_path)
    read_s = time.perf_counter() - t0
    session = store.create_session("bench import")
    for cset in result.sets:
        store.save_candidate_set(session.id, cset)
    seconds = time.perf_counter() - t0
    n_docs = sum(s.n_docs for s in store.list_candidate_sets(session.id))
    assert n_docs == result.n_docs == int(result.rows_read) and not result.rejected, \
        result.summary()[:2000]
    store.close()
    return seconds, read_s, len(result.sets), n_docs


def bench_runs(db: Path, n_docs: int, n_runs: int, seed: int = 0) -> float:
    from workbench.model import CandidateSet, Document, Query, Run, Result
    from workbench.store import Store

    rng = random.Random(seed)
    store = Store(db)
    session = store.create_session("bench runs")
    cset = CandidateSet(Query("q", "denim jacket"), [Document(f"d{i:04d}", f"doc {i}") for i in range(n_docs)])
    set_id = store.save_candidate_set(session.id, cset)
    all_scores = []
    for _ in range(n_runs):
        values = [rng.random() for _ in range(n_docs)]
        order = sorted(range(n_docs), key=lambda i: -values[i])
        rank = {i: r + 1 for r, i in enumerate(order)}
        all_scores.append([Result(f"d{i:04d}", values[i], rank[i], i) for i in range(n_docs)])
    t0 = time.perf_counter()
    for k, scores in enumerate(all_scores):
        run_id = store.create_run(set_id, Run(instruction=f"instruction {k}", backend="qwen-vl",
                                              model_id="lychee", params={"max_pixels": 1003520},
                                              status="running"))
        store.add_scores(run_id, scores)
        store.finish_run(run_id, "done", timings={"total": 1.0}, cache_hits=0, cache_misses=n_docs)
    seconds = time.perf_counter() - t0
    assert sum(len(store.load_run(r.id).scores) for r in store.list_runs(set_id=set_id)) == n_docs * n_runs
    store.close()
    return seconds


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--docs-per-query", type=int, default=100)
    ap.add_argument("--run-docs", type=int, default=1_000)
    ap.add_argument("--runs", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="wb-bench-") as tmp:
        tmp = Path(tmp)
        os.environ["WORKBENCH_DB"] = str(tmp / "unused.db")
        os.environ["WORKBENCH_HOME"] = str(tmp / "home")
        csv_path = make_csv(tmp / "set", args.rows, args.docs_per_query)
        from workbench import formats  # noqa: F401  (import cost is not part of the measurement)
        from workbench.store import Store  # noqa: F401

        imports, reads, saves = [], [], []
        for k in range(args.repeat):
            sec, read_s, n_sets, n_docs = bench_import(csv_path, tmp / f"import{k}.db")
            imports.append(sec)
            reads.append(read_s)
            saves.append(bench_runs(tmp / f"runs{k}.db", args.run_docs, args.runs))

    rows = [
        (f"import {args.rows:,}-row CSV ({n_sets} sets, {n_docs:,} docs): read_candidates + save_candidate_set",
         min(imports), IMPORT_THRESHOLD_S),
        (f"save {args.run_docs:,} docs x {args.runs} runs: create_run + add_scores + finish_run",
         min(saves), SAVE_THRESHOLD_S),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'benchmark':<{width}}  {'seconds':>8}  {'threshold':>9}  {'ratio':>6}  result")
    ok = True
    for name, sec, limit in rows:
        passed = sec <= limit
        ok &= passed
        print(f"{name:<{width}}  {sec:>8.3f}  {limit:>8.1f}s  {sec / limit:>6.2f}  {'PASS' if passed else 'FAIL'}")
    print(f"(best of {args.repeat}; all runs: import {', '.join(f'{s:.3f}' for s in imports)} s; "
          f"runs {', '.join(f'{s:.3f}' for s in saves)} s)")
    best = imports.index(min(imports))
    print(f"(import split of the best run: read_candidates {reads[best]:.3f} s, "
          f"store {imports[best] - reads[best]:.3f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
