"""TREC qrels / run interop: round trips and line-numbered errors."""

from __future__ import annotations

import io

import pytest

from workbench import compare
from workbench.formats import trec
from workbench.errors import EncodingError, InputError, NothingImported, RowError
from workbench.model import Label, Run, Result


def _run(qid, scores, name, instruction="Find red shoes"):
    order = sorted(scores, key=lambda d: (-scores[d], d))
    return Run(instruction=instruction, backend="qwen-vl", model_id="m", query_id=qid, name=name,
               scores=[Result(d, scores[d], order.index(d) + 1) for d in scores])


def test_qrels_round_trip_via_file(tmp_path):
    labels = {"q1": {"d1": 2, "d2": 0, "d3": 1}, "q 2".replace(" ", "_"): {"img-7.jpg": 1}}
    path = tmp_path / "qrels.txt"
    text = trec.write_qrels(labels, path)
    assert text.splitlines()[0] == "q1 0 d1 2"
    back = trec.read_qrels(path)
    assert back.labels == labels and back.n_judgments == 4 and back.clipped == 0
    assert back.summary().startswith("4 judgments for 2 queries")
    # Label objects both ways
    lab_objs = back.to_labels()
    assert Label("q1", "d3", 1) in lab_objs
    assert trec.labels_to_qrels(lab_objs) == labels


def test_qrels_reads_bytes_bom_comments_and_ignores_iteration_column():
    data = "\ufeff# judged by Ana\nq1 Q0 a 1\n\nq1 7 b 0\nq2 0 c 2.0\n".encode()
    res = trec.read_qrels(data)
    assert res.labels == {"q1": {"a": 1, "b": 0}, "q2": {"c": 2}}
    assert trec.read_qrels(io.BytesIO(data)).labels == res.labels
    assert trec.read_qrels(io.StringIO(data.decode("utf-8-sig"))).labels == res.labels


def test_malformed_qrels_lines_give_line_numbers_and_fixes():
    text = "q1 0 a 1\nq1 0 b\nq1 0 c high\nq1 0 d 3\nq1 0 a 2\n"
    with pytest.raises(trec.TrecFormatError) as e:
        trec.read_qrels(text.encode())
    err = e.value
    assert isinstance(err, RowError) and isinstance(err, InputError)
    assert err.line == 2 and [x.line for x in err.errors] == [2, 3, 4, 5]
    assert "line 2" in str(err) and "4 bad lines" in str(err) and "How to fix" in str(err)
    assert all(x.fix for x in err.errors)
    assert "judged 1 on line 1" in err.errors[3].message
    assert err.errors[2].column == "relevance"


def test_qrels_clip_maps_out_of_scale_grades():
    res = trec.read_qrels(b"q1 0 a 3\nq1 0 b -1\nq1 0 c 1\n", clip=True)
    assert res.labels == {"q1": {"a": 2, "b": 0, "c": 1}} and res.clipped == 2


def test_empty_and_missing_and_non_utf8_files(tmp_path):
    with pytest.raises(NothingImported) as e:
        trec.read_qrels(b"# nothing\n\n")
    assert e.value.fix
    with pytest.raises(InputError):
        trec.read_run(tmp_path / "missing.txt")
    with pytest.raises(EncodingError) as e2:
        trec.read_run("q1 Q0 caf\xe9 1 0.5 t\n".encode("latin-1"))
    assert "UTF-8" in e2.value.fix


def test_run_round_trip_preserves_order_scores_and_ties(tmp_path):
    a = _run("q1", {"d1": 0.91, "d2": 0.5, "d3": 0.5, "d4": 0.1}, "lychee-web")
    a.scores = [Result("d1", 0.91, 1), Result("d3", 0.5, 2), Result("d2", 0.5, 3), Result("d4", 0.1, 4)]
    b = _run("q2", {"x": 12.5, "y": 3.25}, "bm25 baseline")
    path = tmp_path / "run.trec"
    trec.write_run([a, b], path)
    lines = path.read_text().splitlines()
    assert lines[0] == "q1 Q0 d1 1 0.91 lychee-web"
    assert lines[-1] == "q2 Q0 y 2 3.25 bm25_baseline"       # spaces made safe in the tag
    back = trec.read_run(path)
    assert [(r.query_id, r.name) for r in back] == [("q1", "lychee-web"), ("q2", "bm25_baseline")]
    assert back[0].ranking() == ["d1", "d3", "d2", "d4"]     # tie d3/d2 keeps the written order
    assert [s.score for s in back[0].scores] == [0.91, 0.5, 0.5, 0.1]
    assert all(r.status == "imported" for r in back)
    # and the metrics agree on the original and the re-read run
    labels = {"q1": {"d2": 2, "d3": 0}}
    m1 = compare.metrics([a], labels).values("lychee-web", "MRR")
    m2 = compare.metrics([back[0]], labels).values("lychee-web", "MRR")
    assert m1["q1"] == m2["q1"] == pytest.approx(1 / 3)


def test_run_read_ranks_by_score_like_trec_eval():
    # rank column disagrees with scores: score decides; equal scores fall back to the file's rank
    text = "q1 Q0 a 1 0.2 t\nq1 Q0 b 2 0.9 t\nq1 Q0 c 4 0.5 t\nq1 Q0 d 3 0.5 t\nq2 Q0 a 1 1 u\n"
    runs = trec.read_run(text.encode())
    assert [(r.query_id, r.name) for r in runs] == [("q1", "t"), ("q2", "u")]
    assert runs[0].ranking() == ["b", "d", "c", "a"]
    assert [s.rank for s in runs[0].scores] == [1, 2, 3, 4]


def test_malformed_run_lines_give_line_numbers():
    text = ("q1 Q0 a 1 0.9 t\n"
            "q1 Q0 b 2 0.8\n"          # 5 fields
            "q1 Q0 c two 0.7 t\n"      # bad rank
            "q1 Q0 d 4 nan t\n"        # bad score
            "q1 Q0 a 5 0.1 t\n")       # duplicate doc
    with pytest.raises(trec.TrecFormatError) as e:
        trec.read_run(text.encode())
    err = e.value
    assert [x.line for x in err.errors] == [2, 3, 4, 5]
    assert err.errors[1].column == "rank" and err.errors[2].column == "score"
    assert "first on line 1" in err.errors[3].message
    assert str(err).startswith("line 2: Not a valid TREC run file")


def test_write_run_needs_query_id_and_space_free_ids():
    r = _run(None, {"a": 1.0}, "x")
    with pytest.raises(InputError) as e:
        trec.format_run([r])
    assert "query id" in e.value.message and e.value.fix
    bad = _run("q1", {"doc with space": 1.0}, "x")
    with pytest.raises(InputError):
        trec.format_run([bad])
    buf = io.BytesIO()
    trec.write_run([_run("q1", {"a": 1.0}, "x")], buf, tag="mytag")
    assert buf.getvalue() == b"q1 Q0 a 1 1.0 mytag\n"


def test_two_runs_with_one_tag_on_one_query_get_distinct_tags_and_read_back():
    """Two runs named alike on the same query would repeat (query, tag, doc) — unreadable by
    trec_eval and by us; the second is tagged '<tag>#2' and both read back."""
    from workbench.formats import trec
    from workbench.model import Result, Run

    def run(rid, order, qid):
        return Run(instruction="web", backend="lexical", model_id="bm25", id=rid, name="web", query_id=qid,
                   scores=[Result(doc_id=d, score=1.0 / r, rank=r) for r, d in enumerate(order, start=1)])

    text = trec.format_run([run(1, ["a", "b"], "q1"), run(2, ["b", "a"], "q1"),
                            run(3, ["c", "d"], "q2"), run(4, ["d", "c"], "q2")])
    tags = {line.split()[0] + " " + line.split()[5] for line in text.splitlines()}
    assert tags == {"q1 web", "q1 web#2", "q2 web", "q2 web#2"}
    back = trec.read_run(io.StringIO(text))
    assert sorted((r.query_id, r.name, tuple(r.ranking())) for r in back) == [
        ("q1", "web", ("a", "b")), ("q1", "web#2", ("b", "a")), ("q2", "web", ("c", "d")), ("q2", "web#2", ("d", "c"))]
