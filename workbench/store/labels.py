"""Labels per annotator, their history, adjudication and the labels metrics rest on (m010).

Each grade is its giver's own row: one per (set, doc, annotator), so two people labelling the
same documents at the same time never overwrite each other. The annotator ``''`` (shown as
"(unnamed)", `DEFAULT_ANNOTATOR`) is the one every single-analyst caller uses and the one labels
stored before m010 belong to. An annotator is a ``person`` unless registered as a ``model``; a
model's grades are suggestions and never count as human labels unless an adjudicator accepts
them (`adjudicate` with that grade).

Every grade given or cleared appends a row to ``label_history`` (append-only), adjudications
included (``adjudication`` 1).

Labels for metrics (`metric_labels`), by source:

* ``adjudicated`` (the default): the adjudicated final label where one is set, else the
  majority of the people's grades (below). With one annotator it is simply their labels.
* ``majority``: the grade most people gave; a tie goes to the lower grade (the cautious
  reading: a document two people call 2 and two call 1 counts as 1). Models are not counted;
  adjudications are ignored.
* ``annotator:NAME``: that annotator's grades only (a model's too, when asked for by name).
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import Connection, exc, select, text

from ..errors import InputError, NotFound
from ..model import Label
from . import schema as t
from .base import StoreBase, insert_or_ignore, utc_now

DEFAULT_ANNOTATOR = ""
UNNAMED = "(unnamed)"
ANNOTATOR_KINDS = ("person", "model")
MAX_ANNOTATOR = 100
SOURCES = ("adjudicated", "majority")


def annotator_name(name) -> str:
    """An annotator's name as stored: stripped; None or '' is the default annotator ('').
    Refused (InputError): longer than 100 characters or holding control characters."""
    name = "" if name is None else str(name).strip()
    if name == UNNAMED:
        return DEFAULT_ANNOTATOR
    if len(name) > MAX_ANNOTATOR or any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise InputError.coded("labels.bad_annotator", {"name": name[:120], "max": MAX_ANNOTATOR})
    return name


def shown_name(name: str) -> str:
    """How an annotator is shown: the default annotator '' as "(unnamed)"."""
    return name or UNNAMED


def parse_source(source) -> tuple[str, str | None]:
    """``adjudicated`` | ``majority`` | ``annotator:NAME`` -> (kind, name or None)."""
    raw = "adjudicated" if source in (None, "") else str(source).strip()
    if raw in SOURCES:
        return raw, None
    if raw.startswith("annotator:"):
        return "annotator", annotator_name(raw[len("annotator:"):])
    raise InputError.coded("labels.bad_source", {"source": raw})


def majority(grades) -> int | None:
    """The most frequent grade; ties go to the lower grade; None for no grades."""
    counts = Counter(int(g) for g in grades)
    if not counts:
        return None
    top = max(counts.values())
    return min(g for g, n in counts.items() if n == top)


class AnnotatedLabels(StoreBase):
    # ------------------------------------------------------------------ annotators
    def register_annotator(self, name, kind: str = "person") -> str:
        """Record an annotator and its kind ('person' or 'model'); an existing one keeps its name
        and gets the kind given. Returns the stored name."""
        name = annotator_name(name)
        if kind not in ANNOTATOR_KINDS:
            raise InputError.coded("labels.bad_annotator_kind", {"kind": kind})
        with self._write() as conn:
            conn.execute(text("INSERT INTO annotators (name, kind, created_at) VALUES (:name, :kind, :now) "
                              "ON CONFLICT (name) DO UPDATE SET kind = excluded.kind"),
                         {"name": name, "kind": kind, "now": utc_now()})
        return name

    def annotator_kinds(self) -> dict[str, str]:
        """``{name: kind}`` of every annotator registered or with a label (unregistered: person)."""
        with self._read() as conn:
            kinds = dict(conn.execute(select(t.annotators.c.name, t.annotators.c.kind)).all())
            named = conn.execute(select(t.labels.c.annotator).distinct()).scalars().all()
        return {**{n: "person" for n in named}, **kinds}

    def _models(self, conn: Connection) -> set[str]:
        return set(conn.execute(select(t.annotators.c.name).where(t.annotators.c.kind == "model")).scalars())

    @staticmethod
    def _touch_annotator(conn: Connection, name: str, now: str) -> None:
        conn.execute(insert_or_ignore(conn, t.annotators).values(name=name, kind="person", created_at=now))

    # ------------------------------------------------------------------ one annotator's labels
    def set_label(self, set_id: int, doc_id: str, grade: int, note: str = "", *, annotator: str = "") -> None:
        self.set_labels(set_id, [Label(query_id="", doc_id=str(doc_id), grade=grade, note=note or "")],
                        annotator=annotator)

    def set_labels(self, set_id: int, labels: list[Label], *, annotator: str = "") -> None:
        """Give grades (with notes) as `annotator` (their own rows; others' grades are untouched).
        All or nothing; every grade also goes into the label history."""
        if not labels:
            return
        who = annotator_name(annotator)
        now = utc_now()
        rows = []
        for lab in labels:
            grade = Label(lab.query_id, lab.doc_id, lab.grade).grade  # validates 0/1/2
            rows.append(dict(set_id=int(set_id), doc_id=str(lab.doc_id), annotator=who, grade=int(grade),
                             note=lab.note or "", now=now))
        try:
            with self._write() as conn:
                self._touch_annotator(conn, who, now)
                conn.execute(text(
                    "INSERT INTO labels (set_id, doc_id, annotator, grade, note, updated_at) "
                    "VALUES (:set_id, :doc_id, :annotator, :grade, :note, :now) "
                    "ON CONFLICT (set_id, doc_id, annotator) DO UPDATE SET grade = excluded.grade, "
                    "note = excluded.note, updated_at = excluded.updated_at"), rows)
                conn.execute(text(
                    "INSERT INTO label_history (set_id, doc_id, annotator, grade, adjudication, changed_at) "
                    "VALUES (:set_id, :doc_id, :annotator, :grade, 0, :now)"), rows)
        except exc.IntegrityError:
            self.get_set(set_id)  # type: ignore[attr-defined]  # NotFound for an unknown set
            with self._read() as conn:
                known = set(conn.execute(select(t.documents.c.doc_id).where(
                    t.documents.c.set_id == int(set_id))).scalars())
            unknown = sorted({r["doc_id"] for r in rows} - known)
            raise NotFound.coded("labels.unknown_documents", {"set": set_id,
                                                              "docs": ", ".join(repr(u) for u in unknown)}) from None

    def clear_label(self, set_id: int, doc_id: str, *, annotator: str = "") -> None:
        """Remove `annotator`'s grade of a document (others' stay); the history records it."""
        who = annotator_name(annotator)
        key = {"set_id": int(set_id), "doc_id": str(doc_id), "annotator": who}
        with self._write() as conn:
            gone = conn.execute(text("DELETE FROM labels WHERE set_id = :set_id AND doc_id = :doc_id "
                                     "AND annotator = :annotator"), key).rowcount
            if gone:
                conn.execute(text(
                    "INSERT INTO label_history (set_id, doc_id, annotator, grade, adjudication, changed_at) "
                    "VALUES (:set_id, :doc_id, :annotator, NULL, 0, :now)"), {**key, "now": utc_now()})

    def get_labels(self, set_id: int, *, annotator: str = "") -> dict[str, Label]:
        """``{doc_id: Label}`` of one annotator (default: the default annotator '')."""
        who = annotator_name(annotator)
        info = self.get_set(set_id)  # type: ignore[attr-defined]
        with self._read() as conn:
            rows = conn.execute(select(t.labels.c.doc_id, t.labels.c.grade, t.labels.c.note)
                                .where(t.labels.c.set_id == info.id, t.labels.c.annotator == who)).all()
        return {r.doc_id: Label(info.query_id, r.doc_id, r.grade, r.note) for r in rows}

    # ------------------------------------------------------------------ everyone's labels
    def all_grades(self, set_id: int) -> dict[str, dict[str, int]]:
        """``{doc_id: {annotator: grade}}`` of every annotator (models included) of one set."""
        with self._read() as conn:
            rows = conn.execute(select(t.labels.c.doc_id, t.labels.c.annotator, t.labels.c.grade)
                                .where(t.labels.c.set_id == int(set_id))).all()
        out: dict[str, dict[str, int]] = {}
        for r in rows:
            out.setdefault(r.doc_id, {})[r.annotator] = int(r.grade)
        return out

    def adjudicate(self, set_id: int, doc_id: str, grade: int | None, adjudicator: str) -> None:
        """Set (None: remove) the final label of a document; the history keeps the decision."""
        who = annotator_name(adjudicator)
        if grade is not None:
            grade = Label("", str(doc_id), grade).grade
        key = {"set_id": int(set_id), "doc_id": str(doc_id)}
        now = utc_now()
        with self._write() as conn:
            exists = conn.execute(select(t.documents.c.id).where(
                t.documents.c.set_id == int(set_id), t.documents.c.doc_id == str(doc_id))).first()
            if exists is None:
                self.get_set(set_id)  # type: ignore[attr-defined]
                raise NotFound.coded("labels.unknown_documents", {"set": set_id, "docs": repr(str(doc_id))})
            self._touch_annotator(conn, who, now)
            if grade is None:
                changed = conn.execute(text("DELETE FROM adjudications WHERE set_id = :set_id "
                                            "AND doc_id = :doc_id"), key).rowcount
            else:
                changed = conn.execute(text(
                    "INSERT INTO adjudications (set_id, doc_id, grade, adjudicator, updated_at) "
                    "VALUES (:set_id, :doc_id, :grade, :who, :now) ON CONFLICT (set_id, doc_id) DO UPDATE "
                    "SET grade = excluded.grade, adjudicator = excluded.adjudicator, "
                    "updated_at = excluded.updated_at"), {**key, "grade": int(grade), "who": who, "now": now}).rowcount
            if changed:
                conn.execute(text(
                    "INSERT INTO label_history (set_id, doc_id, annotator, grade, adjudication, changed_at) "
                    "VALUES (:set_id, :doc_id, :who, :grade, 1, :now)"),
                    {**key, "who": who, "grade": grade, "now": now})

    def get_adjudications(self, set_id: int) -> dict[str, tuple[int, str]]:
        """``{doc_id: (grade, adjudicator)}`` of the adjudicated documents of a set."""
        with self._read() as conn:
            rows = conn.execute(select(t.adjudications.c.doc_id, t.adjudications.c.grade,
                                       t.adjudications.c.adjudicator)
                                .where(t.adjudications.c.set_id == int(set_id))).all()
        return {r.doc_id: (int(r.grade), r.adjudicator) for r in rows}

    def label_history(self, set_id: int, doc_id: str | None = None) -> list[dict]:
        """The history of a set's (or one document's) labels, oldest first: dicts with doc_id,
        annotator, grade (None: cleared), adjudication (bool), changed_at."""
        h = t.label_history
        query = select(h.c.doc_id, h.c.annotator, h.c.grade, h.c.adjudication, h.c.changed_at) \
            .where(h.c.set_id == int(set_id)).order_by(h.c.id)
        if doc_id is not None:
            query = query.where(h.c.doc_id == str(doc_id))
        with self._read() as conn:
            rows = conn.execute(query).all()
        return [dict(doc_id=r.doc_id, annotator=r.annotator, grade=None if r.grade is None else int(r.grade),
                     adjudication=bool(r.adjudication), changed_at=r.changed_at) for r in rows]

    # ------------------------------------------------------------------ labels for metrics
    def metric_labels(self, set_id: int, source: str = "adjudicated") -> dict[str, int]:
        """``{doc_id: grade}`` metrics rest on, by `source` (see the module's docstring)."""
        with self._read() as conn:
            return self._metric_grades(conn, int(set_id), source)

    def _metric_grades(self, conn: Connection, set_id: int, source: str = "adjudicated") -> dict[str, int]:
        kind, name = parse_source(source)
        lab = t.labels
        if kind == "annotator":
            return {d: int(g) for d, g in conn.execute(select(lab.c.doc_id, lab.c.grade).where(
                lab.c.set_id == set_id, lab.c.annotator == name)).all()}
        models = self._models(conn)
        per: dict[str, list[int]] = {}
        for d, who, g in conn.execute(select(lab.c.doc_id, lab.c.annotator, lab.c.grade)
                                      .where(lab.c.set_id == set_id)).all():
            if who not in models:
                per.setdefault(d, []).append(int(g))
        out = {d: majority(gs) for d, gs in per.items()}
        if kind == "adjudicated":
            out.update({d: int(g) for d, g in conn.execute(
                select(t.adjudications.c.doc_id, t.adjudications.c.grade)
                .where(t.adjudications.c.set_id == set_id)).all()})
        return {d: g for d, g in out.items() if g is not None}
