"""Benchmark: evaluation at benchmark scale, side by side for several session sizes in one run.

    .venv/bin/python bench/scale.py                       # 100, 1,000 and 5,000 queries x 50 documents
    .venv/bin/python bench/scale.py --sizes 100,1000 --docs 50 --slice 200

For each size (queries x --docs documents, English with some Chinese, a third of the documents
labelled) it times, in a fresh temporary database:

  import      read the candidate CSV and save every set (formats.read_candidates + service.save_sets)
  bm25        rank every query with BM25 (Reranker.rank_many; the pairs/s are printed)
  tiny        the tiny Qwen-VL checkpoint over a fixed --slice of queries (rank_many, batches across
              queries): the same work at every size, so its ratio should stay ~1
  compare     NDCG@10, MRR, P@10, Recall@10, MAP of two BM25 runs over every query (compare.metrics)
  export      the long CSV of both runs (formats.export_long)

and prints each step's seconds with its growth ratio from one size to the next: a linear step
grows like the size (10x queries -> ~10x seconds), a constant one stays ~1x.
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

WORDS = ("red running shoes mesh breathable trail jacket denim slim washed cotton khaki cargo pockets "
         "travel policy reimbursement hotel flight invoice itinerary approval receipt budget").split()
ZH = ["报销", "发票", "行程单", "审批", "牛仔", "夹克", "跑步鞋"]
INSTR_A = "Given a web search query, retrieve relevant passages that answer the query"
INSTR_B = "Given a question, retrieve factual passages that answer it"


def make_csv(folder: Path, n_queries: int, n_docs: int, seed: int = 18) -> Path:
    rng = random.Random(seed)
    path = folder / f"scale-{n_queries}.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["query_id", "query_text", "doc_id", "doc_text", "label"])
        for q in range(n_queries):
            words = [rng.choice(WORDS) for _ in range(4)] + ([rng.choice(ZH)] if q % 5 == 0 else [])
            qtext = " ".join(words)
            for d in range(n_docs):
                text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 60)))
                if d % 7 == 0:
                    text += " " + rng.choice(ZH)
                label = str(rng.choice([0, 1, 2])) if d % 3 == 0 else ""
                w.writerow([f"q{q:05d}", qtext, f"q{q:05d}-d{d:03d}", text, label])
    return path


def one_size(n_queries: int, n_docs: int, slice_q: int, tiny: str, folder: Path) -> dict[str, float]:
    from workbench import formats, service
    from workbench.compare import metrics
    from workbench.model import Result, Run
    from workbench.rerank import get_reranker
    from workbench.store import Store

    csv_path = make_csv(folder, n_queries, n_docs)
    os.environ["WORKBENCH_DB"] = str(folder / f"scale-{n_queries}.db")
    store = Store()
    out: dict[str, float] = {}
    t = time.perf_counter()
    result = formats.read_candidates(csv_path)
    session = store.create_session(f"scale {n_queries}")
    service.save_sets(store, session.id, result.sets)
    out["import"] = time.perf_counter() - t

    sets = result.sets
    items = [(s.query, s.documents) for s in sets]
    labels = {s.query.id: {d.id: d.label for d in s.documents if d.label is not None} for s in sets}
    bm25 = get_reranker("bm25")
    t = time.perf_counter()
    many_a = bm25.rank_many(items, INSTR_A, progress=False)
    out["bm25"] = time.perf_counter() - t
    out["bm25 pairs/s"] = n_queries * n_docs / out["bm25"]
    many_b = bm25.rank_many(items[::-1], INSTR_B, progress=False)

    rr = get_reranker("qwen-vl", model_path=tiny)
    t = time.perf_counter()
    rr.rank_many(items[:slice_q], INSTR_A, progress=False)
    out[f"tiny ({slice_q} queries)"] = time.perf_counter() - t

    def runs(many, name):
        return [Run(r.instruction, r.backend, r.model_id, query_id=r.query.id, name=name, status="done",
                    scores=[Result(x.doc_id, x.score, x.rank, x.index) for x in r]) for r in many]

    all_runs = runs(many_a, "bm25-web") + runs(many_b, "bm25-qa")
    t = time.perf_counter()
    metrics(all_runs, labels, k=10)
    out["compare"] = time.perf_counter() - t
    t = time.perf_counter()
    formats.export_long(all_runs, folder / f"scale-{n_queries}-long.csv", labels=labels)
    out["export"] = time.perf_counter() - t
    store.close()
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100,1000,5000")
    ap.add_argument("--docs", type=int, default=50)
    ap.add_argument("--slice", type=int, default=200)
    args = ap.parse_args(argv)
    sizes = [int(x) for x in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="wb-scale-") as tmp:
        folder = Path(tmp)
        from workbench.rerank.tiny import build_tiny_checkpoint

        tiny = str(build_tiny_checkpoint(folder / "tiny"))
        results = {}
        for n in sizes:
            results[n] = one_size(n, args.docs, min(args.slice, n), tiny, folder)
            print(f"  {n} queries x {args.docs} docs: " + ", ".join(f"{k} {v:.2f}" for k, v in results[n].items()),
                  flush=True)
    steps = [k for k in results[sizes[0]] if not k.endswith("pairs/s")]
    head = f"| step | " + " | ".join(f"{n:,} q (s)" for n in sizes) + " | " + " | ".join(
        f"x{sizes[i + 1] // sizes[i]} size: ratio" for i in range(len(sizes) - 1)) + " |"
    print("\n" + head)
    print("|" + "---|" * (1 + 2 * len(sizes) - 1))
    for step in steps:
        vals = [results[n][step] for n in sizes]
        ratios = [vals[i + 1] / vals[i] if vals[i] else float("nan") for i in range(len(vals) - 1)]
        print(f"| {step} | " + " | ".join(f"{v:.2f}" for v in vals) + " | "
              + " | ".join(f"{r:.1f}x" for r in ratios) + " |")
    print("| bm25 pairs/s | " + " | ".join(f"{results[n]['bm25 pairs/s']:,.0f}" for n in sizes) + " |"
          + " |" * (len(sizes) - 1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
