"""Labels: grading, notes, undo, progress and labels by query.

Every call that writes takes ``annotator`` (default '', the default annotator shown as
"(unnamed)"): each grade is that annotator's own (see workbench/store/labels.py). Labels for
metrics take a ``source``: ``adjudicated`` (default), ``majority`` or ``annotator:NAME``."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import InputError
from ..store.labels import annotator_name


# ---------------------------------------------------------------- labels
def save_labels(store, set_id: int, labels, *, clear: Sequence[str] = (), annotator: str = "") -> dict:
    """Save `annotator`'s grades (with their notes) of one set and remove their labels in `clear`.
    Returns {"saved": n, "removed": n}."""
    with store.transaction():
        store.set_labels(set_id, list(labels), annotator=annotator)
        for doc_id in clear:
            store.clear_label(set_id, doc_id, annotator=annotator)
    return {"saved": len(labels), "removed": len(clear)}


# ---------------------------------------------------------------- labelling mode
def grade_document(store, set_id: int, doc_id: str, grade: int | None, *, annotator: str = ""):
    """Save `annotator`'s grade the moment it is given (None removes it); their note on the
    document is kept either way. Returns a `labelling.LabelChange` for `undo_label`."""
    from ..labelling import LabelChange

    before = store.get_labels(set_id, annotator=annotator).get(str(doc_id))
    if grade is None:
        store.clear_label_keep_note(set_id, doc_id, annotator=annotator)
    else:
        store.move_note_into_label(set_id, doc_id, grade, annotator=annotator)
    return LabelChange(int(set_id), str(doc_id), before.grade if before else None, grade,
                       annotator=annotator_name(annotator))


def undo_label(store, change):
    """Put back the grade a `LabelChange` replaced (the note, edited since or not, stays), as the
    annotator who made the change. Returns the change that undoes it (an undo can be undone)."""
    return grade_document(store, change.set_id, change.doc_id, change.before,
                          annotator=getattr(change, "annotator", ""))


def note_document(store, set_id: int, doc_id: str, note: str, *, annotator: str = "") -> None:
    """Save `annotator`'s note on a document, graded or not ('' removes it)."""
    note = str(note or "").strip()
    if len(note) > 10_000:
        raise InputError.coded("note.too_long", {"length": f"{len(note):,}"})
    store.set_note(set_id, doc_id, note, annotator=annotator)


def label_progress(store, session):
    """Labelling progress per query (set) of a session and in all (`labelling.progress_frame`)."""
    from ..labelling import progress_frame

    info = store.get_session(session)
    rows = [(s.id, s.query_id, s.query_text, s.n_docs, s.n_labels) for s in store.list_candidate_sets(info.id)]
    return progress_frame(rows)


# ================================================================ TREC / comparison
# Labels and runs in and out of the TREC formats (workbench.formats.trec), and the session
# comparison the Compare page and `workbench compare` share (workbench.compare).

def labels_by_query(store, set_ids, source: str = "adjudicated") -> dict[str, dict[str, int]]:
    """``{query_id: {doc_id: grade}}`` of the given stored sets (what workbench.compare takes), by
    `source`: ``adjudicated`` (the adjudicated label, else the people's majority: with a single
    annotator, their labels), ``majority`` (ties: the lower grade) or ``annotator:NAME``."""
    out: dict[str, dict[str, int]] = {}
    for sid in set_ids:
        if sid is None:
            continue
        info = store.get_set(sid)
        grades = store.metric_labels(sid, source)
        if grades:
            out.setdefault(str(info.query_id), {}).update(grades)
    return out
