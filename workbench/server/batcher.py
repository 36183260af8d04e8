"""Micro-batching of concurrent requests, the server's own bounded score cache, and the
per-pair scoring with real token counts.

The pairs of concurrent requests go into one queue; a batcher takes what arrived within
`max_wait_ms` (up to the engine's batch size), so requests share forward passes; the model
forward runs under the engine's lock in a worker thread. Pairs of a request that was cancelled
(its client left) are dropped before each micro-batch. When a micro-batch fails, each request
in it is retried alone, so one client's bad input fails only that client's request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from ..model import CacheKey, Document, Query

log = logging.getLogger("workbench.serve")


class ServeCache:
    """LRU of (score, prompt tokens) per pair, at most `max_pairs` entries, in memory: the
    server never writes into the analysts' database."""

    def __init__(self, max_pairs: int):
        self.max_pairs = int(max_pairs)
        self._data: OrderedDict[CacheKey, tuple[float, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, keys: list[CacheKey]) -> dict[CacheKey, tuple[float, int]]:
        out = {}
        with self._lock:
            for k in keys:
                v = self._data.get(k)
                if v is not None:
                    self._data.move_to_end(k)
                    out[k] = v
        return out

    def put_many(self, items: dict[CacheKey, tuple[float, int]]) -> None:
        with self._lock:
            for k, v in items.items():
                self._data[k] = v
                self._data.move_to_end(k)
            while len(self._data) > self.max_pairs:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)


@dataclass(eq=False)
class Pending:
    instruction: str
    query: Query
    doc: Document
    future: asyncio.Future
    owner: Any                     # the request (one object per request): failures are isolated by it


@dataclass
class Scored:
    scores: list[float]
    tokens: list[int] = field(default_factory=list)


class Batcher:
    """Collects (instruction, query, doc) pairs from concurrent requests and scores them together."""

    def __init__(self, reranker, cache: ServeCache | None = None, max_batch: int | None = None,
                 max_wait_ms: float = 5.0):
        self.reranker = reranker
        self.cache = cache if getattr(reranker, "cacheable", True) and hasattr(reranker, "_fit") else None
        self.max_batch = int(max_batch or getattr(reranker, "batch_size", 8) or 8)
        self.max_wait = max_wait_ms / 1000.0
        self.queue: asyncio.Queue | None = None
        self.task: asyncio.Task | None = None
        self.stats = {"batches": 0, "pairs": 0, "max_batch_seen": 0, "cache_hits": 0, "cancelled_pairs": 0,
                      "isolated_retries": 0}

    async def start(self) -> None:
        self.queue = asyncio.Queue()
        self.task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self.task:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task

    async def score(self, instruction: str, query: Query, docs: list[Document], owner: Any = None,
                    cancel: threading.Event | None = None) -> Scored:
        """Scores and prompt tokens of `docs` in input order. Cancelling the awaiting task drops
        the request's pairs that are still queued."""
        rr = self.reranker
        instruction = rr.resolve_instruction(instruction or "")
        if not getattr(rr, "cacheable", True) or not hasattr(rr, "_fit"):
            # BM25 (scores depend on the whole list): rank() in a thread, stopped between batches
            cancel = cancel or threading.Event()
            try:
                ranked = await asyncio.to_thread(rr.rank, query, docs, instruction, cancel=cancel)
            except asyncio.CancelledError:
                cancel.set()
                raise
            return Scored(ranked.scores_in_input_order(), await asyncio.to_thread(_lexical_tokens, query, docs))
        out: dict[int, tuple[float, int]] = {}
        keys = [rr.cache_key(instruction, query, d) for d in docs]
        if self.cache is not None:
            found = self.cache.get_many(keys)
            for i, k in enumerate(keys):
                if k in found:
                    out[i] = found[k]
            self.stats["cache_hits"] += len(out)
        loop = asyncio.get_running_loop()
        futures: dict[int, asyncio.Future] = {}
        for i, d in enumerate(docs):
            if i not in out:
                futures[i] = loop.create_future()
                self.queue.put_nowait(Pending(instruction, query, d, futures[i], owner))
        try:
            for i, fut in futures.items():
                out[i] = await fut
        finally:
            for fut in futures.values():
                if fut.cancel():
                    self.stats["cancelled_pairs"] += 1
        if self.cache is not None and futures:
            self.cache.put_many({keys[i]: out[i] for i in futures})
        return Scored([out[i][0] for i in range(len(docs))], [out[i][1] for i in range(len(docs))])

    async def _loop(self) -> None:
        while True:
            first = await self.queue.get()
            batch = [first]
            deadline = time.monotonic() + self.max_wait
            while len(batch) < self.max_batch:
                timeout = deadline - time.monotonic()
                if timeout <= 0:
                    break
                try:
                    batch.append(await asyncio.wait_for(self.queue.get(), timeout))
                except asyncio.TimeoutError:
                    break
            live = [p for p in batch if not p.future.done()]   # the client left: nothing to do
            if not live:
                continue
            self.stats["batches"] += 1
            self.stats["pairs"] += len(live)
            self.stats["max_batch_seen"] = max(self.stats["max_batch_seen"], len(live))
            try:
                values = await asyncio.to_thread(score_pairs_tokens, self.reranker, [_pair(p) for p in live])
            except Exception as exc:  # noqa: BLE001 - find whose input it was
                await self._isolate(live, exc)
                continue
            _settle(live, values)

    async def _isolate(self, live: list[Pending], exc: Exception) -> None:
        """A failed micro-batch: each request in it scored alone; only the failing ones get the error."""
        owners: dict[int, list[Pending]] = {}
        for p in live:
            owners.setdefault(id(p.owner), []).append(p)
        if len(owners) == 1:
            _fail(live, exc)
            return
        for group in owners.values():
            group = [p for p in group if not p.future.done()]
            if not group:
                continue
            self.stats["isolated_retries"] += 1
            try:
                values = await asyncio.to_thread(score_pairs_tokens, self.reranker, [_pair(p) for p in group])
            except Exception as err:  # noqa: BLE001 - this request's own error
                _fail(group, err)
                continue
            _settle(group, values)


def _pair(p: Pending) -> tuple[str, Query, Document]:
    return p.instruction, p.query, p.doc


def _settle(items: list[Pending], values: list[tuple[float, int]]) -> None:
    for p, v in zip(items, values):
        if not p.future.done():
            p.future.set_result(v)


def _fail(items: list[Pending], exc: Exception) -> None:
    for p in items:
        if not p.future.done():
            p.future.set_exception(exc)


def _lexical_tokens(query: Query, docs: list[Document]) -> list[int]:
    """BM25's 'prompt tokens': the words of query + document (its own tokenizer)."""
    from ..rerank.lexical import document_text, tokenize

    q = len(tokenize(query.text or ""))
    return [q + len(tokenize(document_text(d))) for d in docs]


def score_pairs_tokens(reranker, pairs: list[tuple[str, Query, Document]]) -> list[tuple[float, int]]:
    """(P(yes), prompt tokens) of (instruction, query, document) pairs from different requests in
    shared forward passes (the Qwen-VL engine: one padded batch, prefix reuse where every row has
    the same query). Tokens are the pair's real input length (text + image tokens)."""
    order = sorted(range(len(pairs)), key=lambda i: (pairs[i][0], pairs[i][1].content_hash()))
    ordered = [pairs[i] for i in order]
    fit = getattr(reranker, "_fit", None)
    forward = getattr(reranker, "_forward_safe", None)
    if fit is not None and forward is not None:
        from ..rerank.qwen_vl.reranker import _check_images

        for _instruction, query, doc in ordered:
            _check_images(query, [doc])
        first = (ordered[0][0], ordered[0][1].content_hash())
        shared = all((i, q.content_hash()) == first for i, q, _ in ordered)
        try:
            with reranker._prep_lock:
                messages = [fit(i, q, d) for i, q, d in ordered]
                prepared = reranker.prepare_inputs(messages, shared_query=shared)
            tokens = [int(t) for t in prepared["inputs"]["attention_mask"].sum(dim=1).tolist()]
            with reranker._lock:
                values = forward(messages, [d for _, _, d in ordered], prepared, shared_query=shared)
        finally:
            for warning in reranker._take_warnings():   # e.g. a cut document: not kept for ever
                log.info("%s", warning)
    else:  # group by (instruction, query) and use the backend's batch scorer
        values, tokens = [], []
        j = 0
        while j < len(ordered):
            k = j
            while k < len(ordered) and ordered[k][:2] == ordered[j][:2]:
                k += 1
            values += reranker._score_batch(ordered[j][0], ordered[j][1], [p[2] for p in ordered[j:k]])
            j = k
        tokens = [0] * len(ordered)
    out: list[tuple[float, int]] = [(0.0, 0)] * len(pairs)
    for pos, v, t in zip(order, values, tokens):
        out[pos] = (float(v), int(t))
    return out


def score_pairs(reranker, pairs: list[tuple[str, Query, Document]]) -> list[float]:
    """P(yes) of (instruction, query, document) pairs in shared forward passes."""
    return [s for s, _ in score_pairs_tokens(reranker, pairs)]
