"""workbench.formats and `workbench import|import-run|export`, over the real files in tests/data/io.

The files are made by tests/data/io/make_files.py; each bad one holds valid rows
plus bad rows at known lines, so every case checks the specific error, its line
and column, and that the valid rows alongside are kept.
"""

from __future__ import annotations

import hashlib
import io as _io
from pathlib import Path

import pandas as pd
import pytest

from workbench import config, formats
from workbench.cli import main
from workbench.errors import EncodingError, InputError, NothingImported, RowError
from workbench.model import Label, Run, Result

DATA = Path(__file__).parent / "data" / "io"


def ids(result: formats.ImportResult) -> dict[str, list[str]]:
    return {s.query.id: [d.id for d in s.documents] for s in result.sets}


# --------------------------------------------------------------------------- encodings


@pytest.mark.parametrize("name, encoding", [
    ("good_utf8.csv", "utf-8"),
    ("good_utf8_bom.csv", "utf-8-sig"),
    ("good_utf16.csv", "utf-16"),
    ("good_gbk.csv", "gbk"),
])
def test_each_encoding_imports_chinese(name, encoding):
    res = formats.read_candidates(DATA / name)
    assert res.encoding == encoding
    assert res.rejected == []
    assert ids(res) == {"q1": ["d1", "d2", "d3"], "q2": ["d1"]}
    q1 = res.sets[0]
    assert q1.query.text == "牛仔夹克 男款"
    d1 = q1.doc("d1")
    assert d1.text == "深蓝色修身牛仔夹克，水洗做旧，金属纽扣"
    assert d1.metadata == {"品牌": "李维斯"}                  # extra column kept as metadata
    assert d1.label == 2 and d1.first_stage_score == pytest.approx(0.9)
    assert q1.doc("d3").label == 1 and q1.doc("d3").first_stage_score is None
    assert q1.doc("d3").metadata == {}
    assert res.sets[1].query.text == "连衣裙"


def test_explicit_encoding_is_honoured_and_a_wrong_one_explains_the_fix():
    res = formats.read_candidates(DATA / "good_gbk.csv", encoding="gbk")
    assert res.sets[0].query.text == "牛仔夹克 男款"
    with pytest.raises(EncodingError) as exc:
        formats.read_candidates(DATA / "good_gbk.csv", encoding="utf-8")
    assert "line 1" in exc.value.message and "utf-8" in exc.value.message   # the header is Chinese too
    assert "--encoding gbk" in exc.value.fix
    with pytest.raises(EncodingError, match="Unknown encoding"):
        formats.read_candidates(DATA / "good_utf8.csv", encoding="klingon")


def test_binary_file_is_an_encoding_error_naming_the_fix():
    with pytest.raises(EncodingError) as exc:
        formats.read_candidates(DATA / "bad_binary.csv")
    assert "--encoding gbk" in exc.value.fix and "UTF-8" in exc.value.fix


def test_jsonl_imports_with_metadata_and_nulls():
    res = formats.read_candidates(DATA / "good.jsonl")
    assert ids(res) == {"q1": ["d1", "d2", "d3"], "q2": ["d9"]}
    d9 = res.sets[1].documents[0]
    assert d9.label == 2 and d9.image is None and d9.metadata == {"color": "红"}
    assert any("blank" in n for n in res.notes)


# --------------------------------------------------------------------------- bad files

KEPT = {"q1": ["d1", "d2"]}
FULL = {"q1": ["d1", "d2", "d3"], "q2": ["d1"]}


@pytest.mark.parametrize("name, errors, kept", [
    ("bad_ragged.csv", [(4, "doc_image", "has 5 fields but the header has 9"),
                        (7, "field 10", "has 10 fields")], FULL),
    ("bad_quote.csv", [(6, "doc_image", "fields")], FULL),
    ("bad_empty_query.csv", [(4, "query_text", "neither query_text nor query_image")], KEPT),
    ("bad_doc_empty.csv", [(4, "doc_text", "neither doc_text nor doc_image")], KEPT),
    ("bad_duplicate.csv", [(5, "doc_id", "'d2' appears twice in query 'q1' (first on line 3)")],
     {"q1": ["d1", "d2", "d3"]}),
    ("bad_path_dotdot.csv", [(4, "doc_image", "'..'"), (5, "doc_image", "'..'")], KEPT),
    ("bad_path_absolute.csv", [(4, "doc_image", "absolute path"), (5, "doc_image", "absolute path")], KEPT),
    ("bad_missing_image.csv", [(4, "doc_image", "does not exist")], KEPT),
    ("bad_broken_image.csv", [(4, "doc_image", "truncated"), (5, "doc_image", "empty"),
                              (6, "doc_image", "not an image")], KEPT),
    ("bad_label.csv", [(4, "label", "label '3'"), (5, "label", "label 'yes'")], KEPT),
    ("bad_score.csv", [(4, "first_stage_score", "'high' is not a number")], KEPT),
    ("bad_query_conflict.csv", [(4, "query_text", "different query_text than on line 2")], KEPT),
])
def test_bad_file_rejects_the_bad_rows_and_keeps_the_rest(name, errors, kept):
    res = formats.read_candidates(DATA / name)
    got = [(e.line, e.column, e.message) for e in res.rejected]
    assert len(got) == len(errors), got
    for (line, column, message), (want_line, want_col, want_text) in zip(got, errors):
        assert line == want_line
        assert column.startswith(want_col)
        assert want_text in message
    for err in res.rejected:
        assert isinstance(err, RowError) and err.fix and err.source == name
        assert f"line {err.line}" in str(err) and "How to fix" in str(err)
    assert ids(res) == kept


def test_missing_required_column_lists_missing_and_found_columns(tmp_path):
    # a text-only file needs no empty image columns (fresh-eyes walkthrough: the first thing a
    # new analyst hit); the file without doc_image imports its text documents
    res = formats.read_candidates(DATA / "bad_missing_column.csv")
    assert res.sets and not res.rejected and all(d.image is None for s in res.sets for d in s.documents)
    # a side with neither its text nor its image column, or no id column, is refused
    f = tmp_path / "no_doc.csv"
    f.write_text("query_id,query_text,doc_id,label\nq1,shoes,d1,2\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        formats.read_candidates(f)
    assert "doc_text or doc_image" in exc.value.message
    assert "Found columns: query_id, query_text, doc_id, label" in exc.value.message
    assert exc.value.fix
    f.write_text("query_text,doc_id,doc_text\nshoes,d1,red shoes\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        formats.read_candidates(f)
    assert "query_id" in exc.value.message


def test_nothing_valid_raises_with_the_row_errors_and_the_result():
    with pytest.raises(NothingImported) as exc:
        formats.read_candidates(DATA / "bad_all_rows.csv")
    assert "line 2, column 'query_text'" in exc.value.message
    assert "line 3, column 'doc_text'" in exc.value.message
    assert len(exc.value.result.rejected) == 2


def test_spreadsheet_and_unknown_files_are_refused_with_a_fix():
    with pytest.raises(InputError, match="CSV UTF-8"):
        formats.read_candidates(DATA / "bad_sheet.xlsx")
    with pytest.raises(InputError, match="does not exist"):
        formats.read_candidates(DATA / "no_such_file.csv")


def test_rejected_csv_holds_original_values_line_column_error_fix():
    res = formats.read_candidates(DATA / "bad_label.csv")
    df = pd.read_csv(_io.BytesIO(res.rejected_csv()), dtype=str, keep_default_na=False)
    assert list(df.columns[-5:]) == ["line", "column", "error", "fix", "source"]
    assert list(df["doc_id"]) == ["d5", "d6"]
    assert list(df["label"]) == ["3", "yes"]
    assert list(df["line"]) == ["4", "5"] and set(df["column"]) == {"label"}
    assert all(df["fix"].str.contains("0 \\(not relevant\\)"))
    bom = res.rejected_csv(bom=True)
    assert bom.startswith(b"\xef\xbb\xbf")


# --------------------------------------------------------------------------- images, zip, folder


def test_images_resolve_relative_to_the_file_with_content_hashes():
    res = formats.read_candidates(DATA / "good_images.csv")
    s = res.sets[0]
    ok_jpg = (DATA / "images" / "ok.jpg").read_bytes()
    ok_png = (DATA / "images" / "ok.png").read_bytes()
    assert Path(s.query.image) == (DATA / "images" / "ok.jpg").resolve()
    assert s.query.image_hash == hashlib.sha256(ok_jpg).hexdigest()
    assert s.doc("d1").image_hash == hashlib.sha256(ok_png).hexdigest() and s.doc("d1").text == ""
    assert Path(s.doc("d2").image) == (DATA / "images" / "ok.png").resolve()   # backslash path works
    assert s.doc("d3").image is None
    assert s.query.modality == "image+text" and s.doc("d1").modality == "image"


def test_zip_imports_like_the_file_and_extracts_under_home():
    res = formats.read_candidates(DATA / "good.zip")
    assert res.encoding == "gbk" and res.rejected == []
    s = res.sets[0]
    assert s.doc("d2").text == "蓝色夹克"
    home = config.home_dir().resolve()
    for path in (s.query.image, s.doc("d1").image):
        assert Path(path).is_relative_to(home) and Path(path).is_file()
    assert s.doc("d1").image_hash == hashlib.sha256((DATA / "images" / "ok.png").read_bytes()).hexdigest()
    assert not list(home.rglob("._candidates.csv"))                     # __MACOSX junk skipped


def test_zip_slip_entries_are_rejected_and_never_written(tmp_path):
    res = formats.read_candidates(DATA / "bad_zipslip.zip")
    assert ids(res) == {"q1": ["d1", "d2"]}
    entries = [e for e in res.rejected if e.line is None]
    assert sorted(e.values["zip_entry"] for e in entries) == ["../evil.png", "/tmp/abs_evil.png"]
    assert all("zip-slip" in e.message for e in entries)
    row = [e for e in res.rejected if e.line is not None]
    assert [(e.line, e.column) for e in row] == [(4, "doc_image")]
    home = config.home_dir().resolve()
    assert not (home / "imports" / "evil.png").exists() and not (home / "evil.png").exists()
    assert not Path("/tmp/abs_evil.png").exists()
    assert not list(tmp_path.rglob("evil.png"))


def test_folder_of_images_becomes_one_set():
    res = formats.import_folder(DATA / "folder", "blue things", query_id="blue")
    assert ids(res) == {"blue": ["a.jpg", "b.png", "sub/c.jpg"]}
    assert res.sets[0].query.text == "blue things"
    assert [e.source for e in res.rejected] == ["folder/broken.jpg"]
    assert "truncated" in res.rejected[0].message
    assert any("not images" in n for n in res.notes)
    # the same through read_candidates, which needs the query text for a folder
    assert ids(formats.read_candidates(DATA / "folder", query_text="x")) == {"folder": ["a.jpg", "b.png", "sub/c.jpg"]}
    with pytest.raises(InputError, match="--query-text"):
        formats.read_candidates(DATA / "folder")


def test_samples_import_cleanly_with_labels_on_every_doc():
    samples = {s.name: s for s in formats.list_samples()}
    assert set(samples) >= {"ecommerce", "photos", "kb"}
    for s in samples.values():
        res = formats.read_candidates(s.path)
        assert res.rejected == [], s.name
        assert all(d.label in (0, 1, 2) for c in res.sets for d in c.documents), s.name
        assert s.title != s.name
    eco = formats.read_candidates(samples["ecommerce"].path).sets[0]
    assert eco.query.image and eco.query.text == "denim jacket"
    assert any("牛仔" in d.text for d in eco.documents) and len(eco.documents) >= 8
    photos = formats.read_candidates(samples["photos"].path).sets
    assert any(d.image and not d.text for d in photos[0].documents)
    assert {c.query.text for c in photos} >= {"a cat resting", "a cup of coffee", "a rocket launch"}
    kb = formats.read_candidates(samples["kb"].path).sets[0]
    assert kb.query.text.startswith("What materials are needed for an overseas travel reimbursement")
    assert kb.doc("guide-2024").label == 2 and kb.doc("visa").label == 0


# --------------------------------------------------------------------------- export


def _runs() -> list[Run]:
    a = Run(instruction="=HYPERLINK(\"http://x\")", backend="lexical", model_id="bm25", set_id=1, name="",
            scores=[Result("d1", 0.9, 1), Result("-5", -1.25, 2), Result("@d3", 0.1, 3)])
    b = Run(instruction="Given a web search query", backend="qwen-vl", model_id="lychee", set_id=1,
            scores=[Result("d1", 0.2, 3), Result("-5", 0.7, 1), Result("@d3", 0.5, 2)])
    c = Run(instruction="Given a web search query", backend="qwen-vl", model_id="lychee", set_id=2,
            scores=[Result("x1", 0.6, 1)])
    return [a, b, c]


LABELS = {1: {"d1": Label("q1", "d1", 2), "-5": 0}, 2: {"x1": 1}}
QIDS = {1: "q1", 2: "q2"}


def test_long_frame_columns_and_values():
    df = formats.long_frame(_runs(), LABELS, QIDS)
    assert list(df.columns) == ["run_id", "run_name", "query_id", "doc_id", "rank", "score", "instruction", "backend",
                                "model", "prompt_format", "label"]
    assert len(df) == 7
    first = df.iloc[0]
    assert (first.query_id, first.doc_id, first["rank"], first.score, first.label) == ("q1", "d1", 1, 0.9, 2)
    assert df[df.query_id == "q2"].iloc[0].label == 1
    assert pd.isna(df[(df.doc_id == "@d3")].iloc[0].label)


def test_wide_frame_shares_instruction_columns_across_queries():
    df = formats.wide_frame(_runs(), LABELS, QIDS)
    names = formats.run_labels(_runs())
    assert list(df.columns) == ["query_id", "doc_id", "label",
                                f"{names[0]} rank", f"{names[0]} score",
                                "qwen-vl: Given a web search query rank", "qwen-vl: Given a web search query score"]
    assert len(df) == 4                                                  # 3 docs of q1 + 1 of q2
    q2 = df[df.query_id == "q2"].iloc[0]
    assert q2["qwen-vl: Given a web search query rank"] == 1 and pd.isna(q2[f"{names[0]} rank"])
    # a second run of the same instruction on the same query gets its own columns
    again = Run(instruction="Given a web search query", backend="qwen-vl", model_id="lychee", set_id=1,
                scores=[Result("d1", 0.3, 1)])
    df2 = formats.wide_frame(_runs() + [again], LABELS, QIDS)
    assert "qwen-vl: Given a web search query #2 rank" in df2.columns
    # same instruction, different backends -> disambiguated by backend
    other = Run(instruction="Given a web search query", backend="lexical", model_id="bm25", set_id=1,
                scores=[Result("d1", 0.3, 1)])
    assert "lexical: Given a web search query rank" in formats.wide_frame([_runs()[1], other]).columns


def test_csv_bytes_bom_and_formula_neutralisation(tmp_path):
    df = formats.long_frame(_runs(), LABELS, QIDS)
    plain = formats.to_csv_bytes(df)
    assert not plain.startswith(b"\xef\xbb\xbf")
    bom = formats.export_long(_runs(), tmp_path / "out.csv", bom=True, labels=LABELS, query_ids=QIDS)
    assert bom.startswith(b"\xef\xbb\xbf") and (tmp_path / "out.csv").read_bytes() == bom
    back = pd.read_csv(_io.BytesIO(plain), dtype=str, keep_default_na=False)
    assert back.loc[0, "instruction"].startswith("'=HYPERLINK")          # formula neutralised
    assert "'@d3" in set(back["doc_id"])
    assert "-5" in set(back["doc_id"])                                   # a plain number is left alone
    assert "-1.25" in set(back["score"])                                 # numeric column untouched
    frame = pd.DataFrame({"text": ["+1+2", "\tx", "-x", "ok", "中文"], "n": [-1, -2, 3, 4, 5]})
    out = pd.read_csv(_io.BytesIO(formats.to_csv_bytes(frame, bom=True)), dtype=str, encoding="utf-8-sig")
    assert list(out["text"]) == ["'+1+2", "'\tx", "'-x", "ok", "中文"]
    assert list(out["n"]) == ["-1", "-2", "3", "4", "5"]


def test_ranked_csv_round_trip(tmp_path):
    runs = _runs()
    path = tmp_path / "long.csv"
    formats.export_long(runs, path, bom=True, labels=LABELS, query_ids=QIDS)
    back = formats.read_ranked_csv(path)
    assert len(back) == 3
    for orig, got in zip(runs, back):
        assert got.backend == "imported" and got.status == "imported"
        assert got.instruction == orig.instruction                      # neutralising apostrophe removed
        assert got.params["source_backend"] == orig.backend and got.model_id == orig.model_id
        assert got.ranking() == orig.ranking()
        assert [s.score for s in sorted(got.scores, key=lambda s: s.rank)] == \
               [s.score for s in sorted(orig.scores, key=lambda s: s.rank)]
    assert back[0].query_id == "q1" and back[2].query_id == "q2"


def test_ranked_csv_from_another_system():
    runs = formats.read_ranked_csv(DATA / "ranked_other.csv")
    assert [(r.query_id, r.model_id) for r in runs] == [("q1", "other-v1"), ("q2", "other-v1")]
    assert runs[0].ranking() == ["d2", "d3", "d1"]                       # ranks from descending score
    only_rank = formats.read_ranked_csv(DATA / "ranked_rank_only.csv")[0]
    assert only_rank.ranking() == ["d1", "d3", "d2"] and only_rank.params["score_from_rank"]
    assert [s.score for s in sorted(only_rank.scores, key=lambda s: s.rank)] == [-1.0, -2.0, -3.0]
    with pytest.raises(RowError) as exc:
        formats.read_ranked_csv(DATA / "ranked_bad.csv")
    assert (exc.value.line, exc.value.column) == (3, "score") and "1 more row" in exc.value.message
    assert [(e.line, e.column) for e in exc.value.errors] == [(3, "score"), (4, "doc_id")]
    with pytest.raises(InputError, match="score or rank"):
        formats.read_ranked_csv(DATA / "good_utf8.csv")


@pytest.mark.slow
def test_import_10k_rows(tmp_path):
    """10,000 rows in 100 sets import completely (the time is measured by bench/foundation.py)."""
    rows = ["query_id,query_text,query_image,doc_id,doc_text,doc_image,label,first_stage_score,brand"]
    rows += [f"q{i // 100},查询 {i // 100},,d{i},文档 {i} denim jacket text,,{i % 3},{i / 1e4},b{i % 7}"
             for i in range(10_000)]
    path = tmp_path / "big.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    res = formats.read_candidates(path)
    assert len(res.sets) == 100 and res.n_docs == 10_000 and not res.rejected
    assert res.sets[57].documents[3].metadata == {"brand": f"b{5703 % 7}"}
    assert res.sets[57].documents[3].label == 5703 % 3


# --------------------------------------------------------------------------- CLI


def test_cli_import_prints_rejects_and_saves(tmp_path, capsys):
    from workbench.store import Store

    out = tmp_path / "rej.csv"
    assert main(["import", str(DATA / "bad_duplicate.csv"), "--session", "dup",
                 "--rejected-out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Imported 1 set(s) with 3 document(s)" in text and "line 5, column 'doc_id'" in text
    assert pd.read_csv(out, dtype=str)["line"].tolist() == ["5"]
    with Store() as store:
        sets = store.list_candidate_sets("dup")
        assert [(s.query_id, s.n_docs, s.n_labels) for s in sets] == [("q1", 3, 3)]
    assert main(["import", str(DATA / "bad_duplicate.csv"), "--session", "dup", "--strict"]) == 1


def test_cli_import_nothing_valid_exits_non_zero(tmp_path, capsys):
    out = tmp_path / "rej.csv"
    assert main(["import", str(DATA / "bad_all_rows.csv"), "--rejected-out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "nothing was imported" in err and "How to fix" in err
    assert len(pd.read_csv(out)) == 2
    assert main(["import", str(DATA / "good_gbk.csv"), "--encoding", "utf-8"]) == 2
    assert "--encoding" in capsys.readouterr().err


def test_cli_import_folder_zip_and_encoding(capsys):
    assert main(["import", str(DATA / "folder"), "--query-text", "blue things", "--session", "f"]) == 0
    assert main(["import", str(DATA / "good.zip"), "--session", "z"]) == 0
    assert main(["import", str(DATA / "good_gbk.csv"), "--encoding", "gbk", "--session", "g"]) == 0
    text = capsys.readouterr().out
    assert "3 document(s)" in text and "encoding gbk" in text


def test_cli_import_run_and_export(tmp_path, capsys):
    assert main(["import", str(DATA / "good_utf8.csv"), "--session", "s"]) == 0
    assert main(["import-run", str(DATA / "ranked_other.csv"), "--session", "s"]) == 0
    long_csv, wide_csv = tmp_path / "long.csv", tmp_path / "wide.csv"
    assert main(["export", "--session", "s", "--format", "long", "--output", str(long_csv), "--bom"]) == 0
    assert long_csv.read_bytes().startswith(b"\xef\xbb\xbf")
    df = pd.read_csv(long_csv, encoding="utf-8-sig", dtype={"query_id": str, "doc_id": str})
    assert list(df.columns) == formats.LONG_COLUMNS
    assert df[df.query_id == "q1"].doc_id.tolist() == ["d2", "d3", "d1"]
    assert df[df.query_id == "q1"].label.tolist() == [0, 1, 2]           # labels from the imported file
    assert main(["export", "--session", "s", "--format", "wide", "--output", str(wide_csv)]) == 0
    wide = pd.read_csv(wide_csv)
    assert list(wide.columns) == ["query_id", "doc_id", "label", "ranked_other rank", "ranked_other score"]
    assert main(["export", "--run", "1", "--output", str(tmp_path / "one.csv")]) == 0
    one = pd.read_csv(tmp_path / "one.csv", dtype={"query_id": str})     # run 1: every query it ranks
    assert len(one) == 4 and set(one.query_id) == {"q1", "q2"} and set(one.run_id) == {1}
    assert main(["export", "--run", "999", "--output", str(tmp_path / "x.csv")]) == 2
    assert main(["import-run", str(DATA / "ranked_other.csv"), "--session", "nope"]) == 2
    capsys.readouterr()


def test_semicolon_delimiter_and_repeated_extra_columns_keep_every_value(tmp_path):
    path = tmp_path / "semi.csv"
    path.write_text("query_id;query_text;query_image;doc_id;doc_text;doc_image;brand;brand;\n"
                    "q1;hi;;d1;x, y;;a;b;c\n", encoding="utf-8")
    doc = formats.read_candidates(path).sets[0].documents[0]
    assert doc.text == "x, y"
    assert doc.metadata == {"brand": "a", "brand.2": "b", "column_9": "c"}
    dup = tmp_path / "dup.csv"
    dup.write_text("query_id,query_text,query_image,doc_id,doc_text,doc_image,Doc_Text\nq1,hi,,d1,x,,y\n",
                   encoding="utf-8")
    with pytest.raises(InputError, match="doc_text more than once"):
        formats.read_candidates(dup)


def test_json_array_file_keeps_line_numbers(tmp_path):
    path = tmp_path / "rows.json"
    path.write_text('[\n  {"query_id": "q1", "query_text": "猫", "query_image": "", "doc_id": "d1",\n'
                    '   "doc_text": "一只猫", "doc_image": ""},\n'
                    '  {"query_id": "q1", "query_text": "猫", "query_image": "", "doc_id": "d2",\n'
                    '   "doc_text": "", "doc_image": "", "label": 1}\n]\n', encoding="utf-8")
    res = formats.read_candidates(path)
    assert ids(res) == {"q1": ["d1"]}
    assert [(e.line, e.column) for e in res.rejected] == [(4, "doc_text")]


def test_labels_keyed_by_query_id_for_runs_without_a_set():
    run = Run(instruction="i", backend="lexical", model_id="bm25", query_id="q1",
              scores=[Result("d1", 0.5, 1), Result("d2", 0.1, 2)])
    df = formats.long_frame([run], {"q1": {"d1": 2}, "q2": {"d2": 1}})
    assert df.label.tolist()[0] == 2 and pd.isna(df.label.tolist()[1])


def test_line_numbers_count_multiline_cells_and_crlf(tmp_path):
    path = tmp_path / "multi.csv"
    path.write_bytes(("query_id,query_text,query_image,doc_id,doc_text,doc_image,label\r\n"
                      'q1,hi,,d1,"two\r\nlines",,2\r\n'
                      "q1,hi,,d2,ok,,9\r\n").encode("utf-8"))
    res = formats.read_candidates(path)
    assert res.sets[0].doc("d1").text == "two\r\nlines"
    assert [(e.line, e.column) for e in res.rejected] == [(4, "label")]


def test_utf16_without_bom_is_detected(tmp_path):
    text = (DATA / "good_utf8.csv").read_text(encoding="utf-8")
    path = tmp_path / "le.csv"
    path.write_bytes(text.encode("utf-16-le"))
    res = formats.read_candidates(path)
    assert res.encoding == "utf-16-le" and res.sets[0].query.text == "牛仔夹克 男款"


def test_ocr_columns_round_trip_as_document_fields(tmp_path):
    path = tmp_path / "described.csv"
    path.write_text("query_id,query_text,query_image,doc_id,doc_text,doc_image,ocr_text,description,brand\n"
                    "q1,tea,,d1,green tea,,有机绿茶,[OCR] 有机绿茶 [TEXT] green tea,Leaf\n", encoding="utf-8")
    (cset,) = formats.read_candidates(path).sets
    doc = cset.documents[0]
    assert doc.ocr_text == "有机绿茶"
    assert doc.description == "[OCR] 有机绿茶 [TEXT] green tea"
    assert doc.ranking_text == doc.description
    assert doc.metadata == {"brand": "Leaf"}


def test_long_export_keeps_two_runs_of_one_instruction_apart_and_reads_back(tmp_path):
    """Two runs with the same instruction/backend/model on one query: the long CSV names each
    (run_id, run_name), and reading it back gives two runs, not one with duplicate documents."""
    from workbench.model import Result, Run

    runs = [Run(instruction="same", backend="lexical", model_id="bm25", id=i, name=n, query_id="q1",
                scores=[Result(doc_id=d, score=s, rank=r) for r, (d, s) in enumerate(order, start=1)])
            for i, n, order in ((7, "first try", [("d1", 0.9), ("d2", 0.5)]),
                                (8, "second try", [("d2", 0.8), ("d1", 0.1)]))]
    df = formats.long_frame(runs)
    assert df.run_id.tolist() == [7, 7, 8, 8] and df.run_name.tolist()[::2] == ["first try", "second try"]
    path = tmp_path / "long.csv"
    formats.write_csv(df, path)
    back = formats.read_ranked_csv(path)
    assert len(back) == 2
    assert sorted(tuple(r.ranking()) for r in back) == [("d1", "d2"), ("d2", "d1")]
