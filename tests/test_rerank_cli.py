"""`workbench rerank` and `workbench tiny-checkpoint` end to end."""

from __future__ import annotations

import pandas as pd

from workbench.cli import main


COLUMNS = ["run_id", "run_name", "query_id", "doc_id", "rank", "score", "instruction", "backend", "model",
           "prompt_format", "label"]


def test_rerank_cli_tiny_model(tmp_path, tiny_checkpoint, capsys, candidates_csv):
    src = candidates_csv
    out = tmp_path / "ranked.csv"
    rc = main(["rerank", "--input", str(src), "--instruction", "find shoes", "--instruction", "QA",
               "--model", tiny_checkpoint, "--output", str(out), "--batch-size", "2"])
    assert rc == 0
    df = pd.read_csv(out)
    assert list(df.columns) == COLUMNS
    assert len(df) == (3 + 2) * 2
    assert set(df["instruction"]) == {"find shoes", "QA"} and set(df["backend"]) == {"qwen-vl"}
    assert df["score"].between(0, 1, inclusive="neither").all()
    for (_, _), g in df.groupby(["query_id", "instruction"]):
        assert sorted(g["rank"]) == list(range(1, len(g) + 1))
        assert g.sort_values("rank")["score"].is_monotonic_decreasing
    assert df.set_index(["query_id", "doc_id"])["label"].xs("d1", level=1).iloc[0] == 2
    err = capsys.readouterr().err
    assert "5/5" not in err and "3/3" in err and "wrote 10 rows" in err
    # second run hits the store's score cache: identical scores
    out2 = tmp_path / "ranked2.csv"
    assert main(["rerank", "--input", str(src), "--instruction", "find shoes", "--instruction", "QA",
                 "--model", tiny_checkpoint, "--output", str(out2)]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(out2), df)


def test_rerank_cli_bm25_top_k(tmp_path, candidates_csv):
    src = candidates_csv
    out = tmp_path / "ranked.csv"
    assert main(["rerank", "--input", str(src), "--model", "bm25", "--output", str(out),
                 "--top-k", "1"]) == 0
    df = pd.read_csv(out)
    assert list(df["doc_id"]) == ["d1", "e1"] and set(df["backend"]) == {"lexical"}


def test_rerank_cli_without_model_explains(tmp_path, capsys, candidates_csv):
    src = candidates_csv
    rc = main(["rerank", "--input", str(src), "--output", str(tmp_path / "o.csv")])
    assert rc == 2
    err = capsys.readouterr().err
    assert "WORKBENCH_MODEL" in err and "How to fix" in err


def test_tiny_checkpoint_cli(tmp_path):
    assert main(["tiny-checkpoint", str(tmp_path / "t"), "--layout", "v4"]) == 0
    assert (tmp_path / "t" / "preprocessor_config.json").is_file()
