"""TREC interop and comparison through the store: service.import_qrels / export_trec_run /
export_qrels / compare_runs, and the CLI doors onto them (real store, real BM25, no mocks)."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench import service
from workbench.formats import trec
from workbench.cli import main
from workbench.errors import InputError, NotFound
from workbench.rerank.registry import get_reranker
from workbench.samples import seed_samples
from workbench.store import Store

PHOTOS = "Sample: Photos: text queries against images"


@pytest.fixture()
def photos():
    """The photos sample session (3 queries × 7 documents, labelled) and its set infos."""
    store = Store()
    seed_samples(store)
    info = store.get_session(PHOTOS)
    return store, info, store.list_candidate_sets(info.id)


@pytest.fixture()
def two_runs(photos):
    store, info, sets = photos
    runs = service.rerank_many(store, [s.id for s in sets],
                               ["Find the photo that shows the query", "Retrieve relevant images"],
                               get_reranker("lexical"), names=["first", "second"])
    return store, info, sets, runs


def _grades(store, sets):
    return {s.query_id: {d: lab.grade for d, lab in store.get_labels(s.id).items()} for s in sets}


# --------------------------------------------------------------------------- qrels


def test_import_qrels_applies_labels_and_keeps_notes(photos):
    store, info, sets = photos
    cset = store.load_candidate_set(sets[0].id)
    qid, docs = cset.query.id, [d.id for d in cset.documents]
    before = store.get_labels(sets[0].id)
    store.set_label(sets[0].id, docs[0], before[docs[0]].grade, note="checked by hand")
    new_grade = (before[docs[1]].grade + 1) % 3
    counts = service.import_qrels(store, info.name, {qid: {docs[0]: before[docs[0]].grade,
                                                          docs[1]: new_grade}})
    assert counts == {"labels": 2, "queries": 1, "sets": 1, "new": 0, "changed": 1, "unchanged": 1,
                      "skipped_queries": 0, "skipped_judgments": 0}
    after = store.get_labels(sets[0].id)
    assert after[docs[1]].grade == new_grade
    assert after[docs[0]].note == "checked by hand"          # notes survive a qrels import


def test_import_qrels_rejects_unknown_ids_atomically(photos):
    store, info, sets = photos
    before = _grades(store, sets)
    q0, q1 = sets[0].query_id, sets[1].query_id
    doc0 = next(iter(before[q0]))
    flipped = {q0: {doc0: (before[q0][doc0] + 1) % 3}}
    # valid first query, unknown document in the second: nothing may be written
    with pytest.raises(InputError) as err:
        service.import_qrels(store, info.id, {**flipped, q1: {"no-such-doc": 2}})
    assert "no-such-doc" in err.value.message and err.value.fix
    assert "no label was applied" in err.value.message
    with pytest.raises(InputError) as err:
        service.import_qrels(store, info.id, {**flipped, "no-such-query": {"x": 1}})
    assert "no-such-query" in err.value.message
    assert all(q in err.value.fix for q in (q0, q1))        # the fix names the valid query ids
    assert _grades(store, sets) == before


def test_import_qrels_can_skip_judgments_outside_the_pool(photos):
    store, info, sets = photos
    before = _grades(store, sets)
    q0 = sets[0].query_id
    doc0 = next(iter(before[q0]))
    new = (before[q0][doc0] + 1) % 3
    counts = service.import_qrels(store, info.id, {q0: {doc0: new, "outside-pool": 2},
                                                   "other-query": {"x": 1, "y": 0}},
                                  skip_unknown=True)
    assert counts["labels"] == 1 and counts["changed"] == 1
    assert counts["skipped_queries"] == 1 and counts["skipped_judgments"] == 3
    assert _grades(store, sets)[q0][doc0] == new


def test_qrels_export_import_round_trip(photos, tmp_path):
    store, info, sets = photos
    before = _grades(store, sets)
    data = service.export_qrels(store, info.name)
    assert trec.read_qrels(data).labels == before
    empty = store.create_session("no labels")
    with pytest.raises(NotFound):
        service.export_qrels(store, empty.id)


def test_cli_import_qrels_and_clip(photos, tmp_path, capsys):
    store, info, sets = photos
    cset = store.load_candidate_set(sets[1].id)
    d = cset.documents[0].id
    path = tmp_path / "labels.qrels"
    path.write_text(f"# graded on a 0-4 scale\n{cset.query.id} 0 {d} 4\n", encoding="utf-8")
    assert main(["import-qrels", str(path), "--session", info.name]) == 2
    err = capsys.readouterr().err
    assert "line 2" in err and "--clip" in err and "How to fix" in err
    assert main(["import-qrels", str(path), "--session", info.name, "--clip"]) == 0
    assert "Applied 1 label(s)" in capsys.readouterr().out
    assert store.get_labels(sets[1].id)[d].grade == 2
    path.write_text(f"{cset.query.id} 0 ghost 1\n", encoding="utf-8")
    assert main(["import-qrels", str(path), "--session", info.name]) == 2
    assert "ghost" in capsys.readouterr().err


def test_cli_export_qrels(photos, tmp_path, capsys):
    store, info, sets = photos
    out = tmp_path / "out" / "s.qrels"
    assert main(["export-qrels", "--session", info.name, "--output", str(out)]) == 0
    assert trec.read_qrels(out).labels == _grades(store, sets)


# --------------------------------------------------------------------------- runs


def test_trec_run_round_trip_through_store(two_runs, tmp_path, capsys):
    store, info, sets, runs = two_runs
    out = tmp_path / "session.trec"
    assert main(["export", "--session", info.name, "--format", "trec", "--output", str(out)]) == 0
    assert "row(s)" in capsys.readouterr().out
    text = out.read_text(encoding="utf-8")
    assert len(text.splitlines()) == sum(len(r.scores) for r in runs)
    assert {line.split()[5] for line in text.splitlines()} == {"first", "second"}
    before = {r.id for r in store.list_runs(session_id=info.id)}
    # a .trec extension is detected as TREC without --trec
    assert main(["import-run", str(out), "--session", info.name]) == 0
    assert "TREC run" in capsys.readouterr().out
    imported = [store.load_run(r.id) for r in store.list_runs(session_id=info.id) if r.id not in before]
    assert len(imported) == len(runs)
    originals = {(r.name, r.query_id): r for r in runs}
    # names are unique in a session: the imported "first" is a run of its own, "first (2)"
    assert {r.name for r in imported} == {"first (2)", "second (2)"}
    for run in imported:
        assert run.status == "imported"
        orig = originals[(run.name.removesuffix(" (2)"), run.query_id)]
        assert run.set_id == orig.set_id
        assert [(s.doc_id, s.rank) for s in sorted(run.scores, key=lambda s: s.rank)] == \
               [(s.doc_id, s.rank) for s in sorted(orig.scores, key=lambda s: s.rank)]
        assert {s.doc_id: s.score for s in run.scores} == {s.doc_id: s.score for s in orig.scores}


def test_trec_run_detected_by_columns_and_csv_still_read(two_runs, tmp_path, capsys):
    store, info, sets, runs = two_runs
    data = service.export_trec_run(store, run_ids=[runs[0].id], tag="mine")
    assert {line.split()[5] for line in data.decode().splitlines()} == {"mine"}
    plain = tmp_path / "results.txt"                 # no TREC extension: detected by its columns
    plain.write_bytes(b"# exported\n" + data)
    assert main(["import-run", str(plain), "--session", info.name, "--name", "renamed"]) == 0
    capsys.readouterr()
    newest = store.load_run(max(r.id for r in store.list_runs(session_id=info.id)))
    assert newest.name == "renamed" and newest.ranking() == runs[0].ranking()
    csv = tmp_path / "ranked.csv"
    csv.write_text("query_id,doc_id,score\n" + "\n".join(
        f"{runs[0].query_id},{s.doc_id},{s.score}" for s in runs[0].scores), encoding="utf-8")
    assert main(["import-run", str(csv), "--session", info.name]) == 0
    assert "CSV" in capsys.readouterr().out


def test_trec_run_import_rejects_bad_files(two_runs, tmp_path, capsys):
    store, info, sets, runs = two_runs
    n_runs = len(store.list_runs(session_id=info.id))
    bad = tmp_path / "bad.run"
    bad.write_text(f"{sets[0].query_id} Q0 cat 1 high tag\n", encoding="utf-8")
    assert main(["import-run", str(bad), "--session", info.name]) == 2
    err = capsys.readouterr().err
    assert "line 1" in err and "How to fix" in err
    unknown = tmp_path / "unknown.run"
    unknown.write_text(f"{sets[0].query_id} Q0 cat 1 0.9 t\nnope Q0 cat 1 0.9 t\n", encoding="utf-8")
    assert main(["import-run", str(unknown), "--session", info.name, "--trec"]) == 2
    assert "nope" in capsys.readouterr().err
    assert len(store.list_runs(session_id=info.id)) == n_runs     # nothing half-imported


def test_trec_export_keeps_reruns_under_distinct_tags(two_runs):
    store, info, sets, runs = two_runs
    again = service.rerank_set(store, sets[0].id, "Find the photo that shows the query",
                               get_reranker("lexical"), name="first")
    text = service.export_trec_run(store, session=info.id).decode()
    back = trec.read_run(text.encode())          # readable: no (qid, tag, doc) twice
    assert sum(len(r.scores) for r in back) == sum(len(r.scores) for r in runs) + len(again.scores)
    tags = {r.name for r in back if r.query_id == sets[0].query_id}
    # the re-run of "first" on this query is a run of its own: one tag per run
    assert tags == {"first", "first_(2)", "second"} and again.name == "first (2)"
    with pytest.raises(InputError):
        service.export_trec_run(store, session=info.id, tag="one")  # one tag for many runs per query


# --------------------------------------------------------------------------- compare


def test_compare_runs_uses_store_labels(two_runs):
    store, info, sets, runs = two_runs
    result = service.compare_runs(store, [r.id for r in runs], k=5)
    assert result.metrics is not None
    assert list(result.metrics.table.index) == ["first", "second"]
    assert result.metrics.table["n_queries"].tolist() == [len(sets), len(sets)]
    assert service.labels_by_query(store, [s.id for s in sets]) == _grades(store, sets)
    tables = service.comparison_tables(result)
    assert {"metrics", "rank_shifts", "correlations", "discrimination", "significance"} <= set(tables)
    assert set(tables["rank_shifts"]["query_id"]) == {s.query_id for s in sets}
    assert len(tables["rank_shifts"]) == sum(s.n_docs for s in sets)


def test_cli_compare_prints_metrics_and_writes_csv(two_runs, tmp_path, capsys):
    store, info, sets, runs = two_runs
    out = tmp_path / "metrics.csv"
    assert main(["compare", "--session", info.name, "--k", "5", "--output", str(out)]) == 0
    text = capsys.readouterr().out
    for heading in ("== Metrics", "== Agreement", "== Score discrimination", "== Paired test vs the baseline"):
        assert heading in text
    for col in ("NDCG@5", "MRR", "P@5", "Recall@5", "MAP", "kendall_tau", "spearman_rho", "overlap@5"):
        assert col in text
    assert "verdict:" in text and "baseline 'first'" in text
    frame = pd.read_csv(out)
    expected = service.compare_runs(store, [r.id for r in runs], k=5).metrics.table
    assert frame["run"].tolist() == ["first", "second"]
    assert frame["NDCG@5"].tolist() == pytest.approx(expected["NDCG@5"].tolist())


def test_cli_compare_without_labels_and_bad_input(two_runs, tmp_path, capsys):
    store, info, sets, runs = two_runs
    for s in sets:
        for d in store.get_labels(s.id):
            store.clear_label(s.id, d)
    both = [runs[0].run_id, runs[len(sets)].run_id]     # the runs "first" and "second" (every query)
    assert main(["compare", "--session", info.name, "--runs", *map(str, both)]) == 0
    text = capsys.readouterr().out
    assert "No metrics" in text and "kendall_tau" in text
    assert main(["compare", "--session", info.name, "--output", str(tmp_path / "m.csv")]) == 2
    assert "How to fix" in capsys.readouterr().err
    assert main(["compare", "--session", info.name, "--runs", "999999"]) == 2
    err = capsys.readouterr().err
    assert "999999" in err and "How to fix" in err
    empty = store.create_session("empty one")
    assert main(["compare", "--session", empty.name]) == 2
    assert "no finished runs" in capsys.readouterr().err
    assert main(["compare", "--session", "does not exist"]) == 2
