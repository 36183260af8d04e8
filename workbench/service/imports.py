"""Imports into a session: BEIR/ViDoRe layouts, ranked runs of other systems, qrels."""

from __future__ import annotations

import time
from collections.abc import Sequence

from ..errors import InputError
from ..model import Run


BEIR_BATCH = 100          # candidate sets (with their first-stage runs) per transaction


def import_beir(store, session, result, *, batch_size: int = BEIR_BATCH, progress=None,
                annotator: str = "") -> dict:
    """Save a BEIR import (``formats.beir.read_beir``) into a session: each query's candidate set
    (labels from the qrels) and its first-stage run (status imported), ``batch_size`` sets per
    transaction. A set identical to one of the session is kept once, and so is its run
    (importing the same data again adds nothing). When a batch cannot be saved (disk full …),
    the error says which queries are saved (every batch before) and which not.

    Returns counts: ``saved``, ``identical`` (sets), ``runs``, ``batches``, ``seconds``;
    ``set_ids`` (per set, in order) and ``run_ids``. ``progress(done, total)`` after each batch.
    The qrels' labels are `annotator`'s (default '', the default annotator)."""
    import time

    from ..errors import StoreError
    from ..store.base import utc_now

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
                    set_id, new = store.save_or_find_set(info.id, sets[i], annotator=annotator)
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


def import_runs(store, session, runs: Sequence[Run]) -> list[int]:
    """Save ranked results from another system as runs of a session's sets.

    Every run is checked before anything is saved: its query id must match a set of
    the session and its doc ids must be documents of that set.
    """
    from ..errors import InputError

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


def import_qrels(store, session, labels, *, skip_unknown: bool = False, annotator: str = "") -> dict:
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

    The grades are `annotator`'s (default '', the default annotator); others' grades stay.
    """
    from ..errors import InputError
    from ..model import Label
    from ..formats.trec import labels_to_qrels

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
            old = store.get_labels(s.id, annotator=annotator)
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
            store.set_labels(set_id, items, annotator=annotator)
            written.append((set_id, items, old))
    except BaseException:
        for set_id, items, old in written:   # undo: nothing half-applied
            for lab in items:
                if lab.doc_id in old:
                    store.set_label(set_id, lab.doc_id, old[lab.doc_id].grade, old[lab.doc_id].note,
                                    annotator=annotator)
                else:
                    store.clear_label(set_id, lab.doc_id, annotator=annotator)
        raise
    counts.update(skipped)
    return counts
