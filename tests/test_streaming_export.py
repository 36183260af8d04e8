"""Streamed exports (issue 18, part 3): tidy CSV/Parquet, long/wide CSV and TREC runs are written a
batch of rankings at a time, so memory stays flat as queries grow, and the streamed output is the
in-memory export's, byte for byte (CSV, TREC) or frame for frame (Parquet)."""

from __future__ import annotations

import io
import random
import tracemalloc

import pandas as pd
import pytest

from tests.helpers import random_image
from tests.test_cli_errors import assert_analyst_error, run_cli
from workbench import formats, service
from workbench.errors import InputError
from workbench.formats import trec
from workbench.model import CandidateSet, Document, Query, Result, Run

WORDS = "red running shoes mesh trail jacket denim cotton travel hotel invoice 报销 发票 =SUM(A1) -3.5 @home".split()


def _session(store, name: str, n_queries: int, n_docs: int, *, runs: int = 2, text_words: int = 8,
             image=None) -> int:
    """A session of `n_queries` sets x `n_docs` documents and `runs` runs (one ranking per query each),
    some labels with notes, a loose note, an edited OCR text and (with `image`) an image document."""
    rng = random.Random(n_queries * 7 + n_docs)
    info = store.create_session(name)
    set_ids = []
    for q in range(n_queries):
        docs = [Document(f"q{q}-d{d}", " ".join(rng.choice(WORDS) for _ in range(text_words)),
                         ocr_text="raw" if d == 1 else None, ocr_edited="edited" if d == 1 else None)
                for d in range(n_docs)]
        if image is not None and q == 0:
            docs[0] = Document("q0-d0", "with an image", image=image, ocr_text="STEEL", description="[OCR] STEEL")
        sid = store.save_candidate_set(info.id, CandidateSet(Query(f"q{q:04d}", f"query {q} 保温杯"), docs))
        set_ids.append(sid)
        if q % 2 == 0:
            store.set_label(sid, f"q{q}-d0", 2, "exactly" if q % 4 == 0 else "")
            store.set_label(sid, f"q{q}-d{n_docs - 1}", 0, "")
        if q % 3 == 0:
            store.set_note(sid, f"q{q}-d1", "a loose note, with a comma")
    for r in range(runs):
        run = store.create_session_run(info.id, instruction=f"instruction {r}", backend="lexical", model_id="bm25",
                                       name=f"run {r}", note=f"note {r}")
        with store.transaction():
            for q, sid in enumerate(set_ids):
                order = list(range(n_docs))
                rng.shuffle(order)
                store.create_run(sid, Run(f"instruction {r}", "lexical", "bm25", query_id=f"q{q:04d}", status="done",
                                          scores=[Result(f"q{q}-d{d}", 1.0 - i / (n_docs + 1), i + 1, d)
                                                  for i, d in enumerate(order)]), run_id=run.id)
    return info.id


@pytest.fixture
def small(store, tmp_path):
    img = random_image(tmp_path / "a.png", 16, 12, seed=3)
    return _session(store, "small", 7, 5, runs=3, image=img)


def _old_runs_and_labels(store, sid):
    runs = service._runs_to_export(store, sid, None)          # every ranking loaded at once (in memory)
    set_ids = sorted({r.set_id for r in runs})
    return runs, {i: store.get_labels(i) for i in set_ids}, {i: store.get_set(i).query_id for i in set_ids}


@pytest.mark.parametrize("bom", [False, True])
def test_streamed_csv_exports_equal_the_in_memory_ones_byte_for_byte(store, small, bom):
    runs, labels, qids = _old_runs_and_labels(store, small)
    tidy = formats.to_csv_bytes(service.tidy_export_frame(store, session=small), bom=bom)
    long = formats.to_csv_bytes(formats.long_frame(runs, labels, qids), bom=bom)
    wide = formats.to_csv_bytes(formats.wide_frame(runs, labels, qids), bom=bom)
    for batch in (1, 4, 1000):                                 # many batches, uneven ones, a single one
        out = io.BytesIO()
        assert service.write_tidy(store, out, session=small, fmt="csv", bom=bom, batch=batch) == 7 * 5 * 3
        assert out.getvalue() == tidy
        out = io.BytesIO()
        assert service.write_runs(store, out, session=small, fmt="long", bom=bom, batch=batch) == 7 * 5 * 3
        assert out.getvalue() == long
        out = io.BytesIO()
        assert service.write_runs(store, out, session=small, fmt="wide", bom=bom, batch=batch) == 7 * 5
        assert out.getvalue() == wide
    assert b"'=SUM(A1)" in tidy and b"a loose note, with a comma" in tidy    # neutralised, notes kept
    assert service.export_tidy(store, session=small, bom=bom)[0] == tidy     # the bytes door still works
    assert service.export_runs(store, session=small, fmt="wide", bom=bom)[0] == wide


def test_streamed_parquet_equals_the_in_memory_frame_with_a_row_group_per_batch(store, small, tmp_path):
    import pyarrow.parquet as pq

    expected = service.tidy_export_frame(store, session=small)
    path = tmp_path / "out.parquet"
    assert service.write_tidy(store, path, session=small, fmt="parquet", batch=4) == len(expected) == 105
    assert pq.ParquetFile(path).metadata.num_row_groups == 6            # 21 rankings, 4 per batch
    assert not list(tmp_path.glob("*.part"))
    back = pd.read_parquet(path)
    pd.testing.assert_frame_equal(back, expected)
    assert str(back["label"].dtype) == "Int64"
    assert all(p.endswith(".png") for p in back[back.doc_id == "q0-d0"].image_path)
    old = pd.read_parquet(io.BytesIO(formats.to_parquet_bytes(expected)))
    pd.testing.assert_frame_equal(back, old)


def test_streamed_trec_run_equals_one_run_per_ranking_and_reads_back(store, small):
    runs, _labels, _q = _old_runs_and_labels(store, small)
    expected = "".join(trec.format_run([r], tag=trec._safe_tag(r)) for r in runs).encode()
    for batch in (1, 5, 1000):
        out = io.BytesIO()
        assert service.write_trec_run(store, out, session=small, batch=batch) == 105
        assert out.getvalue() == expected
    back = trec.read_run(expected)
    assert len(back) == 21 and {r.name for r in back} == {"run_0", "run_1", "run_2"}
    one = [g.id for g in store.list_runs(session_id=small) if g.name == "run 1"]
    data = service.export_trec_run(store, run_ids=one, tag="mine").decode()
    assert data.count("\n") == 35 and all(line.endswith(" mine") for line in data.splitlines())
    with pytest.raises(InputError, match="tag"):
        service.export_trec_run(store, session=small, tag="mine")     # one tag for three runs per query


def test_a_failed_export_leaves_no_file_behind(store, tmp_path):
    info = store.create_session("bad ids")
    sid = store.save_candidate_set(info.id, CandidateSet(Query("q1", "x"), [Document("a b", "x"), Document("c", "y")]))
    store.create_run(sid, Run("i", "lexical", "bm25", status="done",
                              scores=[Result("a b", 1.0, 1, 0), Result("c", 0.5, 2, 1)]))
    dest = tmp_path / "out.trec"
    with pytest.raises(InputError):                   # a TREC document id cannot hold a space
        service.write_trec_run(store, dest, session="bad ids")
    assert not list(tmp_path.glob("out.trec*"))           # neither the file nor its .part


def _peak(fn) -> int:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        fn()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_as_queries_grow(store, tmp_path):
    """N and 4N queries: the streamed Parquet export's peak Python memory stays about the same (one
    batch of rankings at a time); the in-memory frame's grows with the session (the measure sees it).
    (CSV and long/wide share the batch loop; traced memory is slow, so Parquet alone is measured.)"""
    n = 5
    small = _session(store, "n", n, 20, text_words=30)
    big = _session(store, "4n", 4 * n, 20, text_words=30)
    service.write_tidy(store, tmp_path / "warm.parquet", session=small, fmt="parquet", batch=5)   # imports
    peaks = {}
    for label, sid in (("n", small), ("4n", big)):
        dest = tmp_path / f"{label}.parquet"
        peaks[label] = _peak(lambda: service.write_tidy(store, dest, session=sid, fmt="parquet", batch=5))
        peaks[f"{label} in memory"] = _peak(lambda: service.tidy_export_frame(store, session=sid))
    assert len(pd.read_parquet(tmp_path / "4n.parquet")) == 4 * n * 20 * 2
    assert peaks["4n"] < 2 * peaks["n"], peaks
    assert peaks["4n in memory"] > 2 * peaks["n in memory"], peaks


def test_cli_export_streams_to_the_file_and_to_standard_output(store, small, tmp_path, capsys):
    rc, out, err = run_cli(capsys, "export", "--session", "small", "--format", "tidy-parquet",
                           "--output", tmp_path / "o.parquet")
    assert rc == 0 and "Wrote 105 row(s)" in out, err
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "o.parquet"), service.tidy_export_frame(store, session=small))
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix in (".parquet", ".part")) == ["o.parquet"]
    rc, out, err = run_cli(capsys, "export", "--session", "small", "--format", "wide", "--output", "-")
    assert rc == 0 and out.encode() == service.export_runs(store, session="small", fmt="wide")[0]
    rc, out, err = run_cli(capsys, "export", "--session", "small", "--format", "trec", "--output", tmp_path / "o.trec")
    assert rc == 0 and "Wrote 105 row(s)" in out
    rc, out, err = run_cli(capsys, "export", "--session", "small", "--format", "tidy-parquet", "--output", "-")
    assert_analyst_error(rc, err, "cannot go to standard output")


def test_app_download_is_a_streamed_temp_file_gone_once_read(store, small, monkeypatch):
    from ui import sessions_view
    from workbench import config

    monkeypatch.setattr("ui.state.get_store", lambda: store)
    fh = sessions_view.lazy_export("parquet", {"session": small}, False)()
    assert isinstance(fh, io.BufferedReader)                  # what st.download_button reads from a callable
    assert list((config.home_dir() / "exports").iterdir()) == []   # unlinked already: nothing left on disk
    pd.testing.assert_frame_equal(pd.read_parquet(io.BytesIO(fh.read())), service.tidy_export_frame(store, session=small))
    fh.close()
    data = sessions_view.lazy_export("long", {"session": small}, True)().read()
    assert data == service.export_runs(store, session=small, fmt="long", bom=True)[0]
    assert service.count_rows(store, session=small) == 105
    assert service.count_rows(store, run_ids=[g.id for g in store.list_runs(session_id=small)][:2]) == 10
