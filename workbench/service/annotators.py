"""Team labelling: what an annotator may see (blind mode), agreement, disagreements, adjudication.

Agreement numbers come from workbench.compare.annotators (Cohen's kappa per pair, Krippendorff's
ordinal alpha for all); this module only gathers the session's grades for it. Model annotators
(kind 'model') take part in agreement (their agreement with each person is measured) but never in
the human labels metrics rest on (see workbench/store/labels.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import NotFound
from ..store.labels import annotator_name


@dataclass
class DocView:
    """What one annotator may see of one document's grades."""

    doc_id: str
    mine: int | None                    # this annotator's grade (None: not given yet)
    graded_by: list[str]                # the other annotators who graded it (names, '' = unnamed)
    others: dict[str, int] | None       # their grades; None while hidden (blind and not graded yet)
    adjudicated: int | None = None      # the final label, if an adjudicator set one
    hidden: bool = field(init=False)

    def __post_init__(self) -> None:
        self.hidden = self.others is None


def visible_grades(store, set_id: int, annotator: str = "", *, blind: bool = True) -> dict[str, DocView]:
    """``{doc_id: DocView}`` for every document of a set as `annotator` may see it: which others
    graded it always; their grades only once `annotator` has given theirs (blind mode, the
    default) or always (``blind=False``)."""
    who = annotator_name(annotator)
    cset = store.load_candidate_set(set_id)
    grades = store.all_grades(set_id)
    final = store.get_adjudications(set_id)
    out = {}
    for doc in cset.documents:
        per = grades.get(doc.id, {})
        mine = per.get(who)
        others = {a: g for a, g in per.items() if a != who}
        shown = others if (mine is not None or not blind) else None
        out[doc.id] = DocView(doc.id, mine, sorted(others), shown,
                              final[doc.id][0] if doc.id in final else None)
    return out


def session_sets(store, session, query_id: str | None = None):
    """A session's candidate sets, or only those of `query_id` (NotFound naming the valid ids)."""
    info = store.get_session(session)
    sets = store.list_candidate_sets(info.id)
    if query_id is not None:
        known = sorted({str(s.query_id) for s in sets})
        if str(query_id) not in known:
            raise NotFound.coded("labels.unknown_query", {"session": info.name, "query": query_id,
                                                          "valid": ", ".join(known[:10]) or "(none)"})
        sets = [s for s in sets if str(s.query_id) == str(query_id)]
    return sets


def session_grades(store, session, query_id: str | None = None):
    """Every grade of a session as a frame: annotator, query_id, doc_id, grade (`query_id`: one
    query only)."""
    import pandas as pd

    sets = session_sets(store, session, query_id)
    rows = []
    for s in sets:
        for doc, per in store.all_grades(s.id).items():
            rows.extend((a, str(s.query_id), doc, g) for a, g in per.items())
    return pd.DataFrame(rows, columns=["annotator", "query_id", "doc_id", "grade"])


def agreement(store, session, query_id: str | None = None):
    """`compare.annotators.agreement_table` of a session's grades (or one query's): rows per
    pair of annotators (annotator_a, annotator_b, n, agreement, kappa) and one for all (alpha)."""
    from ..compare.annotators import agreement_table

    return agreement_table(session_grades(store, session, query_id))


def disagreements(store, session, query_id: str | None = None):
    """The documents whose grades differ: query_id, doc_id, one column per annotator."""
    from ..compare.annotators import disagreements as differ

    return differ(session_grades(store, session, query_id))


def adjudicate(store, set_id: int, doc_id: str, grade: int | None, adjudicator: str) -> None:
    """Set (None: remove) the final label of a document; the label history keeps the decision.
    Accepting a model's suggestion is adjudicating with its grade."""
    store.adjudicate(set_id, doc_id, grade, adjudicator)


def session_annotators(store, session_id: int) -> list[str]:
    """The names that graded or noted anything in a session (one statement, no grades read)."""
    from sqlalchemy import select, union

    from workbench.store import schema as tb

    cs = tb.candidate_sets
    graded = select(tb.labels.c.annotator).join(cs, cs.c.id == tb.labels.c.set_id).where(cs.c.session_id == session_id)
    noted = select(tb.doc_notes.c.annotator).join(cs, cs.c.id == tb.doc_notes.c.set_id).where(cs.c.session_id == session_id)
    with store._read() as conn:
        return sorted({str(n) for n in conn.execute(union(graded, noted)).scalars()})
