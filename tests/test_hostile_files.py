"""Hostile candidate files, generated here: small files cannot take big resources, and
encodings never corrupt silently. Every case goes through the real `workbench import`
(in-process `main`, or a subprocess where memory is measured)."""

from __future__ import annotations

import io
import json
import os
import resource
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from workbench.cli import main
from workbench.store import Store

REPO = Path(__file__).resolve().parent.parent
HEADER = "query_id,query_text,query_image,doc_id,doc_text,doc_image\n"


def imported(session: str) -> dict[str, dict[str, str]]:
    """{query_id: {doc_id: text}} of what a session holds."""
    with Store() as store:
        out = {}
        for s in store.list_candidate_sets(session):
            cset = store.load_candidate_set(s.id)
            out[cset.query.id] = {d.id: d.text for d in cset.documents}
        return out


def run_import(path: Path, *extra: str, env: dict | None = None) -> tuple[int, str, str, float]:
    """`workbench import` in a subprocess: (rc, stdout, stderr, peak RSS MB of that process)."""
    code = ("import resource, subprocess, sys\n"
            "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
            "sys.stdout.write(p.stdout); sys.stderr.write(p.stderr)\n"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
            "sys.exit(p.returncode)\n")
    full = dict(os.environ, PYTHONPATH=str(REPO), **(env or {}))
    res = subprocess.run([sys.executable, "-c", code, sys.executable, "-m", "workbench", "import", str(path),
                          "--session", "s", *extra], env=full, capture_output=True, text=True, timeout=300)
    err_lines = res.stderr.rstrip().splitlines()
    return res.returncode, res.stdout, "\n".join(err_lines[:-1]), int(err_lines[-1]) / 1024


def png(path: Path, w: int = 40, h: int = 30, seed: int = 0) -> Path:
    arr = (np.random.RandomState(seed).rand(h, w, 3) * 255).astype("uint8")
    Image.fromarray(arr).save(path, format="PNG")
    return path


# ------------------------------------------------------------------ ZIP: bombs, CRC, extraction
def test_zip_bomb_is_stopped_by_ratio_while_streaming(tmp_path):
    bomb = tmp_path / "bomb.zip"
    row = b"q1,red shoes,,d1,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,\n"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("cands.csv", "w", force_zip64=True) as fh:
            fh.write(HEADER.encode())
            block = row * 20000
            for _ in range(400 * 2**20 // len(block)):          # 400 MB unpacked
                fh.write(block)
    assert bomb.stat().st_size < 2 * 2**20
    rc, out, err, rss = run_import(bomb)                                # defaults: stopped while streaming
    assert rc == 2, err
    assert "cands.csv" in err and "Traceback" not in err
    assert "WORKBENCH_MAX_TABLE_MB" in err or "WORKBENCH_MAX_ZIP_RATIO" in err
    assert rss < 400, f"peak RSS {rss:.0f} MB"                         # the 400 MB never reached memory
    home = Path(os.environ["WORKBENCH_HOME"])
    leftovers = [p for p in (home / "imports").rglob("*") if p.is_file()] if (home / "imports").exists() else []
    assert leftovers == []                                             # the temporary folder is gone
    # each limit on its own stops it, naming its own setting
    rc, out, err, rss = run_import(bomb, env={"WORKBENCH_MAX_TABLE_MB": "1000"})
    assert rc == 2 and "WORKBENCH_MAX_ZIP_RATIO" in err and "a 'ZIP bomb' shape" in err, err
    assert rss < 400
    rc, out, err, rss = run_import(bomb, env={"WORKBENCH_MAX_TABLE_MB": "1000", "WORKBENCH_MAX_ZIP_RATIO": "100000",
                                              "WORKBENCH_MAX_ZIP_MB": "20"})
    assert rc == 2 and "WORKBENCH_MAX_ZIP_MB" in err, err
    assert rss < 400


def test_zip_with_bad_crc_gets_a_clear_error(tmp_path, capsys):
    good = tmp_path / "good.zip"
    csv_bytes = (HEADER + "q1,shoes,,d1,red shoes,\n").encode()
    with zipfile.ZipFile(good, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("cands.csv", csv_bytes)
    data = bytearray(good.read_bytes())
    at = data.index(b"red shoes")
    data[at] = ord("R")                                   # same length, different bytes: CRC mismatch
    bad = tmp_path / "bad.zip"
    bad.write_bytes(bytes(data))
    assert main(["import", str(bad), "--session", "s"]) == 2
    err = capsys.readouterr().err
    assert "bad CRC" in err and "cands.csv" in err and "internal error" not in err


def test_zip_keeps_only_referenced_images_by_content_hash(tmp_path):
    folder = tmp_path / "src"
    (folder / "images").mkdir(parents=True)
    a, b = png(folder / "images" / "a.png", seed=1), png(folder / "images" / "b.png", seed=2)
    png(folder / "images" / "unused.png", seed=3)
    (folder / "notes.txt").write_text("not referenced " * 1000)
    (folder / "cands.csv").write_text(HEADER + "q1,shoes,,d1,red,images/a.png\nq1,shoes,,d2,blue,images/b.png\n"
                                      "q1,shoes,,d3,green,images/a.png\n", encoding="utf-8")
    zpath = tmp_path / "set.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for p in folder.rglob("*"):
            if p.is_file():
                zf.write(p, p.relative_to(folder).as_posix())
    assert main(["import", str(zpath), "--session", "z"]) == 0
    import hashlib

    home = Path(os.environ["WORKBENCH_HOME"])
    kept = sorted(p.relative_to(home / "imports").as_posix() for p in (home / "imports").rglob("*") if p.is_file())
    digests = {hashlib.sha256(p.read_bytes()).hexdigest() for p in (a, b)}
    assert kept == sorted(f"images/{d}.png" for d in digests)
    with Store() as store:
        cset = store.load_candidate_set(store.list_candidate_sets("z")[0].id)
        assert {d.image_hash for d in cset.documents} == digests
    # importing it again adds nothing (same hashes, same files)
    assert main(["import", str(zpath), "--session", "z"]) == 0
    assert sorted(p.relative_to(home / "imports").as_posix() for p in (home / "imports").rglob("*")
                  if p.is_file()) == kept


# ------------------------------------------------------------------ CSV sizes
def test_200kb_document_imports_and_oversized_field_names_the_setting(tmp_path, monkeypatch, capsys):
    long_doc = "word " * 40_000                                    # 200 KB
    src = tmp_path / "long.csv"
    src.write_text(HEADER + f"q1,shoes,,d1,\"{long_doc}\",\nq1,shoes,,d2,short,\n", encoding="utf-8")
    assert main(["import", str(src), "--session", "long"]) == 0
    assert len(imported("long")["q1"]["d1"]) == len(long_doc.strip())
    capsys.readouterr()
    monkeypatch.setenv("WORKBENCH_MAX_FIELD_MB", "0.1")
    assert main(["import", str(src), "--session", "long2"]) == 0
    out = capsys.readouterr().out
    assert "line 2" in out and "WORKBENCH_MAX_FIELD_MB" in out
    assert imported("long2") == {"q1": {"d2": "short"}}


def test_long_line_is_rejected_naming_the_setting_others_import(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WORKBENCH_MAX_LINE_MB", "1")
    src = tmp_path / "line.csv"
    fields = ",".join(["x" * 200_000] * 8)                          # 1.6 MB in one row, fields under the limit
    src.write_text("query_id,query_text,query_image,doc_id,doc_text,doc_image,m1,m2,m3,m4,m5,m6,m7,m8\n"
                   f"q1,shoes,,d1,ok,,{fields}\nq1,shoes,,d2,fine,,,,,,,,,\n", encoding="utf-8")
    assert main(["import", str(src), "--session", "ln"]) == 0
    out = capsys.readouterr().out
    assert "line 2" in out and "WORKBENCH_MAX_LINE_MB" in out
    assert list(imported("ln")["q1"]) == ["d2"]


def _wide(path: Path, n: int) -> Path:
    cols = ["query_id", "query_text", "query_image", "doc_id", "doc_text", "doc_image"]
    cols += [f"c{i}" for i in range(n - len(cols))]
    path.write_text(",".join(cols) + "\n" + ",".join(["q", "t", "", "d", "x", ""] + ["v"] * (n - 6)) + "\n",
                    encoding="utf-8")
    return path


def test_100k_column_header_is_checked_in_linear_time(tmp_path, monkeypatch, capsys):
    src = _wide(tmp_path / "wide.csv", 100_000)
    assert 0.7 * 2**20 < src.stat().st_size < 1.2 * 2**20
    t = time.perf_counter()
    assert main(["import", str(src), "--session", "w"]) == 2          # over the default column limit
    assert time.perf_counter() - t < 5
    err = capsys.readouterr().err
    assert "100,000" in err and "WORKBENCH_MAX_COLUMNS" in err and len(err) < 2000
    monkeypatch.setenv("WORKBENCH_MAX_COLUMNS", "200000")
    t = time.perf_counter()
    assert main(["import", str(src), "--session", "w"]) == 0          # allowed: imported, still fast
    assert time.perf_counter() - t < 5
    with Store() as store:
        cset = store.load_candidate_set(store.list_candidate_sets("w")[0].id)
        assert len(cset.documents[0].metadata) == 100_000 - 6


def test_100k_keys_and_many_duplicate_names_stay_linear(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_MAX_COLUMNS", "200000")
    row = {"query_id": "q", "query_text": "t", "query_image": "", "doc_id": "d", "doc_text": "x", "doc_image": ""}
    row.update({f"k{i}": i for i in range(100_000)})
    src = tmp_path / "keys.jsonl"
    src.write_text(json.dumps(row) + "\n", encoding="utf-8")
    t = time.perf_counter()
    assert main(["import", str(src), "--session", "k"]) == 0
    dup = tmp_path / "dup.csv"                                         # 50k unnamed/duplicate header cells
    dup.write_text("query_id,query_text,query_image,doc_id,doc_text,doc_image" + ",x" * 25_000 + "," * 25_000
                   + "\nq,t,,d,x," + ",1" * 50_000 + "\n", encoding="utf-8")
    assert main(["import", str(dup), "--session", "k2"]) == 0
    assert time.perf_counter() - t < 10


# ------------------------------------------------------------------ JSON depth
def test_deep_json_is_a_row_error_naming_the_setting(tmp_path, capsys):
    good = {"query_id": "q1", "query_text": "t", "query_image": "", "doc_id": "d1", "doc_text": "ok",
            "doc_image": ""}
    deep = dict(good, doc_id="d2", meta="PLACEHOLDER")
    line = json.dumps(deep).replace('"PLACEHOLDER"', "[" * 100_000 + "]" * 100_000)
    src = tmp_path / "deep.jsonl"
    src.write_text(json.dumps(good) + "\n" + line + "\n", encoding="utf-8")
    assert main(["import", str(src), "--session", "j"]) == 0
    out = capsys.readouterr().out
    assert "line 2" in out and "WORKBENCH_MAX_JSON_DEPTH" in out and "internal error" not in out
    assert list(imported("j")["q1"]) == ["d1"]
    arr = tmp_path / "deep.json"                                       # a JSON array file
    arr.write_text("[" + json.dumps(good) + ",\n" + line + "]", encoding="utf-8")
    rc = main(["import", str(arr), "--session", "j2"])
    captured = capsys.readouterr()
    assert rc in (0, 2) and "WORKBENCH_MAX_JSON_DEPTH" in captured.out + captured.err
    assert "internal error" not in captured.err
    huge = tmp_path / "huge.jsonl"                                     # a 5000-digit number
    huge.write_text(json.dumps(good) + "\n" + json.dumps(dict(good, doc_id="d2")).replace('"ok"', "9" * 5000)
                    + "\n", encoding="utf-8")
    assert main(["import", str(huge), "--session", "j3"]) == 0
    out = capsys.readouterr().out
    assert "line 2" in out and "4300 digits" in out and list(imported("j3")["q1"]) == ["d1"]


# ------------------------------------------------------------------ encodings
def test_mostly_utf8_file_keeps_utf8_and_rejects_only_bad_rows(tmp_path, capsys):
    rows = [HEADER.encode()]
    rows += [f"q1,café,,d{i},crème brûlée {i},\n".encode() for i in range(8)]
    rows.insert(4, b"q1,caf\xe9,,bad1,latin-1 row,\n")                # line 5: a Latin-1 byte
    rows.insert(7, b"q1,x,,bad2,\xff\xfe broken,\n")                   # line 8
    src = tmp_path / "mixed.csv"
    src.write_bytes(b"".join(rows))
    assert main(["import", str(src), "--session", "m"]) == 0
    out = capsys.readouterr().out
    assert "line 5:" in out and "line 8:" in out and "not UTF-8 (byte 0xe9" in out
    got = imported("m")["q1"]
    assert sorted(got) == [f"d{i}" for i in range(8)]
    assert got["d0"] == "crème brûlée 0"
    with Store() as store:
        assert store.get_set(store.list_candidate_sets("m")[0].id).query_text == "café"


def test_legacy_codec_is_reported_with_a_sample_and_can_be_overridden(tmp_path, capsys):
    src = tmp_path / "gbk.csv"
    src.write_bytes((HEADER + "q1,深蓝色牛仔夹克,,d1,牛仔夹克 深蓝,\nq1,深蓝色牛仔夹克,,d2,保温杯,\n").encode("gbk"))
    assert main(["import", str(src), "--session", "g"]) == 0
    out = capsys.readouterr().out
    assert "gbk" in out.lower() and "深蓝色牛仔夹克" in out and "--encoding" in out
    assert imported("g")["q1"]["d1"] == "牛仔夹克 深蓝"
    assert main(["import", str(src), "--session", "g2", "--encoding", "latin-1"]) == 0   # the override is obeyed


@pytest.mark.parametrize("codec", ["base64", "zlib", "rot13", "hex", "bz2"])
def test_non_text_codecs_are_refused_clearly(tmp_path, codec, capsys):
    src = tmp_path / "c.csv"
    src.write_text(HEADER + "q1,t,,d1,x,\n", encoding="utf-8")
    assert main(["import", str(src), "--session", "c", "--encoding", codec]) == 2
    err = capsys.readouterr().err
    assert "not a text encoding" in err and "internal error" not in err


def test_nul_bytes_rejected_in_ids_removed_from_text(tmp_path, capsys):
    src = tmp_path / "nul.csv"
    src.write_bytes(HEADER.encode() + b"q1,sho\x00es,,d1,red\x00 shoes,\nq1,shoes,,d\x002,x,\n"
                    b"q1,shoes,,d3,blue,im\x00g.png\n")
    assert main(["import", str(src), "--session", "n"]) == 0
    out = capsys.readouterr().out
    assert "line 3" in out and "NUL" in out and "line 4" in out
    assert "removed" in out and "NUL" in out
    got = imported("n")
    assert got == {"q1": {"d1": "red shoes"}}
    with Store() as store:
        assert store.get_set(store.list_candidate_sets("n")[0].id).query_text == "shoes"
    lone = tmp_path / "surrogate.jsonl"                                # a lone surrogate from JSON
    lone.write_text('{"query_id": "q", "query_text": "t", "query_image": "", "doc_id": "d", '
                    '"doc_text": "bad \\ud800 text", "doc_image": ""}\n', encoding="utf-8")
    assert main(["import", str(lone), "--session", "n2"]) == 0


# ------------------------------------------------------------------ images
def test_junk_after_image_stores_only_the_image(tmp_path, capsys):
    folder = tmp_path / "set"
    folder.mkdir()
    img = png(folder / "a.png")
    size = img.stat().st_size
    with open(img, "r+b") as fh:                                       # 300 MB of junk after IEND (sparse)
        fh.seek(300 * 2**20)
        fh.write(b"junk")
    jpg = folder / "b.jpg"
    Image.fromarray((np.random.RandomState(5).rand(30, 40, 3) * 255).astype("uint8")).save(jpg, "JPEG")
    jsize = jpg.stat().st_size
    with open(jpg, "ab") as fh:
        fh.write(os.urandom(2 * 2**20))
    (folder / "c.csv").write_text(HEADER + "q1,t,,d1,x,a.png\nq1,t,,d2,y,b.jpg\n", encoding="utf-8")
    assert main(["import", str(folder / "c.csv"), "--session", "img"]) == 0
    out = capsys.readouterr().out
    assert "only the image was kept" in out
    con = sqlite3.connect(os.environ["WORKBENCH_DB"])
    sizes = sorted(r[0] for r in con.execute("SELECT length(bytes) FROM images"))
    con.close()
    assert sizes == sorted([size, jsize])


def test_image_too_big_rejects_only_its_row(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WORKBENCH_MAX_IMAGE_MB", "1")
    folder = tmp_path / "set"
    folder.mkdir()
    png(folder / "big.png", 900, 700, seed=1)                          # ~1.9 MB of noise
    png(folder / "small.png")
    assert (folder / "big.png").stat().st_size > 2**20
    (folder / "c.csv").write_text(HEADER + "q1,t,,d1,x,big.png\nq1,t,,d2,y,small.png\n", encoding="utf-8")
    assert main(["import", str(folder / "c.csv"), "--session", "big"]) == 0
    out = capsys.readouterr().out
    assert "big.png" in out and "WORKBENCH_MAX_IMAGE_MB" in out and "move" not in out.lower()
    assert list(imported("big")["q1"]) == ["d2"]


def test_zip_images_junk_cut_and_oversized_rejected_per_row(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WORKBENCH_MAX_IMAGE_MB", "1")
    folder = tmp_path / "src"
    folder.mkdir()
    small = png(folder / "small.png")
    small_bytes = small.read_bytes()
    with open(small, "ab") as fh:
        fh.write(os.urandom(3 * 2**20))                               # 3 MB of junk after IEND
    png(folder / "big.png", 900, 700, seed=1)                          # a real ~1.9 MB image
    (folder / "c.csv").write_text(HEADER + "q1,t,,d1,x,small.png\nq1,t,,d2,y,big.png\nq1,t,,d3,z,\n",
                                  encoding="utf-8")
    zpath = tmp_path / "set.zip"
    with zipfile.ZipFile(zpath, "w", compression=zipfile.ZIP_STORED) as zf:
        for p in folder.iterdir():
            zf.write(p, p.name)
    assert main(["import", str(zpath), "--session", "zi"]) == 0
    out = capsys.readouterr().out
    assert "only the image was kept" in out and "big.png" in out and "WORKBENCH_MAX_IMAGE_MB" in out
    assert sorted(imported("zi")["q1"]) == ["d1", "d3"]
    con = sqlite3.connect(os.environ["WORKBENCH_DB"])
    assert [bytes(r[0]) for r in con.execute("SELECT bytes FROM images")] == [small_bytes]
    con.close()
