"""Engine benchmark: P1-P5 of issue 4, measured side by side in one run (CPU, no download).

    .venv/bin/python bench/engine.py              # the P1-P5 table (~2-4 min on 2 cores)
    .venv/bin/python bench/engine.py --crossover  # where shared-prefix reuse starts to pay

Builds the tiny (~1M) and small (~19M params) random Qwen2.5-VL checkpoints
(workbench.testing.tiny) in a temp dir, plus random images of mixed sizes.

P1  end-to-end rank() time / the bare model forwards over the same batches (<= 1.10)
    (the same plan, inputs encoded beforehand; both with the engine's default settings)
P2  padding waste of the processor's real batches: naive fixed-8 in input order vs ours (<= 10%)
P3  shared-prefix reuse speed-up, image query, 8 text docs, cold prefix each time (>= 2x)
P4  a warm (cached) re-run of a stored set vs the cold run, through service.rerank_set (>= 50x)
P5  peak RSS of a subprocess ranking 1,000 text docs / 100 docs, tiny checkpoint (<= 1.2)
P6  image-heavy job: 48 image docs of mixed sizes + an image query, on a checkpoint with the real
    vision-tower layout (32 blocks, full attention at 7/15/23/31, 112-px windows) at small width;
    grouped-window vision attention + prefetch on vs off, side by side: time ratio (>= 1.05x),
    attention kernel calls per tower forward (one per window -> one per distinct length),
    max |delta score| (<= 1e-6)

    .venv/bin/python bench/engine.py --only P6    # just P6 (~1-2 min)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

INSTR = "Given a user's search query, rank products by visual and textual relevance"
WORDS = ("red running shoes breathable mesh lightweight coffee cup wooden table stainless steel "
         "water bottle wireless headphones noise cancelling battery price free shipping").split()


def _quiet():
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    except Exception:  # noqa: BLE001
        pass


def _text(i: int, n: int) -> str:
    return " ".join(WORDS[(i * 7 + j) % len(WORDS)] for j in range(n))


def make_images(folder: Path, n: int, seed: int = 0) -> list[str]:
    """Random RGB images of mixed sizes: ~20 to ~600 image tokens."""
    import numpy as np
    from PIL import Image

    rng = np.random.RandomState(seed)
    sizes = [(84, 84), (140, 112), (224, 168), (336, 252), (448, 336), (560, 420), (672, 504)]
    out = []
    for i in range(n):
        w, h = sizes[i % len(sizes)]
        arr = (rng.rand(h, w, 3) * 255).astype("uint8")
        path = folder / f"img{i}.png"
        Image.fromarray(arr).save(path)
        out.append(str(path))
    return out


def mixed_docs(images: list[str], n: int):
    from workbench.model import Document

    docs = []
    for i in range(n):
        if i % 2:
            docs.append(Document(f"t{i}", text=_text(i, 5 + (i * 13) % 120)))
        else:
            docs.append(Document(f"i{i}", image=images[(i // 2) % len(images)],
                                 text=_text(i, 4) if i % 4 == 0 else ""))
    return docs


def timed(fn, reps: int = 1):
    best, out = float("inf"), None
    for _ in range(reps):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def p1_overhead(small: str, images: list[str]) -> tuple[float, str]:
    from workbench.model import Query
    from workbench.rerank import get_reranker, plan_batches
    from workbench.rerank.qwen_vl.reranker import _query_images

    rr = get_reranker("qwen-vl", model_path=small)
    q = Query("q", text="red running shoes")
    docs = mixed_docs(images, 24)
    rr.rank(q, docs[:2], INSTR)  # warm-up

    def end_to_end():
        rr._prefix_store = None
        return rr.rank(q, docs, INSTR)

    # the bare forwards: the same plan, the inputs encoded beforehand, the same forward routine
    costs = rr._costs(INSTR, q, docs)
    plan = plan_batches(costs, batch_size=rr.batch_size, token_budget=rr.token_budget,
                        batch_overhead=rr.batch_overhead)
    encoded = []
    for batch in plan:
        msgs = [rr._fit(INSTR, q, docs[i]) for i in batch]
        encoded.append((rr.encode(msgs).to(rr.model.device), _query_images(msgs[0])))

    def bare():
        rr._prefix_store = None
        return [rr.forward_inputs(inp, nq) for inp, nq in encoded]

    for _ in range(2):  # warm-up: CPU kernels are tuned per new shape on first use
        bare()
        end_to_end()
    e2e = bare_t = float("inf")
    for _ in range(5):  # interleaved, best of 5 each: fair under background load
        e2e = min(e2e, timed(end_to_end)[0])
        bare_t = min(bare_t, timed(bare)[0])
    return e2e / bare_t, f"{len(docs)} mixed docs, {len(plan)} batches: {e2e:.2f}s vs {bare_t:.2f}s"


def p2_padding(tiny: str, images: list[str]) -> tuple[float, float, str]:
    from workbench.model import Query
    from workbench.rerank import get_reranker, plan_batches

    rr = get_reranker("qwen-vl", model_path=tiny)
    q = Query("q", text="red running shoes")
    docs = mixed_docs(images, 64)

    def waste(plan):
        real = padded = 0
        for batch in plan:
            mask = rr.encode([rr._fit(INSTR, q, docs[i]) for i in batch])["attention_mask"]
            real += int(mask.sum())
            padded += mask.numel()
        return 1 - real / padded

    naive = waste(plan_batches([0] * len(docs), batch_size=8))
    costs = rr._costs(INSTR, q, docs)
    ours = waste(plan_batches(costs, batch_size=rr.batch_size, token_budget=rr.token_budget,
                              batch_overhead=rr.batch_overhead))
    return naive, ours, (f"64 docs (32 image 20-600 img tokens, 32 text 5-125 words); "
                         f"budget {rr.token_budget} tok, cap {rr.batch_size}")


def p3_prefix(small: str, images: list[str], qimage: str) -> tuple[float, str]:
    from workbench.model import Document, Query
    from workbench.rerank import get_reranker

    on = get_reranker("qwen-vl", model_path=small, prefix_reuse=True, batch_size=8)
    off = get_reranker("qwen-vl", model_path=small, prefix_reuse=False, batch_size=8)
    off.model = on.model  # the same weights object
    q = Query("q", image=qimage, text="red running shoes")
    docs = [Document(f"d{i}", text=_text(i, 6)) for i in range(8)]
    def run(rr):
        rr._prefix_store = None  # cold: the prefix is computed inside the timed call
        return rr.rank(q, docs, INSTR)

    for _ in range(2):  # warm-up (shapes)
        run(on)
        run(off)

    t_on = t_off = float("inf")
    for _ in range(3):
        t_off = min(t_off, timed(lambda: run(off))[0])
        t_on = min(t_on, timed(lambda: run(on))[0])
    s_on = run(on).scores_in_input_order()
    s_off = run(off).scores_in_input_order()
    diff = max(abs(a - b) for a, b in zip(s_on, s_off))
    enc = on.encode([on.messages_for(INSTR, q, docs[0])])
    P = on.common_prefix_length(on.encode([on.messages_for(INSTR, q, d) for d in docs[:2]]), 1)
    return t_off / t_on, (f"prefix {P} of {enc['input_ids'].shape[1]} tokens, 8 docs: {t_off:.2f}s -> "
                          f"{t_on:.2f}s, max |diff| {diff:.1e}")


def p4_cache(small: str, images: list[str], folder: Path) -> tuple[float, str]:
    from workbench.model import CandidateSet, Query
    from workbench.rerank import get_reranker
    from workbench.service import rerank_set
    from workbench.store import Store

    store = Store(folder / "bench.db")
    sess = store.create_session("bench")
    set_id = store.save_candidate_set(sess.id, CandidateSet(
        query=Query("q", text="red running shoes"), documents=mixed_docs(images, 16), name="p4"))
    rr = get_reranker("qwen-vl", model_path=small)
    cold_t, cold = timed(lambda: rerank_set(store, set_id, INSTR, rr))
    warm_t, warm = timed(lambda: rerank_set(store, set_id, INSTR, rr), reps=3)
    assert warm.cache_hits == 16 and warm.cache_misses == 0 and cold.cache_misses == 16
    return cold_t / warm_t, f"16 docs: cold {cold_t:.2f}s, warm {warm_t * 1000:.1f}ms (16/16 hits)"


_RSS_CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
from workbench.model import Document, Query
from workbench.rerank import get_reranker
rr = get_reranker("qwen-vl", model_path={tiny!r})
q = Query("q", text="red running shoes")
words = {words!r}
def doc(i):
    return Document(f"d{{i}}", text=" ".join(words[(i * 7 + j) % len(words)] for j in range(5 + i % 40)))
rr.rank(q, [doc(i) for i in range(16)], "I")  # warm-up: allocator, kernels
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
n = int(sys.argv[1])
t = time.perf_counter()
res = rr.rank(q, [doc(i) for i in range(n)], "I")
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"n": n, "base_kb": base, "peak_kb": peak, "s": time.perf_counter() - t,
                  "results": len(res)}}))
"""


def p5_memory(tiny: str) -> tuple[float, str]:
    code = _RSS_CHILD.format(root=str(ROOT), tiny=tiny, words=list(WORDS))
    out = {}
    for n in (100, 1000):
        proc = subprocess.run([sys.executable, "-c", code, str(n)], capture_output=True, text=True,
                              env=dict(os.environ, TRANSFORMERS_VERBOSITY="error"))
        if proc.returncode:
            raise SystemExit(f"P5 child failed:\n{proc.stderr[-2000:]}")
        out[n] = json.loads(proc.stdout.strip().splitlines()[-1])
    a, b = out[100], out[1000]
    ratio = b["peak_kb"] / a["peak_kb"]
    return ratio, (f"peak {a['peak_kb'] / 1024:.0f} -> {b['peak_kb'] / 1024:.0f} MiB; growth over the "
                   f"warm baseline {(a['peak_kb'] - a['base_kb']) / 1024:.1f} -> "
                   f"{(b['peak_kb'] - b['base_kb']) / 1024:.1f} MiB; 1000 docs in {b['s']:.1f}s")


P6_SIZES = [(224, 168), (336, 252), (448, 336), (560, 420), (672, 504), (308, 196), (140, 112),
            (392, 280)]


class GroupedUnavailable(Exception):
    """P6 cannot measure the grouped path: it is not active (the reason is the message)."""


def p6_images(folder: Path, n_docs: int = 48, reps: int = 2) -> tuple[float, float, str, str]:
    """(speed-up, max |delta score|, calls summary, details) of the image-heavy job, on vs off."""
    import numpy as np
    from PIL import Image

    from workbench.model import Document, Query
    from workbench.rerank import get_reranker
    from workbench.rerank.qwen_vl import vision_attention as va
    from workbench.testing.tiny import REAL_TOWER, build_tiny_checkpoint

    real = str(build_tiny_checkpoint(folder / "real-tower", size="small", **REAL_TOWER))
    (folder / "p6").mkdir(exist_ok=True)
    rng = np.random.RandomState(6)
    docs = []
    for i in range(n_docs):
        w, h = P6_SIZES[i % len(P6_SIZES)]
        path = folder / "p6" / f"d{i}.jpg"
        Image.fromarray((rng.rand(h, w, 3) * 255).astype("uint8")).save(path, quality=90)
        docs.append(Document(f"d{i}", image=str(path), text=_text(i, 6) if i % 3 == 0 else ""))
    qpath = folder / "p6" / "q.jpg"
    Image.fromarray((rng.rand(252, 336, 3) * 255).astype("uint8")).save(qpath, quality=90)
    query = Query("q", image=str(qpath), text="red running shoes")

    on = get_reranker("qwen-vl", model_path=real)
    off = get_reranker("qwen-vl", model_path=real, grouped_vision_attention=False, prefetch=False)
    if not on.vision_attention["active"]:
        raise GroupedUnavailable(on.vision_attention["reason"])
    assert not off.vision_attention["active"]

    def run(rr):
        rr._prefix_store = None   # cold: the query image prefix is computed in every run
        return rr.rank(query, docs, INSTR)

    counts, grids = {}, {}
    for name, rr in (("off", off), ("on", on)):   # warm-up + kernel call counts (not timed)
        seen: list = []
        hook = rr.model.model.visual.register_forward_pre_hook(
            lambda mod, args, kwargs: seen.append(kwargs.get("grid_thw", args[1] if len(args) > 1 else None)),
            with_kwargs=True)
        with va.count_tower_attention_calls(rr.model) as calls:
            res = run(rr)
        hook.remove()
        counts[name] = (calls, res.scores_in_input_order(), int(res.timings["n_batches"]))
        grids[name] = seen
    expected_on, expected_off = _expected_calls(on.model, grids["on"])
    t_on = t_off = cpu_on = cpu_off = float("inf")
    for _ in range(reps):                           # interleaved, best of `reps` each
        c = time.process_time()
        t_off = min(t_off, timed(lambda: run(off))[0])
        cpu_off = min(cpu_off, time.process_time() - c)
        c = time.process_time()
        t_on = min(t_on, timed(lambda: run(on))[0])
        cpu_on = min(cpu_on, time.process_time() - c)
    diff = max(abs(a - b) for a, b in zip(counts["on"][1], counts["off"][1]))
    c_off, c_on = counts["off"][0], counts["on"][0]
    per_off, per_on = sum(c_off) / len(c_off), sum(c_on) / len(c_on)
    calls = (f"{per_off:.0f} -> {per_on:.0f} per tower forward ({len(c_on)} forwards: "
             f"{sum(c_off)} -> {sum(c_on)})")
    calls_ok = c_on == expected_on and c_off == expected_off
    return t_off / t_on, diff, (calls, calls_ok), (f"{n_docs} image docs {P6_SIZES[0][0]}x{P6_SIZES[0][1]}.."
                                       f"{max(P6_SIZES)[0]}x{max(P6_SIZES)[1]} + image query, "
                                       f"{counts['on'][2]} batches: {t_off:.2f}s -> {t_on:.2f}s "
                                       f"(CPU time {cpu_off:.1f}s -> {cpu_on:.1f}s)")


def _expected_calls(model, grids) -> tuple[list[int], list[int]]:
    """Attention calls per tower forward worked out from the image grids with transformers' own
    window index: (one per distinct length, one per window) summed over the blocks."""
    from transformers.vision_utils import get_vision_window_index

    cfg = model.config.vision_config
    full = set(cfg.fullatt_block_indexes)
    n_full, n_win = len(full), cfg.depth - len(full)
    grouped, stock = [], []
    for g in grids:
        _, cu = get_vision_window_index(g.cpu(), spatial_merge_size=cfg.spatial_merge_size,
                                        window_size=cfg.window_size, patch_size=cfg.patch_size)
        windows = (cu[1:] - cu[:-1]).tolist()
        images = (g[:, 1] * g[:, 2]).repeat_interleave(g[:, 0]).tolist()
        grouped.append(n_win * len(set(windows)) + n_full * len(set(images)))
        stock.append(n_win * len(windows) + n_full * len(images))
    return grouped, stock


def crossover(small: str, suffix_tokens: int = 24, batch: int = 8) -> list[tuple[int, float, float]]:
    """Time full recompute vs shared-prefix reuse on synthetic token batches: B rows of
    [P common tokens | S different tokens], text only, for growing P."""
    import torch

    from workbench.rerank import get_reranker

    rr = get_reranker("qwen-vl", model_path=small, prefix_reuse=True)
    vocab = min(2000, rr.model.config.text_config.vocab_size)
    g = torch.Generator().manual_seed(0)
    rows = []
    for P in (8, 16, 32, 64, 128, 256):
        prefix = torch.randint(10, vocab, (1, P), generator=g).expand(batch, -1)
        suffix = torch.randint(10, vocab, (batch, suffix_tokens), generator=g)
        ids = torch.cat([prefix, suffix], 1)
        inputs = {"input_ids": ids, "attention_mask": torch.ones_like(ids),
                  "mm_token_type_ids": torch.zeros_like(ids)}
        with torch.inference_mode():
            rr.model(**inputs, logits_to_keep=1)

            def full():
                return rr.model(**inputs, logits_to_keep=1).logits[:, -1]

            def reuse():
                rr._prefix_store = None
                return rr._forward_with_prefix(inputs, P, 0)

            t_full = t_reuse = float("inf")
            for _ in range(5):
                t_full = min(t_full, timed(full)[0])
                t_reuse = min(t_reuse, timed(reuse)[0])
            diff = float((torch.softmax(full(), -1) - torch.softmax(reuse(), -1)).abs().max())
        rows.append((P, t_full * 1000, t_reuse * 1000))
        print(f"  P={P:4d} S={suffix_tokens} B={batch}: full {t_full * 1000:7.1f} ms, reuse "
              f"{t_reuse * 1000:7.1f} ms, speed-up {t_full / t_reuse:4.2f}x (max |dp| {diff:.1e})",
              flush=True)
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--crossover", action="store_true", help="measure where prefix reuse pays")
    ap.add_argument("--only", default="P1,P2,P3,P4,P5,P6",
                    help="comma-separated measures to run (default all: P1,P2,P3,P4,P5,P6)")
    args = ap.parse_args(argv)
    only = {x.strip().upper() for x in args.only.split(",") if x.strip()}
    _quiet()
    import platform

    import torch

    from workbench.rerank.qwen_vl.compat import ensure_torchvision
    from workbench.testing.tiny import build_tiny_checkpoint

    ensure_torchvision()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ["WORKBENCH_HOME"] = str(folder / "home")
        tiny = str(build_tiny_checkpoint(folder / "tiny", size="tiny"))
        small = str(build_tiny_checkpoint(folder / "small", size="small"))
        print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
              f"torch {torch.__version__} ({torch.get_num_threads()} threads), CPU fp32")
        if args.crossover:
            print("shared-prefix crossover, small (~19M) checkpoint:")
            crossover(small, suffix_tokens=24)
            crossover(small, suffix_tokens=200)
            return 0
        (folder / "img").mkdir()
        images = make_images(folder / "img", 14)
        (folder / "qimg").mkdir()
        qimage = make_images(folder / "qimg", 7, seed=5)[-1]  # 672x504: 432 image tokens
        rows = []
        if "P1" in only:
            r, note = p1_overhead(small, images)
            rows.append(("P1 end-to-end / bare forwards", f"{r:.3f}", "<= 1.10", r <= 1.10, note))
        if "P2" in only:
            naive, ours, note = p2_padding(tiny, images)
            rows.append(("P2 padding waste naive -> ours", f"{naive:.1%} -> {ours:.1%}", "ours <= 10%",
                         ours <= 0.10, note))
        if "P3" in only:
            r, note = p3_prefix(small, images, qimage)
            rows.append(("P3 prefix-reuse speed-up", f"{r:.2f}x", ">= 2x", r >= 2.0, note))
        if "P4" in only:
            r, note = p4_cache(small, images, folder)
            rows.append(("P4 warm re-run vs cold", f"{r:.0f}x", ">= 50x", r >= 50.0, note))
        if "P5" in only:
            r, note = p5_memory(tiny)
            rows.append(("P5 peak RSS 1000 / 100 docs", f"{r:.3f}", "<= 1.2", r <= 1.2, note))
        try:
            p6 = p6_images(folder) if "P6" in only else None
        except GroupedUnavailable as exc:   # P1-P5 still print; the row says why P6 could not run
            rows.append(("P6 image job, grouped vision attn + prefetch on vs off", "-", ">= 1.05x", False,
                         f"not measured: {exc}"))
            p6 = None
        if p6 is not None:
            r, diff, calls, note = p6
            rows.append(("P6 image job, grouped vision attn + prefetch on vs off", f"{r:.2f}x",
                         ">= 1.05x", r >= 1.05, note))
            rows.append(("P6 max |delta score|", f"{diff:.1e}", "<= 1e-6", diff <= 1e-6,
                         "same weights, fp32"))
            rows.append(("P6 vision attention kernel calls", calls[0], "one per length", calls[1],
                         "windows -> distinct window lengths (checked against the image grids)"))
    w = max(len(r[0]) for r in rows)
    print(f"\n| {'measure'.ljust(w)} | measured | threshold | result | details |")
    print(f"|{'-' * (w + 2)}|----------|-----------|--------|---------|")
    for name, measured, threshold, ok, note in rows:
        print(f"| {name.ljust(w)} | {measured} | {threshold} | {'PASS' if ok else 'FAIL'} | {note} |")
    print(f"\ntotal bench time {time.perf_counter() - t0:.0f}s")
    return 0 if all(r[3] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
