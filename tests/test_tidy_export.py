"""Tidy export (CSV and Parquet round-trips through pandas), run notes and single-run deletion."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

from tests.helpers import random_image
from tests.test_cli_errors import assert_analyst_error, run_cli
from workbench import formats, service
from workbench.errors import NotFound, StoreError
from workbench.model import CandidateSet, Document, Query, Result, Run


@pytest.fixture
def session(store, tmp_path):
    """Session 'tidy': one set (an image doc with OCR text, an edited one, a plain one), labels with
    notes (one note without a grade is impossible in the store: grade 0 + note), two runs."""
    img = random_image(tmp_path / "a.png", 32, 24, seed=1)
    info = store.create_session("tidy")
    set_id = store.save_candidate_set(info.id, CandidateSet(
        Query("q1", "保温杯 steel bottle"),
        [Document("a", "Steel bottle 750ml", image=img, ocr_text="STEEL 750ml", description="[OCR] STEEL 750ml"),
         Document("b", "玻璃杯 glass cup", ocr_text="raw", ocr_edited="edited"),
         Document("c", "plain, with a comma and \"quotes\"\nand a newline")]))
    store.set_label(set_id, "a", 2, "exactly the product")
    store.set_label(set_id, "c", 0, "")
    runs = []
    for name, order in (("short", ["a", "b", "c"]), ("long", ["c", "a", "b"])):
        run = Run(f"instruction {name}", "lexical", "bm25", name=name, status="done", note=f"note on {name}",
                  scores=[Result(d, 1.0 - 0.25 * i, i + 1) for i, d in enumerate(order)])
        runs.append(store.create_run(set_id, run))
    return info, set_id, runs, img


def _check(df: pd.DataFrame, set_id: int, runs: list[int]) -> None:
    assert list(df.columns) == formats.TIDY_COLUMNS
    assert len(df) == 6
    first = df[df.run_id == runs[0]].sort_values("rank")
    assert list(first.doc_id) == ["a", "b", "c"] and list(first["rank"]) == [1, 2, 3]
    row = first.iloc[0]
    assert (row.run_name, row.run_note, row.query_text, row.doc_text) == (
        "short", "note on short", "保温杯 steel bottle", "Steel bottle 750ml")
    assert row.image_path.endswith(".png") and (row.ocr_text, row.score, row.label, row.note) == (
        "STEEL 750ml", 1.0, 2, "exactly the product")
    b = first.iloc[1]
    assert (b.ocr_text, b.ocr_raw, b.image_path) == ("edited", "raw", "")
    assert pd.isna(b.label) and b.note == ""                      # unlabelled: an empty label, not 0
    c = df[(df.run_id == runs[1]) & (df.doc_id == "c")].iloc[0]
    assert c["rank"] == 1 and c.label == 0 and c.doc_text.endswith("and a newline")
    assert set(df.set_id) == {set_id}


def test_tidy_csv_and_parquet_round_trip_through_pandas(store, session, tmp_path):
    info, set_id, runs, _ = session
    data, n = service.export_tidy(store, session="tidy", fmt="csv")
    assert n == 6
    (tmp_path / "t.csv").write_bytes(data)
    df = pd.read_csv(tmp_path / "t.csv", dtype={"label": "Int64"}, keep_default_na=False,
                     na_values={"label": [""]})
    _check(df, set_id, runs)

    data, n = service.export_tidy(store, run_ids=runs, fmt="parquet")
    (tmp_path / "t.parquet").write_bytes(data)
    df = pd.read_parquet(tmp_path / "t.parquet")
    assert str(df["label"].dtype) == "Int64" and str(df["rank"].dtype) == "Int64"
    _check(df, set_id, runs)


def test_tidy_export_cli_and_errors(store, session, tmp_path, capsys):
    rc, out, err = run_cli(capsys, "export", "--session", "tidy", "--format", "tidy-parquet",
                           "--output", tmp_path / "o.parquet")
    assert rc == 0 and "Wrote 6 row(s)" in out, err
    assert len(pd.read_parquet(tmp_path / "o.parquet")) == 6
    rc, out, err = run_cli(capsys, "export", "--run", session[2][0], "--format", "tidy", "--output", "-")
    assert rc == 0 and out.splitlines()[0] == ",".join(formats.TIDY_COLUMNS)
    rc, out, err = run_cli(capsys, "export", "--session", "tidy", "--format", "tidy-parquet", "--output", "-")
    assert_analyst_error(rc, err, "cannot go to standard output")
    store.create_session("empty")
    rc, out, err = run_cli(capsys, "export", "--session", "empty", "--format", "tidy", "--output", tmp_path / "x")
    assert_analyst_error(rc, err, "has no runs to export", code=rc)
    assert rc != 0


def test_sqlite_and_export_load_into_pandas_in_three_lines(store, session, tmp_path):
    """The README's three-line recipes, run as written."""
    (tmp_path / "runs.parquet").write_bytes(service.export_tidy(store, session="tidy", fmt="parquet")[0])
    con = sqlite3.connect(store.path)
    scores = pd.read_sql("SELECT r.name, r.note, g.query_id, s.doc_id, s.rank, s.score FROM scores s JOIN rankings g ON g.id = s.ranking_id JOIN runs r ON r.id = g.run_id", con)
    assert len(scores) == 6 and set(scores.name) == {"short", "long"}
    con.close()
    df = pd.read_parquet(tmp_path / "runs.parquet")
    assert df.groupby("run_name")["label"].count().to_dict() == {"long": 2, "short": 2}
    wide = df.pivot_table(index=["query_id", "doc_id"], columns="run_name", values="rank")
    assert wide.loc[("q1", "c")].to_dict() == {"long": 1, "short": 3}


def test_run_note_set_clear_and_kept_in_listing(store, session, capsys):
    _, set_id, (r1, r2), _ = session
    assert store.load_run(r1).note == "note on short"
    run = service.set_run_note(store, r1, "  best so far ")
    assert run.note == "best so far" and store.list_runs(set_id=set_id)[0].note == "best so far"
    rc, out, err = run_cli(capsys, "run", "note", r2, "")
    assert rc == 0 and "note cleared" in out and store.load_run(r2).note == ""
    rc, out, err = run_cli(capsys, "runs", "--session", "tidy")
    assert rc == 0 and "best so far" in out and f"{r2:>4}" in out
    with pytest.raises(NotFound):
        service.set_run_note(store, 999, "x")
    rc, out, err = run_cli(capsys, "run", "note", 999, "x")
    assert_analyst_error(rc, err, "no run with id 999", code=rc)


def test_delete_one_run_keeps_the_rest(store, session, capsys):
    _, set_id, (r1, r2), _ = session
    gone = service.delete_run(store, r1)
    assert gone.name == "short" and len(gone.scores) == 3
    assert [r.id for r in store.list_runs(set_id=set_id)] == [r2]
    assert store.get_labels(set_id)["a"].grade == 2                # labels untouched
    with pytest.raises(NotFound):
        store.load_run(r1)
    running = store.create_run(set_id, Run("i", "lexical", "bm25", status="running"))
    with pytest.raises(StoreError, match="being scored"):
        service.delete_run(store, running)
    # CLI: without a terminal it needs --yes, and nothing is deleted
    rc, out, err = run_cli(capsys, "run", "delete", r2)
    assert_analyst_error(rc, err, "needs a confirmation", "--yes")
    assert store.load_run(r2)
    rc, out, err = run_cli(capsys, "run", "delete", r2, "--yes")
    assert rc == 0 and f"Deleted run {r2}" in out
    assert [r.id for r in store.list_runs(set_id=set_id)] == [running]
