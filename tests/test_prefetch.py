"""Prefetching in the rank loop: batch N+1 is prepared (images decoded, processor, mRoPE ids)
while batch N is scored. Real tiny checkpoint, no mocks: the tests only *observe* the backend's
two halves (`_prepare_batch`, `_score_prepared`) by wrapping them on the instance."""

from __future__ import annotations

import threading

import pytest

from workbench.errors import Cancelled, ImageError
from workbench.model import Document, Query
from workbench.rerank import get_reranker
from workbench.rerank.prefetch import Prefetcher
from tests.helpers import random_image

INSTR = "Given a user's search query, rank products by visual and textual relevance"


@pytest.fixture(scope="module")
def docs(tmp_path_factory):
    d = tmp_path_factory.mktemp("prefetch-imgs")
    sizes = [(56, 56), (112, 84), (140, 112), (84, 168), (224, 168), (168, 140), (196, 112), (84, 84)]
    out = [Document(f"i{k}", image=random_image(d / f"i{k}.png", w, h, k),
                    text="red running shoes" if k % 2 else "")
           for k, (w, h) in enumerate(sizes)]
    out += [Document(f"t{k}", text="stainless steel water bottle " * (1 + k)) for k in range(4)]
    return out


@pytest.fixture(scope="module")
def query(tmp_path_factory):
    d = tmp_path_factory.mktemp("prefetch-q")
    return Query("q", image=random_image(d / "q.png", 112, 112, 99), text="shoes")


def _rr(path, **kw):
    return get_reranker("qwen-vl", model_path=path, batch_size=2, **kw)


def _n_batches(rr, query, docs) -> int:
    from workbench.rerank import plan_batches

    return len(plan_batches(rr._costs(INSTR, query, docs), batch_size=rr.batch_size,
                            token_budget=rr.token_budget, batch_overhead=rr.batch_overhead))


def _observe(rr, n_batches: int = 0):
    """Record prepare/score events of `rr` in order. With `n_batches`, scoring batch k waits
    (bounded) until batch k+1's preparation has started, so the overlap is checked without
    relying on timing."""
    events: list[tuple[str, int]] = []
    lock = threading.Lock()
    started = {}
    prep, score = rr._prepare_batch, rr._score_prepared
    counter = {"p": 0, "s": 0}

    def prepare(instruction, query, docs):
        with lock:
            k = counter["p"]
            counter["p"] += 1
            events.append(("prep_start", k))
            started.setdefault(k, threading.Event()).set()
        out = prep(instruction, query, docs)
        with lock:
            events.append(("prep_end", k))
        return out

    def score_prepared(prepared):
        with lock:
            k = counter["s"]
            counter["s"] += 1
            events.append(("score_start", k))
            ev = started.setdefault(k + 1, threading.Event())
        if k + 1 < n_batches:
            ev.wait(timeout=10)
        out = score(prepared)
        with lock:
            events.append(("score_end", k))
        return out

    rr._prepare_batch, rr._score_prepared = prepare, score_prepared
    return events


def test_prefetch_gives_identical_scores(tiny_checkpoint, docs, query):
    on, off = _rr(tiny_checkpoint), _rr(tiny_checkpoint, prefetch=False)
    assert on._uses_prefetch() and not off._uses_prefetch()
    a = on.rank(query, docs, INSTR)
    b = off.rank(query, docs, INSTR)
    assert a.scores_in_input_order() == b.scores_in_input_order()
    assert [r.doc_id for r in a] == [r.doc_id for r in b]
    assert a.timings["n_batches"] >= 5


def test_prefetch_overlaps_and_stays_one_batch_ahead(tiny_checkpoint, docs, query):
    rr = _rr(tiny_checkpoint)
    events = _observe(rr, _n_batches(rr, query, docs))
    res = rr.rank(query, docs, INSTR)
    n = int(res.timings["n_batches"])
    pos = {e: i for i, e in enumerate(events)}
    assert sorted(k for kind, k in events if kind == "score_end") == list(range(n))
    for k in range(n - 1):   # batch k+1 is prepared while batch k is scored: real overlap
        assert pos[("prep_start", k + 1)] < pos[("score_end", k)]
    for k in range(2, n):    # ...but never two ahead: k starts only after k-2 is scored
        assert pos[("prep_start", k)] > pos[("score_end", k - 2)]
    # every preparation ran in the one prefetch thread, and it is gone afterwards
    assert not [t for t in threading.enumerate() if t.name == "workbench-prefetch"]


def test_cancel_stops_between_batches(tiny_checkpoint, docs, query):
    rr = _rr(tiny_checkpoint)
    events = _observe(rr)
    cancel = threading.Event()
    seen: dict[int, float] = {}

    def on_scores(part):
        seen.update(part)
        cancel.set()

    with pytest.raises(Cancelled) as info:
        rr.rank(query, docs, INSTR, cancel=cancel, on_scores=on_scores)
    assert info.value.done == len(seen) == 2
    assert [e for e in events if e[0].startswith("score")] == [("score_start", 0), ("score_end", 0)]
    assert max(k for kind, k in events if kind == "prep_start") <= 1   # at most one ahead, unused
    assert not [t for t in threading.enumerate() if t.name == "workbench-prefetch"]
    # the next run works normally (nothing left running on the processor)
    again = rr.rank(query, docs[:3], INSTR)
    assert len(again) == 3


def test_preparation_errors_surface_unchanged(tiny_checkpoint, docs, query, tmp_path):
    """A broken image in a later batch: the earlier batches are scored and handed out first,
    then the same ImageError as without prefetching."""
    from workbench.rerank import plan_batches

    bad = tmp_path / "broken.png"
    good = open(docs[0].image, "rb").read()      # the smallest image: planned late (longest first)
    bad.write_bytes(good[: len(good) // 3])    # truncated PNG: the header reads, the pixels do not
    all_docs = docs[1:8] + [Document("bad", image=str(bad))] + docs[8:]
    outcome = {}
    for prefetch in (True, False):
        rr = _rr(tiny_checkpoint, prefetch=prefetch)
        got: dict[int, float] = {}
        with pytest.raises(ImageError) as info:
            rr.rank(query, all_docs, INSTR, on_scores=got.update)
        outcome[prefetch] = (str(info.value), got)
    assert outcome[True][0] == outcome[False][0] and "broken.png" in outcome[True][0]
    assert outcome[True][1] == outcome[False][1]
    plan = plan_batches(rr._costs(INSTR, query, all_docs), batch_size=rr.batch_size,
                        token_budget=rr.token_budget, batch_overhead=rr.batch_overhead)
    bad_batch = next(b for b, batch in enumerate(plan) if 7 in batch)
    assert bad_batch >= 2                                   # the case really has earlier batches
    assert sorted(outcome[True][1]) == sorted(i for batch in plan[:bad_batch] for i in batch)


def test_warnings_stay_with_their_batch(tiny_checkpoint, query):
    rr = get_reranker("qwen-vl", model_path=tiny_checkpoint, batch_size=1, max_length=120)
    long_doc = Document("long", text="Lightweight breathable mesh running shoes in red, " * 20)
    res = rr.rank(Query("q", text="shoes"), [Document("a", text="ok"), long_doc, Document("b", text="fine")], INSTR)
    assert len([w for w in res.warnings if "'long' was truncated" in w]) == 1


def test_wrapped_score_batch_disables_prefetch(tiny_checkpoint, docs, query):
    rr = _rr(tiny_checkpoint)
    seen = []
    orig = rr._score_batch

    def counting(instruction, q, batch):
        seen.append(len(batch))
        return orig(instruction, q, batch)

    rr._score_batch = counting
    assert not rr._uses_prefetch()
    rr.rank(query, docs[:5], INSTR)
    assert sum(seen) == 5


def test_prefetcher_order_bound_and_errors():
    import time

    alive = {"now": 0, "max": 0}
    lock = threading.Lock()

    def prepare(x):
        with lock:
            alive["now"] += 1
            alive["max"] = max(alive["max"], alive["now"])
        if x == 7:
            raise ValueError("item 7 is bad")
        return x * 10

    out = []
    with pytest.raises(ValueError, match="item 7 is bad"):
        with Prefetcher(prepare, range(10)) as feed:
            for item, prepared in feed:
                time.sleep(0.002)
                out.append((item, prepared))
                with lock:
                    alive["now"] -= 1
    assert out == [(i, i * 10) for i in range(7)]
    assert alive["max"] <= 2 and feed.max_alive <= 2


def test_prefetcher_close_stops_the_thread():
    started = []
    gate = threading.Event()

    def prepare(x):
        started.append(x)
        return x

    feed = Prefetcher(prepare, range(100))
    with feed:
        it = iter(feed)
        assert next(it) == (0, 0)
        gate.wait(0.05)
    assert not feed._thread.is_alive()
    assert len(started) <= 2
