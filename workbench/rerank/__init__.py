"""The reranking engine: one `Reranker` interface, pluggable backends.

    from workbench.rerank import get_reranker
    rr = get_reranker("qwen-vl", model_path="/models/lychee-rerank-mm")   # or "lexical"
    results = rr.rank(query, docs, instruction, top_k=10, progress=..., cancel=..., cache=store)

Heavy dependencies (torch, transformers) are imported only by the backend that needs them.
"""

from .base import PairScores, RankedResults, RankedResultsMany, Reranker, plan_batches
from .registry import available_backends, get_reranker

__all__ = ["PairScores", "RankedResults", "RankedResultsMany", "Reranker", "available_backends", "get_reranker",
           "plan_batches"]
