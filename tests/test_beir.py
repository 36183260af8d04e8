"""The BEIR / ViDoRe evaluation layout in (`workbench import-beir`, formats.beir, service.import_beir):
candidate sets per query, qrels as labels, the first stage as an imported run, BM25 candidates
without a run, every rejected row with line + column + fix, and metrics equal to ranx's."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from workbench import compare
from workbench.cli import main
from workbench.errors import InputError, NothingImported
from workbench.formats.beir import read_beir
from workbench.service import import_beir, labels_by_query

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


def png(seed: int, w: int = 20, h: int = 16) -> bytes:
    arr = (np.random.RandomState(seed).rand(h, w, 3) * 255).astype("uint8")
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "PNG")
    return buf.getvalue()


def image_type():
    return pa.struct([("bytes", pa.binary()), ("path", pa.string())])


# documents: (id, title, text, image bytes or None)
DOCS = [
    ("d1", "Shoes", "red running shoes lightweight mesh", png(1)),
    ("d2", "", "stainless steel water bottle", None),
    ("d3", "Shorts", "blue running shorts", png(2)),
    ("d4", "", "wireless headphones with noise cancelling", None),
    ("d5", "Hat", "wool hat for the winter", png(3)),
    ("d6", "", "red shoes for trail running", None),
    ("d7", "", "running socks in red and blue", None),
    ("d8", "Jacket", "rain jacket for running in winter", png(4)),
]
QUERIES = [("q1", "red running shoes"), ("q2", "wireless headphones"), ("q3", "winter running jacket"),
           ("q4", "water bottle"),            # judged nowhere: reported, not imported
           ("q5", "wool hat")]                # judged, but not in the run: no candidates
QRELS = [("q1", "d1", 2), ("q1", "d6", 1), ("q1", "d3", 0), ("q1", "d7", 1), ("q2", "d4", 2),
         ("q3", "d8", 2), ("q3", "d5", 1), ("q5", "d5", 2)]
RUN = """q1 Q0 d6 1 12.5 first
q1 Q0 d1 2 11.0 first
q1 Q0 d3 3 7.25 first
q1 Q0 d7 4 3.5 first
q1 Q0 d2 5 1.0 first
q2 Q0 d4 1 9.0 first
q2 Q0 d2 2 3.0 first
q3 Q0 d3 1 6.0 first
q3 Q0 d8 2 5.5 first
q3 Q0 d5 3 5.5 first
q3 Q0 d1 4 0.5 first
"""
DEPTH = 3


def write_beir(root: Path, *, run: bool = True) -> Path:
    """BEIR layout: Parquet corpus (image bytes structs + text documents), JSONL queries,
    qrels/test.tsv, and a first-stage TREC run."""
    root.mkdir(parents=True, exist_ok=True)
    table = pa.table({
        "_id": [d[0] for d in DOCS], "title": [d[1] for d in DOCS], "text": [d[2] for d in DOCS],
        "image": pa.array([{"bytes": d[3], "path": f"{d[0]}.png"} if d[3] else None for d in DOCS],
                          type=image_type())})
    pq.write_table(table, root / "corpus.parquet", row_group_size=3)
    (root / "queries.jsonl").write_text("".join(json.dumps({"_id": q, "text": t}) + "\n" for q, t in QUERIES))
    (root / "qrels").mkdir(exist_ok=True)
    (root / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\n" + "".join(f"{q}\t{d}\t{g}\n" for q, d, g in QRELS))
    if run:
        (root / "first.trec").write_text(RUN)
    return root


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def top_of_run(qid: str, k: int = DEPTH) -> list[tuple[str, float]]:
    rows = [line.split() for line in RUN.splitlines() if line.split()[0] == qid]
    rows.sort(key=lambda r: (-float(r[4]), int(r[3])))
    return [(r[2], float(r[4])) for r in rows[:k]]


# --------------------------------------------------------------------------- the main path


def test_beir_folder_with_a_run_imports_sets_labels_and_the_first_stage_run(tmp_path, capsys, store):
    folder = write_beir(tmp_path / "shop")
    code, out, err = run_cli(capsys, "import-beir", folder, "--run", folder / "first.trec", "--depth", DEPTH,
                             "--session", "shop")
    assert code == 0, err
    assert "top 3 documents of each query in the first-stage run 'first'" in out
    assert "1 query(ies) have no judgment in this split and were not imported: q4" in out
    assert "1 query(ies) have no candidate and were not imported: q5" in out
    # q1 judges d7, which is at rank 4 of the run: outside the candidates
    assert "1 judgment(s) are of documents outside the top 3 candidates" in out

    sets = {s.query_id: s for s in store.list_candidate_sets("shop")}
    assert sorted(sets) == ["q1", "q2", "q3"]
    qrels = {}
    for q, d, g in QRELS:
        qrels.setdefault(q, {})[d] = g
    for qid, info in sets.items():
        cset = store.load_candidate_set(info.id)
        expected = top_of_run(qid)
        assert [d.id for d in cset.documents] == [d for d, _ in expected]          # run order, top 3
        assert [d.first_stage_score for d in cset.documents] == [s for _, s in expected]
        assert cset.query.text == dict(QUERIES)[qid]
        assert store.get_labels(info.id) and {d: lab.grade for d, lab in store.get_labels(info.id).items()} == {
            d: g for d, g in qrels[qid].items() if d in {x for x, _ in expected}}
        for doc in cset.documents:
            src = next(x for x in DOCS if x[0] == doc.id)
            assert doc.text == (f"{src[1]}\n{src[2]}" if src[1] else src[2])
            if src[3] is None:
                assert doc.image is None
            else:               # image bytes went through the image intake: stored by content hash
                assert doc.image_hash == hashlib.sha256(src[3]).hexdigest()
                assert Path(doc.image).read_bytes() == src[3]
        runs = store.list_runs(set_id=info.id)
        assert len(runs) == 1 and runs[0].status == "imported" and runs[0].name == "first"
        run = store.load_run(runs[0].id)
        assert [(s.doc_id, s.score, s.rank) for s in sorted(run.scores, key=lambda s: s.rank)] == [
            (d, s, i) for i, (d, s) in enumerate(expected, 1)]
    assert store.load_candidate_set(sets["q1"].id).doc("d1").image is not None

    # importing the same data again adds nothing
    code, out, _ = run_cli(capsys, "import-beir", folder, "--run", folder / "first.trec", "--depth", DEPTH,
                           "--session", "shop")
    assert code == 0 and "0 new set(s), 3 identical set(s) already there, 0 first-stage run(s)" in out
    assert len(store.list_runs(session_id="shop")) == 3


def _ranx(qrels: dict, run: dict, names: list[str]) -> dict:
    from ranx import Qrels, evaluate
    from ranx import Run as RRun

    rr = RRun(run)
    evaluate(Qrels(qrels), rr, names, return_mean=False)
    return {m: dict(rr.scores[m]) for m in names}


def test_bm25_reranks_with_two_instructions_and_metrics_equal_ranx(tmp_path, capsys, store):
    folder = write_beir(tmp_path / "shop")
    assert run_cli(capsys, "import-beir", folder, "--run", folder / "first.trec", "--depth", DEPTH,
                   "--session", "shop")[0] == 0
    code, _, err = run_cli(capsys, "rerank", "--session", "shop", "--model", "bm25",
                           "--instruction", "Given a product search query, retrieve matching products",
                           "--instruction", "Retrieve documents that answer the query")
    assert code == 0, err
    # exactly two runs (one per instruction, over the 3 queries) besides the imported first stage
    infos = store.list_run_infos("shop")
    assert sorted((r.status, r.n_rankings) for r in infos) == [("done", 3), ("done", 3), ("imported", 3)]
    runs = [store.load_run(r.id) for r in store.list_runs(session_id="shop")]
    assert sorted({r.status for r in runs}) == ["done", "imported"]
    assert len([r for r in runs if r.status == "done"]) == 6            # 3 rankings in each of the 2 runs
    labels = labels_by_query(store, [s.id for s in store.list_candidate_sets("shop")])
    assert labels == {"q1": {"d1": 2, "d6": 1, "d3": 0}, "q2": {"d4": 2}, "q3": {"d8": 2, "d5": 1}}
    k = 2
    result = compare.metrics(runs, labels, k=k)
    qrels = {q: {d: g for d, g in per.items() if g >= 1} for q, per in labels.items()}
    names = {f"ndcg@{k}": f"NDCG@{k}", "mrr": "MRR", f"precision@{k}": f"P@{k}", f"recall@{k}": f"Recall@{k}",
             "map": "MAP"}
    groups = compare.group_runs(runs)
    assert len(result.table) == 3                     # the first stage and the two instructions
    for label, per_query in groups.runs.items():
        # the workbench's order of each run (ties settled by its ranks) as distinct scores for ranx
        run = {q: {d: float(len(order) - i) for i, d in enumerate(order)}
               for q, r in per_query.items() for order in [compare.ordered_doc_ids(r)]}
        ref = _ranx(qrels, run, list(names))
        for rname, shown in names.items():
            got = result.values(label, shown)
            for q in qrels:
                assert got[q] == pytest.approx(ref[rname][q], abs=1e-12), (label, shown, q)
            assert result.table.loc[label, shown] == pytest.approx(np.mean([ref[rname][q] for q in qrels]))
    # the imported first stage is a run like the others: its metrics are the TREC file's ranking
    assert result.values("first", "MRR").to_dict() == {"q1": 1.0, "q2": 1.0, "q3": 0.5}   # q3: d3 unjudged, d8


# --------------------------------------------------------------------------- other layouts


def write_vidore(root: Path) -> Path:
    """ViDoRe's BEIR format as published on the hub: a folder per part of Parquet shards,
    integer corpus ids, page images as HF image structs, queries under `query`."""
    for part in ("corpus", "queries", "qrels"):
        (root / part).mkdir(parents=True)
    pages = {i: png(10 + i, 24, 32) for i in range(6)}
    pq.write_table(pa.table({"corpus-id": list(pages), "image": pa.array(
        [{"bytes": b, "path": None} for b in pages.values()], type=image_type()),
        "doc-id": [f"report-{i // 3}.pdf" for i in pages]}), root / "corpus" / "test-00000-of-00001.parquet")
    pq.write_table(pa.table({"query-id": [0, 1, 2], "query": ["revenue in 2023", "board members", "no pages"],
                             "language": ["english"] * 3}), root / "queries" / "test-00000-of-00001.parquet")
    pq.write_table(pa.table({"query-id": [0, 0, 1, 2], "corpus-id": [2, 4, 5, 3], "score": [2, 1, 1, 1]}),
                   root / "qrels" / "test-00000-of-00001.parquet")
    (root / "colpali.trec").write_text("".join(
        f"0 Q0 {d} {r} {10 - r}.5 colpali\n" for r, d in enumerate([4, 2, 0, 1], 1))
        + "".join(f"1 Q0 {d} {r} {9 - r}.25 colpali\n" for r, d in enumerate([5, 3], 1)))
    return root


def test_vidore_names_parquet_shards_and_image_structs(tmp_path, capsys, store):
    folder = write_vidore(tmp_path / "vidore")
    code, out, err = run_cli(capsys, "import-beir", folder, "--run", folder / "colpali.trec", "--depth", 3,
                             "--session", "vidore")
    assert code == 0, err
    assert "1 query(ies) have no candidate and were not imported: 2" in out
    sets = {s.query_id: s for s in store.list_candidate_sets("vidore")}
    assert sorted(sets) == ["0", "1"]
    first = store.load_candidate_set(sets["0"].id)
    assert [d.id for d in first.documents] == ["4", "2", "0"]
    assert first.query.text == "revenue in 2023"
    for doc in first.documents:                # image-only pages, each stored by its content hash
        assert doc.text == "" and doc.image and Image.open(doc.image).size == (24, 32)
        assert doc.image_hash == hashlib.sha256(png(10 + int(doc.id), 24, 32)).hexdigest()
        assert doc.metadata["doc-id"].startswith("report-")
    assert {d: lab.grade for d, lab in store.get_labels(sets["0"].id).items()} == {"2": 2, "4": 1}
    run = store.load_run(store.list_runs(set_id=sets["0"].id)[0].id)
    assert [(s.doc_id, s.score, s.rank) for s in sorted(run.scores, key=lambda s: s.rank)] == [
        ("4", 9.5, 1), ("2", 8.5, 2), ("0", 7.5, 3)]


def test_image_only_corpus_without_a_run_says_to_give_one(tmp_path):
    folder = write_vidore(tmp_path / "vidore")
    with pytest.raises(InputError) as exc:
        read_beir(folder)
    assert exc.value.code == "beir.no_text_for_bm25" and "--run" in exc.value.fix


def test_csv_tsv_corpus_without_a_run_takes_bm25s_top_k_and_says_so(tmp_path, capsys, store):
    from workbench.rerank.lexical import bm25_scores, tokenize

    root = tmp_path / "csvset"
    (root / "qrels").mkdir(parents=True)
    with open(root / "corpus.csv", "w", encoding="utf-8", newline="") as fh:
        fh.write("_id,title,text,source\n")
        fh.writelines(f'{d[0]},"{d[1]}","{d[2]}",shop\n' for d in DOCS)
        fh.write("d9,,无线蓝牙耳机 降噪,shop\n")
    (root / "queries.tsv").write_text("_id\ttext\n" + "".join(f"{q}\t{t}\n" for q, t in QUERIES)
                                      + "q6\t无线耳机\n" + "q7\tzebra\n", encoding="utf-8")
    (root / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n"
                                             + "".join(f"{q}\t{d}\t{g}\n" for q, d, g in QRELS)
                                             + "q6\td9\t2\nq7\td1\t1\n")
    code, out, err = run_cli(capsys, "import-beir", root, "--depth", 2)
    assert code == 0, err
    assert "no first-stage run given: the candidates are BM25's top 2 over the documents' title and text" in out
    assert "have no candidate and were not imported: q7" in out            # no word in common with any document
    texts = [f"{d[1]}\n{d[2]}" if d[1] else d[2] for d in DOCS] + ["无线蓝牙耳机 降噪"]
    ids = [d[0] for d in DOCS] + ["d9"]
    corpus = [tokenize(t) for t in texts]
    sets = {s.query_id: s for s in store.list_candidate_sets("csvset")}
    assert sorted(sets) == ["q1", "q2", "q3", "q5", "q6"]
    for qid, info in sets.items():
        qtext = dict(QUERIES + [("q6", "无线耳机")])[qid]
        ref = bm25_scores(corpus, tokenize(qtext))          # the lexical backend's BM25 over the whole corpus
        best = sorted((i for i in range(len(ids)) if ref[i] > 0), key=lambda i: (-ref[i], i))[:2]
        cset = store.load_candidate_set(info.id)
        assert [d.id for d in cset.documents] == [ids[i] for i in best]
        assert [d.first_stage_score for d in cset.documents] == pytest.approx([ref[i] for i in best], rel=1e-6)
        run = store.load_run(store.list_runs(set_id=info.id)[0].id)
        assert run.name == "bm25 first stage" and run.status == "imported" and run.backend == "lexical"
    assert store.load_candidate_set(sets["q1"].id).documents[0].metadata == {"source": "shop"}


def test_zip_with_relative_and_base64_images_and_a_zip_slip_entry(tmp_path, capsys, store):
    src = tmp_path / "src"
    (src / "pages").mkdir(parents=True)
    (src / "pages" / "a.png").write_bytes(png(21))
    b64 = base64.b64encode(png(22)).decode()
    rows = [{"_id": "a", "text": "annual report cover", "image": "pages/a.png"},
            {"_id": "b", "text": "annual report table", "image": "data:image/png;base64," + b64},
            {"_id": "c", "text": "annual report chart", "image": base64.b64encode(png(23)).decode()},
            {"_id": "d", "title": "Appendix", "text": "report appendix"}]
    archive = tmp_path / "reports.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("reports/corpus.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
        zf.writestr("reports/queries.jsonl", json.dumps({"_id": "q", "text": "annual report"}) + "\n")
        zf.writestr("reports/qrels/test.tsv", "query-id\tcorpus-id\tscore\nq\tb\t2\nq\ta\t1\n")
        zf.write(src / "pages" / "a.png", "reports/pages/a.png")
        zf.writestr("../evil.png", png(24))
    code, out, err = run_cli(capsys, "import-beir", archive, "--depth", 10)
    assert code == 0, err
    assert "Rejected 1 row(s)" in out and "../evil.png" in out
    (info,) = store.list_candidate_sets("reports")
    cset = store.load_candidate_set(info.id)
    assert sorted(d.id for d in cset.documents) == ["a", "b", "c", "d"]
    hashes = {d.id: d.image_hash for d in cset.documents}
    assert hashes == {"a": hashlib.sha256(png(21)).hexdigest(), "b": hashlib.sha256(png(22)).hexdigest(),
                      "c": hashlib.sha256(png(23)).hexdigest(), "d": None}
    assert cset.doc("d").text == "Appendix\nreport appendix"
    assert not list((Path(tmp_path) / "home" / "imports").glob(".unzip-*"))      # the temporary folder is gone


# --------------------------------------------------------------------------- what goes wrong


def test_bad_rows_are_reported_with_line_column_and_fix_and_the_rest_imports(tmp_path, capsys, store):
    root = tmp_path / "bad"
    (root / "qrels").mkdir(parents=True)
    (root / "corpus.jsonl").write_text("\n".join([
        json.dumps({"_id": "d1", "text": "red running shoes"}),
        json.dumps({"_id": "", "text": "no id here"}),                          # line 2: no id
        json.dumps({"_id": "d1", "text": "red running shoes again"}),           # line 3: duplicate
        "{not json",                                                            # line 4
        json.dumps({"_id": "d2", "text": "running shoes for trails"}),
        json.dumps({"_id": "d3", "text": "", "title": ""}),                      # line 6: empty
        json.dumps({"_id": "d4", "text": "broken image shoes", "image": "data:image/png;base64,"
                    + base64.b64encode(b"\x89PNG\r\n\x1a\nnot really").decode()}),   # line 7: bad image
        json.dumps({"_id": "d5", "text": "shoes shop"}),
    ]) + "\n")
    (root / "queries.jsonl").write_text(json.dumps({"_id": "q1", "text": "running shoes"}) + "\n"
                                        + json.dumps({"_id": "q2", "text": ""}) + "\n")
    (root / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t2\nq1\td2\tx\nq1\td5\t5\n"
                                             "q1\td1\t1\n\tq1\t1\n")
    rejected = tmp_path / "rejected.csv"
    code, out, err = run_cli(capsys, "import-beir", root, "--depth", 5, "--rejected-out", rejected, "--strict")
    assert code == 1, err                       # --strict: rows were rejected
    result_lines = out.splitlines()
    assert any("Rejected 10 row(s)" in line for line in result_lines), out
    import pandas as pd

    report = pd.read_csv(rejected, dtype=str, keep_default_na=False)
    got = {(r.source, int(r.line), r.column) for r in report.itertuples()}
    assert got == {("corpus.jsonl", 2, "_id"), ("corpus.jsonl", 3, "_id"), ("corpus.jsonl", 4, ""),
                   ("corpus.jsonl", 6, "text"), ("corpus.jsonl", 7, "image"), ("queries.jsonl", 2, "text"),
                   ("qrels/test.tsv", 3, "score"), ("qrels/test.tsv", 4, "score"), ("qrels/test.tsv", 5, "score"),
                   ("qrels/test.tsv", 6, "query-id")}
    assert all(report["fix"].str.len() > 10)
    image_row = report[(report["source"] == "corpus.jsonl") & (report["line"] == "7")].iloc[0]
    assert "image bytes" in image_row["error"] and "truncated" in image_row["error"]
    assert ".unzip-" not in image_row["error"]                  # not the temporary file's name
    grade_row = report[(report["source"] == "qrels/test.tsv") & (report["line"] == "4")].iloc[0]
    assert "'5' is outside" in grade_row["error"] and "--clip-grades" in grade_row["fix"]
    # nothing accepted is lost: q1 with d1, d2, d5 (d4's image was bad: its row is rejected)
    (info,) = store.list_candidate_sets("bad")
    cset = store.load_candidate_set(info.id)
    assert sorted(d.id for d in cset.documents) == ["d1", "d2", "d5"]
    assert {d: lab.grade for d, lab in store.get_labels(info.id).items()} == {"d1": 2}
    # --clip-grades maps the 5 to 2
    code, out, _ = run_cli(capsys, "import-beir", root, "--depth", 5, "--clip-grades", "--session", "clipped")
    (info,) = store.list_candidate_sets("clipped")
    assert {d: lab.grade for d, lab in store.get_labels(info.id).items()} == {"d1": 2, "d5": 2}


def test_layout_errors_say_what_is_missing(tmp_path, capsys):
    root = write_beir(tmp_path / "x")
    (root / "queries.jsonl").unlink()
    code, _, err = run_cli(capsys, "import-beir", root)
    assert code == 2 and "queries missing" in err and "How to fix" in err
    root = write_beir(tmp_path / "y")
    (root / "qrels" / "train.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td2\t1\n")
    (root / "qrels" / "test.tsv").rename(root / "qrels" / "dev.tsv")
    with pytest.raises(InputError) as exc:
        read_beir(root)
    assert exc.value.code == "beir.which_split" and "dev, train" in exc.value.message
    assert read_beir(root, split="train").split == "train"
    with pytest.raises(InputError) as exc:
        read_beir(root, depth=0)
    assert exc.value.code == "beir.bad_depth"
    with pytest.raises(NothingImported):
        read_beir(write_beir(tmp_path / "z"), run=_run_file(tmp_path, "qX Q0 d1 1 1.0 r\n"))


def _run_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "other.trec"
    path.write_text(text)
    return path


def test_all_queries_imports_unjudged_queries_too(tmp_path):
    folder = write_beir(tmp_path / "shop")
    result = read_beir(folder, run=folder / "first.trec", depth=DEPTH)
    assert result.no_qrels == ["q4"] and "q4" not in [s.query.id for s in result.sets]
    with_all = read_beir(folder, depth=DEPTH, include_unjudged=True)          # BM25 finds the bottle
    assert "q4" in [s.query.id for s in with_all.sets]
    assert with_all.sets[[s.query.id for s in with_all.sets].index("q4")].labels == {}


def test_one_transaction_per_batch(tmp_path, store, monkeypatch):
    from workbench.errors import StoreError

    folder = write_beir(tmp_path / "shop")
    result = read_beir(folder, run=folder / "first.trec", depth=DEPTH)
    session = store.create_session("batches")
    real = store.create_run
    calls = []

    def failing_create_run(set_id, run):
        calls.append(run.query_id)
        if run.query_id == "q3":               # the disk fills while saving the second batch
            raise StoreError("the disk is full", "free some space")
        return real(set_id, run)

    monkeypatch.setattr(store, "create_run", failing_create_run)
    with pytest.raises(StoreError) as exc:
        import_beir(store, session.id, result, batch_size=2)
    assert exc.value.unsaved_queries == ["q3"] and "Already saved" in exc.value.message
    # the first batch (q1, q2) is saved whole; the second (q3) left nothing behind
    assert sorted(s.query_id for s in store.list_candidate_sets("batches")) == ["q1", "q2"]
    assert len(store.list_runs(session_id="batches")) == 2
    monkeypatch.setattr(store, "create_run", real)
    saved = import_beir(store, session.id, result, batch_size=2)        # again: only what is missing
    assert (saved["saved"], saved["identical"], saved["runs"], saved["batches"]) == (1, 2, 1, 2)


# --------------------------------------------------------------------------- the Import page


def _zip_folder(folder: Path, archive: Path) -> bytes:
    with zipfile.ZipFile(archive, "w") as zf:
        for p in sorted(folder.rglob("*")):
            if p.is_file() and p.suffix != ".trec":
                zf.write(p, p.relative_to(folder.parent).as_posix())
    return archive.read_bytes()


def test_import_page_beir_tab_imports_the_zip_with_its_run(tmp_path):
    from streamlit.testing.v1 import AppTest

    from workbench.store import Store

    folder = write_beir(tmp_path / "shop")
    data = _zip_folder(folder, tmp_path / "shop.zip")
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=90)
    at.switch_page("pages/import_page.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.file_uploader(key="import_beir_zip").set_value(("shop.zip", data, "application/zip"))
    at.file_uploader(key="import_beir_run").set_value(("first.trec", RUN.encode(), "text/plain"))
    at.number_input(key="import_beir_depth").set_value(DEPTH)
    at.run()
    next(b for b in at.button if b.key == "import_beir_go").click().run()
    assert not at.exception and not at.error, ([e.value for e in at.exception], [e.value for e in at.error])
    assert any("3 new set(s)" in s.value and "3 first-stage run(s)" in s.value for s in at.success)
    assert any("first-stage run 'first'" in x.value and "not imported: q5" in x.value for x in at.text)
    store = Store()
    try:
        assert sorted(s.query_id for s in store.list_candidate_sets("shop")) == ["q1", "q2", "q3"]
        assert len(store.list_runs(session_id="shop")) == 3
    finally:
        store.close()


# --------------------------------------------------------------------------- scale


@pytest.mark.slow
def test_1000_queries_x_50_documents_import_and_timing(tmp_path, store):
    """The measured case (README "BEIR and ViDoRe data sets"): 1,000 queries x 50 documents from a
    50,000-document Parquet corpus, a TREC run and qrels; the timings are printed (pytest -s)."""
    import random
    import time

    rng = random.Random(0)
    words = [f"w{i}" for i in range(5000)]
    n_q, n_d = 1000, 50
    root = tmp_path / "big"
    (root / "qrels").mkdir(parents=True)
    n = n_q * n_d
    pq.write_table(pa.table({"_id": [f"doc{d}" for d in range(n)],
                             "title": [" ".join(rng.choices(words, k=4)) for _ in range(n)],
                             "text": [" ".join(rng.choices(words, k=60)) for _ in range(n)]}), root / "corpus.parquet")
    (root / "queries.jsonl").write_text("".join(json.dumps({"_id": f"q{q}", "text": " ".join(rng.choices(words, k=6))})
                                                + "\n" for q in range(n_q)))
    (root / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n" + "".join(
        f"q{q}\tdoc{q * n_d + d}\t{1 + d % 2}\n" for q in range(n_q) for d in (0, 7, 31)))
    (root / "run.trec").write_text("".join(f"q{q} Q0 doc{q * n_d + r} {r + 1} {100 - r / 2} first\n"
                                           for q in range(n_q) for r in range(n_d)))
    start, cpu = time.perf_counter(), time.process_time()
    result = read_beir(root, run=root / "run.trec", depth=n_d)
    read_s = time.perf_counter() - start
    saved = import_beir(store, store.create_session("big").id, result)
    total, total_cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"\nBEIR import of {n_q} queries x {n_d} docs: read {read_s:.1f} s, save {saved['seconds']:.1f} s, "
          f"total {total:.1f} s wall / {total_cpu:.1f} s CPU")
    assert (saved["saved"], saved["runs"], saved["batches"]) == (n_q, n_q, n_q // 100)
    sets = store.list_candidate_sets("big")
    assert len(sets) == n_q and sum(s.n_docs for s in sets) == n and sum(s.n_labels for s in sets) == 3 * n_q
    assert total_cpu < 120
