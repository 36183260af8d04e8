"""Team labelling in the store (issue 22): labels per annotator (m010), their history, blind
visibility, adjudication, the labels metrics rest on (adjudicated / majority / one annotator),
concurrent writers, `workbench agreement`, `compare --labels` and `import-qrels --annotator`.
Every test runs on SQLite and on a real throwaway PostgreSQL (tests/pg.py)."""

from __future__ import annotations

import threading

import pandas as pd
import pytest
from sqlalchemy import text

from workbench import config, service
from workbench.errors import WorkbenchError
from workbench.cli import main
from workbench.compare.annotators import agreement_table
from workbench.errors import InputError
from workbench.model import CandidateSet, Document, Label, Query, Result, Run
from workbench.store import Store
from workbench.store.labels import majority

pytestmark = pytest.mark.usefixtures("db_backend")


@pytest.fixture
def team(store):
    """Session 'team': query q1 over documents a..d, query q2 over x, y."""
    info = store.create_session("team")
    q1 = store.save_candidate_set(info.id, CandidateSet(Query("q1", "shoes"),
                                                        [Document(d, f"doc {d}") for d in "abcd"]))
    q2 = store.save_candidate_set(info.id, CandidateSet(Query("q2", "hat"), [Document(d, f"doc {d}") for d in "xy"]))
    return info, q1, q2


def _engine(db_backend):
    from workbench.store.engine import ServerDb, make_engine, make_server_engine

    target = config.db_target()
    return make_server_engine(ServerDb(target)) if db_backend == "postgresql" else make_engine(target)


def test_existing_labels_and_notes_migrate_to_the_default_annotator(db_backend):
    from workbench.store.migrations import migrate

    engine = _engine(db_backend)
    try:
        migrate(engine, "old", upto="m009_runs_over_queries")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO sessions (id, name, description, created_at) VALUES (1, 's', '', 'x')"))
            conn.execute(text("INSERT INTO candidate_sets (id, session_id, name, created_at) VALUES (1, 1, 'q', 'x')"))
            conn.execute(text("INSERT INTO queries (set_id, query_id, text) VALUES (1, 'q1', 't')"))
            conn.execute(text("INSERT INTO documents (set_id, doc_id, position, text) VALUES "
                              "(1, 'a', 0, 'a'), (1, 'b', 1, 'b'), (1, 'c', 2, 'c')"))
            conn.execute(text("INSERT INTO labels (set_id, doc_id, grade, note, updated_at) VALUES "
                              "(1, 'a', 2, 'good', '2025-01-01'), (1, 'b', 0, '', '2025-01-02')"))
            conn.execute(text("INSERT INTO doc_notes (set_id, doc_id, note, updated_at) VALUES "
                              "(1, 'c', 'look again', '2025-01-03')"))
    finally:
        engine.dispose()
    with Store() as store:
        assert store.migrations_applied == ["m010_annotators"]
        assert {d: (lab.grade, lab.note) for d, lab in store.get_labels(1).items()} == {"a": (2, "good"), "b": (0, "")}
        assert store.all_grades(1) == {"a": {"": 2}, "b": {"": 0}}
        assert store.get_notes(1) == {"a": "good", "c": "look again"}
        assert [(h["doc_id"], h["annotator"], h["grade"], h["adjudication"], h["changed_at"])
                for h in store.label_history(1)] == [("a", "", 2, False, "2025-01-01"), ("b", "", 0, False, "2025-01-02")]
        assert store.metric_labels(1) == {"a": 2, "b": 0} == store.load_candidate_set(1).labels
        assert store.get_set(1).n_labels == 2


def test_two_annotators_keep_their_own_grades_and_notes(store, team):
    _, q1, _ = team
    service.grade_document(store, q1, "a", 2, annotator="alice")
    service.grade_document(store, q1, "a", 0, annotator="bob")
    service.note_document(store, q1, "a", "blurry", annotator="bob")
    service.note_document(store, q1, "b", "check", annotator="alice")
    assert store.all_grades(q1) == {"a": {"alice": 2, "bob": 0}}
    assert store.get_labels(q1, annotator="alice")["a"].grade == 2 and store.get_labels(q1) == {}
    assert store.get_notes(q1, annotator="bob") == {"a": "blurry"}
    assert store.get_notes(q1, annotator="alice") == {"b": "check"}
    change = service.grade_document(store, q1, "a", None, annotator="bob")     # bob clears his, alice's stays
    assert change.annotator == "bob" and store.all_grades(q1) == {"a": {"alice": 2}}
    assert store.get_notes(q1, annotator="bob") == {"a": "blurry"}             # his note survives the clear
    service.undo_label(store, change)                                            # undo puts bob's grade back
    assert store.all_grades(q1) == {"a": {"alice": 2, "bob": 0}}
    assert store.get_set(q1).n_labels == 1                                       # one document is graded
    assert [(h["annotator"], h["grade"]) for h in store.label_history(q1, "a")] == [
        ("alice", 2), ("bob", 0), ("bob", None), ("bob", 0)]
    with pytest.raises(InputError, match="annotator"):
        store.set_label(q1, "a", 1, annotator="bad\nname")
    assert service.save_labels(store, q1, [Label("q1", "c", 1)], annotator="carol") == {"saved": 1, "removed": 0}
    assert store.get_labels(q1, annotator="(unnamed)") == {}                     # "(unnamed)" is the default ''


def test_two_writers_at_the_same_time_never_overwrite_each_other(store, team):
    info, _, _ = team
    docs = [Document(f"d{i:02}", f"doc {i}") for i in range(30)]
    big = store.save_candidate_set(info.id, CandidateSet(Query("q3", "many"), docs))
    start = threading.Barrier(2)
    errors = []

    def label_all(who: str, grade: int) -> None:
        try:
            with Store() as own:                      # each writer its own store, as two browsers
                start.wait()
                for d in docs:
                    service.grade_document(own, big, d.id, grade, annotator=who)
        except BaseException as err:                  # noqa: BLE001 (reported below)
            errors.append(err)

    threads = [threading.Thread(target=label_all, args=("alice", 2)),
               threading.Thread(target=label_all, args=("bob", 0))]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert not errors
    grades = store.all_grades(big)
    assert grades == {d.id: {"alice": 2, "bob": 0} for d in docs}
    assert len(store.label_history(big)) == 60
    assert store.get_set(big).n_labels == 30


def test_blind_mode_hides_others_grades_until_you_gave_yours(store, team):
    _, q1, _ = team
    store.set_label(q1, "a", 2, annotator="alice")
    store.set_label(q1, "b", 1, annotator="alice")
    store.set_label(q1, "b", 0, annotator="bob")
    seen = service.visible_grades(store, q1, "bob")
    assert (seen["a"].mine, seen["a"].graded_by, seen["a"].others, seen["a"].hidden) == (None, ["alice"], None, True)
    assert (seen["b"].mine, seen["b"].others, seen["b"].hidden) == (0, {"alice": 1}, False)
    assert (seen["c"].graded_by, seen["c"].others) == ([], None)
    assert service.visible_grades(store, q1, "bob", blind=False)["a"].others == {"alice": 2}
    store.set_label(q1, "a", 1, annotator="bob")
    assert service.visible_grades(store, q1, "bob")["a"].others == {"alice": 2}


def test_adjudication_sets_the_final_label_and_the_history_keeps_every_decision(store, team):
    _, q1, _ = team
    store.set_label(q1, "a", 2, annotator="alice")
    store.set_label(q1, "a", 0, annotator="bob")
    diff = service.disagreements(store, "team")
    assert list(diff[["query_id", "doc_id"]].itertuples(index=False, name=None)) == [("q1", "a")]
    assert store.metric_labels(q1) == {"a": 0}                    # a 1:1 tie: the lower grade
    service.adjudicate(store, q1, "a", 2, "judge")
    assert store.get_adjudications(q1) == {"a": (2, "judge")}
    assert store.metric_labels(q1) == {"a": 2} and store.metric_labels(q1, "majority") == {"a": 0}
    service.adjudicate(store, q1, "a", 1, "judge")
    service.adjudicate(store, q1, "a", None, "judge")                # withdrawn: back to the majority
    assert store.get_adjudications(q1) == {} and store.metric_labels(q1) == {"a": 0}
    history = store.label_history(q1, "a")
    assert [(h["annotator"], h["grade"], h["adjudication"]) for h in history] == [
        ("alice", 2, False), ("bob", 0, False), ("judge", 2, True), ("judge", 1, True), ("judge", None, True)]
    assert store.all_grades(q1) == {"a": {"alice": 2, "bob": 0}}     # adjudicating changes nobody's grade
    with pytest.raises(InputError):
        store.adjudicate(q1, "a", 5, "judge")


def test_model_grades_are_suggestions_until_an_adjudicator_accepts_them(store, team):
    _, q1, _ = team
    store.register_annotator("tiny-vl", kind="model")
    store.set_labels(q1, [Label("q1", "a", 2), Label("q1", "b", 2)], annotator="tiny-vl")
    store.set_label(q1, "b", 0, annotator="alice")
    assert store.metric_labels(q1) == {"b": 0} == store.metric_labels(q1, "majority")
    assert store.get_set(q1).n_labels == 1                            # the model's grade of a is no label
    assert store.metric_labels(q1, "annotator:tiny-vl") == {"a": 2, "b": 2}
    service.adjudicate(store, q1, "a", store.all_grades(q1)["a"]["tiny-vl"], "alice")   # accepted
    assert store.metric_labels(q1) == {"a": 2, "b": 0}
    assert store.annotator_kinds() == {"alice": "person", "tiny-vl": "model"}
    with pytest.raises(InputError, match="not a source"):
        store.metric_labels(q1, "everyone")
    assert [majority(g) for g in ([2, 2, 1], [2, 1], [0, 2, 2, 0, 1], [])] == [2, 1, 0, None]


def _two_runs(store, set_id):
    """Run 'first' ranks a, b, c, d; run 'second' ranks d, c, b, a."""
    ids = []
    for name, order in (("first", "abcd"), ("second", "dcba")):
        rid = store.create_run(set_id, Run(instruction=f"i {name}", backend="lexical", model_id="bm25", name=name))
        store.add_scores(rid, [Result(d, 1.0 - i / 10, i + 1, "abcd".index(d)) for i, d in enumerate(order)])
        store.finish_run(rid, "done")
        ids.append(rid)
    return ids


def test_compare_metrics_follow_the_labels_source(store, team, capsys):
    _, q1, _ = team
    for who, grades in (("alice", "2000"), ("bob", "0002"), ("carol", "2000")):
        store.set_labels(q1, [Label("q1", d, int(g)) for d, g in zip("abcd", grades)], annotator=who)
    run_ids = _two_runs(store, q1)

    def ndcg(source):
        table = service.compare_runs(store, run_ids, k=10, labels_source=source).metrics.table
        col = next(c for c in table.columns if c.lower().startswith("ndcg"))
        return table[col].round(4).to_dict()

    by_majority = ndcg("majority")                       # a=2: 'first' wins
    by_bob = ndcg("annotator:bob")                       # d=2: 'second' wins
    assert by_majority["first"] == 1.0 and by_majority["first"] > by_majority["second"]
    assert by_bob["second"] == 1.0 and by_bob["second"] > by_bob["first"]
    assert ndcg("adjudicated") == by_majority            # nothing adjudicated yet: the majority
    store.adjudicate(q1, "a", 1, "judge")
    store.adjudicate(q1, "d", 2, "judge")
    adjudicated = ndcg("adjudicated")
    assert adjudicated["second"] > adjudicated["first"] and adjudicated not in (by_majority, by_bob)
    assert ndcg("majority") == by_majority               # the majority ignores adjudications
    # the ranking of the runs under each source, side by side (whole runs of the session)
    session_id = store.get_session("team").id
    whole = [r.id for r in store.list_run_infos(session_id) if r.name in ("first", "second")]
    table = service.runs_by_label_source(store, "team", whole, k=10)
    assert list(table.index) == ["first", "second"]
    assert {"adjudicated", "majority", "annotator:alice", "annotator:bob", "annotator:carol"} <= set(table.columns)
    assert table.loc["first", "majority rank"] == 1 and table.loc["second", "majority rank"] == 2
    assert table.loc["second", "annotator:bob rank"] == 1 and table.loc["second", "adjudicated rank"] == 1
    assert table.loc["first", "majority"] == pytest.approx(by_majority["first"], abs=1e-4)
    with pytest.raises(WorkbenchError):
        service.runs_by_label_source(store, "team", whole, k=10, metric="nDCG@nope")
    # the Matrix's label column rests on the same labels as Compare (adjudicated by default)
    view, _ = service.query_matrix(store, "team", "q1", runs=whole)
    by_doc = dict(zip(view.frame["doc_id"], view.frame["label"]))
    assert (by_doc["a"], by_doc["d"]) == (1, 2)                       # the adjudicated grades
    view, _ = service.query_matrix(store, "team", "q1", runs=whole, labels_source="annotator:bob")
    assert dict(zip(view.frame["doc_id"], view.frame["label"]))["a"] == 0
    capsys.readouterr()
    assert main(["compare", "--session", "team", "--labels", "annotator:bob"]) == 0
    out = capsys.readouterr().out
    assert "labels: annotator:bob" in out
    assert main(["compare", "--session", "team", "--labels", "everyone"]) == 2


def test_agreement_command_prints_what_compare_annotators_computes(store, team, tmp_path, capsys):
    _, q1, q2 = team
    given = [("alice", "q1", "a", 2), ("alice", "q1", "b", 1), ("alice", "q1", "c", 0), ("alice", "q2", "x", 2),
             ("bob", "q1", "a", 2), ("bob", "q1", "b", 0), ("bob", "q1", "c", 0), ("bob", "q2", "x", 1),
             ("", "q1", "a", 1), ("", "q1", "b", 1), ("", "q2", "y", 0)]
    for who, qid, doc, grade in given:
        store.set_label(q1 if qid == "q1" else q2, doc, grade, annotator=who)
    out_csv = tmp_path / "agreement.csv"
    assert main(["agreement", "--session", "team", "--output", str(out_csv)]) == 0
    printed = capsys.readouterr().out
    assert "annotator_a" in printed and "kappa" in printed and "(unnamed)" in printed
    got = pd.read_csv(out_csv)
    want = agreement_table(pd.DataFrame(given, columns=["annotator", "query_id", "doc_id", "grade"]))
    want[["annotator_a", "annotator_b"]] = want[["annotator_a", "annotator_b"]].replace({"": "(unnamed)"})
    assert list(got.columns) == ["annotator_a", "annotator_b", "n", "agreement", "kappa", "alpha"]
    pd.testing.assert_frame_equal(got, want[list(got.columns)], check_dtype=False)
    # one query only
    assert main(["agreement", "--session", "team", "--query", "q2", "--output", str(out_csv)]) == 0
    q2_only = pd.read_csv(out_csv)
    assert q2_only.loc[q2_only["annotator_a"] == "alice", ["annotator_b", "n"]].values.tolist() == [["bob", 1]]
    assert main(["agreement", "--session", "team", "--query", "nope"]) == 2
    empty = store.create_session("empty")
    assert main(["agreement", "--session", empty.name]) == 2


def test_qrels_import_with_an_annotator_leaves_others_grades(store, team, tmp_path, capsys):
    _, q1, _ = team
    store.set_label(q1, "a", 0)                                   # the default annotator's
    qrels = tmp_path / "bob.qrels"
    qrels.write_text("q1 0 a 2\nq1 0 b 1\n")
    assert main(["import-qrels", str(qrels), "--session", "team", "--annotator", "bob"]) == 0
    assert "as annotator 'bob'" in capsys.readouterr().out
    assert {d: lab.grade for d, lab in store.get_labels(q1, annotator="bob").items()} == {"a": 2, "b": 1}
    assert {d: lab.grade for d, lab in store.get_labels(q1).items()} == {"a": 0}
    assert store.all_grades(q1)["a"] == {"": 0, "bob": 2}
    assert main(["import-qrels", str(qrels), "--session", "team"]) == 0     # no --annotator: the default one
    assert {d: lab.grade for d, lab in store.get_labels(q1).items()} == {"a": 2, "b": 1}


def test_candidate_file_import_with_an_annotator(store, candidates_csv, capsys):
    assert main(["import", str(candidates_csv), "--session", "files", "--annotator", "alice"]) == 0
    sets = {s.query_id: s.id for s in store.list_candidate_sets("files")}
    assert store.all_grades(sets["q1"]) == {"d1": {"alice": 2}, "d2": {"alice": 0}, "d3": {"alice": 1}}
    assert store.get_labels(sets["q1"]) == {} and store.get_set(sets["q1"]).n_labels == 3
    # the same file again as bob: the sets are kept once, the file's grades are now bob's too
    assert main(["import", str(candidates_csv), "--session", "files", "--annotator", "bob"]) == 0
    assert {s.query_id: s.id for s in store.list_candidate_sets("files")} == sets
    assert store.all_grades(sets["q2"]) == {"e1": {"alice": 2, "bob": 2}, "e2": {"alice": 0, "bob": 0}}
    assert [h["annotator"] for h in store.label_history(sets["q2"], "e1")] == ["alice", "bob"]
