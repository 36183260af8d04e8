"""The Qwen-VL yes/no reranker (Lychee-rerank-mm, Qwen3-VL-Reranker) on transformers.

    checkpoint.py    checkpoint folder checks, family detection, runtime choice, revision hash
    budget.py        token-budget batching defaults and image-token estimates
    prefix_cache.py  shared-prefix KV reuse
    reranker.py      QwenVLReranker: prompt format -> truncation -> batches -> P(yes), OOM retry
    vision_attention.py  grouped-window vision attention (exact; guarded by the source fingerprint)
    compat.py        the torchvision shim qwen-vl-utils needs
"""

from .budget import default_batching, image_tokens_from_size
from .checkpoint import detect_family, flash_attn_available, select_runtime
from .reranker import QwenVLReranker

__all__ = ["QwenVLReranker", "default_batching", "detect_family", "flash_attn_available",
           "image_tokens_from_size", "select_runtime"]
