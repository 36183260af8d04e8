"""Regenerate the io test files (the outputs are committed; tests read them, never this script).

    .venv/bin/python tests/data/io/make_files.py

good_*.csv   the same Chinese candidate set in utf-8, utf-8 with BOM, utf-16 and gbk
bad_*.csv    each holds valid rows plus bad ones at known lines (see tests/test_io.py)
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import zipfile
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
HEADER = ["query_id", "query_text", "query_image", "doc_id", "doc_text", "doc_image", "label", "first_stage_score", "品牌"]
Q = ["q1", "牛仔夹克 男款", ""]
GOOD = [
    Q + ["d1", "深蓝色修身牛仔夹克，水洗做旧，金属纽扣", "", "2", "0.9", "李维斯"],
    Q + ["d2", "卡其色工装夹克，多口袋，纯棉", "", "0", "0.4", "无印"],
    Q + ["d3", "浅蓝色宽松牛仔衬衫，落肩，可当外套穿", "", "1", "", ""],
    ["q2", "连衣裙", "", "d1", "碎花连衣裙，雪纺，夏季", "", "2", "0.7", ""],
]


def csv_text(rows: list[list[str]], header: list[str] = HEADER) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def put(name: str, text: str, encoding: str = "utf-8") -> None:
    (HERE / name).write_bytes(text.encode(encoding))


def images() -> None:
    img = HERE / "images"
    img.mkdir(exist_ok=True)
    Image.new("RGB", (64, 48), (40, 80, 160)).save(img / "ok.jpg", "JPEG")
    Image.new("RGB", (32, 32), (200, 30, 30)).save(img / "ok.png", "PNG")
    full = (img / "ok.jpg").read_bytes()
    (img / "truncated.jpg").write_bytes(full[: len(full) // 2])
    (img / "empty.png").write_bytes(b"")
    (img / "text.png").write_text("this is not an image\n", encoding="utf-8")


def main() -> None:
    images()
    good = csv_text(GOOD)
    put("good_utf8.csv", good)
    put("good_utf8_bom.csv", good, "utf-8-sig")
    put("good_utf16.csv", good, "utf-16")
    put("good_gbk.csv", good, "gbk")
    with_images = csv_text([
        ["q1", "blue jacket", "images/ok.jpg", "d1", "", "images/ok.png", "2", "", ""],
        ["q1", "blue jacket", "images/ok.jpg", "d2", "a red square", "images\\ok.png", "0", "", ""],
        ["q1", "blue jacket", "images/ok.jpg", "d3", "text only", "", "", "", ""],
    ])
    put("good_images.csv", with_images)
    put("good.jsonl", "".join(json.dumps(dict(zip(HEADER, r)), ensure_ascii=False) + "\n" for r in GOOD[:3])
        + "\n" + json.dumps({"query_id": "q2", "query_text": "连衣裙", "query_image": None, "doc_id": "d9",
                            "doc_text": "碎花连衣裙", "doc_image": None, "label": 2, "color": "红"},
                           ensure_ascii=False) + "\n")

    # ---- bad files: the first rows are valid, the bad ones are at the lines the tests name
    put("bad_ragged.csv", good.replace("无印\n", "无印\nq1,牛仔夹克 男款,,d4,缺列\n", 1)
        + "q1,牛仔夹克 男款,,d5,多列,,1,0.5,x,EXTRA\n")                          # lines 4 (short), 7 (long)
    put("bad_missing_column.csv", csv_text([r[:5] + r[6:] for r in GOOD],
                                           [h for h in HEADER if h != "doc_image"]))
    put("bad_empty_query.csv", csv_text(GOOD[:2] + [["q3", "", "", "d1", "文本", "", "", "", ""]]))  # line 4
    put("bad_doc_empty.csv", csv_text(GOOD[:2] + [Q + ["d7", "  ", "", "1", "", ""]]))               # line 4
    put("bad_duplicate.csv", csv_text(GOOD[:3] + [Q + ["d2", "另一件夹克", "", "1", "", ""]]))     # line 5
    put("bad_path_dotdot.csv", csv_text(GOOD[:2] + [Q + ["d8", "x", "../outside.jpg", "", "", ""],
                                                     Q + ["d9", "x", "images/../../x.jpg", "", "", ""]]))  # 4, 5
    put("bad_path_absolute.csv", csv_text(GOOD[:2] + [Q + ["d8", "x", "/etc/passwd", "", "", ""],
                                                       Q + ["d9", "x", "C:\\photos\\a.jpg", "", "", ""]]))  # 4, 5
    put("bad_missing_image.csv", csv_text(GOOD[:2] + [Q + ["d5", "", "images/nope.jpg", "", "", ""]]))  # 4
    put("bad_broken_image.csv", csv_text(GOOD[:2] + [Q + ["d5", "", "images/truncated.jpg", "", "", ""],
                                                      Q + ["d6", "", "images/empty.png", "", "", ""],
                                                      Q + ["d7", "x", "images/text.png", "", "", ""]]))  # 4, 5, 6
    put("bad_label.csv", csv_text(GOOD[:2] + [Q + ["d5", "x", "", "3", "", ""],
                                               Q + ["d6", "y", "", "yes", "", ""]]))                     # 4, 5
    put("bad_score.csv", csv_text(GOOD[:2] + [Q + ["d5", "x", "", "", "high", ""]]))                   # 4
    put("bad_query_conflict.csv", csv_text(GOOD[:2] + [["q1", "另一个查询", "", "d5", "x", "", "", "", ""]]))  # 4
    put("bad_all_rows.csv", csv_text([["q1", "", "", "d1", "x", "", "", "", ""],
                                      ["q1", "查询", "", "d2", "", "", "", "", ""]]))
    put("bad_quote.csv", good + 'q1,牛仔夹克 男款,,d6,"unclosed quote,,,,\n')                            # line 6
    (HERE / "bad_binary.csv").write_bytes(bytes(range(256)) * 8)
    put("bad_sheet.xlsx", "not really a spreadsheet")

    # ---- ZIPs: a good one, and a zip-slip one (entries escaping the folder) with good rows too
    zrows = csv_text([
        ["q1", "blue jacket", "images/ok.jpg", "d1", "", "images/ok.png", "2", "", ""],
        ["q1", "blue jacket", "images/ok.jpg", "d2", "蓝色夹克", "", "1", "", ""],
    ])
    with zipfile.ZipFile(HERE / "good.zip", "w") as z:
        z.writestr("set/candidates.csv", zrows.encode("gbk"))
        z.write(HERE / "images" / "ok.jpg", "set/images/ok.jpg")
        z.write(HERE / "images" / "ok.png", "set/images/ok.png")
        z.writestr("__MACOSX/set/._candidates.csv", b"junk")
    with zipfile.ZipFile(HERE / "bad_zipslip.zip", "w") as z:
        z.writestr("candidates.csv", zrows + "q1,blue jacket,images/ok.jpg,d3,,../evil.png,,,\n")   # line 4
        z.write(HERE / "images" / "ok.jpg", "images/ok.jpg")
        z.write(HERE / "images" / "ok.png", "images/ok.png")
        z.write(HERE / "images" / "ok.png", "../evil.png")
        z.writestr(zipfile.ZipInfo("/tmp/abs_evil.png"), (HERE / "images" / "ok.png").read_bytes())

    # ---- a folder of images (one broken, one non-image file, one in a sub-folder)
    folder = HERE / "folder"
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "sub").mkdir(parents=True)
    shutil.copy(HERE / "images" / "ok.jpg", folder / "a.jpg")
    shutil.copy(HERE / "images" / "ok.png", folder / "b.png")
    shutil.copy(HERE / "images" / "ok.jpg", folder / "sub" / "c.jpg")
    shutil.copy(HERE / "images" / "truncated.jpg", folder / "broken.jpg")
    (folder / "notes.txt").write_text("not an image", encoding="utf-8")

    # ---- ranked results from another system
    put("ranked_other.csv", "query_id,doc_id,score,model\nq1,d1,0.2,other-v1\nq1,d2,0.9,other-v1\n"
        "q1,d3,0.5,other-v1\nq2,d1,1.0,other-v1\n")
    put("ranked_rank_only.csv", "query_id,doc_id,rank\nq1,d3,2\nq1,d1,1\nq1,d2,3\n")
    put("ranked_bad.csv", "query_id,doc_id,score\nq1,d1,0.5\nq1,d2,abc\nq1,d1,0.7\n")   # line 3 score, 4 dup


if __name__ == "__main__":
    main()
    print("written under", HERE)
