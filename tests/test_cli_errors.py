"""Bad input on the command line: every failure is `error: …` + `How to fix: …`, no traceback,
exit code 2 (130 for Ctrl-C, 1 for a bug), and nothing already accepted is lost.

Each case here was a traceback, a silent wrong result or a misleading message before.
"""

from __future__ import annotations

import errno
import io
import shutil
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from tests.helpers import CSV
from workbench.cli import build_parser, main
from workbench.store import Store

BAD_ROW = "q3,,,x1,text,,\n"   # empty query: rejected
COLUMNS = ["run_id", "run_name", "query_id", "doc_id", "rank", "score", "instruction", "backend", "model",
           "prompt_format", "label"]


@pytest.fixture
def files(tmp_path, candidates_csv):   # candidates_csv is tmp_path / "c.csv"
    (tmp_path / "bad.csv").write_text(CSV + BAD_ROW, encoding="utf-8")
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "a_folder").mkdir()
    (tmp_path / "note.txt").write_text("hello", encoding="utf-8")
    (tmp_path / "full_folder").mkdir()
    (tmp_path / "full_folder" / "keep.txt").write_text("mine", encoding="utf-8")
    return tmp_path


def run_cli(capsys, *argv):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def assert_analyst_error(rc, err, *needles, code=2):
    assert rc == code, err
    assert "\nerror: " in "\n" + err, err      # progress lines may come before it
    assert "How to fix: " in err, err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err, (needle, err)


# --------------------------------------------------------------------------- bad values and paths

BAD_CALLS = [
    # (argv with {d} = the tmp folder, expected words in the error)
    (["import", "{d}/nope.csv"], ["does not exist"]),
    (["import", "{d}/empty.csv"], ["is empty"]),
    (["import", "{d}/a_folder"], ["folder", "--query-text"]),
    (["import", "{d}/bad.csv", "--rejected-out", "{d}/a_folder"], ["--rejected-out", "is a folder"]),
    (["import", "{d}/bad.csv", "--rejected-out", "{d}/note.txt/rej.csv"], ["is a file, not a folder"]),
    (["import-run", "{d}/a_folder", "--session", "s"], ["is a folder, not a ranked-results CSV"]),
    (["import-run", "{d}/empty.csv", "--session", "s"], ["is empty", "score and/or rank"]),
    (["import-qrels", "{d}/a_folder", "--session", "s"], ["is a folder, not a TREC file"]),
    (["export", "--session", "s", "--output", "{d}/a_folder"], ["is a folder, not a file"]),
    (["export-qrels", "--session", "s", "--output", "{d}/a_folder"], ["is a folder, not a file"]),
    (["compare", "--session", "s", "--k", "0"], ["--k must be at least 1"]),
    (["rerank", "--input", "{d}/c.csv", "--model", "bm25", "--output", "{d}/o.csv", "--top-k", "0"],
     ["--top-k must be at least 1"]),
    (["rerank", "--input", "{d}/c.csv", "--model", "bm25", "--output", "{d}/o.csv", "--top-k", "-2"],
     ["--top-k must be at least 1"]),
    (["rerank", "--input", "{d}/c.csv", "--model", "bm25", "--output", "{d}/o.csv", "--batch-size", "0"],
     ["--batch-size must be at least 1"]),
    (["rerank", "--input", "{d}/c.csv", "--model", "bm25", "--output", "{d}/o.csv", "--max-pixels", "-5"],
     ["--max-pixels must be at least 1"]),
    (["rerank", "--input", "{d}/c.csv", "--model", "bm25", "--output", "{d}/o.csv",
      "--min-pixels", "5000", "--max-pixels", "4000"], ["larger than --max-pixels"]),
    (["rerank", "--input", "{d}/c.csv", "--model", "bm25", "--output", "{d}/o.csv", "--instruction", " "],
     ["--instruction number 1 is empty"]),
    (["rerank", "--input", "{d}/c.csv", "--model", "bm25"], ["--output is missing"]),
    (["rerank", "--input", "{d}/c.csv", "--model", "bm25", "--output", "{d}/a_folder"],
     ["is a folder, not a file"]),
    (["rerank", "--input", "{d}/c.csv", "--model", "bm25", "--output", "{d}/note.txt/o.csv"],
     ["is a file, not a folder"]),
    (["rerank", "--input", "{d}/a_folder", "--model", "bm25", "--output", "{d}/o.csv"], ["--query-text"]),
    (["rerank", "--input", "{d}/c.csv", "--model", "{d}/note.txt", "--output", "{d}/o.csv"],
     ["is a file, not a model folder"]),
    (["rerank", "--input", "{d}/c.csv", "--model", "{d}/a_folder", "--output", "{d}/o.csv"], ["no config.json"]),
    (["rerank", "--session", "nope", "--model", "bm25"], ["There is no session 'nope'"]),
    (["ocr", "--input", "{d}/c.csv", "--workers", "0"], ["--workers must be at least 1"]),
    (["ocr", "--input", "{d}/c.csv", "--timeout", "0"], ["--timeout must be more than 0"]),
    (["ocr", "--input", "{d}/c.csv", "--output", "{d}/a_folder"], ["is a folder, not a file"]),
    (["ocr", "--session", "s", "--output", "{d}/x.csv"], ["--output only applies to --input"]),
    (["tiny-checkpoint", "{d}/note.txt"], ["is a file, not a folder"]),
    (["tiny-checkpoint", "{d}/full_folder"], ["is not empty"]),
]


@pytest.mark.parametrize("argv,needles", BAD_CALLS, ids=[" ".join(a[:1] + a[-2:]) for a, _ in BAD_CALLS])
def test_bad_input_gets_error_and_fix_without_traceback(files, capsys, argv, needles):
    main(["import", str(files / "c.csv"), "--session", "s"])
    capsys.readouterr()
    rc, _out, err = run_cli(capsys, *[a.replace("{d}", str(files)) for a in argv])
    assert_analyst_error(rc, err, *needles)
    assert (files / "full_folder" / "keep.txt").read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in (files / "full_folder").iterdir()) == ["keep.txt"]


def test_bad_output_path_is_refused_before_anything_is_saved(files, capsys):
    rc, _out, err = run_cli(capsys, "import", files / "bad.csv", "--session", "fresh",
                            "--rejected-out", files / "a_folder")
    assert_analyst_error(rc, err, "--rejected-out")
    store = Store()
    try:
        assert [s.name for s in store.list_sessions()] == []     # refused up front: nothing half-done
    finally:
        store.close()
    # the same import with a good path keeps the valid rows and writes the rejected one
    rc, out, _ = run_cli(capsys, "import", files / "bad.csv", "--session", "fresh",
                         "--rejected-out", files / "out" / "rej.csv")
    assert rc == 0 and "Rejected 1 row(s)" in out
    rej = pd.read_csv(files / "out" / "rej.csv", dtype=str)
    assert list(rej["query_id"]) == ["q3"] and "empty" in rej["error"].iloc[0]


def test_import_qrels_from_empty_standard_input(files, capsys, monkeypatch):
    import io
    import sys

    main(["import", str(files / "c.csv"), "--session", "s"])
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    rc, _out, err = run_cli(capsys, "import-qrels", "-", "--session", "s")
    assert_analyst_error(rc, err, "Standard input held no qrels lines")


def test_write_failure_is_an_error_not_a_traceback(files, capsys, monkeypatch):
    main(["import", str(files / "c.csv"), "--session", "s"])
    main(["rerank", "--session", "s", "--model", "bm25"])
    capsys.readouterr()

    def full_disk(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", full_disk)
    real_open = Path.open

    class FullDisk(io.RawIOBase):
        def writable(self):
            return True

        def write(self, data):
            full_disk(None, data)

    # exports stream into the file a batch at a time (Path.open), the other outputs use write_bytes
    monkeypatch.setattr(Path, "open", lambda self, mode="r", *a, **k: FullDisk() if "w" in mode
                        else real_open(self, mode, *a, **k))
    rc, _out, err = run_cli(capsys, "export", "--session", "s", "--output", files / "x.csv")
    assert not list(files.glob("x.csv*"))                 # nothing half-written left
    assert_analyst_error(rc, err, "could not be written", "No space left on device")


def test_model_folder_missing_tokenizer_is_named(files, capsys, tiny_checkpoint):
    broken = files / "broken-model"
    shutil.copytree(tiny_checkpoint, broken)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        (broken / name).unlink()
    rc, _out, err = run_cli(capsys, "rerank", "--input", files / "c.csv", "--model", broken,
                            "--output", files / "o.csv")
    assert_analyst_error(rc, err, "incomplete", "tokenizer")
    assert not (files / "o.csv").exists()


@pytest.mark.parametrize("kind", ["folder", "not-a-db"])
def test_bad_database_path_explains(files, capsys, monkeypatch, kind):
    target = files / "a_folder" if kind == "folder" else files / "note.txt"
    monkeypatch.setenv("WORKBENCH_DB", str(target))
    rc, _out, err = run_cli(capsys, "sessions")
    assert_analyst_error(rc, err, "WORKBENCH_DB" if kind == "folder" else "not a workbench database")
    assert target.exists() and (kind == "folder" or target.read_text(encoding="utf-8") == "hello")


# --------------------------------------------------------------------------- exit paths in main()


def test_file_system_error_and_bug_never_show_a_traceback(capsys, monkeypatch):
    from workbench.cli import rerank_cmd

    def denied(args):
        raise PermissionError(errno.EACCES, "Permission denied", "/srv/ro/ranked.csv")

    monkeypatch.setattr(rerank_cmd, "cmd_rerank", denied)
    rc, _out, err = run_cli(capsys, "rerank", "--input", "x.csv", "--output", "o.csv")
    assert_analyst_error(rc, err, "Permission denied", "/srv/ro/ranked.csv")

    def bug(args):
        raise RuntimeError("boom")

    monkeypatch.setattr(rerank_cmd, "cmd_rerank", bug)
    rc, _out, err = run_cli(capsys, "rerank", "--input", "x.csv", "--output", "o.csv")
    assert_analyst_error(rc, err, "internal error", "RuntimeError: boom", "WORKBENCH_DEBUG", code=1)
    monkeypatch.setenv("WORKBENCH_DEBUG", "1")
    rc, _out, err = run_cli(capsys, "rerank", "--input", "x.csv", "--output", "o.csv")
    assert rc == 1 and "Traceback" in err


class _InterruptAfter:
    """The real BM25 reranker; Ctrl-C arrives during call number `n` (after one batch was scored)."""

    def __init__(self, n: int):
        from workbench.rerank import get_reranker

        self.inner = get_reranker("lexical")
        self.n, self.calls = n, 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def rank(self, query, docs, instruction=None, **kw):
        self.calls += 1
        if self.calls == self.n:
            if kw.get("on_scores"):
                kw["on_scores"]({0: 0.5})      # one batch finished before the interrupt
            raise KeyboardInterrupt
        return self.inner.rank(query, docs, instruction, **kw)


def test_ctrl_c_during_file_rerank_keeps_finished_rankings(files, capsys, monkeypatch):
    from workbench.cli import rerank_cmd

    monkeypatch.setattr(rerank_cmd, "make_reranker", lambda *a, **k: _InterruptAfter(3))
    out = files / "ranked.csv"
    rc, _out, err = run_cli(capsys, "rerank", "--input", files / "c.csv", "--model", "bm25",
                            "--instruction", "a", "--instruction", "b", "--output", out)
    assert_analyst_error(rc, err, "interrupted", "2 of 4 ranking(s)", "run the same command again", code=130)
    assert not out.exists()
    partial = pd.read_csv(files / "ranked.partial.csv", dtype={"query_id": str})
    assert list(partial.columns) == COLUMNS
    assert set(partial["instruction"]) == {"a", "b"} and set(partial["query_id"]) == {"q1"}
    assert len(partial) == 6


class _InterruptAfterRankings:
    """The real BM25 reranker; Ctrl-C arrives once `n` rankings of a whole-session run are finished."""

    def __init__(self, n: int):
        from workbench.rerank import get_reranker

        self.inner = get_reranker("lexical")
        self.n = n

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def rank_many(self, items, instruction=None, *, on_ranking=None, **kw):
        seen = []

        def interrupting(i, ranking):
            on_ranking(i, ranking)
            seen.append(i)
            if len(seen) == self.n:
                raise KeyboardInterrupt

        return self.inner.rank_many(items, instruction, on_ranking=interrupting, **kw)


def test_ctrl_c_during_session_rerank_keeps_the_finished_rankings_of_the_run(files, capsys, monkeypatch):
    from workbench.cli import rerank_cmd

    main(["import", str(files / "c.csv"), "--session", "s"])
    monkeypatch.setattr(rerank_cmd, "make_reranker", lambda *a, **k: _InterruptAfterRankings(1))
    rc, _out, err = run_cli(capsys, "rerank", "--session", "s", "--model", "bm25", "--instruction", "a")
    assert_analyst_error(rc, err, "interrupted", "0 of 1 run(s)", "kept as 'cancelled' with 1 of 2 queries",
                         "workbench rerank --resume 1", code=130)
    store = Store()
    try:
        (run,) = store.list_run_infos("s")
        rankings = {g.query_id: store.load_run(g.id) for g in store.run_rankings(run.id)}
    finally:
        store.close()
    assert rankings["q1"].status == "done" and len(rankings["q1"].scores) == 3
    assert rankings["q2"].status == "pending" and rankings["q2"].scores == []
    # the resume scores the rest: one run, both queries
    rc, out, err = run_cli(capsys, "rerank", "--resume", run.id, "--model", "bm25")
    assert rc == 0 and "2 of 2 queries ranked" in out, err


# --------------------------------------------------------------------------- good paths stay good


def test_rerank_session_saves_runs_that_compare_and_export_use(files, capsys):
    # 3 documents per query: workbench.compare's Kendall tau crashes on 2 (reported, not this file's)
    (files / "c3.csv").write_text(CSV + "q2,无线耳机,,e3,有线耳机,,1\n", encoding="utf-8")
    main(["import", str(files / "c3.csv"), "--session", "s"])
    out = files / "ranked.csv"
    rc, stdout, _ = run_cli(capsys, "rerank", "--session", "s", "--model", "bm25",
                            "--instruction", "find shoes", "--instruction", "QA", "--output", out)
    assert rc == 0 and "Saved 2 run(s)" in stdout                   # one run per instruction
    df = pd.read_csv(out, dtype={"query_id": str, "doc_id": str})
    assert list(df.columns) == COLUMNS and len(df) == 12
    assert set(df["instruction"]) == {"find shoes", "QA"} and set(df["backend"]) == {"lexical"}
    assert df.set_index(["instruction", "doc_id"]).loc[("QA", "d1"), "label"] == 2
    rc, stdout, _ = run_cli(capsys, "compare", "--session", "s")
    assert rc == 0 and "2 run(s) (4 ranking(s))" in stdout
    rc, _, _ = run_cli(capsys, "rerank", "--session", "s", "--model", "bm25", "--top-k", "1",
                       "--output", files / "top1.csv")
    top = pd.read_csv(files / "top1.csv", dtype=str)
    assert rc == 0 and list(top["doc_id"]) == ["d1", "e1"]


def test_rerank_folder_of_images_with_query_text(files, capsys):
    from PIL import Image

    folder = files / "imgs"
    folder.mkdir()
    Image.new("RGB", (32, 32), "red").save(folder / "a.jpg")
    Image.new("CMYK", (32, 32), (0, 255, 0, 0)).save(folder / "b.jpg")
    rc, stdout, _ = run_cli(capsys, "rerank", "--input", folder, "--query-text", "red", "--model", "bm25",
                            "--output", "-")
    assert rc == 0
    assert stdout.splitlines()[0] == ",".join(COLUMNS) and len(stdout.splitlines()) == 3


def test_every_subcommand_has_help(capsys):
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    assert {"import", "import-run", "export", "ocr", "ocr-langs", "rerank", "compare", "doctor",
            "tiny-checkpoint", "db", "sessions", "import-qrels", "export-qrels"} <= set(commands)
    for name in commands:
        with pytest.raises(SystemExit) as done:
            main([name, "--help"])
        assert done.value.code == 0
        assert f"workbench {name}" in capsys.readouterr().out


def test_sqlite_file_stays_intact_after_errors(files, capsys):
    """Errors after the store was opened never damage what is stored."""
    main(["import", str(files / "c.csv"), "--session", "s"])
    run_cli(capsys, "export", "--session", "s", "--output", files / "a_folder")
    run_cli(capsys, "rerank", "--session", "s", "--model", "bm25", "--top-k", "0")
    store = Store()
    try:
        assert [s.n_sets for s in store.list_sessions()] == [2]
        path = store.path
    finally:
        store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
