"""The run lifecycle: scoring candidate sets as runs (create/claim, heartbeat, batched writes,
finish/settle, cancel, resume), notes and deletion."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone

from sqlalchemy import text

from ..errors import Cancelled, InputError
from ..model import Document, Instruction, Query, Run, RunInfo
from ..store.recovery import Heartbeat, is_dead
from ._common import Progress, instruction_text, provisional_scores


def rerank_set(store, set_id: int, instruction: Instruction | str, reranker, *,
               progress: Progress | None = None, cancel=None, name: str = "",
               on_run_created: Callable[[int], None] | None = None) -> Run:
    """Score one stored candidate set with one instruction; returns the saved Run.

    The run row is created first (status "running") and scores are written after
    every batch. Cancelling returns the partial run with status "cancelled".
    `on_run_created(run_id)` is called as soon as the run row exists, so a caller
    that may be interrupted (a Streamlit rerun) knows which run to recover.
    """
    cset = store.load_candidate_set(set_id)
    text = instruction_text(instruction)
    if not name and isinstance(instruction, Instruction) and instruction.template:
        name = instruction.template + (" + precise" if instruction.precise else "")
    run = Run(instruction=text, backend=reranker.backend, model_id=reranker.model_id,
              set_id=set_id, query_id=cset.query.id, params=dict(reranker.params()),
              status="running", name=name,
              started_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    run_id = store.create_run(set_id, run)
    if on_run_created:
        on_run_created(run_id)
    order = [d.id for d in cset.documents]
    done: dict[str, float] = {}

    def on_scores(partial: dict[int, float]) -> None:
        # write only the new scores (ranked among what is done so far); the whole
        # ranking is settled once at the end, or by stop_run when interrupted
        for index, score in partial.items():
            done[order[index]] = float(score)
        new = {order[i] for i in partial}
        store.add_scores(run_id, [s for s in provisional_scores(done, order) if s.doc_id in new])

    started = time.perf_counter()

    def stopped() -> dict[str, float]:
        return {"total_s": time.perf_counter() - started}

    try:
        with Heartbeat(store, run_id):
            results = reranker.rank(cset.query, cset.documents, text, progress=progress,
                                    cancel=cancel, cache=store, on_scores=on_scores)
    except Cancelled as stop:
        run = stop_run(store, run_id, timings=stopped())
        run.warnings = list(getattr(stop, "warnings", None) or [])   # the scored documents' warnings
        return run
    except Exception:
        stop_run(store, run_id, status="failed", timings=stopped())
        raise
    except BaseException:
        # stopped from outside: Ctrl-C, or a Streamlit rerun/stop raised inside the
        # progress callback (those derive from BaseException). The analyst stopped it.
        stop_run(store, run_id, timings=stopped())
        raise
    final = {r.doc_id: float(r.score) for r in results}
    timings = dict(getattr(results, "timings", {}) or {})
    timings["total_s"] = time.perf_counter() - started
    with store.transaction():   # final ranks and status land together
        store.add_scores(run_id, provisional_scores(final, order))
        store.finish_run(run_id, "done", timings=timings,
                         cache_hits=int(getattr(results, "cache_hits", 0)),
                         cache_misses=int(getattr(results, "cache_misses", 0)))
    run = store.load_run(run_id)
    run.warnings = list(getattr(results, "warnings", []) or [])   # e.g. each truncated document
    return run


def stop_run(store, run_id: int, *, status: str = "cancelled",
             timings: dict[str, float] | None = None) -> Run:
    """Settle an unfinished run: rank the scores it has (best first, ties by input
    order) and give it its final status. Used when a run is cancelled, fails, or was
    left "running" by a process that died."""
    store.settle_run(run_id, status, timings=timings)
    return store.load_run(run_id)


def _same_params(a: dict, b: dict) -> list[str]:
    import json

    norm = lambda d: {k: json.dumps(v, sort_keys=True, default=str) for k, v in (d or {}).items()}  # noqa: E731
    na, nb = norm(a), norm(b)
    return sorted(k for k in set(na) | set(nb) if na.get(k) != nb.get(k))


def resume_run(store, run_id: int, reranker, *, progress: Progress | None = None, cancel=None) -> Run:
    """Finish a stopped run (cancelled, interrupted, failed): score only the documents of its
    set that it has no score for, with the same model and parameters, then settle it as "done".

    The returned run's ``timings["resumed_docs"]`` is the number of documents scored now
    (0 when the run was already complete). Stopping again keeps it resumable.
    Checked first: the run exists, is not imported, is not being scored by a live process,
    and `reranker` is the run's backend/model with the same scoring parameters.
    """
    from ..errors import InputError, StoreError

    run = store.load_run(run_id)
    if run.status == "imported":
        raise InputError.coded("resume.imported", {"run": run_id})
    if run.status == "running":
        with store._read() as conn:
            owner = conn.execute(text("SELECT owner_pid, owner_host, heartbeat_at, started_at FROM rankings "
                                      "WHERE id = :id"), {"id": int(run_id)}).first()
        if owner is not None and not is_dead(*owner):
            raise StoreError.coded("resume.still_running", {"run": run_id, "pid": owner[0], "host": owner[1]})
        stop_run(store, run_id, status="interrupted")
        run = store.load_run(run_id)
    if run.backend != reranker.backend or run.model_id != reranker.model_id:
        raise InputError.coded("resume.other_model", {"run": run_id, "backend": run.backend, "model": run.model_id,
                                                      "new_model": reranker.model_id})
    differ = _same_params(run.params, reranker.params())
    if differ:
        raise InputError.coded("resume.other_settings", {
            "run": run_id, "settings": ", ".join(differ),
            "changes": "; ".join(f"{k} was {run.params.get(k)!r}, now {reranker.params().get(k)!r}" for k in differ)})
    cset = store.load_candidate_set(run.set_id)
    order = [d.id for d in cset.documents]
    have = {s.doc_id: float(s.score) for s in run.scores}
    missing = [i for i, d in enumerate(cset.documents) if d.id not in have]
    if not missing:
        if run.status != "done":
            store.settle_run(run_id, "done")
        out = store.load_run(run_id)
        out.timings["resumed_docs"] = 0.0
        return out
    # backends whose scores depend on the whole list (BM25's IDF) score every doc; the
    # others (the model) score only the missing pairs
    subset = missing if getattr(reranker, "cacheable", True) else list(range(len(cset.documents)))
    docs = [cset.documents[i] for i in subset]
    store.claim_run(run_id)
    done = dict(have)
    scored_now: set[str] = set()

    def on_scores(partial: dict[int, float]) -> None:
        new = []
        for j, score in partial.items():
            doc_id = order[subset[j]]
            if doc_id in have:
                continue
            done[doc_id] = float(score)
            scored_now.add(doc_id)
            new.append(doc_id)
        if new:
            store.add_scores(run_id, [s for s in provisional_scores(done, order) if s.doc_id in set(new)])

    started = time.perf_counter()
    previous = {k: float(v) for k, v in (run.timings or {}).items()}

    def timings_now(extra: dict | None = None) -> dict[str, float]:
        out = dict(previous)
        out.update(extra or {})
        out["total_s"] = previous.get("total_s", 0.0) + time.perf_counter() - started
        out["resumed_docs"] = float(len(scored_now))
        return out

    try:
        with Heartbeat(store, run_id):
            results = reranker.rank(cset.query, docs, run.instruction, progress=progress, cancel=cancel,
                                    cache=store, on_scores=on_scores)
    except Cancelled:
        return stop_run(store, run_id, timings=timings_now())
    except Exception:
        stop_run(store, run_id, status="failed", timings=timings_now())
        raise
    except BaseException:
        stop_run(store, run_id, timings=timings_now())
        raise
    for r in results:
        doc_id = r.doc_id
        if doc_id not in have:
            done[doc_id] = float(r.score)
            scored_now.add(doc_id)
    store.add_scores(run_id, provisional_scores(done, order))
    store.finish_run(run_id, "done", timings=timings_now(dict(getattr(results, "timings", {}) or {})),
                     cache_hits=int(run.cache_hits) + int(getattr(results, "cache_hits", 0)),
                     cache_misses=int(run.cache_misses) + int(getattr(results, "cache_misses", 0)))
    return store.load_run(run_id)


def rerank_many(store, set_ids: Sequence[int], instructions: Sequence[Instruction | str],
                reranker, *, progress: Progress | None = None, cancel=None,
                names: Sequence[str] | None = None,
                on_run_created: Callable[[int], None] | None = None) -> list[Run]:
    """Every (set, instruction) pair, e.g. a comparison or a whole session.

    Cached triples are not recomputed, so adding one instruction to a comparison
    only scores the new one. Progress counts documents across all pairs.
    """
    sizes = {sid: store.get_set(sid).n_docs for sid in set_ids}
    total = sum(sizes.values()) * len(instructions)
    offset = 0
    runs: list[Run] = []
    for i, instruction in enumerate(instructions):
        for sid in set_ids:
            base = offset

            def sub_progress(done: int, _total: int, base=base) -> None:
                if progress:
                    progress(base + done, total)

            run = rerank_set(store, sid, instruction, reranker, progress=sub_progress,
                             cancel=cancel, name=(names[i] if names else ""),
                             on_run_created=on_run_created)
            runs.append(run)
            offset += sizes[sid]
            if run.status == "cancelled":
                return runs
    return runs


def rerank_adhoc(instruction: Instruction | str, query: Query, docs: list[Document], reranker,
                 **kwargs):
    """Rank documents that are not stored (pasted lines, single mode)."""
    return reranker.rank(query, docs, instruction_text(instruction), **kwargs)


def docs_from_lines(text: str, prefix: str = "doc") -> list[Document]:
    """The guide's batch mode: one document per non-empty line."""
    lines = [line.strip() for line in (text or "").splitlines()]
    docs = [Document(id=f"{prefix}{i}", text=line) for i, line in
            enumerate((ln for ln in lines if ln), start=1)]
    if not docs:
        raise InputError.coded("paste.empty")
    return docs


def set_run_note(store, run_id: int, note: str) -> Run:
    """Give a run a note ('' clears it); returns the run as stored."""
    note = str(note or "").strip()
    if len(note) > 10_000:
        raise InputError.coded("note.run_too_long", {"length": f"{len(note):,}"})
    store.set_run_note(run_id, note)
    return store._to_run(store._run_row(run_id))


def note_run(store, run_id: int, note: str) -> RunInfo:
    """Give a run (all its rankings) a note ('' clears it); returns the run."""
    note = str(note or "").strip()
    if len(note) > 10_000:
        raise InputError.coded("note.run_too_long", {"length": f"{len(note):,}"})
    store.note_run(run_id, note)
    return store.get_run_info(run_id)


def delete_whole_run(store, run_id: int) -> RunInfo:
    """Delete a run with every ranking and score (labels, sets and other runs are untouched).
    Refused while one of its rankings is being scored (`runs.being_scored`). Returns the run
    as it was (for an undo message)."""
    return store.delete_whole_run(run_id)


def delete_run(store, run_id: int) -> Run:
    """Delete one run and its scores (labels, sets and other runs are untouched). A run being
    scored (running, owner alive) is refused by the store (`runs.being_scored`: cancel it first);
    a pending one here. Returns the run as it was (for an undo message)."""
    from ..errors import StoreError

    run = store.load_run(run_id)
    if run.status == "pending":
        raise StoreError.coded("runs.still_pending", {"run": run.id, "label": run.label})
    store.delete_run(run.id)
    return run


# ---------------------------------------------------------------- one run over many queries
SETS_PER_CHUNK = 200        # candidate sets loaded and scored together (memory stays flat)
RANKINGS_PER_TX = 50        # finished rankings written per transaction


def rerank_run(store, session, instruction: Instruction | str, reranker, *,
               set_ids: Sequence[int] | None = None, name: str = "", run_id: int | None = None,
               progress: Progress | None = None, cancel=None,
               on_run_created: Callable[[int], None] | None = None,
               chunk: int = SETS_PER_CHUNK, per_tx: int = RANKINGS_PER_TX) -> RunInfo:
    """Rerank a whole session (or the sets `set_ids` of it) as ONE run: one configuration,
    one progress (documents across every query), one cancel. Returns the run (`RunInfo`).

    A new run is made (its name unique in the session: "<name> (2)" when taken) unless `run_id`
    names an existing run of the session with the same backend, model, instruction and scoring
    parameters: then the queries it does not rank yet are added to it (its unfinished rankings
    are scored again; the score cache makes already-scored pairs free). Scoring goes through
    `Reranker.rank_many` (batches across queries); sets are loaded `chunk` at a time and finished
    rankings are written `per_tx` per transaction, so memory stays flat as queries grow.
    The chosen queries are the run's scope (a ranking each, 'pending' until scored): cancelling
    (or Ctrl-C) keeps every finished ranking and the rest stays pending, so the run can be
    resumed (`resume_session_run`). `on_run_created(run_id)` is called once the run row exists.
    """
    info = store.get_session(session)
    text_ = instruction_text(instruction)
    if not name and isinstance(instruction, Instruction) and instruction.template:
        name = instruction.template + (" + precise" if instruction.precise else "")
    params = dict(reranker.params())
    if run_id is None:
        run = store.create_session_run(info.id, instruction=text_, backend=reranker.backend,
                                       model_id=reranker.model_id, params=params, name=name)
    else:
        run = _check_same_config(store, info, int(run_id), text_, reranker)
    if on_run_created:
        on_run_created(run.id)
    return _score_run(store, info, run, text_, reranker, set_ids=set_ids, progress=progress, cancel=cancel,
                      chunk=chunk, per_tx=per_tx)


def resume_session_run(store, run_id: int, reranker, *, set_ids: Sequence[int] | None = None,
                       progress: Progress | None = None, cancel=None,
                       chunk: int = SETS_PER_CHUNK, per_tx: int = RANKINGS_PER_TX) -> RunInfo:
    """Finish a stopped run: score its rankings that are not finished (a ranking stopped part-way
    scores only the documents it lacks), with the same configuration (checked: backend, model,
    instruction, scoring parameters). `set_ids` adds those queries of the session too."""
    run = store.get_run_info(run_id)
    info = store.get_session(run.session_id)
    _check_same_config(store, info, run.id, run.instruction, reranker)
    return _score_run(store, info, run, run.instruction, reranker, set_ids=set_ids, progress=progress,
                      cancel=cancel, chunk=chunk, per_tx=per_tx)


def _check_same_config(store, info, run_id: int, text_: str, reranker) -> RunInfo:
    run = store.get_run_info(run_id)
    if run.session_id != info.id:
        raise InputError.coded("runs.not_in_session", {"runs": run_id, "session": info.name})
    if run.status == "imported":
        raise InputError.coded("resume.imported", {"run": run_id})
    if run.backend != reranker.backend or run.model_id != reranker.model_id:
        raise InputError.coded("resume.other_model", {"run": run_id, "backend": run.backend, "model": run.model_id,
                                                      "new_model": reranker.model_id})
    differ = _same_params(run.params, reranker.params())
    if run.instruction != text_:
        differ = ["instruction", *differ]
    if differ:
        now = dict(reranker.params(), instruction=text_)
        was = dict(run.params, instruction=run.instruction)
        raise InputError.coded("resume.other_settings", {
            "run": run_id, "settings": ", ".join(differ),
            "changes": "; ".join(f"{k} was {was.get(k)!r}, now {now.get(k)!r}" for k in differ)})
    return run


def _score_run(store, info, run: RunInfo, text_: str, reranker, *, set_ids, progress, cancel,
               chunk: int, per_tx: int) -> RunInfo:
    """Give the run a ranking of each chosen set it lacks (status 'pending': the run's scope,
    kept when it stops), then score every unfinished ranking of the run."""
    if set_ids is not None:
        sets = store.list_candidate_sets(info.id)
        wanted = {int(s) for s in set_ids}
        foreign = sorted(wanted - {s.id for s in sets})
        if foreign:
            raise InputError.coded("runs.sets_not_in_session", {"sets": ", ".join(map(str, foreign[:5])),
                                                                "session": info.name})
        sets = [s for s in sets if s.id in wanted]
    elif run.n_rankings == 0:
        sets = store.list_candidate_sets(info.id)
    else:
        sets = []                       # resume: the run's own queries
    have = {g.set_id for g in store.list_runs(run_id=run.id)}
    new = [s for s in sets if s.id not in have]
    if new:
        with store.transaction():       # the run's scope, in one transaction
            for s in new:
                store.create_run(s.id, Run(instruction=text_, backend=reranker.backend, model_id=reranker.model_id,
                                           query_id=s.query_id, status="pending"), run_id=run.id)
    todo = [g for g in store.list_runs(run_id=run.id) if g.status not in ("done", "imported")]
    n_docs = {s.id: s.n_docs for s in store.list_candidate_sets(info.id)}
    total = sum(n_docs.get(g.set_id, 0) for g in todo)
    done_docs = 0
    started = time.perf_counter()
    with Heartbeat(store, run.id, whole_run=True):
        # a ranking stopped part-way keeps its scores: finish only what it lacks; a run of one query
        # goes the per-query way too, saving its scores batch by batch (nothing to batch across)
        partial = [g for g in todo if len(todo) == 1 or store.load_run(g.id).scores]
        for g in partial:
            base = done_docs
            out = resume_run(store, g.id, reranker, cancel=cancel,
                             progress=(lambda d, _t, b=base: progress(b + d, total)) if progress else None)
            done_docs += n_docs.get(g.set_id, 0)
            if out.status != "done":
                return store.get_run_info(run.id)
        fresh = [g for g in todo if g not in partial]
        for start in range(0, len(fresh), max(1, chunk)):
            part = fresh[start:start + max(1, chunk)]
            stopped = _score_chunk(store, part, text_, reranker, done_docs, total, progress, cancel, per_tx)
            done_docs += sum(n_docs.get(g.set_id, 0) for g in part)
            if stopped:
                break
    return store.get_run_info(run.id)


def _score_chunk(store, part, text_: str, reranker, before: int, total: int, progress, cancel,
                 per_tx: int) -> bool:
    """Score one chunk of a run's rankings (all unscored); True when it was stopped (cancel)."""
    csets = [store.load_candidate_set(g.set_id) for g in part]
    ids = [g.id for g in part]
    with store.transaction():            # the chunk's rankings are being scored by this process
        for ranking_id in ids:
            store.claim_run(ranking_id)
    pending: list[tuple[int, object]] = []
    finished: set[int] = set()

    def flush() -> None:
        if not pending:
            return
        batch = []
        for i, res in pending:
            order = [d.id for d in csets[i].documents]
            final = {r.doc_id: float(r.score) for r in res.results}
            batch.append((ids[i], provisional_scores(final, order), dict(res.timings or {}),
                          int(res.cache_hits), int(res.cache_misses)))
        store.finish_rankings(batch)     # one transaction per batch of finished rankings
        finished.update(i for i, _ in pending)
        pending.clear()

    def on_ranking(i: int, res) -> None:
        pending.append((i, res))
        if len(pending) >= per_tx:
            flush()

    report = (lambda d, _t: progress(before + d, total)) if progress else False
    items = [(c.query, c.documents) for c in csets]
    try:
        out = reranker.rank_many(items, text_, progress=report, cancel=cancel, cache=store, on_ranking=on_ranking)
    except BaseException:
        flush()
        _unclaim(store, ids, finished)
        raise
    flush()
    if not out.done:
        _unclaim(store, ids, finished)
        return True
    return False


def _unclaim(store, ids: list[int], finished: set[int]) -> None:
    """A stopped chunk keeps its finished rankings; the ones not scored yet go back to 'pending'
    (no scores: left out of comparisons and exports, scored by a resume)."""
    with store.transaction():
        for i, ranking_id in enumerate(ids):
            if i not in finished:
                store.claim_run(ranking_id, status="pending")
