"""GPU benchmark: the full Qwen2.5-VL-7B architecture with random weights, naive vs ours.

    python bench/gpu.py                          # 7B config, CUDA, bf16, best attention
    python bench/gpu.py --config small --docs 4  # ~19M config on CPU (CI keeps this working)

No download: the architecture comes from the published config.json of
Qwen/Qwen2.5-VL-7B-Instruct, written out literally below (QWEN25_VL_7B). The model is
built directly on the target device in bf16, so its random init runs on the GPU in
about a second, and it is never written to disk. The tokenizer and processor are the
tiny checkpoint's (workbench.testing.tiny). Their ids are all below the 7B vocab size
of 152,064, so the embedding keeps its real size, and the vision token ids are set from
that tokenizer.

It times 10 and 100 text docs and 10 and 100 image docs against one query. "naive" is
a fixed batch of 8 in input order with no prefix reuse, as in the Lychee guide. "ours"
is the engine's defaults: token-budget batches chosen from free GPU memory, and
shared-prefix reuse. Scores are P(yes) from a random model: they mean nothing, but the
time to compute them is what the real weights would take.

"naive" is also transformers' own vision attention (one kernel per window) and no
prefetching; "ours" has grouped-window vision attention and prefetching on
(workbench.rerank.qwen_vl.vision_attention, workbench.rerank.prefetch). `--ours-docs
text:1000,image:200` adds jobs timed for ours only (the GPU goals of issue 14).

Per job, ours is reported with:
  docs/s;
  the FLOP-limit ratio: measured time / (FLOPs / peak). FLOPs = 2 x LLM params (decoder
    layers, no embedding, no lm_head: logits are computed at one position) x LLM tokens
    + 2 x vision-tower params x vision tokens (patches, 4 per LLM image token). Tokens
    are the job's full (query, document) pairs, unpadded, as if each were run alone
    (so prefix reuse and good batching can only help). Attention's own FLOPs are left
    out. Peak: --peak-tflops (default 790 TFLOP/s, bf16 matmul measured on an H200; on
    another GPU pass --measure-peak), on CPU a matmul peak measured at start;
  peak GPU memory (torch.cuda.max_memory_allocated) during the job;
  the share of the time spent in the vision tower and in the language model, from
    forward hooks in one extra (untimed) run with a device sync at each hook.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Qwen/Qwen2.5-VL-7B-Instruct config.json (public), the fields that shape the model.
QWEN25_VL_7B = {
    "architectures": ["Qwen2_5_VLForConditionalGeneration"],
    "model_type": "qwen2_5_vl",
    "attention_dropout": 0.0,
    "bos_token_id": 151643,
    "eos_token_id": 151645,
    "vision_start_token_id": 151652,
    "vision_end_token_id": 151653,
    "vision_token_id": 151654,
    "image_token_id": 151655,
    "video_token_id": 151656,
    "hidden_act": "silu",
    "hidden_size": 3584,
    "initializer_range": 0.02,
    "intermediate_size": 18944,
    "max_position_embeddings": 128000,
    "max_window_layers": 28,
    "num_attention_heads": 28,
    "num_hidden_layers": 28,
    "num_key_value_heads": 4,
    "rms_norm_eps": 1e-06,
    "rope_theta": 1000000.0,
    "sliding_window": 32768,
    "tie_word_embeddings": False,
    "torch_dtype": "bfloat16",
    "use_cache": True,
    "use_sliding_window": False,
    "vision_config": {
        "depth": 32,
        "hidden_act": "silu",
        "hidden_size": 1280,
        "intermediate_size": 3420,
        "num_heads": 16,
        "in_chans": 3,
        "out_hidden_size": 3584,
        "patch_size": 14,
        "spatial_merge_size": 2,
        "spatial_patch_size": 14,
        "window_size": 112,
        "fullatt_block_indexes": [7, 15, 23, 31],
        "tokens_per_second": 2,
        "temporal_patch_size": 2,
    },
    "rope_scaling": {"type": "mrope", "mrope_section": [16, 24, 24]},
    "vocab_size": 152064,
}

WORDS = ("red running shoes breathable mesh lightweight coffee cup wooden table stainless steel "
         "water bottle wireless headphones noise cancelling battery price free shipping").split()
INSTR = "Given a user's search query, rank products by visual and textual relevance"


def config_7b(tok):
    """Qwen2_5_VLConfig of the 7B, with the special-token ids of the tokenizer in use."""
    from transformers import Qwen2_5_VLConfig

    c = dict(QWEN25_VL_7B)
    vision = c.pop("vision_config")
    rope = c.pop("rope_scaling")
    ids = {name: tok.convert_tokens_to_ids(tok_str) for name, tok_str in (
        ("image_token_id", "<|image_pad|>"), ("video_token_id", "<|video_pad|>"),
        ("vision_start_token_id", "<|vision_start|>"), ("vision_end_token_id", "<|vision_end|>"),
        ("vision_token_id", "<|vision_pad|>"), ("bos_token_id", "<|endoftext|>"),
        ("eos_token_id", "<|im_end|>"))}
    assert len(tok) <= c["vocab_size"], "tokenizer larger than the 7B vocab"
    text_keys = ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
                 "num_attention_heads", "num_key_value_heads", "max_position_embeddings",
                 "rms_norm_eps", "hidden_act", "initializer_range", "attention_dropout",
                 "use_sliding_window", "sliding_window", "max_window_layers", "use_cache")
    text = {k: c[k] for k in text_keys}
    text.update(bos_token_id=ids["bos_token_id"], eos_token_id=ids["eos_token_id"],
                pad_token_id=ids["bos_token_id"],
                rope_parameters={"rope_type": "default", "rope_theta": c["rope_theta"],
                                 "mrope_section": rope["mrope_section"]})
    vision = {k: v for k, v in vision.items() if k not in ("in_chans", "spatial_patch_size")}
    vision["in_channels"] = 3
    return Qwen2_5_VLConfig(
        text_config=text, vision_config=vision, image_token_id=ids["image_token_id"],
        video_token_id=ids["video_token_id"], vision_start_token_id=ids["vision_start_token_id"],
        vision_end_token_id=ids["vision_end_token_id"], tie_word_embeddings=False,
        architectures=c["architectures"])


def build_model(config, device: str, dtype, attn: str):
    """Random weights, built directly on `device` in `dtype` (init runs there, fast)."""
    import torch
    from transformers import Qwen2_5_VLForConditionalGeneration

    config._attn_implementation = attn
    for sub in (config.text_config, config.vision_config):
        sub._attn_implementation = attn
    old = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            model = Qwen2_5_VLForConditionalGeneration(config)
    finally:
        torch.set_default_dtype(old)
    with torch.no_grad():  # spread the yes/no rows so scores are not all 0.5
        model.lm_head.weight.normal_(0, 0.02)
    return model.eval()


def make_docs(kind: str, n: int, folder: Path, small: bool):
    import numpy as np
    from PIL import Image

    from workbench.model import Document

    rng = np.random.RandomState(n)
    docs = []
    sizes = [(112, 84), (168, 140), (224, 224)] if small else \
        [(336, 252), (448, 336), (640, 480), (800, 600), (1024, 768), (1280, 960)]
    for i in range(n):
        text = " ".join(WORDS[(i * 7 + j) % len(WORDS)] for j in range(5 + (i * 37) % 150))
        if kind == "text":
            docs.append(Document(f"t{i}", text=text))
        else:
            w, h = sizes[i % len(sizes)]
            path = folder / f"{kind}{n}_{i}.jpg"
            Image.fromarray((rng.rand(h, w, 3) * 255).astype("uint8")).save(path, quality=85)
            docs.append(Document(f"i{i}", image=str(path), text=text[:40] if i % 3 == 0 else ""))
    return docs


def measure_peak_tflops(device: str, dtype) -> float:
    """Dense matmul throughput (TFLOP/s) of this device in `dtype`: best of a few timed GEMMs."""
    import torch

    n = 8192 if device.startswith("cuda") else 1024
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    reps = 20 if device.startswith("cuda") else 5
    best = float("inf")
    for _ in range(3):
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        t = time.perf_counter()
        for _ in range(reps):
            a @ b
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t)
    return 2 * n ** 3 * reps / best / 1e12


def _params(n: int) -> str:
    return f"{n / 1e9:.2f}B" if n >= 1e9 else f"{n / 1e6:.1f}M"


def param_counts(model) -> tuple[int, int]:
    """(LLM decoder params without embeddings, vision tower params)."""
    lm = model.model.language_model
    llm = sum(p.numel() for n, p in lm.named_parameters() if "embed_tokens" not in n)
    vis = sum(p.numel() for p in model.model.visual.parameters())
    return llm, vis


def job_tokens(rr, query, docs) -> tuple[int, int]:
    """(LLM tokens, vision tokens) of the job: every full pair, unpadded; patches = 4 x image tokens."""
    llm = sum(rr._costs(INSTR, query, docs))
    vis = 4 * (sum(rr.image_tokens(d.image) for d in docs if d.image)
               + len(docs) * rr.image_tokens(query.image))
    return llm, vis


class PartTimer:
    """Wall time inside the vision tower and the language model, via forward hooks (device sync
    at each hook: use for one profiling run, not for the timed ones)."""

    def __init__(self, model, cuda: bool):
        import torch

        self.cuda, self.torch = cuda, torch
        self.parts = {"vision tower": model.model.visual, "language model": model.model.language_model}
        self.spent = {k: 0.0 for k in self.parts}
        self._t0: dict[str, float] = {}
        self.handles = []

    def _sync(self):
        if self.cuda:
            self.torch.cuda.synchronize()

    def __enter__(self):
        for name, mod in self.parts.items():
            def pre(*_, name=name):
                self._sync()
                self._t0[name] = time.perf_counter()

            def post(*_, name=name):
                self._sync()
                self.spent[name] += time.perf_counter() - self._t0.pop(name)
            self.handles += [mod.register_forward_pre_hook(pre), mod.register_forward_hook(post)]
        return self

    def __exit__(self, *exc):
        for h in self.handles:
            h.remove()


def set_engine(model, rr, ours) -> None:
    """Grouped vision attention on for ours, transformers' own path for naive (one shared model)."""
    from workbench.rerank.qwen_vl.vision_attention import install

    install(model, enabled=rr is ours)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", choices=["7b", "small"], default="7b")
    ap.add_argument("--docs", default="10,100", help="comma-separated doc counts (default 10,100)")
    ap.add_argument("--ours-docs", default=None,
                    help="jobs timed for ours only, e.g. text:1000,image:200 (default: those on 7b, none on small)")
    ap.add_argument("--device", default=None, help="cuda (default when available) or cpu")
    ap.add_argument("--reps", type=int, default=2, help="timed repetitions, best kept")
    ap.add_argument("--peak-tflops", type=float, default=None,
                    help="peak for the FLOP limit (default: 790 on CUDA = H200 bf16, measured; CPU: measured)")
    ap.add_argument("--measure-peak", action="store_true", help="measure the matmul peak of this device")
    args = ap.parse_args(argv)
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

    from workbench.rerank.qwen_vl.compat import ensure_torchvision

    ensure_torchvision()
    import torch
    from transformers import AutoProcessor

    from workbench.model import Query
    from workbench.rerank.qwen_vl import QwenVLReranker, flash_attn_available
    from workbench.testing.tiny import _config, build_tiny_checkpoint

    cuda = torch.cuda.is_available() and args.device != "cpu"
    if args.config == "7b" and not cuda:
        print("The 7B config needs a CUDA GPU (about 17 GB in bf16). "
              "Use --config small to run on CPU.", file=sys.stderr)
        return 2
    device = "cuda" if cuda else "cpu"
    dtype = torch.bfloat16 if cuda else torch.float32
    attn = "flash_attention_2" if cuda and flash_attn_available() else "sdpa"
    counts = [int(x) for x in args.docs.split(",") if x.strip()]
    ours_spec = args.ours_docs if args.ours_docs is not None else (
        "text:1000,image:200" if args.config == "7b" else "")
    ours_only = [(k.strip(), int(n)) for k, n in (x.split(":") for x in ours_spec.split(",") if x.strip())]
    if args.peak_tflops:
        peak, peak_note = args.peak_tflops, f"{args.peak_tflops:g} TFLOP/s (given)"
    elif cuda and not args.measure_peak:
        peak, peak_note = 790.0, "790 TFLOP/s (bf16 dense matmul, measured on an H200)"
    else:
        peak = measure_peak_tflops(device, dtype)
        peak_note = f"{peak:.3g} TFLOP/s ({str(dtype).replace('torch.', '')} matmul measured here)"

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ.setdefault("WORKBENCH_HOME", str(folder / "home"))
        ckpt = build_tiny_checkpoint(folder / "tok", size="tiny")
        processor = AutoProcessor.from_pretrained(str(ckpt))
        tok = processor.tokenizer
        config = config_7b(tok) if args.config == "7b" else _config(tok, "small")
        t = time.perf_counter()
        model = build_model(config, device, dtype, attn)
        if cuda:
            torch.cuda.synchronize()
        n_params = sum(p.numel() for p in model.parameters())
        p_llm, p_vis = param_counts(model)
        print(f"model: Qwen2.5-VL {args.config} architecture, {_params(n_params)} params "
              f"(LLM decoder {_params(p_llm)}, vision tower {_params(p_vis)}), random weights, "
              f"{str(dtype).replace('torch.', '')}, attn={attn}, built on {device} in "
              f"{time.perf_counter() - t:.1f}s")
        if cuda:
            print(f"device: {torch.cuda.get_device_name()}, free after load "
                  f"{torch.cuda.mem_get_info()[0] / 2**30:.1f} GiB")
        print(f"FLOP-limit peak: {peak_note}")
        ours = QwenVLReranker.from_loaded(model, processor, model_id=f"random-{args.config}",
                                          device=device, dtype=str(dtype).replace("torch.", ""),
                                          attn_implementation=attn)
        naive = QwenVLReranker.from_loaded(model, processor, model_id=f"random-{args.config}",
                                           device=device, dtype=str(dtype).replace("torch.", ""),
                                           attn_implementation=attn, batch_size=8,
                                           prefix_reuse=False, grouped_vision_attention=False,
                                           prefetch=False)
        naive.token_budget = None  # fixed batches of 8 in input order
        print(f"ours: token budget {ours.token_budget}, max batch {ours.batch_size}, "
              f"prefix reuse from {ours.prefix_min_tokens} tokens, grouped vision attention "
              f"({ours.vision_attention['reason']}), prefetch {'on' if ours.prefetch else 'off'}")
        query = Query("q", text="lightweight red running shoes for women")

        def timed_rank(rr, docs):
            set_engine(model, rr, ours)
            rr.rank(query, docs[: min(len(docs), 8)], INSTR)  # warm-up
            best = float("inf")
            for _ in range(max(1, args.reps)):
                rr._prefix_store = None
                if cuda:
                    torch.cuda.synchronize()
                t = time.perf_counter()
                rr.rank(query, docs, INSTR)
                if cuda:
                    torch.cuda.synchronize()
                best = min(best, time.perf_counter() - t)
            return best

        rows, details = [], []
        jobs = [(kind, n, True) for kind in ("text", "image") for n in counts] + \
            [(kind, n, False) for kind, n in ours_only]
        for kind, n, with_naive in jobs:
            docs = make_docs(kind, n, folder, args.config == "small")
            times = {}
            if with_naive:
                times["naive"] = timed_rank(naive, docs)
            if cuda:
                torch.cuda.reset_peak_memory_stats()
            times["ours"] = timed_rank(ours, docs)
            mem = torch.cuda.max_memory_allocated() / 2**30 if cuda else None
            ours._prefix_store = None
            with PartTimer(model, cuda) as parts:   # one extra run, hooks with syncs: shares only
                t = time.perf_counter()
                ours.rank(query, docs, INSTR)
                prof_total = time.perf_counter() - t
            llm_tok, vis_tok = job_tokens(ours, query, docs)
            limit = (2 * p_llm * llm_tok + 2 * p_vis * vis_tok) / (peak * 1e12)
            share = {k: v / prof_total for k, v in parts.spent.items()}
            if with_naive:
                rows.append((kind, n, times["naive"], times["ours"]))
            details.append((kind, n, times["ours"], n / times["ours"], llm_tok, vis_tok, limit,
                            times["ours"] / limit, mem, share))
            naive_txt = f"naive {times['naive']:.3f}s, " if with_naive else ""
            print(f"  {kind} x{n}: {naive_txt}ours {times['ours']:.3f}s ({n / times['ours']:.1f} docs/s, "
                  f"{times['ours'] / limit:.2f}x the FLOP limit)", flush=True)
    print("\n| docs | modality | naive fixed-8 (s) | ours (s) | speed-up |")
    print("|-----:|----------|------------------:|---------:|---------:|")
    for kind, n, a, b in rows:
        print(f"| {n} | {kind} | {a:.3f} | {b:.3f} | {a / b:.2f}x |")
    print(f"\nours per job (FLOP limit at {peak_note}; LLM {_params(p_llm)} and vision "
          f"{_params(p_vis)} params; tokens = full pairs, unpadded):")
    print("\n| docs | modality | ours (s) | docs/s | LLM tokens | vision tokens | FLOP limit (s) | "
          "x limit | peak GPU mem | vision tower | language model | other |")
    print("|-----:|----------|---------:|-------:|-----------:|--------------:|---------------:|"
          "--------:|-------------:|-------------:|---------------:|------:|")
    for kind, n, t, dps, lt, vt, limit, ratio, mem, share in details:
        v, l = share["vision tower"], share["language model"]
        mem_txt = f"{mem:.1f} GiB" if mem is not None else "n/a (CPU)"
        print(f"| {n} | {kind} | {t:.3f} | {dps:.1f} | {lt:,} | {vt:,} | {limit:.4f} | {ratio:.2f}x | "
              f"{mem_txt} | {v:.0%} | {l:.0%} | {max(0.0, 1 - v - l):.0%} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
