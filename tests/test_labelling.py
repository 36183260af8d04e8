"""Labelling mode without a browser: grades saved at once and undoable, notes on any document
(graded or not, never lost when a grade comes or goes), the unlabelled-only queue, progress."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench import service
from workbench.errors import NotFound
from workbench.labelling import labelling_queue, labels_grid, next_unlabelled, step
from workbench.model import CandidateSet, Document, Query
from tests.pg import sqlite_only

# every test runs on SQLite and on a throwaway PostgreSQL (tests/pg.py), except those marked
pytestmark = pytest.mark.usefixtures("db_backend")


@pytest.fixture
def two_sets(store):
    info = store.create_session("lab")
    a = store.save_candidate_set(info.id, CandidateSet(Query("q1", "shoes"), [Document(d, f"doc {d}") for d in "abcd"]))
    b = store.save_candidate_set(info.id, CandidateSet(Query("q2", "hat"), [Document(d, f"doc {d}") for d in "xy"]))
    return info, a, b


def test_grades_are_saved_at_once_and_undo_restores_the_previous_one(store, two_sets):
    _, a, _ = two_sets
    first = service.grade_document(store, a, "a", 2)
    assert (first.before, first.after) == (None, 2) and store.get_labels(a)["a"].grade == 2
    second = service.grade_document(store, a, "a", 0)
    assert (second.before, second.after) == (2, 0)
    service.undo_label(store, second)
    assert store.get_labels(a)["a"].grade == 2
    redo = service.undo_label(store, first)                 # back to ungraded
    assert "a" not in store.get_labels(a)
    service.undo_label(store, redo)                          # an undo can be undone
    assert store.get_labels(a)["a"].grade == 2


def test_notes_on_graded_and_ungraded_documents_survive_grade_changes(store, two_sets):
    _, a, b = two_sets
    service.note_document(store, a, "b", "  check the colour ")
    assert store.get_notes(a) == {"b": "check the colour"} and "b" not in store.get_labels(a)
    change = service.grade_document(store, a, "b", 1)         # the note moves into the label
    assert store.get_labels(a)["b"].note == "check the colour" and store.get_notes(a) == {"b": "check the colour"}
    service.note_document(store, a, "b", "colour is fine")
    service.undo_label(store, change)                         # grade gone, the newer note stays
    assert "b" not in store.get_labels(a) and store.get_notes(a) == {"b": "colour is fine"}
    service.note_document(store, a, "b", "")
    assert store.get_notes(a) == {}
    with pytest.raises(NotFound, match="no document 'zz'"):
        service.note_document(store, a, "zz", "x")
    # a note-only document of a deleted set goes with it
    service.note_document(store, b, "x", "gone soon")
    store.delete_candidate_set(b)
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM doc_notes WHERE set_id = ?", (b,)).scalar() == 0


def test_queue_order_unlabelled_filter_and_stepping(store, two_sets):
    _, a, _ = two_sets
    cset = store.load_candidate_set(a)
    assert labelling_queue(cset) == ["a", "b", "c", "d"]
    assert labelling_queue(cset, order=["c", "a", "zz"]) == ["c", "a", "b", "d"]   # a run's order first
    service.grade_document(store, a, "b", 1)
    labels = store.get_labels(a)
    assert labelling_queue(cset, labels, unlabelled_only=True) == ["a", "c", "d"]
    assert labelling_queue(cset, labels, unlabelled_only=True, keep="b") == ["a", "b", "c", "d"]
    queue = labelling_queue(cset)
    assert (step(queue, "a", 1), step(queue, "a", -1), step(queue, "d", 1), step(queue, None, 1)) == ("b", "a", "d", "a")
    assert next_unlabelled(queue, labels, "a") == "c" and next_unlabelled(queue, labels, "d") == "a"
    assert next_unlabelled(queue, {d: 1 for d in queue}, "a") is None


def test_progress_per_query_and_in_all(store, two_sets):
    _, a, b = two_sets
    for d in "abc":
        service.grade_document(store, a, d, 1)
    service.grade_document(store, b, "x", 0)
    service.note_document(store, b, "y", "a note is not a grade")
    p = service.label_progress(store, "lab").set_index("query_id")
    assert (p.loc["q1", "labelled"], p.loc["q1", "documents"], p.loc["q1", "share"]) == (3, 4, 0.75)
    assert (p.loc["q2", "labelled"], p.loc["all", "labelled"], p.loc["all", "documents"]) == (1, 4, 6)
    assert pd.isna(p.loc["all", "set_id"])


def test_labels_grid_has_images_and_notes_of_ungraded_rows(store, tmp_path):
    from tests.helpers import random_image

    info = store.create_session("grid")
    img = random_image(tmp_path / "p.png", 20, 20, seed=3)
    s = store.save_candidate_set(info.id, CandidateSet(Query("q", "x"), [Document("p", "photo", image=img),
                                                                         Document("t", "text")]))
    service.note_document(store, s, "t", "unsure")
    service.grade_document(store, s, "p", 2)
    grid = labels_grid(store.load_candidate_set(s), store.get_labels(s), store.get_notes(s)).set_index("doc_id")
    assert grid.loc["p", "image"].endswith(".png") and grid.loc["p", "label"] == 2
    assert pd.isna(grid.loc["t", "label"]) and grid.loc["t", "note"] == "unsure"
    # the tidy export carries notes of ungraded documents too
    from workbench.model import Result, Run

    store.create_run(s, Run("i", "lexical", "bm25", status="done", scores=[Result("p", 0.9, 1), Result("t", 0.1, 2)]))
    tidy = service.tidy_export_frame(store, session="grid").set_index("doc_id")
    assert tidy.loc["t", "note"] == "unsure" and pd.isna(tidy.loc["t", "label"])
