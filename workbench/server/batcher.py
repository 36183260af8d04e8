"""Micro-batching of concurrent requests, the server's own bounded score cache, and the
per-pair scoring with real token counts.

The pairs of concurrent requests go into one queue; a batcher takes what arrived within
`max_wait_ms` (up to the engine's batch size), so requests share forward passes; the model
forward runs under the engine's lock in a worker thread. Pairs of a request that was cancelled
(its client left) are dropped before each micro-batch. When a micro-batch fails, each request
in it is retried alone, so one client's bad input fails only that client's request.

Admission: at most `max_queue` requests are scoring or waiting at once (`admit()`); one more is
refused at once (the route answers 503 with Retry-After) instead of growing an unbounded queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from ..model import CacheKey, Document, Query

log = logging.getLogger("workbench.serve")
PIPELINE = 2               # micro-batches in the engine at once (one preparing while one runs)
SERVE_BATCH_SIZE = 64      # `workbench serve`'s engine: pairs per pass at most (the token budget cuts first)


class ServeCache:
    """LRU of (score, prompt tokens, truncated) per pair, at most `max_pairs` entries, in memory:
    the server never writes into the analysts' database."""

    def __init__(self, max_pairs: int):
        self.max_pairs = int(max_pairs)
        self._data: OrderedDict[CacheKey, tuple[float, int, bool]] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, keys: list[CacheKey]) -> dict[CacheKey, tuple[float, int, bool]]:
        out = {}
        with self._lock:
            for k in keys:
                v = self._data.get(k)
                if v is not None:
                    self._data.move_to_end(k)
                    out[k] = v
        return out

    def put_many(self, items: dict[CacheKey, tuple[float, int, bool]]) -> None:
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
    truncated: list[bool] = field(default_factory=list)   # the document text was cut to the token cap


class QueueFull(Exception):
    """More requests than `max_queue` are scoring or waiting."""


class Batcher:
    """Collects (instruction, query, doc) pairs from concurrent requests and scores them together."""

    def __init__(self, reranker, cache: ServeCache | None = None, max_batch: int | None = None,
                 max_wait_ms: float = 5.0, max_queue: int | None = None):
        self.reranker = reranker
        self.cache = cache if getattr(reranker, "cacheable", True) and getattr(reranker, "cross_query_batches", False) else None
        self.max_batch = int(max_batch or getattr(reranker, "batch_size", 8) or 8)
        self.max_wait = max_wait_ms / 1000.0
        self.queue: asyncio.Queue | None = None
        self.task: asyncio.Task | None = None
        self.max_queue = int(max_queue) if max_queue else None
        self.admitted = 0                     # requests scoring or waiting now
        self.stats = {"batches": 0, "pairs": 0, "max_batch_seen": 0, "cache_hits": 0, "cache_misses": 0,
                      "cancelled_pairs": 0, "isolated_retries": 0, "refused_busy": 0}

    @contextlib.contextmanager
    def admit(self):
        """One request's place in front of the model; QueueFull when `max_queue` are taken."""
        if self.max_queue is not None and self.admitted >= self.max_queue:
            self.stats["refused_busy"] += 1
            raise QueueFull()
        self.admitted += 1
        try:
            yield
        finally:
            self.admitted -= 1

    def queued_pairs(self) -> int:
        return self.queue.qsize() if self.queue is not None else 0

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
        if not getattr(rr, "cacheable", True) or not getattr(rr, "cross_query_batches", False):
            # BM25 (scores depend on the whole list): rank() in a thread, stopped between batches
            cancel = cancel or threading.Event()
            try:
                ranked = await asyncio.to_thread(rr.rank, query, docs, instruction, cancel=cancel)
            except asyncio.CancelledError:
                cancel.set()
                raise
            return Scored(ranked.scores_in_input_order(), await asyncio.to_thread(_lexical_tokens, query, docs),
                          [False] * len(docs))
        out: dict[int, tuple[float, int, bool]] = {}
        keys = [rr.cache_key(instruction, query, d) for d in docs]
        if self.cache is not None:
            found = self.cache.get_many(keys)
            for i, k in enumerate(keys):
                if k in found:
                    out[i] = found[k]
            self.stats["cache_hits"] += len(out)
            self.stats["cache_misses"] += len(docs) - len(out)
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
        return Scored([out[i][0] for i in range(len(docs))], [out[i][1] for i in range(len(docs))],
                      [out[i][2] for i in range(len(docs))])

    async def _loop(self) -> None:
        """Collect a micro-batch, hand it to the engine, collect the next one meanwhile: at most
        PIPELINE micro-batches are in the engine at once (one being prepared, tokenized and
        templated, while the other runs its forward pass; the engine's locks keep each phase to
        one batch at a time)."""
        slots = asyncio.Semaphore(PIPELINE)
        running: set[asyncio.Task] = set()
        try:
            while True:
                await slots.acquire()
                try:
                    live = await self._collect()
                except BaseException:
                    slots.release()
                    raise
                if not live:
                    slots.release()
                    continue
                task = asyncio.create_task(self._run(live))
                running.add(task)
                task.add_done_callback(lambda t: (running.discard(t), slots.release()))
        finally:
            for t in running:
                t.cancel()

    async def _run(self, live: list[Pending]) -> None:
        try:
            values = await asyncio.to_thread(self._engine, [_pair(p) for p in live])
        except Exception as exc:  # noqa: BLE001 - find whose input it was
            await self._isolate(live, exc)
            return
        _settle(live, values)

    async def _collect(self) -> list[Pending]:
        """The next micro-batch: what is queued (up to max_batch), waiting at most max_wait for more."""
        while True:
            first = await self.queue.get()
            batch = [first]
            deadline = time.monotonic() + self.max_wait
            while len(batch) < self.max_batch:
                if not self.queue.empty():          # what is already there: no timer, no task
                    batch.append(self.queue.get_nowait())
                    continue
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
            return live

    def _engine(self, pairs: list[tuple[str, Query, Document]]) -> list[tuple[float, int, bool]]:
        """The one call into the engine (in a worker thread), one forward pass per planned batch."""
        plan = self._plan(pairs)
        if len(plan) == 1:
            return score_pairs_tokens(self.reranker, pairs)
        out: list[tuple[float, int, bool]] = [(0.0, 0, False)] * len(pairs)
        for batch in plan:
            for n, v in zip(batch, score_pairs_tokens(self.reranker, [pairs[n] for n in batch])):
                out[n] = v
        return out

    def _plan(self, pairs: list[tuple[str, Query, Document]]) -> list[list[int]]:
        """A micro-batch cut to the engine's token budget (its memory bound): the engine scores a
        batch of up to `batch_size` pairs in one pass, whatever their length."""
        rr = self.reranker
        budget = getattr(rr, "token_budget", None)
        costs_of = getattr(rr, "_costs", None)
        if len(pairs) < 2 or not budget or costs_of is None:
            return [list(range(len(pairs)))]
        from ..rerank.base import plan_batches

        costs = [0] * len(pairs)
        groups: dict[tuple[str, int], list[int]] = {}
        for n, (ins, q, _) in enumerate(pairs):
            groups.setdefault((ins, id(q)), []).append(n)
        # under the engine's preparation lock: the fast tokenizer's padding state is shared, and
        # the other micro-batch in the engine may be tokenizing with padding right now
        with getattr(rr, "_prep_lock", None) or contextlib.nullcontext():
            for (ins, _), ns in groups.items():
                for n, c in zip(ns, costs_of(ins, pairs[ns[0]][1], [pairs[n][2] for n in ns])):
                    costs[n] = int(c)
        if len(pairs) * max(costs) <= budget:                  # the padded batch fits
            return [list(range(len(pairs)))]
        # the fewest passes within the budget: a pass costs far more than a few padded tokens here
        return plan_batches(costs, batch_size=max(1, int(getattr(rr, "batch_size", 0) or len(pairs))),
                            token_budget=budget, batch_overhead=budget)

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
                values = await asyncio.to_thread(self._engine, [_pair(p) for p in group])
            except Exception as err:  # noqa: BLE001 - this request's own error
                _fail(group, err)
                continue
            _settle(group, values)


def _pair(p: Pending) -> tuple[str, Query, Document]:
    return p.instruction, p.query, p.doc


def _settle(items: list[Pending], values: list[tuple[float, int, bool]]) -> None:
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


CUT_WARNINGS = ("warn.truncated", "warn.text_dropped")


def score_pairs_tokens(reranker, pairs: list[tuple[str, Query, Document]]) -> list[tuple[float, int, bool]]:
    """(P(yes), prompt tokens, truncated) of (instruction, query, document) pairs from different
    requests in shared forward passes: the public `Reranker.score_pairs` (prefix reuse where rows
    share a query). truncated: the engine cut the document's text to fit its max_length (told by
    its warning, which names the document: each pair's document gets its position as id here)."""
    from ..rerank.prefetch import capture_warnings

    pairs = [(i, q, dataclasses.replace(d, id=f"#{n}")) for n, (i, q, d) in enumerate(pairs)]
    # this thread's warnings only: two micro-batches may be in the engine at once (one preparing,
    # one in the forward pass), and each must see its own cut documents
    scored, said = capture_warnings(reranker.score_pairs)(pairs)
    cut = [False] * len(pairs)
    for warning in [*said, *scored.warnings]:   # e.g. a cut document: not kept for ever
        log.info("%s", warning)
        params = getattr(warning, "params", None) or {}
        doc = str(params.get("doc", ""))
        if getattr(warning, "key", None) in CUT_WARNINGS and doc.startswith("#") and doc[1:].isdigit():
            n = int(doc[1:])
            if n < len(cut):
                cut[n] = True
    return [(float(s), int(t), c) for s, t, c in zip(scored, scored.tokens, cut)]


def score_pairs(reranker, pairs: list[tuple[str, Query, Document]]) -> list[float]:
    """P(yes) of (instruction, query, document) pairs in shared forward passes."""
    return [v[0] for v in score_pairs_tokens(reranker, pairs)]
