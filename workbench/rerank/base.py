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
import numbers
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

    def __repr__(self) -> str:
        top = ", ".join(f"{r.doc_id}={r.score:.4g}" for r in self.results[:3])
        more = ", …" if len(self.results) > 3 else ""
        qid = f"query {self.query.id!r}, " if self.query is not None else ""
        return (f"RankedResults({qid}{len(self.results)} documents by {self.model_id or self.backend}"
                f"{': ' + top + more if top else ''})")

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


@dataclass
class RankedResultsMany:
    """The answer of `Reranker.rank_many`: one `RankedResults` per query, in input order.

    Iterable over those rankings; `results[i]` or `results["query id"]`; `to_pandas()` gives
    one long frame (query_id, query, doc_id, rank, score, text, image). `done` is False when the
    call was cancelled: `rankings` then holds the queries that were finished."""

    rankings: list[RankedResults]
    timings: dict[str, float] = field(default_factory=dict)
    done: bool = True

    def __iter__(self) -> Iterator[RankedResults]:
        return iter(self.rankings)

    def __len__(self) -> int:
        return len(self.rankings)

    def __getitem__(self, key: str | int) -> RankedResults:
        if isinstance(key, int):
            return self.rankings[key]
        for r in self.rankings:
            if r.query is not None and r.query.id == key:
                return r
        raise KeyError(key)

    @property
    def warnings(self) -> list[str]:
        return [w for r in self.rankings for w in r.warnings]

    def to_pandas(self):
        """One row per (query, document), each query best first."""
        import pandas as pd

        frames = []
        for r in self.rankings:
            df = r.to_pandas()
            df.insert(0, "query_id", r.query.id if r.query is not None else "")
            df.insert(1, "query", r.query.text if r.query is not None else "")
            frames.append(df)
        if not frames:
            return pd.DataFrame(columns=["query_id", "query", "doc_id", "rank", "score", "text", "image"])
        return pd.concat(frames, ignore_index=True)

    def __repr__(self) -> str:
        pairs = sum(len(r) for r in self.rankings)
        return f"RankedResultsMany({len(self.rankings)} queries, {pairs} documents{'' if self.done else ', cancelled'})"


QueryLike = Union[str, Query, Mapping[str, Any]]
DocLike = Union[str, Document, Mapping[str, Any]]

# one lock for every reranker's pending warnings: a remote backend says them from its event loop thread
_WARN_LOCK = threading.Lock()

_QUERY_KEYS = {"id", "text", "image", "image_hash"}
_DOC_KEYS = {"id", "text", "image", "image_hash", "ocr_text", "ocr_edited", "description",
             "metadata", "first_stage_score", "label"}


def _image(value: Any, where: str, fetch_urls: bool | None) -> str | None:
    from ..image_inputs import image_path

    return image_path(value, where, fetch_urls=fetch_urls)


def _is_image_value(value: Any) -> bool:
    from ..image_inputs import _is_pil

    return isinstance(value, (bytes, bytearray, memoryview)) or _is_pil(value)


def _with_content(d: Mapping[str, Any], where: str) -> dict:
    """A dict whose vLLM / OpenAI `content` parts are read into `text` and `image`."""
    d = dict(d)
    if "content" in d:
        from ..image_inputs import content_parts

        text, image = content_parts(d.pop("content"), where)
        d.setdefault("text", text)
        if image is not None and not d.get("image"):
            d["image"] = image
    return d


def as_query(query: QueryLike, *, fetch_urls: bool | None = None) -> Query:
    """A `Query` from a str (its text), an image (bytes, a PIL image), a dict with `text` and/or
    `image` (a path, bytes, a PIL image, a data URL; an http(s) URL when fetching is allowed) or
    vLLM-style `content` parts, or a Query."""
    if isinstance(query, Query):
        return query
    if isinstance(query, str):
        return Query(id="q", text=query)
    if _is_image_value(query):
        return Query(id="q", image=_image(query, "the query", fetch_urls))
    if isinstance(query, Mapping):
        query = _with_content(query, "the query")
        extra = set(query) - _QUERY_KEYS
        if extra:
            raise InputError.coded("rank.query_unknown_fields", {"fields": ", ".join(sorted(map(str, extra)))})
        q = Query(id=str(query.get("id") or "q"), text=str(query.get("text") or ""),
                  image=_image(query.get("image"), "the query's image", fetch_urls),
                  image_hash=query.get("image_hash"))
        if not q.text and not q.image:
            raise InputError.coded("rank.query_empty")
        return q
    raise InputError.coded("rank.query_bad_type", {"type": type(query).__name__})


_DOC_ALIASES = {"doc_id": "id"}          # what RankedResults.to_pandas() calls the id
_RESULT_KEYS = {"rank", "score"}           # columns of a result frame that are not document fields


def _frame_records(docs: Any) -> list[dict]:
    """The rows of a pandas DataFrame of documents (columns doc_id/id, text, image, …)."""
    cols = [str(c) for c in docs.columns]
    unknown = set(cols) - _DOC_KEYS - set(_DOC_ALIASES) - _RESULT_KEYS
    if unknown or not ({"text", "image", "description"} & set(cols)):
        raise InputError.coded("rank.documents_frame_columns", {"columns": ", ".join(cols)})
    return [{k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
            for row in docs.to_dict("records")]


def as_documents(docs: Iterable[DocLike], *, fetch_urls: bool | None = None) -> list[Document]:
    """`Document`s from strs, dicts with `text` and/or `image`, Documents, or a pandas DataFrame
    with the columns doc_id (or id), text and/or image. Missing ids become "0", "1", …
    (their position); ids must be unique. The rows of `RankedResults.to_pandas()` are
    accepted as they are (their rank and score are ignored)."""
    if isinstance(docs, (str, bytes, Mapping, Document)):
        raise InputError.coded("rank.documents_not_list")
    if hasattr(docs, "columns") and hasattr(docs, "to_dict"):     # a DataFrame: its rows, not its column names
        docs = _frame_records(docs)
    out: list[Document] = []
    for i, d in enumerate(docs):
        if isinstance(d, Document):
            out.append(d)
        elif isinstance(d, str):
            out.append(Document(id=str(i), text=d))
        elif _is_image_value(d):
            out.append(Document(id=str(i), image=_image(d, f"document {i}", fetch_urls)))
        elif isinstance(d, Mapping):
            d = _with_content({_DOC_ALIASES.get(k, k): v for k, v in d.items() if k not in _RESULT_KEYS},
                              f"document {i}")
            extra = set(d) - _DOC_KEYS
            if extra:
                raise InputError.coded("rank.document_unknown_fields", {
                    "i": i, "fields": ", ".join(sorted(map(str, extra)))})
            out.append(Document(id=str(d.get("id") if d.get("id") is not None else i),
                                text=_cell(d.get("text")),
                                image=_image(d.get("image"), f"document {i}'s image", fetch_urls),
                                **{k: d[k] for k in _DOC_KEYS - {"id", "text", "image"} if d.get(k) is not None}))
        else:
            raise InputError.coded("rank.document_bad_type", {"i": i, "type": type(d).__name__})
    seen: set[str] = set()
    for d in out:
        if d.id in seen:
            raise InputError.coded("rank.duplicate_document_id", {"id": d.id})
        seen.add(d.id)
    return out


def check_top_k(top_k: Any) -> int | None:
    """top_k as given (None: every document), or InputError for anything but a whole number >= 0."""
    if top_k is None:
        return None
    if isinstance(top_k, bool) or not isinstance(top_k, numbers.Integral) or top_k < 0:
        raise InputError.coded("rank.negative_top_k", {"top_k": repr(top_k)})
    return int(top_k)


def as_items(items: Any, *, fetch_urls: bool | None = None) -> list[tuple[Query, list[Document]]]:
    """`(Query, [Document])` pairs from (query, docs) pairs (each side in any form `rank` takes)
    or from a long DataFrame with the columns query_id, query, doc_id, doc (text), optional
    query_image and doc_image (a path), one row per (query, document)."""
    if hasattr(items, "columns") and hasattr(items, "itertuples"):     # a pandas DataFrame
        cols = set(items.columns)
        missing = [c for c in ("query_id", "doc_id") if c not in cols]
        if missing or not ({"query", "query_image"} & cols) or not ({"doc", "doc_image"} & cols):
            raise InputError.coded("rank.many_frame_columns", {"columns": ", ".join(map(str, items.columns))})
        groups: dict[str, tuple[Query, list[Document]]] = {}
        given: dict[str, tuple[str, str | None]] = {}
        for i, row in enumerate(items.to_dict("records")):
            qid = str(row["query_id"])
            qtext, qimg = _cell(row.get("query")), _cell(row.get("query_image")) or None
            if qid not in groups:
                groups[qid] = (as_query({"id": qid, "text": qtext, "image": qimg}, fetch_urls=fetch_urls), [])
                given[qid] = (qtext, qimg)
            elif given[qid] != (qtext, qimg):   # one id, two queries
                raise InputError.coded("rank.many_query_differs", {"id": qid, "row": i + 1})
            text, dimg = _cell(row.get("doc")), _cell(row.get("doc_image")) or None
            if not text.strip() and not dimg:
                raise InputError.coded("rank.many_empty_document", {"id": str(row["doc_id"]), "row": i + 1})
            groups[qid][1].append(Document(id=str(row["doc_id"]), text=text,
                                           image=_image(dimg, f"row {i + 1}'s doc_image", fetch_urls)))
        out = list(groups.values())
    else:
        if isinstance(items, (str, bytes, Mapping)):
            raise InputError.coded("rank.many_not_pairs", {"type": type(items).__name__})
        out = []
        for i, item in enumerate(items):
            if not isinstance(item, (tuple, list)) or len(item) != 2:
                raise InputError.coded("rank.many_not_pairs", {"type": type(item).__name__})
            q = as_query(item[0], fetch_urls=fetch_urls)
            if q.id == "q" and not (isinstance(item[0], Mapping) and item[0].get("id")):
                q = Query(id=str(i), text=q.text, image=q.image, image_hash=q.image_hash)
            out.append((q, as_documents(item[1], fetch_urls=fetch_urls)))
    seen: set[str] = set()
    for q, docs in out:
        if q.id in seen:
            raise InputError.coded("rank.many_duplicate_query", {"id": q.id})
        seen.add(q.id)
        ids = [d.id for d in docs]
        if len(set(ids)) != len(ids):
            dup = next(x for x in ids if ids.count(x) > 1)
            raise InputError.coded("rank.duplicate_document_id", {"id": dup})
    return out


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):   # None / NaN
        return ""
    return str(value)


def _progress_bar(progress: Any, total: int) -> tuple[ProgressFn | None, Callable[[], None]]:
    """rank_many's progress: True -> a tqdm bar (notebook-aware) when tqdm is installed; a
    callable -> called as progress(done, total); False/None -> nothing. Returns (fn, close)."""
    if callable(progress):
        return progress, lambda: None
    if not progress:
        return None, lambda: None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None, lambda: None
    bar = tqdm(total=total, unit="pair", desc="rerank")

    def update(done: int, _total: int) -> None:
        bar.update(done - bar.n)

    return update, bar.close


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

    spec: Any = None                   # the backend's declared facts (workbench.rerank.spec.BackendSpec)
    backend: str = "base"
    model_id: str = "base"
    batch_size: int = 8                # max documents per batch (a fixed cap)
    token_budget: int | None = None    # max padded tokens per batch; None = fixed batches
    batch_overhead: int = 64           # cost of one more batch, in tokens (see plan_batches)
    cacheable: bool = True      # False: scores depend on more than the pair (e.g. BM25's IDF)
    score_kind: str = "probability"    # "probability" (P(yes), 0..1) or "raw" (unbounded, e.g. BM25)

    prefetch: bool = True       # prepare batch N+1 while batch N is scored (backends with _prepare_batch)
    # rank_many packs pairs of different queries into one batch (backends that score a pair on
    # its own: the Qwen-VL models). False: one query at a time (BM25's statistics are per set;
    # a remote backend keeps its own requests in flight).
    cross_query_batches: bool = False
    # http(s) image URLs given to rank() are fetched only when allowed: True here, or
    # WORKBENCH_FETCH_IMAGE_URLS=1 (None: the setting decides)
    fetch_image_urls: bool | None = None

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

    def _prepare_pairs(self, instruction: str, pairs: list[tuple[Query, Document]]) -> Any:
        """CPU preparation of one batch of (query, document) pairs, possibly of several queries
        (rank_many, for backends with `cross_query_batches`). Default: one query's batch."""
        query = pairs[0][0]
        if any(q is not query for q, _ in pairs):
            raise NotImplementedError(f"{self.backend} scores one query per batch")
        return self._prepare_batch(instruction, query, [d for _, d in pairs])

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

    def __repr__(self) -> str:
        model = "" if self.model_id in ("", self.backend) else f", model={self.model_id!r}"
        return f"{type(self).__name__}(backend={self.backend!r}{model}, batch_size={self.batch_size})"

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
        query = as_query(query, fetch_urls=self.fetch_image_urls)
        docs = as_documents(docs, fetch_urls=self.fetch_image_urls)
        top_k = check_top_k(top_k)
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
                        stop = Cancelled.coded("rank.cancelled", {"done": done, "total": total},
                                               done=done, total=total)
                        stop.warnings = warnings     # the scored documents' (e.g. truncations), kept
                        raise stop
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
            results = results[:top_k]
        timings["total_s"] = time.perf_counter() - t0
        return RankedResults(results=results, instruction=instruction, query=query,
                             backend=self.backend, model_id=self.model_id, params=self.params(),
                             score_kind=self.score_kind, cache_hits=hits, cache_misses=total - hits, timings=timings,
                             warnings=warnings)

    def rank_many(self, items: Any, instruction: str | None = None, *, top_k: int | None = None,
                  progress: Any = True, cancel: threading.Event | None = None,
                  cache: ScoreCache | None = None,
                  on_ranking: Callable[[int, RankedResults], None] | None = None) -> RankedResultsMany:
        """Rank many queries' candidates under one instruction: `items` are (query, docs) pairs
        (each side in any form `rank` takes) or a long DataFrame (query_id, query, doc_id, doc,
        optional query_image / doc_image). Returns `RankedResultsMany` (`.to_pandas()`: one long
        frame).

        Backends with `cross_query_batches` (the Qwen-VL models) pack pairs of different queries
        into the same batches, under the same token budget as `rank` (a GPU's batches stay full
        when each query has few candidates); the shared-prefix reuse applies to batches of one
        query. Others rank one query after the other. `progress=True` shows a tqdm bar (also in
        notebooks), a callable gets (done, total) pairs. `on_ranking(i, ranking)` is called as
        soon as query i is complete. `cancel` is checked between batches: the queries finished by
        then are returned with `done=False` (cached pairs of unfinished ones stay in `cache`).
        """
        top_k = check_top_k(top_k)
        pairs_of = as_items(items, fetch_urls=self.fetch_image_urls)
        instruction = self.resolve_instruction(str(instruction if instruction is not None else ""))
        total = sum(len(docs) for _, docs in pairs_of)
        report, close = _progress_bar(progress, total)
        t0 = time.perf_counter()
        try:
            if self.cross_query_batches and "_score_batch" not in vars(self):
                rankings, done = self._rank_pairs(instruction, pairs_of, top_k, report, cancel, cache, on_ranking)
            else:
                rankings, done = self._rank_each(instruction, pairs_of, top_k, report, cancel, cache, on_ranking)
        finally:
            close()
        return RankedResultsMany(rankings, timings={"total_s": time.perf_counter() - t0, "pairs": float(total)},
                                 done=done)

    def _rank_each(self, instruction, pairs_of, top_k, report, cancel, cache, on_ranking):
        """rank_many one query after the other (backends without cross-query batches)."""
        total = sum(len(docs) for _, docs in pairs_of)
        rankings: list[RankedResults] = []
        before = 0
        for i, (query, docs) in enumerate(pairs_of):
            step = (lambda d, _t, b=before: report(b + d, total)) if report else None
            try:
                res = self.rank(query, docs, instruction, top_k=top_k, progress=step, cancel=cancel, cache=cache)
            except Cancelled:
                return rankings, False
            rankings.append(res)
            if on_ranking:
                on_ranking(i, res)
            before += len(docs)
            if cancel is not None and cancel.is_set() and i + 1 < len(pairs_of):
                return rankings, False
        return rankings, True

    def _rank_pairs(self, instruction, pairs_of, top_k, report, cancel, cache, on_ranking):
        """rank_many with batches across queries: ONE plan over every missing pair."""
        t0 = time.perf_counter()
        flat = [(qi, di) for qi, (_, docs) in enumerate(pairs_of) for di in range(len(docs))]
        total = len(flat)
        scores: list[dict[int, float]] = [{} for _ in pairs_of]
        keys: dict[tuple[int, int], CacheKey] = {}
        hits = [0] * len(pairs_of)
        if not self.cacheable:
            cache = None
        if cache is not None and flat:
            for qi, di in flat:
                q, docs = pairs_of[qi]
                keys[(qi, di)] = self.cache_key(instruction, q, docs[di])
            found = cache.get_many(list(keys.values()))
            for (qi, di), k in keys.items():
                if found.get(k) is not None:
                    scores[qi][di] = float(found[k])
                    hits[qi] += 1
        missing = [(qi, di) for qi, di in flat if di not in scores[qi]]
        warnings: list[list[str]] = [[] for _ in pairs_of]
        for qi in sorted({qi for qi, _ in missing}):
            q, docs = pairs_of[qi]
            self._prepare(instruction, q, docs)
            warnings[qi].extend(self._take_warnings())
        costs: list[int] = []
        by_query: dict[int, list[int]] = {}
        for n, (qi, di) in enumerate(missing):
            by_query.setdefault(qi, []).append(n)
        costs = [0] * len(missing)
        for qi, ns in by_query.items():
            q, docs = pairs_of[qi]
            for n, c in zip(ns, self._costs(instruction, q, [docs[missing[n][1]] for n in ns])):
                costs[n] = c
        plan = plan_batches(costs, batch_size=self.batch_size, token_budget=self.token_budget,
                            batch_overhead=self.batch_overhead)
        # keep a query's pairs together where the plan allows it: batches of one query reuse its prefix
        plan = [sorted(b, key=lambda n: missing[n]) for b in plan]
        remaining = [len(docs) - len(scores[qi]) for qi, (_, docs) in enumerate(pairs_of)]
        rankings: dict[int, RankedResults] = {}

        def finish(qi: int) -> None:
            q, docs = pairs_of[qi]
            ordered = [scores[qi][i] for i in range(len(docs))]
            order = rank_order(ordered)
            results = [Result(docs[i].id, ordered[i], r + 1, i, docs[i]) for r, i in enumerate(order)]
            if top_k is not None:
                results = results[: int(top_k)]
            res = RankedResults(results=results, instruction=instruction, query=q, backend=self.backend,
                                model_id=self.model_id, params=self.params(), score_kind=self.score_kind,
                                cache_hits=hits[qi], cache_misses=len(docs) - hits[qi],
                                timings={"total_s": time.perf_counter() - t0}, warnings=warnings[qi])
            rankings[qi] = res
            if on_ranking:
                on_ranking(qi, res)

        for qi, left in enumerate(remaining):
            if left == 0:
                finish(qi)
        done = total - len(missing)
        if report:
            report(done, total)
        batches = [[missing[n] for n in b] for b in plan]

        def pairs(batch):
            return [(pairs_of[qi][0], pairs_of[qi][1][di]) for qi, di in batch]

        complete = True
        if batches:
            prepare = capture_warnings(lambda b: self._prepare_pairs(instruction, pairs(b)))
            use_thread = bool(self.prefetch) and type(self)._prepare_pairs is not Reranker._prepare_pairs
            feed_ctx = Prefetcher(prepare, batches) if use_thread else None
            feed = feed_ctx.__enter__() if feed_ctx is not None else ((b, prepare(b)) for b in batches)
            try:
                for batch, (prepared, prep_warnings) in feed:
                    got = self._score_prepared(prepared)
                    if len(got) != len(batch):  # pragma: no cover - backend bug
                        raise RuntimeError(f"{self.backend}: {len(got)} scores for {len(batch)} pairs")
                    batch_warnings = list(prep_warnings) + self._take_warnings()
                    new_keys = {}
                    for (qi, di), s in zip(batch, got):
                        scores[qi][di] = float(s)
                        if cache is not None:
                            new_keys[keys[(qi, di)]] = float(s)
                    for w in batch_warnings:   # a warning names its document: give it to that query
                        owners = [qi for qi, di in batch if f"'{pairs_of[qi][1][di].id}'" in str(w)] or [batch[0][0]]
                        warnings[owners[0]].append(w)
                    if new_keys:
                        cache.put_many(new_keys)
                    done += len(batch)
                    if report:
                        report(done, total)
                    for qi in sorted({qi for qi, _ in batch}):
                        remaining[qi] -= sum(1 for q2, _ in batch if q2 == qi)
                        if remaining[qi] == 0:
                            finish(qi)
                    if cancel is not None and cancel.is_set() and done < total:
                        complete = False
                        break
            finally:
                if feed_ctx is not None:
                    feed_ctx.__exit__(None, None, None)
        return [rankings[qi] for qi in sorted(rankings)], complete

    def score(self, query: QueryLike, doc: DocLike, instruction: str | None = None) -> float:
        """The score of one (query, document) pair: P(yes) for the Qwen-VL models."""
        return self.rank(query, [doc], instruction).results[0].score

    # ---- pairs from anywhere (the server's micro-batches, a notebook's list of pairs) ----
    def score_pairs(self, pairs: Iterable[Sequence[Any]], instruction: str | None = None, *,
                    with_tokens: bool = False, cancel: threading.Event | None = None) -> "PairScores":
        """Scores of arbitrary (query, document) pairs, in input order, through the same scoring
        path as `rank` (no cache, no ranking).

        Each pair is `(query, doc)` (scored under `instruction`, None: the model's default) or
        `(instruction, query, doc)`; the query and the document take every form `rank` takes.
        Pairs of different queries may share a batch where the backend allows it (the Qwen-VL
        models; pairs with the same query reuse its prefix), otherwise pairs are grouped by
        (instruction, query). BM25 scores each query's documents as one corpus.

        Returns `PairScores`: a list of floats (P(yes) for the Qwen-VL models), with `.tokens`
        (each pair's prompt tokens, where the backend knows them; BM25 counts words, only when
        `with_tokens`) and `.warnings` (e.g. a document cut to fit `max_length`). `cancel` is
        checked between batches: `Cancelled(done, total)` is raised when it is set.

            rr.score_pairs([("red car", "a red car"), ("blue sky", {"image": "sky.png"})])
        """
        triples = _as_triples(pairs, instruction, self)
        total = len(triples)
        scores: list[float | None] = [None] * total
        tokens: list[int] = [0] * total
        warnings: list[str] = []
        done = 0

        def check_cancel() -> None:
            if cancel is not None and cancel.is_set() and done < total:
                raise Cancelled.coded("rank.cancelled", {"done": done, "total": total}, done=done, total=total)

        # one Query object per (instruction, query content): identical queries share a prefix
        qkey = [(ins, q.content_hash()) for ins, q, _ in triples]
        canon: dict[tuple[str, str], Query] = {}
        groups: dict[tuple[str, str], list[int]] = {}
        for n in sorted(range(total), key=lambda n: qkey[n]):
            canon.setdefault(qkey[n], triples[n][1])
            groups.setdefault(qkey[n], []).append(n)
        try:
            if self.cross_query_batches and "_score_batch" not in vars(self):
                by_instruction: dict[str, list[int]] = {}
                for (ins, _), ns in groups.items():
                    by_instruction.setdefault(ins, []).extend(ns)
                for ins, ns in by_instruction.items():
                    for batch in self._pair_plan(ins, [(canon[qkey[n]], triples[n][2]) for n in ns]):
                        check_cancel()
                        sel = [ns[j] for j in batch]
                        items = [(canon[qkey[n]], triples[n][2]) for n in sel]
                        prepared = self._prepare_pairs(ins, items)
                        got = self._score_prepared(prepared)
                        for n, s, t in zip(sel, got, self._pair_tokens(ins, items, prepared, with_tokens)):
                            scores[n], tokens[n] = float(s), int(t)
                        done += len(sel)
                        warnings.extend(self._take_warnings())
            else:
                for (ins, qh), ns in groups.items():
                    query = canon[(ins, qh)]
                    docs = [triples[n][2] for n in ns]
                    check_cancel()
                    self._prepare(ins, query, docs)
                    step = max(1, int(self.batch_size or 1))
                    for j in range(0, len(ns), step):
                        check_cancel()
                        part = docs[j:j + step]
                        got = self._score_batch(ins, query, part)
                        items = [(query, d) for d in part]
                        for n, s, t in zip(ns[j:j + step], got, self._pair_tokens(ins, items, None, with_tokens)):
                            scores[n], tokens[n] = float(s), int(t)
                        done += len(part)
                        warnings.extend(self._take_warnings())
        finally:
            warnings.extend(self._take_warnings())
        return PairScores([float(s) for s in scores], tokens=tokens, warnings=warnings)  # type: ignore[arg-type]

    def _pair_plan(self, instruction: str, pairs: list[tuple[Query, Document]]) -> list[list[int]]:
        """Batches (positions in `pairs`) for `score_pairs`: one batch when it fits `batch_size`
        (the server's micro-batches), else `plan_batches` over the pairs' costs."""
        if len(pairs) <= max(1, int(self.batch_size or 1)):
            return [list(range(len(pairs)))]
        costs: list[int] = [0] * len(pairs)
        by_query: dict[int, list[int]] = {}
        for j, (q, _) in enumerate(pairs):
            by_query.setdefault(id(q), []).append(j)
        for js in by_query.values():
            q = pairs[js[0]][0]
            for j, c in zip(js, self._costs(instruction, q, [pairs[j][1] for j in js])):
                costs[j] = c
        return plan_batches(costs, batch_size=self.batch_size, token_budget=self.token_budget,
                            batch_overhead=self.batch_overhead)

    def _pair_tokens(self, instruction: str, pairs: list[tuple[Query, Document]], prepared: Any,
                     wanted: bool) -> list[int]:
        """Prompt tokens of scored pairs (`score_pairs`); 0 where the backend does not know them."""
        return [0] * len(pairs)


class PairScores(list):
    """`Reranker.score_pairs`' answer: the scores (a list of floats, in input order), with
    `.tokens` (prompt tokens per pair, 0 where unknown) and `.warnings`."""

    def __init__(self, scores: Iterable[float] = (), *, tokens: Sequence[int] | None = None,
                 warnings: Sequence[str] | None = None):
        super().__init__(scores)
        self.tokens = list(tokens) if tokens is not None else [0] * len(self)
        self.warnings = list(warnings or [])

    def __repr__(self) -> str:
        head = ", ".join(f"{s:.4g}" for s in self[:5]) + (", …" if len(self) > 5 else "")
        return f"PairScores([{head}], n={len(self)})"


def _as_triples(pairs: Any, instruction: str | None, rr: Reranker) -> list[tuple[str, Query, Document]]:
    """(instruction, Query, Document) per pair; a document without an id gets its pair's position."""
    if isinstance(pairs, (str, bytes, Mapping)):
        raise InputError.coded("rank.pair_bad_shape", {"n": 0, "type": type(pairs).__name__})
    out: list[tuple[str, Query, Document]] = []
    for n, pair in enumerate(pairs):
        if not isinstance(pair, (tuple, list)) or len(pair) not in (2, 3):
            raise InputError.coded("rank.pair_bad_shape", {"n": n, "type": type(pair).__name__})
        ins, q, d = pair if len(pair) == 3 else (instruction, *pair)
        ins = rr.resolve_instruction(str(ins if ins is not None else ""))
        query = as_query(q, fetch_urls=rr.fetch_image_urls)
        doc = d if isinstance(d, Document) else as_documents([d], fetch_urls=rr.fetch_image_urls)[0]
        if not isinstance(d, Document) and not (isinstance(d, Mapping) and (d.get("id") is not None
                                                                           or d.get("doc_id") is not None)):
            from dataclasses import replace

            doc = replace(doc, id=str(n))
        out.append((ins, query, doc))
    return out
