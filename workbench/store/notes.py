"""Notes on documents, graded or not.

A graded document's note lives with its label (``labels.note``, as before); a document without a
grade keeps its note in ``doc_notes`` (migration m007). `set_note` puts a note in the right place
and `get_notes` reads both, so every document has at most one note, wherever it is stored. When a
note-only document is graded the note moves into the label (`move_note_into_label`), and when a
label is removed the note moves back (`clear_label_keep_note`), so no note is lost either way.

Notes are per annotator (m010), like grades: each call takes ``annotator`` (default '', the
default annotator), and one annotator's note never replaces another's.
"""

from __future__ import annotations

from sqlalchemy import select, text

from ..errors import NotFound
from . import schema as t
from .base import StoreBase, utc_now
from .labels import annotator_name

MAX_NOTE = 10_000


class DocumentNotes(StoreBase):
    def get_notes(self, set_id: int, *, annotator: str = "") -> dict[str, str]:
        """``{doc_id: note}`` of a set's documents that have a non-empty note (graded or not) of
        one annotator."""
        who = annotator_name(annotator)
        with self._read() as conn:
            loose = conn.execute(select(t.doc_notes.c.doc_id, t.doc_notes.c.note)
                                 .where(t.doc_notes.c.set_id == int(set_id), t.doc_notes.c.annotator == who)).all()
            labelled = conn.execute(select(t.labels.c.doc_id, t.labels.c.note)
                                    .where(t.labels.c.set_id == int(set_id), t.labels.c.annotator == who,
                                           t.labels.c.note != "")).all()
        out = {r.doc_id: r.note for r in loose if r.note}
        out.update({r.doc_id: r.note for r in labelled})
        return out

    def set_note(self, set_id: int, doc_id: str, note: str, *, annotator: str = "") -> None:
        """Give a document a note ('' removes it), graded or not, as `annotator`."""
        who = annotator_name(annotator)
        note = str(note or "").strip()
        now = utc_now()
        with self.transaction() as conn:
            exists = conn.execute(select(t.documents.c.id).where(
                t.documents.c.set_id == int(set_id), t.documents.c.doc_id == str(doc_id))).first()
            if exists is None:
                self.get_set(set_id)  # type: ignore[attr-defined]  # NotFound for an unknown set
                raise NotFound.coded("labels.note_unknown_document", {"set": set_id, "doc": doc_id})
            key = {"set_id": int(set_id), "doc_id": str(doc_id), "who": who}
            graded = conn.execute(text("UPDATE labels SET note = :note, updated_at = :now "
                                       "WHERE set_id = :set_id AND doc_id = :doc_id AND annotator = :who"),
                                  {**key, "note": note, "now": now}).rowcount
            if graded or not note:
                conn.execute(text("DELETE FROM doc_notes WHERE set_id = :set_id AND doc_id = :doc_id "
                                  "AND annotator = :who"), key)
            else:
                conn.execute(text(
                    "INSERT INTO doc_notes (set_id, doc_id, annotator, note, updated_at) "
                    "VALUES (:set_id, :doc_id, :who, :note, :now) ON CONFLICT (set_id, doc_id, annotator) "
                    "DO UPDATE SET note = excluded.note, updated_at = excluded.updated_at"),
                    {**key, "note": note, "now": now})

    def move_note_into_label(self, set_id: int, doc_id: str, grade: int, *, annotator: str = "") -> None:
        """Grade a document as `annotator`, keeping their note (from the label or from doc_notes)."""
        who = annotator_name(annotator)
        note = self.get_notes(set_id, annotator=who).get(str(doc_id), "")
        with self.transaction() as conn:
            self.set_label(set_id, doc_id, grade, note, annotator=who)  # type: ignore[attr-defined]
            conn.execute(text("DELETE FROM doc_notes WHERE set_id = :set_id AND doc_id = :doc_id AND annotator = :who"),
                         {"set_id": int(set_id), "doc_id": str(doc_id), "who": who})

    def clear_label_keep_note(self, set_id: int, doc_id: str, *, annotator: str = "") -> None:
        """Remove `annotator`'s grade of a document; their note (if any) stays, as a note on an
        ungraded document."""
        who = annotator_name(annotator)
        note = self.get_notes(set_id, annotator=who).get(str(doc_id), "")
        with self.transaction():
            self.clear_label(set_id, doc_id, annotator=who)  # type: ignore[attr-defined]
            if note:
                self.set_note(set_id, doc_id, note, annotator=who)
