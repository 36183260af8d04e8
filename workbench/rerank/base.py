"""The reranker interface every backend implements, and the one shared `rank()` loop.

A backend subclasses `Reranker` and implements exactly one abstract method,
`_score_batch(instruction, query, docs) -> list[float]`. Everything else lives
here, once: cache lookups, batching (`plan_batches`), progress, cancellation,
partial saves (`on_scores`), ranking and timings.

A backend whose batches need CPU preparation (image decoding, the processor) may
also split `_score_batch` into `_prepare_batch` + `_score_prepared`: the loop then
prepares batch N+1 in one prefetch thread while batch N is scored (see
`workbench.rerank.prefetch`).
"""

from __future__ import annotations

import json
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping, Protocol, Sequence, Union

from ..errors import Cancelled, InputError
from ..model import CacheKey, Document, Query, Result
from .prefetch import Prefetcher, capture_warnings

ProgressFn = Callable[[int, int], None]
ScoresFn = Callable[[dict[int, float]], None]


class ScoreCache(Protocol):
    """What `rank(cache=...)` needs: the Store's score cache satisfies it."""

    def get_many(self, keys: list[CacheKey]) -> dict[CacheKey, float]: ...

    def put_many(self, items: dict[CacheKey, float]) -> None: ...


@dataclass
class RankedResults:
    """Results best first: THE answer of `Reranker.rank`.

    Iterable over `workbench.model.Result` (doc_id, score, rank, index, document);
    `top_k(k)`, `get(doc_id)` / `results[doc_id]`, `to_pandas()`.
    """

    results: list[Result]
    instruction: str = ""
    query: Query | None = None
    backend: str = ""
    model_id: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    score_kind: str = "probability"       # "probability" (P(yes)) or "raw" (e.g. BM25)
    cache_hits: int = 0
    cache_misses: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def __iter__(self) -> Iterator[Result]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __getitem__(self, key: str | int) -> Result:
        if isinstance(key, int):
            return self.results[key]
        return self.get(key)

    def get(self, doc_id: str) -> Result:
        for r in self.results:
            if r.doc_id == doc_id:
                return r
        raise KeyError(doc_id)

    def top_k(self, k: int) -> list[Result]:
        return self.results[: max(0, int(k))]

    def scores_in_input_order(self) -> list[float]:
        return [r.score for r in sorted(self.results, key=lambda r: r.index)]

    def to_pandas(self):
        """One row per document, best first: doc_id, rank, score, text, image."""
        import pandas as pd

        rows = [{"doc_id": r.doc_id, "rank": r.rank, "score": r.score,
                 "text": (r.document.ranking_text if r.document is not None else ""),
                 "image": (r.document.image if r.document is not None else None)}
                for r in self.results]
        return pd.DataFrame(rows, columns=["doc_id", "rank", "score", "text", "image"])


QueryLike = Union[str, Query, Mapping[str, Any]]
DocLike = Union[str, Document, Mapping[str, Any]]

# one lock for every reranker's pending warnings: a remote backend says them from its event loop thread
_WARN_LOCK = threading.Lock()

_QUERY_KEYS = {"id", "text", "image", "image_hash"}
_DOC_KEYS = {"id", "text", "image", "image_hash", "ocr_text", "ocr_edited", "description",
             "metadata", "first_stage_score", "label"}


def as_query(query: QueryLike) -> Query:
    """A `Query` from a str (its text), a dict with `text` and/or `image`, or a Query."""
    if isinstance(query, Query):
        return query
    if isinstance(query, str):
        return Query(id="q", text=query)
    if isinstance(query, Mapping):
        extra = set(query) - _QUERY_KEYS
        if extra:
            raise InputError.coded("rank.query_unknown_fields", {"fields": ", ".join(sorted(extra))})
        q = Query(id=str(query.get("id") or "q"), text=str(query.get("text") or ""),
                  image=(str(query["image"]) if query.get("image") else None),
                  image_hash=query.get("image_hash"))
        if not q.text and not q.image:
            raise InputError.coded("rank.query_empty")
        return q
    raise InputError.coded("rank.query_bad_type", {"type": type(query).__name__})


def as_documents(docs: Iterable[DocLike]) -> list[Document]:
    """`Document`s from strs, dicts with `text` and/or `image`, or Documents. Missing ids
    become "0", "1", … (their position); ids must be unique."""
    if isinstance(docs, (str, bytes, Mapping, Document)):
        raise InputError.coded("rank.documents_not_list")
    out: list[Document] = []
    for i, d in enumerate(docs):
        if isinstance(d, Document):
            out.append(d)
        elif isinstance(d, str):
            out.append(Document(id=str(i), text=d))
        elif isinstance(d, Mapping):
            extra = set(d) - _DOC_KEYS
            if extra:
                raise InputError.coded("rank.document_unknown_fields", {
                    "i": i, "fields": ", ".join(sorted(extra))})
            out.append(Document(id=str(d.get("id") if d.get("id") is not None else i),
                                text=str(d.get("text") or ""),
                                image=(str(d["image"]) if d.get("image") else None),
                                **{k: d[k] for k in _DOC_KEYS - {"id", "text", "image"} if k in d}))
        else:
            raise InputError.coded("rank.document_bad_type", {"i": i, "type": type(d).__name__})
    seen: set[str] = set()
    for d in out:
        if d.id in seen:
            raise InputError.coded("rank.duplicate_document_id", {"id": d.id})
        seen.add(d.id)
    return out


def plan_batches(lengths: Sequence[int], batch_size: int = 8, token_budget: int | None = None,
                 batch_overhead: int = 64, **_: Any) -> list[list[int]]:
    """Group item positions into batches. THE batching policy, in one place.

    `lengths` holds each item's estimated token length (prompt + text + image tokens).

    * ``token_budget=None``: fixed batches of `batch_size` in input order (the naive policy,
      kept for backends whose cost does not depend on length, e.g. BM25).
    * ``token_budget=N``: items sorted by length, longest first (a batch that does not fit
      fails on the first batch, not the last), then cut into contiguous batches such that
      every batch's *padded* size ``len(batch) * max(length in batch) <= N`` and
      ``len(batch) <= batch_size``. Among all such cuts it takes the one minimising
      ``padded tokens + batch_overhead * number of batches`` (an exact dynamic programme,
      O(n x batch_size)): `batch_overhead` is the fixed cost of one more forward call,
      in tokens, so a batch is split where the padding saved is worth more than a call.
      An item longer than the budget gets a batch of its own.

    Returns lists of positions into `lengths`; every position appears exactly once.
    Callers put results back by position, so any grouping / order is allowed. Ties in
    length keep input order (stable sort), so the plan is deterministic.
    """
    n = len(lengths)
    size = max(1, int(batch_size))
    if token_budget is None:
        return [list(range(i, min(i + size, n))) for i in range(0, n, size)]
    budget = max(1, int(token_budget))
    overhead = max(0, int(batch_overhead))
    order = sorted(range(n), key=lambda i: -int(lengths[i]))
    lens = [max(1, int(lengths[i])) for i in order]
    inf = float("inf")
    best = [0.0] + [inf] * n        # best[j]: cost of batching the first j sorted items
    cut = [0] * (n + 1)
    for j in range(1, n + 1):
        for i in range(j - 1, max(0, j - size) - 1, -1):
            k = j - i
            if k > 1 and k * lens[i] > budget:
                break               # lens[i] grows as i falls: larger batches only get worse
            c = best[i] + k * lens[i] + overhead
            if c < best[j]:
                best[j], cut[j] = c, i
    plan: list[list[int]] = []
    j = n
    while j > 0:
        i = cut[j]
        plan.append(order[i:j])
        j = i
    plan.reverse()
    return plan


def padding_waste(lengths: Sequence[int], plan: Sequence[Sequence[int]]) -> float:
    """Share of padded token slots that are padding: 1 - real / (sum of batch_len x max_len)."""
    real = sum(int(lengths[i]) for b in plan for i in b)
    padded = sum(len(b) * max(int(lengths[i]) for i in b) for b in plan if b)
    return 0.0 if padded == 0 else 1.0 - real / padded


def canonical_params(params: dict[str, Any]) -> str:
    return json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def rank_order(scores: Sequence[float]) -> list[int]:
    """Positions sorted best first; ties keep input order (stable)."""
    return sorted(range(len(scores)), key=lambda i: -scores[i])


class Reranker(ABC):
    """Base of every backend. Subclasses set `backend`, `model_id` and implement `_score_batch`."""

    backend: str = "base"
    model_id: str = "base"
    batch_size: int = 8                # max documents per batch (a fixed cap)
    token_budget: int | None = None    # max padded tokens per batch; None = fixed batches
    batch_overhead: int = 64           # cost of one more batch, in tokens (see plan_batches)
    cacheable: bool = True      # False: scores depend on more than the pair (e.g. BM25's IDF)
    score_kind: str = "probability"    # "probability" (P(yes), 0..1) or "raw" (unbounded, e.g. BM25)

    prefetch: bool = True       # prepare batch N+1 while batch N is scored (backends with _prepare_batch)

    @abstractmethod
    def _score_batch(self, instruction: str, query: Query, docs: list[Document]) -> list[float]:
        """Score `docs` (one batch) against `query`; one float per doc, same order."""

    # ---- optional split of _score_batch, for prefetching (see workbench.rerank.prefetch) ----
    def _prepare_batch(self, instruction: str, query: Query, docs: list[Document]) -> Any:
        """CPU-side preparation of one batch (runs in the prefetch thread). Default: nothing."""
        return (instruction, query, docs)

    def _score_prepared(self, prepared: Any) -> list[float]:
        """Score a batch made by `_prepare_batch` (runs in the calling thread)."""
        return self._score_batch(*prepared)

    def _uses_prefetch(self) -> bool:
        """Prefetch when the backend splits its scoring, it is not switched off, and nobody
        replaced `_score_batch` on this instance (a wrapper there must see every batch)."""
        return (bool(self.prefetch) and type(self)._prepare_batch is not Reranker._prepare_batch
                and "_score_batch" not in vars(self))

    def _scored_batches(self, instruction: str, query: Query, docs: list[Document],
                        batches: list[list[int]]) -> Iterator[tuple[list[int], list[float]]]:
        """(positions, scores) per batch, in plan order; with prefetch, batch N+1 is prepared
        while batch N is scored (at most one batch ahead). Close it to stop the thread."""
        if not self._uses_prefetch():
            for idx in batches:
                yield idx, self._score_batch(instruction, query, [docs[i] for i in idx])
            return
        prepare = capture_warnings(lambda idx: self._prepare_batch(instruction, query, [docs[i] for i in idx]))
        with Prefetcher(prepare, batches) as feed:
            for idx, (prepared, prep_warnings) in feed:
                for w in prep_warnings:
                    self._warn(w)
                yield idx, self._score_prepared(prepared)

    # ---- hooks a backend may override (not abstract) ----
    def params(self) -> dict[str, Any]:
        """Scoring parameters that can change a score (part of the cache key)."""
        return {}

    def resolve_instruction(self, instruction: str) -> str:
        """The instruction text actually sent (e.g. the model's default when empty)."""
        return instruction

    def _cost(self, query: Query, doc: Document) -> int:
        """Cheap size estimate of one pair, for `plan_batches`."""
        return len(doc.ranking_text) + (1000 if doc.image else 0)

    def _costs(self, instruction: str, query: Query, docs: list[Document]) -> list[int]:
        """Size estimates (tokens) of many pairs at once; default: `_cost` per doc."""
        return [self._cost(query, d) for d in docs]

    def _prepare(self, instruction: str, query: Query, docs: list[Document]) -> None:
        """Called once per `rank()` before scoring (e.g. to fit a corpus). Default: nothing."""

    def _take_warnings(self) -> list[str]:
        """Warnings a backend collected while scoring (drained after each batch)."""
        with _WARN_LOCK:   # said from another thread too (a remote backend's event loop)
            out = list(getattr(self, "_pending_warnings", []))
            self._pending_warnings = []
        return out

    def _warn(self, message: str) -> None:
        if capture_warnings.collect(message):   # said while preparing in the prefetch thread
            return
        with _WARN_LOCK:
            if not hasattr(self, "_pending_warnings"):
                self._pending_warnings = []
            self._pending_warnings.append(message)

    def _stream(self, instruction: str, query: Query, docs: list[Document], missing: list[int],
                plan: list[list[int]]) -> Iterator[tuple[list[int], list[float]]]:
        """Scores of the missing pairs as (positions, scores) groups, in the order they are ready.
        Default: one scored batch per planned batch, the next one prepared meanwhile where the
        backend supports prefetch (`_scored_batches`). A remote backend streams answers as they
        arrive instead (each group is saved to the cache and the run at once)."""
        yield from self._scored_batches(instruction, query, docs, [[missing[j] for j in b] for b in plan])

    # ---- the shared loop ----
    def cache_key(self, instruction: str, query: Query, doc: Document) -> CacheKey:
        return CacheKey(self.model_id, instruction, query.content_hash(), doc.content_hash(),
                        canonical_params(self.params()))

    def rank(self, query: QueryLike, docs: Iterable[DocLike], instruction: str | None = None, *,
             top_k: int | None = None, progress: ProgressFn | None = None,
             cancel: threading.Event | None = None, cache: ScoreCache | None = None,
             on_scores: ScoresFn | None = None) -> RankedResults:
        """Score every doc against the query (under `instruction`) and return them best first.

        `query`: a str, a dict with `text` and/or `image`, or a `Query`; each doc: a str, such a
        dict or a `Document` (ids are generated when none are given). `instruction=None` means
        the model's default. Cached scores are reused; only misses are scored, batch by batch.
        After each batch the new scores go to `cache.put_many`, `on_scores({index: score})` and
        `progress(done, total)`. `cancel` is checked between batches: when set,
        `Cancelled(done, total)` is raised after what is done has been saved.
        """
        query = as_query(query)
        docs = as_documents(docs)
        instruction = self.resolve_instruction(str(instruction if instruction is not None else ""))
        total = len(docs)
        if not self.cacheable:
            cache = None
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        warnings: list[str] = []
        scores: dict[int, float] = {}

        keys = [self.cache_key(instruction, query, d) for d in docs] if cache is not None else []
        hits = 0
        if cache is not None and docs:
            found = cache.get_many(keys)
            for i, k in enumerate(keys):
                if k in found and found[k] is not None:
                    scores[i] = float(found[k])
            hits = len(scores)
            if scores and on_scores:
                on_scores(dict(scores))
        timings["cache_lookup_s"] = time.perf_counter() - t0

        missing = [i for i in range(total) if i not in scores]
        done = len(scores)
        if progress:
            progress(done, total)
        t_score = time.perf_counter()
        if missing:
            if cancel is not None and cancel.is_set():
                raise Cancelled.coded("rank.cancelled_before_scoring", {"done": done, "total": total},
                                      done=done, total=total)
            self._prepare(instruction, query, docs)
            t_plan = time.perf_counter()
            costs = self._costs(instruction, query, [docs[i] for i in missing])
            plan = plan_batches(costs, batch_size=self.batch_size, token_budget=self.token_budget,
                                batch_overhead=self.batch_overhead)
            timings["plan_s"] = time.perf_counter() - t_plan
            timings["n_batches"] = float(len(plan))
            timings["padding_waste_est"] = padding_waste(costs, plan)
            del costs
            stream = self._stream(instruction, query, docs, missing, plan)
            try:
                for idx, batch_scores in stream:
                    if len(batch_scores) != len(idx):  # pragma: no cover - backend bug
                        raise RuntimeError(f"{self.backend}: {len(batch_scores)} scores for {len(idx)} docs")
                    new = {i: float(s) for i, s in zip(idx, batch_scores)}
                    scores.update(new)
                    warnings.extend(self._take_warnings())
                    if cache is not None:
                        cache.put_many({keys[i]: s for i, s in new.items()})
                    if on_scores:
                        on_scores(new)
                    done += len(idx)
                    if progress:
                        progress(done, total)
                    if cancel is not None and cancel.is_set() and done < total:
                        raise Cancelled.coded("rank.cancelled", {"done": done, "total": total},
                                              done=done, total=total)
            finally:
                close = getattr(stream, "close", None)
                if close is not None:
                    close()   # a streaming backend stops its requests in flight
                warnings.extend(self._take_warnings())
        timings["score_s"] = time.perf_counter() - t_score

        ordered = [scores[i] for i in range(total)]
        order = rank_order(ordered)
        results = [Result(docs[i].id, ordered[i], r + 1, i, docs[i]) for r, i in enumerate(order)]
        if top_k is not None:
            results = results[: max(0, int(top_k))]
        timings["total_s"] = time.perf_counter() - t0
        return RankedResults(results=results, instruction=instruction, query=query,
                             backend=self.backend, model_id=self.model_id, params=self.params(),
                             score_kind=self.score_kind, cache_hits=hits, cache_misses=total - hits, timings=timings,
                             warnings=warnings)

    def score(self, query: QueryLike, doc: DocLike, instruction: str | None = None) -> float:
        """The score of one (query, document) pair: P(yes) for the Qwen-VL models."""
        return self.rank(query, [doc], instruction).results[0].score
