"""Benchmark: evaluation at benchmark scale, side by side for several session sizes in one run.

    .venv/bin/python bench/scale.py                       # 100, 1,000 and 5,000 queries x 50 documents
    .venv/bin/python bench/scale.py --sizes 100,1000 --docs 50 --slice 200 --runs 5
    .venv/bin/python bench/scale.py --quick               # 20 and 40 queries x 10 documents (a smoke run)

For each size (queries x --docs documents, English with some Chinese, a third of the documents
labelled) it times, in a fresh temporary database:

  import        read the candidate CSV and save every set (formats.read_candidates + service.save_sets)
  bm25          rank every query with BM25 (Reranker.rank_many; the pairs/s are printed)
  tiny          the tiny Qwen-VL checkpoint over a fixed --slice of queries (rank_many, batches across
                queries): the same work at every size, so its ratio should stay ~1
  save runs     --runs runs stored (two BM25 instructions, the others reorderings of the first)
  compare       NDCG@10, MRR, P@10, Recall@10, MAP and Judged@10 of two BM25 runs over every query
                (compare.metrics)
  export long   the long CSV of both runs (formats.export_long)
  export tidy   the tidy Parquet of every stored run (service.write_tidy, streamed), with the peak growth of the
                process' resident memory while it runs ("export MB": flat memory keeps it ~1x)
  page <name>   the app's pages, each one's first run on the stored session (Streamlit AppTest, the
                session in the URL as a bookmark opens it); a page over --page-timeout reads "> N"

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
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = ("red running shoes mesh breathable trail jacket denim slim washed cotton khaki cargo pockets "
         "travel policy reimbursement hotel flight invoice itinerary approval receipt budget").split()
ZH = ["报销", "发票", "行程单", "审批", "牛仔", "夹克", "跑步鞋"]
INSTR_A = "Given a web search query, retrieve relevant passages that answer the query"
INSTR_B = "Given a question, retrieve factual passages that answer it"
PAGES = ("home", "import", "ocr", "rerank", "compare", "matrix", "label", "sessions")


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


class PeakRss:
    """Peak growth of this process' resident memory (MB) while the block runs, sampled every 5 ms."""

    def __init__(self) -> None:
        self.peak_mb = 0.0

    @staticmethod
    def rss_mb() -> float:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    def __enter__(self) -> "PeakRss":
        self._start = self._peak = self.rss_mb()
        self._stop = threading.Event()

        def sample() -> None:
            while not self._stop.wait(0.005):
                self._peak = max(self._peak, self.rss_mb())

        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self._peak, self.rss_mb()) - self._start


def reordered(order: list, seed: int) -> list:
    """A plausible other run: the same documents with neighbours swapped at random."""
    rng = random.Random(seed)
    out = list(order)
    for i in range(0, len(out) - 1, 2):
        if rng.random() < 0.5:
            out[i], out[i + 1] = out[i + 1], out[i]
    return out


def store_runs(store, session_id: int, runs_by_name: dict[str, list], batch: int = 200) -> None:
    """Save rankings as stored runs (the bench's one adapter to how the store keeps runs):
    ``{name: [(query_id, instruction, [(doc_id, score), ...]), ...]}``. Each name is ONE run of the
    session over all its queries (`Store.create_session_run`), its rankings created in one
    transaction and their scores written `batch` rankings per transaction (`Store.finish_rankings`),
    as a whole-session rerank writes them."""
    from workbench.model import Result, Run

    set_of = {s.query_id: s.id for s in store.list_candidate_sets(session_id)}
    for name, rankings in runs_by_name.items():
        if not rankings:
            continue
        instruction = rankings[0][1]
        info = store.create_session_run(session_id, instruction=instruction, backend="lexical", model_id="bm25",
                                        name=name, unique=False)
        ids = []
        with store.transaction():
            for qid, _instr, _scored in rankings:
                ids.append(store.create_run(set_of[qid], Run(instruction, "lexical", "bm25", query_id=qid,
                                                             name=name, status="pending"), run_id=info.id))
        for i in range(0, len(rankings), batch):
            store.finish_rankings([(rid, [Result(d, s, j + 1, j) for j, (d, s) in enumerate(scored)], {}, 0, 0)
                                   for rid, (_q, _i, scored) in zip(ids[i:i + batch], rankings[i:i + batch])])


def page_loads(db: str, session_id: int, pages, timeout: float) -> dict[str, float]:
    """Seconds of each page's first run (AppTest) on the session; NaN-free: a page that fails or
    runs past `timeout` gives -timeout (printed as "> N")."""
    from streamlit.testing.v1 import AppTest

    out: dict[str, float] = {}
    for name in pages:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
        at.query_params["session"] = str(session_id)
        t = time.perf_counter()
        try:
            at.switch_page(f"pages/{name}_page.py").run()
            took = time.perf_counter() - t
            failed = bool(at.exception)
        except Exception:  # noqa: BLE001 - a timeout: reported as such
            took, failed = timeout, True
        out[f"page {name}"] = -took if failed else took
    return out


def warm_up(folder: Path, pages, timeout: float) -> None:
    """What a long-lived process pays once (jieba's dictionary, Streamlit's and the pages' imports),
    paid before the first size so that its numbers are like the others'."""
    from workbench.rerank import get_reranker

    get_reranker("bm25").rank_many([("red shoes 跑步鞋", ["red running shoes", "报销 发票"])], progress=False)
    if pages:
        os.environ["WORKBENCH_DB"] = str(folder / "warm-up.db")
        page_loads(str(folder / "warm-up.db"), 0, pages, timeout)


def one_size(n_queries: int, n_docs: int, slice_q: int, tiny: str | None, folder: Path, n_runs: int,
             pages, page_timeout: float) -> dict[str, float]:
    from workbench import formats, service
    from workbench.compare import metrics
    from workbench.model import Result, Run
    from workbench.rerank import get_reranker
    from workbench.store import Store

    csv_path = make_csv(folder, n_queries, n_docs)
    db = str(folder / f"scale-{n_queries}.db")
    os.environ["WORKBENCH_DB"] = db
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

    if tiny:
        rr = get_reranker("qwen-vl", model_path=tiny)
        t = time.perf_counter()
        rr.rank_many(items[:slice_q], INSTR_A, progress=False)
        out[f"tiny ({slice_q} queries)"] = time.perf_counter() - t

    def runs(many, name):
        return [Run(r.instruction, r.backend, r.model_id, query_id=r.query.id, name=name, status="done",
                    scores=[Result(x.doc_id, x.score, x.rank, x.index) for x in r]) for r in many]

    stored = {"bm25-web": [(r.query.id, INSTR_A, [(x.doc_id, x.score) for x in r]) for r in many_a],
              "bm25-qa": [(r.query.id, INSTR_B, [(x.doc_id, x.score) for x in r]) for r in many_b]}
    for v in range(max(0, n_runs - 2)):
        stored[f"variant-{v + 1}"] = [(qid, f"{INSTR_A} (variant {v + 1})",
                                       [(d, 1.0 / (i + 1)) for i, (d, _) in enumerate(reordered(scored, v))])
                                      for qid, _, scored in stored["bm25-web"]]
    stored = dict(list(stored.items())[:n_runs])
    t = time.perf_counter()
    store_runs(store, session.id, stored)
    out[f"save runs ({len(stored)})"] = time.perf_counter() - t

    all_runs = runs(many_a, "bm25-web") + runs(many_b, "bm25-qa")
    t = time.perf_counter()
    metrics(all_runs, labels, k=10)
    out["compare"] = time.perf_counter() - t
    t = time.perf_counter()
    formats.export_long(all_runs, folder / f"scale-{n_queries}-long.csv", labels=labels)
    out["export long"] = time.perf_counter() - t
    try:
        with PeakRss() as mem:
            t = time.perf_counter()
            # streamed to the file a batch of rankings at a time (service.write_tidy), as the CLI does
            rows = service.write_tidy(store, folder / f"scale-{n_queries}.parquet", session=session.id,
                                      fmt="parquet")
            out["export tidy"] = time.perf_counter() - t
        out["export tidy MB"] = mem.peak_mb
        out["export tidy rows"] = rows
    except Exception as err:  # noqa: BLE001 - e.g. no pyarrow: the table says so
        print(f"  tidy Parquet export failed: {err}", flush=True)
    store.close()
    out.update(page_loads(db, session.id, pages, page_timeout))
    return out


def table(results: dict[int, dict[str, float]], sizes: list[int], docs: int) -> str:
    """The markdown table: seconds per size and the growth ratio from one size to the next."""
    steps = list(dict.fromkeys(k for n in sizes for k in results[n]
                               if not k.endswith(("pairs/s", "rows"))))
    columns = ["step", *(f"{n:,} q (s)" for n in sizes),
               *(f"{sizes[i + 1] / sizes[i]:g}x size: ratio" for i in range(len(sizes) - 1))]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    pad = " |" * (len(sizes) - 1)                     # the ratio cells of rows without ratios

    def row(name: str, cells: list[str]) -> str:
        return "| " + " | ".join([name, *cells]) + " |"

    def cell(v: float | None) -> str:
        if v is None:
            return "–"
        return f"> {-v:.0f} (failed)" if v < 0 else f"{v:.2f}"

    for step in steps:
        vals = [results[n].get(step) for n in sizes]
        ratios = ["–" if a is None or b is None or a <= 0 or b <= 0 else f"{b / a:.1f}x"
                  for a, b in zip(vals, vals[1:])]
        name = step.replace("MB", "(MB, peak RSS growth)") if step.endswith("MB") else step
        lines.append(row(name, [cell(v) for v in vals] + ratios))
    lines.append(row("bm25 pairs/s", [f"{results[n]['bm25 pairs/s']:,.0f}" for n in sizes]) + pad)
    if all("export tidy rows" in results[n] for n in sizes):
        lines.append(row("tidy rows", [f"{int(results[n]['export tidy rows']):,}" for n in sizes]) + pad)
    return f"({docs} documents per query)\n" + "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100,1000,5000", help="numbers of queries, comma-separated")
    ap.add_argument("--docs", type=int, default=50, help="documents per query")
    ap.add_argument("--slice", type=int, default=200, help="queries the tiny checkpoint ranks (same at every size)")
    ap.add_argument("--runs", type=int, default=5, help="runs stored for the exports and the pages (at least 2)")
    ap.add_argument("--pages", default=",".join(PAGES), help="pages whose first load is timed ('' for none)")
    ap.add_argument("--page-timeout", type=float, default=120.0, help="seconds a page may take")
    ap.add_argument("--no-tiny", action="store_true", help="leave out the tiny-checkpoint step")
    ap.add_argument("--quick", action="store_true",
                    help="a smoke run: 20 and 40 queries x 10 documents, a 5-query slice, 3 runs")
    args = ap.parse_args(argv)
    if args.quick:
        args.sizes, args.docs, args.slice, args.runs = "20,40", 10, 5, 3
    sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    if not sizes or min(sizes) < 1 or args.docs < 1 or args.runs < 2:
        ap.error("--sizes needs whole numbers >= 1, --docs >= 1 and --runs >= 2")
    pages = [p for p in args.pages.split(",") if p.strip()]
    unknown = [p for p in pages if p not in PAGES]
    if unknown:
        ap.error(f"unknown page(s) {', '.join(unknown)}; pick from {', '.join(PAGES)}")
    with tempfile.TemporaryDirectory(prefix="wb-scale-") as tmp:
        folder = Path(tmp)
        os.environ["WORKBENCH_HOME"] = str(folder / "home")
        tiny = None
        if not args.no_tiny:
            from workbench.testing.tiny import build_tiny_checkpoint

            tiny = str(build_tiny_checkpoint(folder / "tiny"))
        warm_up(folder, pages, args.page_timeout)
        results = {}
        for n in sizes:
            results[n] = one_size(n, args.docs, min(args.slice, n), tiny, folder, args.runs, pages,
                                  args.page_timeout)
            print(f"  {n} queries x {args.docs} docs: " + ", ".join(f"{k} {v:.2f}" for k, v in results[n].items()),
                  flush=True)
    print("\n" + table(results, sizes, args.docs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
