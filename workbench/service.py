"""Orchestration shared by the pages and the CLI: the only place that wires the
store, the engine and the score cache together.

    file → formats → domain objects → store → engine (asks the store's cache first) → store

Long work reports `progress(done, total)` and stops between batches when `cancel`
(a threading.Event) is set. Scores are saved batch by batch, so a closed tab or a
crash loses at most the batch in flight; a cancelled run is kept with status
"cancelled" and whatever scores were finished.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timezone

from .errors import Cancelled, InputError, shell_quote
from .model import COMPARABLE_STATUSES, Document, Instruction, Query, Result, Run
from .store.recovery import Heartbeat, is_dead

Progress = Callable[[int, int], None]


def instruction_text(instruction: Instruction | str) -> str:
    return instruction.full if isinstance(instruction, Instruction) else str(instruction).strip()


def provisional_scores(scores_by_doc: dict[str, float], order: Sequence[str]) -> list[Result]:
    """Rank what is scored so far (best first, ties by input order)."""
    position = {doc_id: i for i, doc_id in enumerate(order)}
    ranked = sorted(scores_by_doc.items(), key=lambda kv: (-kv[1], position.get(kv[0], 0)))
    return [Result(doc_id=d, score=float(s), rank=r, index=position.get(d))
            for r, (d, s) in enumerate(ranked, start=1)]


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
    from .errors import InputError, StoreError

    run = store.load_run(run_id)
    if run.status == "imported":
        raise InputError.coded("resume.imported", {"run": run_id})
    if run.status == "running":
        with store._read() as conn:
            owner = conn.exec_driver_sql("SELECT owner_pid, owner_host, heartbeat_at, started_at FROM runs "
                                         "WHERE id = ?", (int(run_id),)).first()
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


# ---------------------------------------------------------------- candidate sets in
def set_fingerprint(cset) -> str:
    """What makes two candidate sets the same: the query and every (doc id, content, label)."""
    return cset.fingerprint()


def _rough_size(sets) -> int:
    """Bytes the sets' texts and (not yet known) image files take, roughly."""
    import os

    total, seen = 0, set()
    for cset in sets:
        for item in (cset.query, *cset.documents):
            total += len((item.text or "").encode("utf-8", "replace")) + 200
            for extra in ("ocr_text", "description"):
                total += len(getattr(item, extra, None) or "")
            if item.image and item.image not in seen:
                seen.add(item.image)
                try:
                    total += os.path.getsize(item.image)
                except OSError:
                    pass
    return total


def _short(text: object, n: int = 40) -> str:
    text = str(text)
    return text if len(text) <= n else text[:n - 1] + "…"


def _few(items: list[str], what: str, n: int = 5) -> str:
    """A list for a message, capped: the first few, how many more, the last one."""
    if len(items) <= n:
        return ", ".join(items)
    return f"{', '.join(items[:n - 2])}, … {len(items) - n + 1:,} more {what} …, {items[-1]} ({len(items):,} in all)"


def save_sets(store, session, sets) -> tuple[list[int], list[int]]:
    """Save imported candidate sets into a session, skipping any set identical to one the
    session already holds (re-importing the same file is then harmless).

    Returns (ids of the sets saved now, ids of the existing sets that were identical).
    Each set is saved all-or-nothing, under a unique index, so several processes importing
    one file at once store it once. When a set cannot be saved (disk full, ...) the error
    says exactly which sets were saved before it and which were not.
    """
    from .errors import StoreError

    info = store.get_session(session)
    store.check_integrity()          # a damaged file is refused before anything is written
    saved: list[int] = []
    same: list[int] = []
    for n, cset in enumerate(sets):
        try:
            set_id, new = store.save_or_find_set(info.id, cset)
        except StoreError as err:
            kept = _few([f"set {c.id} (query '{_short(c.query.id)}')" for c in sets[:n]], "sets") or "no set"
            lost = _few([f"'{_short(c.query.id)}'" for c in sets[n:]], "queries")
            rest = _rough_size(sets[n:])
            err.message = (f"{err.message} Already saved in session '{_short(info.name)}': {kept}. "
                           f"Not saved: the set(s) of query {lost} (roughly {rest / 2**20:,.1f} MB of text "
                           "and images, twice that free to be safe).")
            err.fix = ((err.fix or "") + " Importing the same file again afterwards adds only the sets "
                       "that are missing (identical sets are recognised).").strip()
            err.saved_sets, err.unsaved_queries = saved + same, [c.query.id for c in sets[n:]]
            raise
        (saved if new else same).append(set_id)
    return saved, same


BEIR_BATCH = 100          # candidate sets (with their first-stage runs) per transaction


def import_beir(store, session, result, *, batch_size: int = BEIR_BATCH, progress=None) -> dict:
    """Save a BEIR import (``formats.beir.read_beir``) into a session: each query's candidate set
    (labels from the qrels) and its first-stage run (status imported), ``batch_size`` sets per
    transaction. A set identical to one of the session is kept once, and so is its run
    (importing the same data again adds nothing). When a batch cannot be saved (disk full …),
    the error says which queries are saved (every batch before) and which not.

    Returns counts: ``saved``, ``identical`` (sets), ``runs``, ``batches``, ``seconds``;
    ``set_ids`` (per set, in order) and ``run_ids``. ``progress(done, total)`` after each batch."""
    import time

    from .errors import StoreError
    from .store.base import utc_now

    start = time.perf_counter()
    info = store.get_session(session)
    sets, runs = result.sets, result.runs
    out = {"saved": 0, "identical": 0, "runs": 0, "batches": 0, "set_ids": [], "run_ids": []}
    size = max(1, int(batch_size))
    for first in range(0, len(sets), size):
        part = range(first, min(first + size, len(sets)))
        try:
            with store.transaction():
                ids, new_runs, counts = [], [], [0, 0]
                for i in part:
                    set_id, new = store.save_or_find_set(info.id, sets[i])
                    ids.append(set_id)
                    counts[0 if new else 1] += 1
                    run = runs[i] if i < len(runs) else None
                    if run is not None and (new or not _same_imported_run(store, set_id, run)):
                        run.status, run.finished_at = "imported", run.finished_at or utc_now()
                        new_runs.append(store.create_run(set_id, run))     # stored finished, scores with it
        except StoreError as err:
            done = [s.query.id for s in sets[:first]]
            lost = [s.query.id for s in sets[first:]]
            err.message = (f"{err.message} Already saved in session '{info.name}': {len(done):,} quer(ies)"
                           + (f" (up to '{done[-1]}')" if done else "") + f". Not saved: {len(lost):,} "
                           f"quer(ies), from '{lost[0]}' on.")
            err.fix = ((err.fix or "") + " Importing the same data again afterwards adds only what is missing "
                       "(identical sets and runs are recognised).").strip()
            err.saved_sets, err.unsaved_queries = list(out["set_ids"]), lost
            raise
        out["set_ids"].extend(ids)
        out["run_ids"].extend(new_runs)
        out["saved"] += counts[0]
        out["identical"] += counts[1]
        out["runs"] += len(new_runs)
        out["batches"] += 1
        if progress is not None:
            progress(part.stop, len(sets))
    out["seconds"] = time.perf_counter() - start
    return out


# ---------------------------------------------------------------- ranked results in and out
def export_runs(store, *, session=None, run_ids: Sequence[int] | None = None,
                fmt: str = "long", bom: bool = False) -> tuple[bytes, int]:
    """CSV bytes (long or wide) for a session's runs or the given runs, with labels.

    Returns (data, number of rows). Raises NotFound when there is nothing to export.
    """
    from . import formats as wio

    if fmt not in ("long", "wide"):
        raise InputError.coded("export.bad_format", {"format": fmt})
    runs = _runs_to_export(store, session, run_ids)
    set_ids = sorted({r.set_id for r in runs if r.set_id is not None})
    labels = {i: store.get_labels(i) for i in set_ids}
    query_ids = {i: store.get_set(i).query_id for i in set_ids}
    frame = (wio.long_frame if fmt == "long" else wio.wide_frame)(runs, labels, query_ids)
    return wio.to_csv_bytes(frame, bom=bom), len(frame)


def export_tidy(store, *, session=None, run_ids: Sequence[int] | None = None, fmt: str = "csv",
                bom: bool = False) -> tuple[bytes, int]:
    """The tidy export (`workbench.formats.tidy`) of a session's runs or the given runs: one row
    per (run, document) with run id/name/note, query text, document text, image path, OCR text,
    score, rank, label and note. ``fmt``: "csv" or "parquet". Returns (data, number of rows).
    Image paths point at the workbench's copies of the stored images (WORKBENCH_HOME/images).
    """
    from . import formats as wio

    if fmt not in ("csv", "parquet"):
        raise InputError.coded("export.bad_tidy_format", {"format": fmt})
    frame = tidy_export_frame(store, session=session, run_ids=run_ids)
    data = wio.to_parquet_bytes(frame) if fmt == "parquet" else wio.to_csv_bytes(frame, bom=bom)
    return data, len(frame)


def tidy_export_frame(store, *, session=None, run_ids: Sequence[int] | None = None):
    """The tidy export as a DataFrame (what `export_tidy` writes)."""
    from . import formats as wio

    runs = _runs_to_export(store, session, run_ids)
    set_ids = sorted({r.set_id for r in runs if r.set_id is not None})
    sets = {i: store.load_candidate_set(i) for i in set_ids}
    labels = {i: store.get_labels(i) for i in set_ids}
    notes = {i: store.get_notes(i) for i in set_ids}
    return wio.tidy_frame(runs, sets, labels, notes)


def set_run_note(store, run_id: int, note: str) -> Run:
    """Give a run a note ('' clears it); returns the run as stored."""
    note = str(note or "").strip()
    if len(note) > 10_000:
        raise InputError.coded("note.run_too_long", {"length": f"{len(note):,}"})
    store.set_run_note(run_id, note)
    return store._to_run(store._run_row(run_id))


def delete_run(store, run_id: int) -> Run:
    """Delete one run and its scores (labels, sets and other runs are untouched). A run being
    scored (running, owner alive) is refused by the store (`runs.being_scored`: cancel it first);
    a pending one here. Returns the run as it was (for an undo message)."""
    from .errors import StoreError

    run = store.load_run(run_id)
    if run.status == "pending":
        raise StoreError.coded("runs.still_pending", {"run": run.id, "label": run.label})
    store.delete_run(run.id)
    return run


def import_runs(store, session, runs: Sequence[Run]) -> list[int]:
    """Save ranked results from another system as runs of a session's sets.

    Every run is checked before anything is saved: its query id must match a set of
    the session and its doc ids must be documents of that set.
    """
    from .errors import InputError

    info = store.get_session(session)
    store.check_integrity()          # a damaged file is refused before anything is written
    sets = {s.query_id: s for s in store.list_candidate_sets(info.id)}
    unknown = sorted({r.query_id for r in runs} - set(sets))
    if unknown:
        raise InputError.coded("runs.unknown_queries", {"session": info.name, "queries": ", ".join(unknown[:5]),
                                                        "valid": ", ".join(sorted(sets)[:5])})
    doc_ids = {qid: {d.id for d in store.load_candidate_set(s.id).documents} for qid, s in sets.items()}
    for run in runs:
        extra = [s.doc_id for s in run.scores if s.doc_id not in doc_ids[run.query_id]]
        if extra:
            raise InputError.coded("runs.unknown_documents", {
                "query": run.query_id, "session": info.name,
                "docs": ", ".join(extra[:5]) + (" …" if len(extra) > 5 else "")})
    saved = []
    with store.transaction():   # all runs or none
        for run in runs:
            if _same_imported_run(store, sets[run.query_id].id, run):
                continue             # the same file imported again: keep the run once
            run.status = "imported"
            run_id = store.create_run(sets[run.query_id].id, run)
            store.finish_run(run_id, "imported", timings=run.timings or None)
            saved.append(run_id)
    return saved


def _same_imported_run(store, set_id: int, run: Run) -> bool:
    ranking = [(s.doc_id, round(float(s.score), 9)) for s in sorted(run.scores, key=lambda s: s.rank)]
    for other in store.list_runs(set_id=set_id):
        if other.status == "imported" and other.name == run.name and other.instruction == run.instruction:
            loaded = store.load_run(other.id)
            if [(s.doc_id, round(float(s.score), 9)) for s in sorted(loaded.scores, key=lambda s: s.rank)] == ranking:
                return True
    return False


# ---------------------------------------------------------------- labels
def save_labels(store, set_id: int, labels, *, clear: Sequence[str] = ()) -> dict:
    """Save grades (with their notes) of one set and remove the labels in `clear`.
    Returns {"saved": n, "removed": n}."""
    store.set_labels(set_id, list(labels))
    for doc_id in clear:
        store.clear_label(set_id, doc_id)
    return {"saved": len(labels), "removed": len(clear)}


# ---------------------------------------------------------------- OCR
def ocr_set(store, set_id: int, *, langs: str | None = None, only_missing: bool = False,
            progress: Progress | None = None, cancel=None, **kwargs):
    """OCR a stored set's images into [OCR]/[TEXT] descriptions, saving each document
    as soon as it is read (a stop keeps what is done). The analyst's edited OCR text
    wins over the raw text when the description is rebuilt. Returns the per-document
    report (`workbench.ocr.DocOcr`: status ok / empty / error / no_image / skipped).
    """
    from . import ocr

    cset = store.load_candidate_set(set_id)

    def save(doc, item) -> None:
        if item.status in ("ok", "empty"):
            store.update_document_text(set_id, doc.id, ocr_text=doc.ocr_text,
                                       description=doc.description)

    return ocr.describe_set(cset, langs or ocr.DEFAULT_LANGS, only_missing=only_missing,
                            progress=progress, cancel=cancel, on_doc=save, **kwargs)


def ocr_session(store, session, *, set_ids: Sequence[int] | None = None, langs: str | None = None,
                only_missing: bool = False, progress=None, cancel=None, **kwargs) -> dict[int, list]:
    """OCR every set of a session (or the given sets of it), saving each document as it is
    read. Returns ``{set_id: [DocOcr, ...]}``. `progress(done, total)` counts images over all
    the sets. Raises NotFound for an unknown session, InputError for a set not in it or a
    session without sets; Cancelled (finished documents saved) on cancel.
    """
    info = store.get_session(session)
    sets = [s.id for s in store.list_candidate_sets(info.id)]
    if not sets:
        raise InputError.coded("ocr.session_no_sets", {"session": info.name, "quoted": shell_quote(info.name)})
    if set_ids is not None:
        unknown = [i for i in set_ids if int(i) not in sets]
        if unknown:
            raise InputError.coded("ocr.sets_not_in_session", {"sets": ", ".join(map(str, unknown)),
                                                               "session": info.name,
                                                               "valid": ", ".join(map(str, sets))})
        sets = [int(i) for i in set_ids]
    sizes = {}
    for sid in sets:
        docs = store.load_candidate_set(sid).documents
        sizes[sid] = sum(1 for d in docs if d.image and not (only_missing and d.ocr_final is not None))
    total, base, out = sum(sizes.values()), 0, {}
    for sid in sets:
        def sub(done: int, _total: int, base=base) -> None:
            if progress:
                progress(base + done, total)
        out[sid] = ocr_set(store, sid, langs=langs, only_missing=only_missing, progress=sub, cancel=cancel, **kwargs)
        base += sizes[sid]
    return out


def clear_ocr(store, set_id: int, doc_ids: Sequence[str] | None = None, *, edits: bool = False,
              cap: int | None = 200) -> list[str]:
    """Say "no text in this image" for the given documents of a set (None = every document):
    their raw OCR text becomes "" (read, nothing kept), which is a decision that sticks: a later
    OCR of "only images without OCR text" skips them (OCR them again with only_missing=False to
    read them anew). Their descriptions are rebuilt from what is left ([TEXT] and metadata).
    The analyst's edited OCR text is kept (and stays in the description) unless `edits=True`.
    Unknown doc ids raise InputError before anything changes. Returns the doc ids cleared.
    """
    from . import ocr

    cset = store.load_candidate_set(set_id)
    by_id = {d.id: d for d in cset.documents}
    wanted = list(by_id) if doc_ids is None else [str(x) for x in doc_ids]
    unknown = [x for x in wanted if x not in by_id]
    if unknown:
        raise InputError.coded("ocr.set_unknown_documents", {"set": set_id, "docs": ", ".join(unknown[:5]),
                                                             "valid": ", ".join(list(by_id)[:5])})
    with store.transaction():
        for doc_id in wanted:
            doc = by_id[doc_id]
            doc.ocr_text = "" if doc.image else None
            if edits:
                doc.ocr_edited = None
            description = ocr.build_description(doc.ocr_final, doc.text, doc.metadata, cap) or None
            values = dict(ocr_text=doc.ocr_text, description=description)
            if edits:
                values["ocr_edited"] = None
            store.update_document_text(set_id, doc_id, **values)
    return wanted


def edit_ocr(store, set_id: int, doc_id: str, text: str, *, cap: int | None = 200) -> list[tuple[int, str]]:
    """Save the analyst's correction of a document's OCR text, for the image rather than the
    set: every document of the session showing the same image (same content hash) gets it,
    each with its description rebuilt from its own [TEXT] and metadata. Returns the
    (set id, doc id) pairs changed (the given document first)."""
    from . import ocr

    info = store.get_set(set_id)
    cset = store.load_candidate_set(set_id)
    if str(doc_id) not in {d.id for d in cset.documents}:
        raise InputError.coded("ocr.set_unknown_documents", {"set": set_id, "docs": str(doc_id),
                                                             "valid": ", ".join(d.id for d in cset.documents[:5])})
    doc = cset.doc(str(doc_id))
    targets = [(int(set_id), str(doc_id))]
    if doc.image_hash:
        targets += [p for p in store.documents_with_image(info.session_id, doc.image_hash) if p != targets[0]]
    loaded = {int(set_id): cset}
    with store.transaction():
        for sid, did in targets:
            cset = loaded.get(sid) or loaded.setdefault(sid, store.load_candidate_set(sid))
            d = cset.doc(did)
            description = ocr.build_description(text, d.text, d.metadata, cap) or None
            store.update_document_text(sid, did, ocr_edited=text, description=description)
    return targets


def clear_session_ocr(store, session, doc_ids: Sequence[str] | None = None, *, edits: bool = False,
                      cap: int | None = 200) -> dict[int, list[str]]:
    """`clear_ocr` over every set of a session: each given doc id is cleared in every set that
    holds it (an id no set holds raises InputError, nothing changed). Returns {set_id: doc ids}."""
    info = store.get_session(session)
    sets = {s.id: [d.id for d in store.load_candidate_set(s.id).documents]
            for s in store.list_candidate_sets(info.id)}
    if doc_ids is not None:
        known = {d for ids in sets.values() for d in ids}
        unknown = [str(x) for x in doc_ids if str(x) not in known]
        if unknown:
            raise InputError.coded("ocr.session_unknown_documents", {"session": info.name,
                                                                     "docs": ", ".join(unknown[:5])})
    out = {}
    with store.transaction():
        for sid, ids in sets.items():
            chosen = ids if doc_ids is None else [d for d in ids if d in {str(x) for x in doc_ids}]
            if chosen:
                out[sid] = clear_ocr(store, sid, chosen, edits=edits, cap=cap)
    return out


# ---------------------------------------------------------------- labelling mode
def grade_document(store, set_id: int, doc_id: str, grade: int | None):
    """Save a grade the moment it is given (None removes it); the document's note is kept either
    way. Returns a `labelling.LabelChange` for `undo_label`."""
    from .labelling import LabelChange

    before = store.get_labels(set_id).get(str(doc_id))
    if grade is None:
        store.clear_label_keep_note(set_id, doc_id)
    else:
        store.move_note_into_label(set_id, doc_id, grade)
    return LabelChange(int(set_id), str(doc_id), before.grade if before else None, grade)


def undo_label(store, change):
    """Put back the grade a `LabelChange` replaced (the note, edited since or not, stays).
    Returns the change that undoes it (so an undo can itself be undone)."""
    return grade_document(store, change.set_id, change.doc_id, change.before)


def note_document(store, set_id: int, doc_id: str, note: str) -> None:
    """Save a note on a document, graded or not ('' removes it)."""
    note = str(note or "").strip()
    if len(note) > 10_000:
        raise InputError.coded("note.too_long", {"length": f"{len(note):,}"})
    store.set_note(set_id, doc_id, note)


def label_progress(store, session):
    """Labelling progress per query (set) of a session and in all (`labelling.progress_frame`)."""
    from .labelling import progress_frame

    info = store.get_session(session)
    rows = [(s.id, s.query_id, s.query_text, s.n_docs, s.n_labels) for s in store.list_candidate_sets(info.id)]
    return progress_frame(rows)


# ================================================================ TREC / comparison
# Labels and runs in and out of the TREC formats (workbench.formats.trec), and the session
# comparison the Compare page and `workbench compare` share (workbench.compare).

def labels_by_query(store, set_ids) -> dict[str, dict[str, int]]:
    """``{query_id: {doc_id: grade}}`` of the given stored sets (what workbench.compare takes)."""
    out: dict[str, dict[str, int]] = {}
    for sid in set_ids:
        if sid is None:
            continue
        info = store.get_set(sid)
        grades = {d: lab.grade for d, lab in store.get_labels(sid).items()}
        if grades:
            out.setdefault(str(info.query_id), {}).update(grades)
    return out


def import_qrels(store, session, labels, *, skip_unknown: bool = False) -> dict:
    """Apply graded labels ``{query_id: {doc_id: grade}}`` (e.g. ``trec.read_qrels(...).labels``)
    to the candidate sets of a session, matched by query id.

    Everything is checked before anything is written: an unknown query id or a doc id
    that is not a document of that query's set(s) raises InputError naming the valid
    ids, and nothing is applied. A query id shared by several sets of the session labels
    the document in every set that holds it. Existing notes are kept. Returns counts:
    ``labels`` (judgments applied), ``queries``, ``sets``, ``new``, ``changed``, ``unchanged``.

    TREC qrels often judge documents outside the reranked pool: with
    ``skip_unknown=True`` judgments of unknown queries / documents are left out and
    counted in ``skipped_queries`` / ``skipped_judgments`` instead of being an error.
    """
    from .errors import InputError
    from .model import Label
    from .formats.trec import labels_to_qrels

    qrels = labels_to_qrels(labels)
    info = store.get_session(session)
    store.check_integrity()          # a damaged file is refused before anything is written
    sets_by_query: dict[str, list] = {}
    for s in store.list_candidate_sets(info.id):
        sets_by_query.setdefault(str(s.query_id), []).append(s)
    unknown = sorted(set(qrels) - set(sets_by_query))
    skipped = {"skipped_queries": 0, "skipped_judgments": 0}
    if skip_unknown:
        skipped["skipped_queries"] = len(unknown)
        skipped["skipped_judgments"] = sum(len(qrels[q]) for q in unknown)
        qrels = {q: per for q, per in qrels.items() if q in sets_by_query}
        unknown = []
    if unknown:
        valid = sorted(sets_by_query)
        raise InputError.coded("labels.qrels_unknown_queries" if valid else "labels.qrels_unknown_queries_no_sets", {
            "session": info.name, "queries": ", ".join(unknown[:5]) + (" …" if len(unknown) > 5 else ""),
            "count": len(unknown), "total": len(qrels),
            "valid": ", ".join(valid[:10]) + (" …" if len(valid) > 10 else "")})
    docs_of_set = {s.id: {d.id for d in store.load_candidate_set(s.id).documents}
                   for per in sets_by_query.values() for s in per}
    problems = []
    for qid, per in list(qrels.items()):
        known = set().union(*(docs_of_set[s.id] for s in sets_by_query[qid]))
        extra = sorted(d for d in per if d not in known)
        if extra and skip_unknown:
            skipped["skipped_judgments"] += len(extra)
            qrels[qid] = {d: g for d, g in per.items() if d in known}
        elif extra:
            problems.append((qid, extra, sorted(known)))
    if problems:
        qid, extra, known = problems[0]
        n_extra = sum(len(p[1]) for p in problems)
        code = "labels.qrels_unknown_documents_many" if len(problems) > 1 else "labels.qrels_unknown_documents"
        raise InputError.coded(code, {"query": qid, "session": info.name,
                                      "docs": ", ".join(extra[:5]) + (" …" if len(extra) > 5 else ""),
                                      "count": n_extra, "queries": len(problems),
                                      "valid": ", ".join(known[:10]) + (" …" if len(known) > 10 else "")})
    for qid, per in qrels.items():       # grades are validated here, before any write
        for doc, grade in per.items():
            Label(qid, doc, grade)
    counts = {"labels": 0, "queries": len(qrels), "sets": 0, "new": 0, "changed": 0, "unchanged": 0}
    plan = []
    for qid, per in qrels.items():
        for s in sets_by_query[qid]:
            old = store.get_labels(s.id)
            items = [Label(qid, d, g, old[d].note if d in old else "")
                     for d, g in per.items() if d in docs_of_set[s.id]]
            if not items:
                continue
            plan.append((s.id, items, old))
            for lab in items:
                prev = old.get(lab.doc_id)
                key = "new" if prev is None else ("unchanged" if prev.grade == lab.grade else "changed")
                counts[key] += 1
            counts["labels"] += len(items)
    counts["sets"] = len(plan)
    written = []
    try:
        for set_id, items, old in plan:
            store.set_labels(set_id, items)
            written.append((set_id, items, old))
    except BaseException:
        for set_id, items, old in written:   # undo: nothing half-applied
            for lab in items:
                if lab.doc_id in old:
                    store.set_label(set_id, lab.doc_id, old[lab.doc_id].grade, old[lab.doc_id].note)
                else:
                    store.clear_label(set_id, lab.doc_id)
        raise
    counts.update(skipped)
    return counts


def _runs_to_export(store, session, run_ids) -> list[Run]:
    from .errors import InputError, NotFound

    if run_ids:
        return [store.load_run(int(r)) for r in run_ids]
    if session is None:
        raise InputError.coded("export.nothing_named")
    info = store.get_session(session)
    runs = [store.load_run(r.id) for r in store.list_runs(session_id=info.id)]
    if not runs:
        raise NotFound.coded("export.no_runs", {"session": info.name, "quoted": shell_quote(info.name)})
    return runs


def export_trec_run(store, *, session=None, run_ids: Sequence[int] | None = None,
                    tag: str | None = None) -> bytes:
    """TREC run file (``qid Q0 docid rank score tag``, UTF-8) of a session's runs or the given runs.

    The tag is ``tag`` or the run's label (name, else backend + instruction; spaces → ``_``),
    so the runs of one instruction across the session's queries form one TREC run. Two runs
    with the same tag for the same query (a re-run) would collide: the newest keeps the
    tag and older ones get ``_run<id>`` appended, so every stored run is exported.
    """
    from .formats import trec
    from .errors import InputError

    runs = _runs_to_export(store, session, run_ids)
    for run in runs:
        if run.query_id is None and run.set_id is not None:
            run.query_id = store.get_set(run.set_id).query_id
    if tag is not None:
        tag = tag.strip()
        if not tag or any(c.isspace() for c in tag):
            raise InputError.coded("export.bad_tag", {"tag": tag})
        clash = [q for q, n in Counter(str(r.query_id) for r in runs).items() if n > 1]
        if clash:
            raise InputError.coded("export.tag_clash", {"tag": tag, "count": len(runs), "query": clash[0]})
        return trec.format_run(runs, tag=tag).encode("utf-8")
    parts = []
    taken: dict[tuple[str, str], int] = {}
    for run in sorted(runs, key=lambda r: -(r.id or 0)):       # newest first keeps the plain tag
        t = trec._safe_tag(run)
        key = (str(run.query_id), t)
        if key in taken:
            t = f"{t}_run{run.id}"
        taken[(str(run.query_id), t)] = run.id or 0
        parts.append((run, t))
    order = {id(r): i for i, r in enumerate(runs)}
    parts.sort(key=lambda p: order[id(p[0])])
    return "".join(trec.format_run([run], tag=t) for run, t in parts).encode("utf-8")


def export_qrels(store, session) -> bytes:
    """TREC qrels (``qid 0 docid grade``, UTF-8) of every label in a session."""
    from .formats import trec
    from .errors import NotFound

    info = store.get_session(session)
    labels = labels_by_query(store, [s.id for s in store.list_candidate_sets(info.id)])
    if not labels:
        raise NotFound.coded("export.no_labels", {"session": info.name})
    return trec.format_qrels(labels).encode("utf-8")




def compare_runs(store, run_ids: Sequence[int], k: int = 10, **kwargs):
    """`workbench.compare.compare_session` over stored runs, with the labels of their sets.

    The first run's label is the baseline (rank shifts, win/loss). Extra keyword
    arguments go to compare_session (baseline, metric, n_resamples, seed).
    """
    from . import compare
    from .errors import InputError

    if not run_ids:
        raise InputError.coded("runs.none_picked")
    if k < 1:
        raise InputError.coded("runs.bad_k", {"k": k})
    runs = [store.load_run(int(r)) for r in run_ids]
    labels = labels_by_query(store, sorted({r.set_id for r in runs if r.set_id is not None}))
    return compare.compare_session(runs, labels=labels or None, k=k, **kwargs)


def query_matrix(store, session, query_id: str | None = None, *, run_ids: Sequence[int] | None = None,
                 baseline: int | str = 0, k: int | None = None):
    """The instruction x document matrix of one query of a session (`workbench.compare.matrix`).

    Runs: the session's comparable runs (or `run_ids`), grouped by run label, the newest run of
    each label for the query. `query_id` None = the first query. Returns ``(MatrixView,
    query_ids)``, the second being every query of the session with runs, in order, for stepping.
    Raises NotFound when the session has no runs, InputError for an unknown query id.
    """
    from .compare import DEFAULT_SHIFT_K, group_runs, matrix_frame
    from .errors import NotFound

    info = store.get_session(session)
    ids = list(run_ids) if run_ids else session_run_ids(store, info.id)
    runs = [store.load_run(i) for i in ids]
    if run_ids:
        sets = {s.id for s in store.list_candidate_sets(info.id)}
        foreign = [r.id for r in runs if r.set_id not in sets]
        if foreign:
            raise InputError.coded("runs.not_in_session", {"runs": ", ".join(map(str, foreign)),
                                                           "session": info.name})
    if not runs:
        raise NotFound.coded("runs.none_finished", {"session": info.name})
    groups = group_runs(runs)
    queries = groups.query_ids
    qid = queries[0] if query_id is None else str(query_id)
    if qid not in queries:
        raise InputError.coded("runs.no_runs_for_query", {"session": info.name, "query": qid,
                                                          "valid": ", ".join(queries[:10])})
    chosen = groups.for_query(qid)
    set_id = chosen[0].set_id
    cset = store.load_candidate_set(set_id) if set_id is not None else None
    labels = store.get_labels(set_id) if set_id is not None else {}
    view = matrix_frame(chosen, cset, labels, baseline=baseline, k=k or DEFAULT_SHIFT_K)
    return view, queries


def session_run_ids(store, session) -> list[int]:
    """Ids of a session's runs that can be compared (done, cancelled or imported), oldest first."""
    info = store.get_session(session)
    return [r.id for r in store.list_runs(session_id=info.id) if r.status in COMPARABLE_STATUSES]


def comparison_tables(result) -> dict[str, "object"]:
    """Every table of a SessionComparison as a DataFrame, ready for CSV export.

    Keys: ``metrics`` (runs × metrics; only with labels), ``per_query_metrics``,
    ``significance``, ``rank_shifts`` (every query's rank table, with a query_id column),
    ``correlations``, ``discrimination``.
    """
    import pandas as pd

    out: dict[str, pd.DataFrame] = {}
    if result.metrics is not None:
        out["metrics"] = result.metrics.table.reset_index()
        out["per_query_metrics"] = result.metrics.per_query
    if result.significance is not None and len(result.significance):
        out["significance"] = result.significance
    if result.rank_tables:
        out["rank_shifts"] = pd.concat(
            [t.assign(query_id=q)[["query_id", *t.columns]] for q, t in result.rank_tables.items()],
            ignore_index=True)
    pairs = result.correlations.pairs
    if pairs is not None and len(pairs):
        out["correlations"] = pairs
    out["discrimination"] = result.discrimination
    return out
