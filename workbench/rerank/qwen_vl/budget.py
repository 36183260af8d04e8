"""Batching budgets and token estimates for the Qwen-VL reranker (no model needed)."""

from __future__ import annotations

DEFAULT_BATCH_SIZE = 8

# ---- batching defaults (see default_batching) ----
# CPU: a 2-16 core machine gains nothing from batches beyond a few thousand tokens.
CPU_TOKEN_BUDGET = 4096
CPU_MAX_BATCH = 8
# The fixed cost of one more forward call, in tokens (plan_batches splits a batch where the
# padding saved is worth more). CPU, small model: ~10-15 ms per call at ~4-5k tokens/s.
CPU_BATCH_OVERHEAD = 64
# GPU, 7B bf16: ~15-20 ms of launches/sync per call at ~25k tokens/s on an H100
# (an estimate from the FLOP count; not measured here, no GPU was lent).
GPU_BATCH_OVERHEAD = 512
# GPU: transient activation memory per padded token of the 7B model in bf16, with margin
# for the allocator: LLM MLP (2 x 18944 x 2 B x ~3 live tensors ~ 0.11 MB) + hidden-state copies
# (~0.03 MB) + the vision tower's share per image token (4 patches x 1280/3420 wide ~ 0.1 MB),
# times ~2 for fragmentation -> 0.5 MiB. Half of the memory free after loading goes to it.
GPU_BYTES_PER_TOKEN = 512 * 1024
GPU_MIN_BUDGET = 2048
GPU_MAX_BUDGET = 32768
GPU_MAX_BATCH = 64

# Shared-prefix reuse pays off from this many common prefix tokens on (crossover measured with
# `bench/engine.py --crossover`: bench/README.md). The real prompt (system + instruction) alone
# is ~50-60 tokens, so "auto" uses it for every batch of >= 2 documents.
PREFIX_MIN_TOKENS = 32


def default_batching(device: str, free_bytes: int | None = None) -> tuple[int, int, int]:
    """(token_budget, max_batch, batch_overhead) for a device; GPU budgets scale with the
    memory free after loading.

    7B bf16 (16.6 GB of weights): a 24 GB card leaves ~6-7 GB -> 4096 tokens (a 16 GB card
    cannot hold the bf16 weights at all; it gets the 2048 floor); an 80 GB card leaves
    ~62 GB -> 32768 tokens, 64 docs per batch. CPU: 4096 tokens, 8 docs.
    """
    if not str(device).startswith("cuda"):
        return CPU_TOKEN_BUDGET, CPU_MAX_BATCH, CPU_BATCH_OVERHEAD
    if not free_bytes or free_bytes <= 0:
        return GPU_MIN_BUDGET, GPU_MAX_BATCH, GPU_BATCH_OVERHEAD
    raw = int(free_bytes * 0.5 // GPU_BYTES_PER_TOKEN)
    budget = GPU_MIN_BUDGET
    while budget * 2 <= min(raw, GPU_MAX_BUDGET):
        budget *= 2
    return budget, GPU_MAX_BATCH, GPU_BATCH_OVERHEAD


def image_tokens_from_size(width: int, height: int, *, min_pixels: int, max_pixels: int,
                           patch: int = 14, merge: int = 2) -> int:
    """LLM tokens of one image: the smart_resize'd grid, (h/28) x (w/28) for Qwen2.5-VL."""
    from qwen_vl_utils import smart_resize

    factor = patch * merge
    h, w = smart_resize(height, width, factor=factor, min_pixels=min_pixels, max_pixels=max_pixels)
    return (h // factor) * (w // factor)


def image_header_size(path: str) -> tuple[int, int] | None:
    """(width, height) from the file header, without decoding pixels; None if unreadable."""
    from PIL import Image

    try:
        from ... import images as _images  # noqa: F401  (registers the HEIC opener)
    except ImportError:  # pragma: no cover
        pass
    try:
        with Image.open(path) as im:
            return im.size
    except Exception:  # noqa: BLE001 - scoring reports the real error with a fix
        return None


