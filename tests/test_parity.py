"""workbench.parity: the numbers and the verdict, on real engines (local tiny model, BM25)."""

from __future__ import annotations

import pytest

from workbench.parity import parity_report, runs_parity, score_both


def _sets():
    from workbench.model import CandidateSet, Document, Query

    return [CandidateSet(query=Query(f"q{k}", text=t), documents=[
        Document(f"d{i}", text=f"{t} candidate {i} {'shoes' if i % 3 == 0 else 'cup'} {i * 11}") for i in range(12)])
        for k, t in enumerate(["red running shoes", "stainless bottle"])]


def test_same_engine_is_identical_and_another_prompt_format_is_not(tiny_checkpoint):
    from workbench.rerank import get_reranker

    a = get_reranker("qwen-vl", model_path=tiny_checkpoint)
    b = get_reranker("qwen-vl", model_path=tiny_checkpoint, batch_size=1, prefix_reuse=False)
    sa, sb = score_both(a, b, _sets())
    report = parity_report(sa, sb)
    assert report.n_pairs == 24 and report.n_queries == 2
    assert report.ok and report.max_abs_diff < 1e-4 and report.verdict.startswith("identical")
    assert report.kendall_tau == pytest.approx(1.0) and report.top10_overlap == pytest.approx(1.0)

    v1 = get_reranker("qwen-vl", model_path=tiny_checkpoint, prompt_format="lychee-v1")
    _, sv = score_both(a, v1, _sets()[:1])
    other = parity_report(sa, sv)
    assert other.n_pairs == 12                       # only the pairs both have
    assert other.max_abs_diff > 1e-4 and not other.verdict.startswith("identical")


def test_flat_side_is_named(tiny_checkpoint):
    a = {("q", f"d{i}"): 0.1 * i for i in range(8)}
    b = {("q", f"d{i}"): 0.5 + 1e-4 * i for i in range(8)}
    report = parity_report(a, b, label_a="local", label_b="vllm")
    assert not report.ok and "vllm gives nearly the same score" in report.verdict
    assert report.worst[0][1] == "d0"          # |0.0 - 0.5| is the largest gap


def test_bm25_vs_model_is_different(tiny_checkpoint):
    from workbench.rerank import get_reranker

    sa, sb = score_both(get_reranker("bm25"), get_reranker("qwen-vl", model_path=tiny_checkpoint), _sets())
    report = parity_report(sa, sb)
    assert not report.ok and report.max_abs_diff > 0.01


def test_runs_parity_and_no_common_pairs():
    from workbench.errors import InputError
    from workbench.model import Result, Run

    def run(backend, scores):
        return Run(instruction="i", backend=backend, model_id="m", query_id="q",
                   scores=[Result(f"d{i}", s, 0, i) for i, s in enumerate(scores)])

    rep = runs_parity([run("qwen-vl", [0.9, 0.5, 0.1])], [run("remote", [0.9, 0.5 + 2e-6, 0.1])])
    assert rep.ok and rep.max_abs_diff == pytest.approx(2e-6) and "qwen-vl" in rep.label_a
    with pytest.raises(InputError):
        parity_report({("q", "a"): 1.0}, {("q", "b"): 1.0})


def test_parity_cli(tiny_checkpoint, candidates_csv, capsys):
    from workbench.cli import main

    assert main(["parity", "--model", tiny_checkpoint, "--model", tiny_checkpoint, "--input",
                 str(candidates_csv)]) == 0
    out = capsys.readouterr().out
    assert "pairs: 5 over 2 queries" in out and "verdict: identical" in out
    assert main(["parity", "--model", "bm25", "--model", tiny_checkpoint, "--input", str(candidates_csv),
                 "--json"]) == 1
    assert '"ok": false' in capsys.readouterr().out
    assert main(["parity", "--model", "bm25", "--input", str(candidates_csv)]) == 2
    assert "two backends" in capsys.readouterr().err
