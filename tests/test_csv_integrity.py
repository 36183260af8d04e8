"""Nothing invented, nothing garbled (issue 21): generated CSV files whose every accepted row must
come back exactly as written, and whose every other row is reported with its line.

  1. a quoted field over the field limit rejects its row; reading goes on after the field
  2. UTF-8 rows in a GBK file are rejected with line and byte, not stored garbled
  3. any mix of CR, LF and CRLF row endings (old Mac, spreadsheets)
  4. UTF-16 LE/BE without a BOM; no control byte ever printed in a message
  5. a cell of NUL bytes rejects its row, the rest imports
  and a property test: seeded random CSVs written by Python's csv module, read back.

Every case goes through the real import (`workbench import` in-process, or
`formats.read_candidates`). `make_long_quoted_field(folder, mb)` is the issue's file, reusable
by bench/hostile.py.
"""

from __future__ import annotations

import csv
import io
import random
import re
import time
from pathlib import Path

import pytest

from workbench import formats
from workbench.cli import main
from workbench.errors import NothingImported
from workbench.store import Store

HEADER = "query_id,query_text,query_image,doc_id,doc_text,doc_image\n"
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
LINE_BREAK = re.compile(r"\r\n|\r|\n")          # the oracle's own: an editor's line count


def make_long_quoted_field(folder: str | Path, mb: float = 25, *, closed: bool = True) -> Path:
    """The issue's file: line 2 a real row (d1); line 3 starts row d2 whose doc_text is one quoted
    field of `mb` MB over many lines, each of which looks like a CSV row of 7 other query ids
    (x0..x6); then the 2 real rows d3 and d4. `closed=False`: the quote is never closed (and the
    last two rows are inside it). Returns the path (long_quoted.csv)."""
    path = Path(folder) / ("long_quoted.csv" if closed else "long_unclosed.csv")
    pad = "lorem ipsum dolor sit amet " * 18
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(HEADER + "q1,red shoes,,d1,first real row,\n")
        fh.write('q1,red shoes,,d2,"a quoted text that goes on\n')
        written, i = 0, 0
        while written < mb * 2**20:
            line = f"x{i % 7},inner query {i % 7},,inner{i},{pad},\n"
            fh.write(line)
            written += len(line)
            i += 1
        fh.write('end of the quoted text",\n' if closed else "end of the text, no closing quote,\n")
        fh.write("q1,red shoes,,d3,real row after,\nq1,red shoes,,d4,last real row,\n")
    return path


def imported(session: str) -> dict[str, dict[str, str]]:
    """{query_id: {doc_id: text}} of what a session holds."""
    with Store() as store:
        out = {}
        for s in store.list_candidate_sets(session):
            cset = store.load_candidate_set(s.id)
            out[cset.query.id] = {d.id: d.text for d in cset.documents}
        return out


def lines_of(text: str) -> int:
    """Lines an editor shows before `text` ends (CRLF, CR and LF each end one)."""
    return len(LINE_BREAK.findall(text))


# ------------------------------------------------------------------ 1. a field over the limit
def test_long_quoted_field_is_one_rejected_row_and_reading_resumes_after_it(tmp_path, capsys):
    src = make_long_quoted_field(tmp_path, 25)                     # the 25 MB field, default 16 MB limit
    t0 = time.perf_counter()
    assert main(["import", str(src), "--session", "lq"]) == 0
    took = time.perf_counter() - t0
    out = capsys.readouterr().out
    got = imported("lq")
    assert got == {"q1": {"d1": "first real row", "d3": "real row after", "d4": "last real row"}}, list(got)
    assert out.count("Rejected 1 row(s)") == 1
    assert "line 3, column 'doc_text'" in out and "25.0 MB" in out and "WORKBENCH_MAX_FIELD_MB" in out
    last = 3 + src.read_text(encoding="utf-8").split('"')[1].count("\n")
    assert f"up to line {last:,}" in out                              # the field's own last line
    assert took < 30


def test_a_raised_field_limit_imports_the_long_field_whole(tmp_path, monkeypatch, capsys):
    src = make_long_quoted_field(tmp_path, 0.3)
    monkeypatch.setenv("WORKBENCH_MAX_FIELD_MB", "0.1")
    assert main(["import", str(src), "--session", "a"]) == 0
    assert "WORKBENCH_MAX_FIELD_MB" in capsys.readouterr().out and sorted(imported("a")["q1"]) == ["d1", "d3", "d4"]
    monkeypatch.setenv("WORKBENCH_MAX_FIELD_MB", "1")
    assert main(["import", str(src), "--session", "b"]) == 0
    got = imported("b")
    assert list(got) == ["q1"] and sorted(got["q1"]) == ["d1", "d2", "d3", "d4"]
    assert got["q1"]["d2"] == src.read_text(encoding="utf-8").split('"')[1].strip()


def test_a_quote_never_closed_rejects_the_rest_of_the_file_as_one_row(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WORKBENCH_MAX_FIELD_MB", "0.1")
    src = make_long_quoted_field(tmp_path, 0.3, closed=False)
    assert main(["import", str(src), "--session", "u"]) == 0
    out = capsys.readouterr().out
    assert imported("u") == {"q1": {"d1": "first real row"}}         # nothing from inside the field
    total = lines_of(src.read_text(encoding="utf-8"))
    assert "line 3, column 'doc_text'" in out and f"lines 3–{total:,}" in out and "never closed" in out
    # under the limit, csv.reader would read the open quote to the end as one value: refused too
    small = tmp_path / "open.csv"
    small.write_text("query_id,query_text,query_image,doc_id,doc_text,doc_image,note\n"
                     'q1,shoes,,d1,fine,,\nq1,shoes,,d2,ok,,"open quote\nq1,shoes,,d3,swallowed,,\n', encoding="utf-8")
    assert main(["import", str(small), "--session", "u2"]) == 0
    out = capsys.readouterr().out
    assert imported("u2") == {"q1": {"d1": "fine"}}
    assert "line 3, column 'note'" in out and "never closed" in out and "lines 3–4" in out


def test_a_line_over_the_row_limit_inside_a_quoted_field_does_not_shift_the_rows(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WORKBENCH_MAX_LINE_MB", "0.05")
    monkeypatch.setenv("WORKBENCH_MAX_FIELD_MB", "1")
    src = tmp_path / "longline.csv"
    long_line = "y" * 80_000                                        # over the row limit, holds the closing quote
    src.write_text(HEADER + 'q1,shoes,,d1,"starts here\n' + long_line + '",\n'
                   'q1,shoes,,d2,"after ""it""",\nx9,inner,,e1,"not a row\nq1,shoes,,zz,no",\n', encoding="utf-8")
    assert main(["import", str(src), "--session", "ll"]) == 0
    out = capsys.readouterr().out
    assert "line 2" in out and "WORKBENCH_MAX_LINE_MB" in out
    assert imported("ll") == {"q1": {"d2": 'after "it"'}, "x9": {"e1": "not a row\nq1,shoes,,zz,no"}}


# ------------------------------------------------------------------ 2. UTF-8 rows in a GBK file
def test_utf8_rows_in_a_gbk_file_are_rejected_with_line_and_byte_never_garbled(tmp_path, capsys):
    rows = [HEADER.encode("gbk")]
    rows += [f"q1,深蓝色牛仔夹克,,d{i},牛仔夹克 深蓝 第{i}件,\n".encode("gbk") for i in range(12)]
    rows.insert(4, "q1,深蓝色牛仔夹克,,u1,中文查询,\n".encode("utf-8"))               # line 5
    rows.insert(9, 'q1,深蓝色牛仔夹克,,u2,"第一行\n'.encode("gbk") + "中文查询 第二行\",\n".encode("utf-8"))  # 10-11
    src = tmp_path / "gbk_mixed.csv"
    src.write_bytes(b"".join(rows))
    assert "中文查询".encode("utf-8").decode("gb18030").startswith("涓")                # what used to be stored
    out_csv = tmp_path / "rejected.csv"
    assert main(["import", str(src), "--session", "g", "--rejected-out", str(out_csv)]) == 0
    out = capsys.readouterr().out
    got = imported("g")
    assert got == {"q1": {f"d{i}": f"牛仔夹克 深蓝 第{i}件" for i in range(12)}}
    assert "涓" not in out and "鏌" not in out
    assert "line 5: the row is UTF-8 (it reads 'q1,深蓝色牛仔夹克,,u1,中文查询,')" in out
    assert "not GBK like the rest of the file (byte 0xe6 at character 4)" in out
    assert "line 10: line 11 of the row is UTF-8" in out
    assert "except 2 line(s) (5, 11) whose bytes are UTF-8" in out
    assert "line 2 reads: 'q1,深蓝色牛仔夹克,,d0" in out                          # the sample is a GBK line
    report = out_csv.read_bytes().decode("utf-8")
    assert "中文查询" in report and "涓" not in report                             # the rejected rows, readable
    with Store() as store:
        every = [d.text for s in store.list_candidate_sets("g") for d in store.load_candidate_set(s.id).documents]
    assert not any("涓" in x or "鏌" in x for x in every)


def test_a_gbk_line_that_is_also_valid_utf8_stays_gbk_when_it_reads_no_better(tmp_path):
    src = tmp_path / "gbk.csv"
    src.write_bytes((HEADER + "q1,深蓝色牛仔夹克,,d1,贸,\nq1,深蓝色牛仔夹克,,d2,牛仔夹克 深蓝,\n").encode("gbk"))
    assert "贸".encode("gbk").decode("utf-8") == "ó"                           # valid UTF-8 too
    res = formats.read_candidates(src)
    assert res.encoding == "gbk" and res.rejected == []
    assert {d.id: d.text for d in res.sets[0].documents} == {"d1": "贸", "d2": "牛仔夹克 深蓝"}


# ------------------------------------------------------------------ 3. CR / LF / CRLF mixes
@pytest.mark.parametrize("seed", range(4))
def test_every_mix_of_cr_lf_and_crlf_keeps_every_row(tmp_path, seed, capsys):
    rnd = random.Random(seed)
    text, expect_lines = "", {}
    for i, row in enumerate([HEADER.rstrip("\n")] + [f"q1,shoes,,d{i},text {i}," for i in range(20)]):
        if i == 7:
            row = "q1,shoes,,,no id here,"                                   # a row to be rejected
        if i == 12:
            row = 'q1,shoes,,d11,"two' + rnd.choice(["\r", "\n", "\r\n"]) + 'lines",'
        expect_lines[i] = lines_of(text) + 1
        text += row + rnd.choice(["\r", "\n", "\r\n"])
    src = tmp_path / "eol.csv"
    src.write_bytes(text.encode())
    assert main(["import", str(src), "--session", "e"]) == 0
    out = capsys.readouterr().out
    got = imported("e")["q1"]
    assert sorted(got) == sorted(f"d{i}" for i in range(20) if i != 6)
    assert got["d11"].replace("\r\n", "\n").replace("\r", "\n") == "two\nlines"
    assert "Rejected 1 row(s)" in out and f"line {expect_lines[7]}, column 'doc_id'" in out


def test_cr_only_file_with_a_line_break_inside_quotes(tmp_path):
    src = tmp_path / "mac.csv"
    src.write_bytes((HEADER + 'q1,shoes,,d1,"two\nlines",\nq1,shoes,,d2,plain,\n').replace("\n", "\r").encode())
    res = formats.read_candidates(src)
    assert res.rejected == [] and {d.id: d.text for d in res.sets[0].documents} == {"d1": "two\rlines", "d2": "plain"}
    jsonl = tmp_path / "mixed.jsonl"                                        # JSONL lines end the same way
    rows = [f'{{"query_id": "q1", "query_text": "t", "doc_id": "d{i}", "doc_text": "x {i}"}}' for i in range(6)]
    jsonl.write_bytes((rows[0] + "\r" + rows[1] + "\n" + rows[2] + "\r\n" + "{bad\r" + rows[4] + "\r" + rows[5]).encode())
    res = formats.read_candidates(jsonl)
    assert [d.id for d in res.sets[0].documents] == ["d0", "d1", "d2", "d4", "d5"]
    assert [e.line for e in res.rejected] == [4]


# ------------------------------------------------------------------ 4. UTF-16 without a BOM, control bytes
@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_mostly_chinese_is_detected(tmp_path, codec, capsys):
    body = HEADER + "".join(f"q1,一件深蓝色牛仔夹克配白色衬衫,,d{i},一件深蓝色的牛仔夹克，配白色衬衫和一条裤子。第{i}件,\n"
                            for i in range(30))
    src = tmp_path / "wide.csv"
    src.write_bytes(body.encode(codec))
    assert main(["import", str(src), "--session", "w"]) == 0
    captured = capsys.readouterr()
    assert "\x00" not in captured.out + captured.err and f"encoding {codec}" in captured.out
    got = imported("w")
    assert got["q1"]["d7"] == "一件深蓝色的牛仔夹克，配白色衬衫和一条裤子。第7件" and len(got["q1"]) == 30


def test_no_message_prints_control_bytes(tmp_path, capsys):
    src = tmp_path / "ctrl.csv"
    src.write_bytes(b"qu\x00ery\x1b[31m_id,x\x07\nq1,2\n")
    assert main(["import", str(src), "--session", "c"]) == 2
    err = capsys.readouterr().err
    assert "lacks the required column" in err and not CONTROL.search(err.replace("\n", "").replace("\t", ""))
    assert "qu\\x00ery\\x1b[31m_id" in err                                 # shown, escaped
    src.write_bytes(b"query_id,query_text,query_image,doc_id,doc_text,doc_image,n\x1bote\n"
                    b"q\x1b[2J1,t,,d1,x,,1\nq1,t,,d2,y,,1,2\n")
    assert main(["import", str(src), "--session", "c2"]) == 0
    out = capsys.readouterr().out
    assert "line 3" in out and not CONTROL.search(out.replace("\n", "").replace("\t", ""))
    assert "query 'q\\x1b[2J1'" in out                                     # the id as imported, escaped


# ------------------------------------------------------------------ 5. NUL bytes
def test_a_cell_of_nul_bytes_rejects_its_row_and_keeps_the_rest(tmp_path, capsys):
    src = tmp_path / "nul.csv"
    src.write_bytes((HEADER + "q1,shoes,,d1,ok,\nq1,shoes,,d2," + "\x00" * 3000 + ",\n"
                     + "".join(f"q1,shoes,,d{i},fine {i},\n" for i in range(3, 30))).encode())
    assert main(["import", str(src), "--session", "n"]) == 0
    captured = capsys.readouterr()
    out = captured.out
    assert "line 3, column 'doc_text': this cell holds 3,000 NUL bytes" in out and "How to fix:" in out
    assert "\x00" not in out + captured.err
    assert sorted(imported("n")["q1"]) == sorted(["d1"] + [f"d{i}" for i in range(3, 30)])
    res = formats.read_candidates(src)                                      # the report keeps the row, readable
    assert "\x00" not in res.rejected_csv().decode("utf-8") and "\\0×3000" in res.rejected_csv().decode("utf-8")


# ------------------------------------------------------------------ property: random CSVs round-trip
COMMON = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定"
PIECES = ["shoes", "red", "a, b", 'say "hi"', '"', ",", "x" * 30, " mid space ", "中文", "牛仔夹克", "，。", "\n",
          "\r\n", "\r", "\t", "é", "ü", "🙂", "'", ";"]
CJK_PIECES = ["shoes", "a, b", 'say "hi"', '"', ",", "中文", "牛仔夹克", "，。", "\n", "\r\n", "\r", "\t", "深蓝 色"]


def _text(rnd: random.Random, pieces: list[str], nul: bool) -> str:
    parts = [rnd.choice(pieces) for _ in range(rnd.randint(1, 6))]
    if rnd.random() < 0.5:
        parts.append("".join(rnd.choice(COMMON) for _ in range(rnd.randint(1, 8))))
    if nul and rnd.random() < 0.25:
        parts.insert(rnd.randint(0, len(parts)), "\x00" * rnd.choice([1, 2, 5, 40]))
    body = "".join(parts).strip(" \t\r\n")
    return "w" + body + "z"                             # never blank, no space to strip at either end


def _written(row: list[str], ending: str) -> str:
    """One row as the csv module writes it, ending in `ending`. The writer quotes a field that holds
    a character of its line terminator: written with "\r\n", every field holding a CR or an LF is
    quoted, as spreadsheets do (with lineterminator="\r" it would leave an LF unquoted, and an
    editor would show two lines)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(row)
    return buf.getvalue()[:-2] + ending


def _case(seed: int, folder: Path) -> tuple[Path, str, dict, dict[int, str], str]:
    """A random CSV written by the csv module: (path, encoding, {line: expected row}, {line: why rejected},
    text of the long field marker)."""
    rnd = random.Random(seed)
    encoding = rnd.choice(["utf-8", "utf-8-sig", "gb18030", "utf-16", "utf-16-le", "utf-16-be"])
    pieces = CJK_PIECES if encoding == "gb18030" else PIECES
    nul = encoding != "gb18030" or rnd.random() < 0.5
    queries = {f"q{k}{rnd.choice(['', '中', ',x', ' y'])}": _text(rnd, pieces, False) for k in range(rnd.randint(1, 3))}
    names = ["query_id", "query_text", "query_image", "doc_id", "doc_text", "doc_image", "note"]
    text = ""
    text += _written(names, rnd.choice(["\n", "\r\n", "\r"]))
    accepted: dict[int, dict] = {}
    rejected: dict[int, str] = {}
    for i in range(rnd.randint(1, 10)):
        qid = rnd.choice(list(queries))
        did = f"d{i}" + rnd.choice(["", '"x"', ",y", "中"])
        if nul and rnd.random() < 0.08:
            did += "\x00"
        doc = _text(rnd, pieces, nul)
        note = _text(rnd, pieces, nul) if rnd.random() < 0.5 else ""
        long_field = rnd.random() < 0.08
        if long_field:                                   # over the 0.002 MB test limit, its lines look like rows
            doc = '"' + "".join(f"x{k},inner,,e{k},{'pad ' * 8},\n" for k in range(80))
        row = [qid, queries[qid], "", did, doc, "", note]
        line = lines_of(text) + 1
        text += _written(row, rnd.choice(["\n", "\r\n", "\r"]))
        if long_field:
            rejected[line] = "field"
        elif "\x00" in did:
            rejected[line] = "NUL"
        elif any(v.count("\x00") >= 4 for v in (doc, note)):
            rejected[line] = "NUL"
        else:
            accepted[line] = {"qid": qid, "qtext": queries[qid].replace("\x00", ""), "did": did,
                              "doc": doc.replace("\x00", "").strip(), "note": note.replace("\x00", "")}
    path = folder / f"case{seed}.csv"
    path.write_bytes(text.encode(encoding))
    return path, encoding, accepted, rejected, text


def test_random_csvs_written_by_the_csv_module_read_back_exactly(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_MAX_FIELD_MB", "0.002")                  # 2,097 characters: long fields are cheap
    t0 = time.perf_counter()
    seen = {"accepted": 0, "rejected": 0, "encodings": set()}
    for seed in range(500):
        path, encoding, accepted, rejected, _text_written = _case(seed, tmp_path)
        try:
            res = formats.read_candidates(path)
            sets, errors = res.sets, res.rejected
        except NothingImported as err:
            sets, errors = [], err.result.rejected
        got = {}
        for cset in sets:
            for d in cset.documents:
                got[(cset.query.id, d.id)] = (cset.query.text, d.text, d.metadata.get("note", ""))
        want = {(r["qid"].strip(), r["did"].strip()): (r["qtext"].strip(), r["doc"], r["note"])
                for r in accepted.values()}
        assert got == want, (seed, encoding, [str(e) for e in errors])
        why = {e.line: str(e) for e in errors}
        assert sorted(why) == sorted(rejected), (seed, encoding, why, rejected)
        for line, kind in rejected.items():
            assert ("WORKBENCH_MAX_FIELD_MB" if kind == "field" else "NUL") in why[line], (seed, why[line])
        seen["accepted"] += len(accepted)
        seen["rejected"] += len(rejected)
        seen["encodings"].add(encoding)
    assert seen["accepted"] > 1500 and seen["rejected"] > 50 and len(seen["encodings"]) == 6
    assert time.perf_counter() - t0 < 45


def test_where_a_record_ends_agrees_with_csv_reader_on_hostile_text():
    """`scan_record` decides where reading resumes after a row csv.reader could not read; on random
    text full of stray quotes, text after closing quotes and CR/LF mixes it must find the same
    record ends and field lengths as csv.reader."""
    from workbench.formats.tables import _Lines, scan_record

    alphabet = ["a", "b", ",", '"', '""', "\n", "\r", "\r\n", "中", " "]
    rnd = random.Random(21)
    for case in range(3000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 40)))
        lines = _Lines(text, 1 << 20)
        reader = csv.reader(lines)
        pos = 0
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                break
            end, sizes, unclosed = scan_record(text, pos, ",")
            assert end == lines.pos, (case, text, pos)
            if fields:
                assert sizes == [len(f) for f in fields], (case, text, pos, fields)
            if unclosed is not None:
                assert end == len(text)
            assert lines.count == lines_of(text[:end]) + (0 if LINE_BREAK.match(text[end - 1:end]) else 1)
            pos = end
