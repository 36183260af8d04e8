"""Coded library errors (issue 15): real errors of the import, image, OCR-settings, store and service
code carry a stable code, keep their English text for the CLI, and read in Chinese in the app."""

from __future__ import annotations

import ast
import re
import zipfile
from pathlib import Path

import pytest

from workbench import formats, i18n, service
from workbench.errors import (EncodingError, InputError, NotAnImage, NotFound, NothingImported, OCRError,
                              StoreError)
from workbench.images import inspect_image
from workbench.ocr.words import check_min_confidence
from workbench.store import Store

ROOT = Path(__file__).resolve().parents[1]
HEADER = "query_id,query_text,query_image,doc_id,doc_text,doc_image,label\n"
CJK = re.compile(r"[\u4e00-\u9fff]")

# the code areas of the data-side errors and the files that raise them
AREAS = ("encoding zip csv json table import image ocr store session labels trec ranked limits resume paste "
         "export note runs extras").split()
CODE = re.compile(r"^(%s)\.[a-z0-9_]+$" % "|".join(AREAS))
NOT_CODES = {"runs.id"}       # an SQL column (store/schema.py), not an error code
FILES = [*sorted((ROOT / "workbench" / "formats").glob("*.py")), *sorted((ROOT / "workbench" / "ocr").glob("*.py")),
         *sorted((ROOT / "workbench" / "store").glob("*.py")),
         *sorted((ROOT / "workbench" / "service").glob("*.py")),      # the service package
         *(ROOT / "workbench" / f"{n}.py" for n in
           ("images", "limits", "model", "labelling", "samples", "extras"))]


def zh(err) -> tuple[str, str | None]:
    with i18n.language("zh"):
        return i18n.error_text(err)


def assert_chinese(err, *data):
    """err is coded, its zh text is Chinese and holds the data; the English text is the catalog's."""
    assert err.code, f"uncoded: {err}"
    assert err.message == i18n.t(f"err.{err.code}", lang="en", **err.params)
    message, fix = zh(err)
    assert CJK.search(message) and message != err.message, message
    if err.fix and i18n.CATALOGS["zh"][f"err.{err.code}.fix"] != "{fix}":   # "{fix}": an inner error's fix
        assert fix and CJK.search(fix), fix
    for value in data:
        assert str(value) in message, (value, message)
    return message, fix


def test_every_code_in_the_data_code_is_in_both_catalogs():
    """Codes are often chosen by a condition (`"a" if x else "b"`) or handed to helpers
    (coded_row_error, Limit.exceeded, _Bad): every literal that looks like a code must exist."""
    found = {}
    for path in FILES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        ui_keys = {id(node.args[0]) for node in ast.walk(tree)      # t("import.x"): a UI text, not a code
                   if isinstance(node, ast.Call) and node.args and getattr(node.func, "id", getattr(
                       node.func, "attr", "")) in ("t", "tn", "_")}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and CODE.match(node.value)
                    and node.value not in NOT_CODES and id(node) not in ui_keys):
                found.setdefault(node.value, f"{path.name}:{node.lineno}")
    assert len(found) > 150
    for lang, catalog in i18n.CATALOGS.items():
        missing = {c: where for c, where in found.items() if f"err.{c}" not in catalog}
        assert not missing, f"codes used but missing in {lang}.py: {missing}"
        no_fix = {c: where for c, where in found.items() if f"err.{c}.fix" not in catalog}
        assert not no_fix, f"codes without a fix in {lang}.py: {no_fix}"
    nested = ROOT / "workbench" / "i18n" / "nested.py"        # the keys of rows quoted inside errors
    keys = {n.value for n in ast.walk(ast.parse(nested.read_text(encoding="utf-8")))
            if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and re.match(r"^err\.[a-z_]+\.[a-z_]+$", n.value)}
    assert len(keys) >= 6
    for lang, catalog in i18n.CATALOGS.items():
        assert keys <= set(catalog), f"missing in {lang}.py: {keys - set(catalog)}"


def test_a_bad_encoding_name(tmp_path):
    path = tmp_path / "cands.csv"
    path.write_text(HEADER + "q1,hi,,d1,text,,\n", encoding="utf-8")
    with pytest.raises(EncodingError) as info:
        formats.read_candidates(path, encoding="klingon-8")
    err = info.value
    assert err.code == "encoding.unknown"
    assert str(err) == ("Unknown encoding 'klingon-8'.\nHow to fix: Use a Python codec name such as utf-8, "
                        "utf-8-sig, utf-16, gbk or gb18030.")
    message, _ = assert_chinese(err, "klingon-8")
    assert message == "未知的编码“klingon-8”。"


def test_a_file_in_the_wrong_encoding_names_file_and_line(tmp_path):
    path = tmp_path / "中文.csv"
    path.write_bytes((HEADER + "q1,你好,,d1,中文文本,,\n").encode("gbk"))
    with pytest.raises(EncodingError) as info:
        formats.read_candidates(path, encoding="utf-8")
    err = info.value
    assert err.code == "encoding.invalid_bytes"
    assert str(err).startswith("中文.csv is not valid utf-8: byte 0xc4 on line 2 cannot be decoded.\nHow to fix: "
                               "Pass the file's real encoding (e.g. --encoding gbk)")
    message, fix = assert_chinese(err, "中文.csv", "第 2 行", "0xc4")
    assert "--encoding gbk" in fix          # the CLI's fix; the app says err.<code>.fix.app
    with i18n.language("zh"):
        _, app_fix = i18n.error_text(err, surface="app")
    assert "--encoding" not in app_fix and "导入页的“文本编码”" in app_fix and "gbk" in app_fix


def test_rejected_rows_keep_line_and_column_and_read_in_chinese(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text(HEADER + "q1,hi,,d1,text,,\nq1,hi,,d2,text,,7\nq1,hi,,d1,again,,\n", encoding="utf-8")
    result = formats.read_candidates(path)
    assert len(result.sets) == 1 and len(result.rejected) == 2
    grade, dupe = result.rejected
    assert (grade.code, grade.line, grade.column) == ("import.bad_label", 3, "label")
    assert str(grade) == ("rows.csv, line 3, column 'label': label '7' is not a relevance grade.\n"
                          "How to fix: Use 0 (not relevant), 1 (partly relevant) or 2 (relevant), or leave it empty.")
    assert_chinese(grade, "7")
    assert (dupe.code, dupe.line, dupe.params["first_line"]) == ("import.duplicate_doc", 4, 2)
    assert_chinese(dupe, "d1", "q1", "第 2 行")
    # the rejected-rows download keeps the English texts (a file, like the CLI output)
    frame = result.rejected_frame()
    assert frame["error"].tolist()[0] == "label '7' is not a relevance grade."


def test_nothing_imported_and_csv_shape_errors(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + ",hi,,d1,text,,\nq1,hi,,d2\n", encoding="utf-8")
    with pytest.raises(NothingImported) as info:
        formats.read_candidates(path)
    err = info.value
    assert err.code == "import.all_rejected" and err.params["count"] == 2
    assert str(err).startswith("bad.csv: nothing was imported; all 2 row(s) were rejected:\n"
                               "  bad.csv, line 2, column 'query_id': query_id is empty.")
    assert_chinese(err, "bad.csv", "2")
    short = err.result.rejected[1]
    assert short.code == "csv.fields_missing" and short.column == "doc_text"
    assert_chinese(short, "4", "7", "doc_text")


def test_rows_quoted_inside_an_error_are_translated_too(tmp_path):
    """A message that quotes other errors (the rejected rows of "nothing was imported", the image
    error inside a row) renders those in Chinese as well; the English text stays byte for byte."""
    (tmp_path / "imgs").mkdir()
    (tmp_path / "imgs" / "a.jpg").write_bytes(b"garbage")
    path = tmp_path / "c.csv"
    path.write_text(HEADER + ",x,,d1,t,,\nq1,x,,d2,t,imgs/a.jpg,\n", encoding="utf-8")
    with pytest.raises(NothingImported) as info:
        formats.read_candidates(path)
    err = info.value
    assert err.message.startswith("c.csv: nothing was imported; all 2 row(s) were rejected:\n"
                                  "  c.csv, line 2, column 'query_id': query_id is empty.\n"
                                  "    How to fix: Give every row the id of its query (e.g. q1).\n"
                                  "  c.csv, line 3, column 'doc_image': image 'imgs/a.jpg' cannot be read: ")
    image_row = err.result.rejected[1]
    assert image_row.code == "import.image_unreadable"
    assert str(image_row.params["reason"]) == image_row.message.split("cannot be read: ", 1)[1]
    message, _ = zh(err)
    assert "c.csv, 第 2 行, “query_id”列：query_id 为空。\n    解决方法：请为每一行填写其查询的 id（例如 q1）。" in message
    assert "无法读取图像“imgs/a.jpg”：" in message and "不是任何可读取格式的图像" in message
    assert "cannot be read" not in message and "How to fix" not in message
    # raised while the app runs in Chinese: still English for the CLI and the logs
    with i18n.language("zh"):
        with pytest.raises(NothingImported) as again:
            formats.read_candidates(path)
    assert again.value.message == err.message


def test_a_zip_that_is_not_a_zip(tmp_path):
    path = tmp_path / "upload.zip"
    path.write_bytes(b"this is not a zip")
    with pytest.raises(InputError) as info:
        formats.read_candidates(path)
    assert info.value.code == "zip.unreadable"
    assert str(info.value).startswith("'upload.zip' is not a readable ZIP archive (")
    assert_chinese(info.value, "upload.zip")


def test_a_zip_slip_entry_is_a_rejected_row(tmp_path):
    path = tmp_path / "set.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("c.csv", HEADER + "q1,hi,,d1,text,,\n")
        zf.writestr("../evil.txt", "x")
    result = formats.read_candidates(path)
    (row,) = result.rejected
    assert row.code == "zip.entry_outside" and row.source == "set.zip!../evil.txt"
    assert str(row).startswith("set.zip!../evil.txt: ZIP entry '../evil.txt' points outside the archive folder")
    assert_chinese(row, "../evil.txt")


def test_a_limit_names_its_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_MAX_COLUMNS", "3")
    path = tmp_path / "wide.csv"
    path.write_text(HEADER + "q1,hi,,d1,text,,\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        formats.read_candidates(path)
    err = info.value
    assert err.code == "table.too_many_columns"
    assert str(err) == ("wide.csv is over the limit of 3 (columns of one file): it has 7 columns.\nHow to fix: "
                        "Keep the candidate columns and the metadata you need. If the file is genuine, raise the "
                        "limit with the environment variable WORKBENCH_MAX_COLUMNS (now 3), e.g. "
                        "WORKBENCH_MAX_COLUMNS=12, and import again.")
    _, fix = assert_chinese(err, "wide.csv", "7")
    assert "WORKBENCH_MAX_COLUMNS=12" in fix
    monkeypatch.setenv("WORKBENCH_MAX_COLUMNS", "lots")
    with pytest.raises(InputError) as info:
        formats.read_candidates(path)
    assert info.value.code == "limits.not_a_number"
    assert str(info.value).startswith("WORKBENCH_MAX_COLUMNS='lots' is not a number.")


def test_an_image_that_is_not_an_image(tmp_path):
    path = tmp_path / "photo.jpg"
    path.write_text("<html>not a picture</html>", encoding="utf-8")
    with pytest.raises(NotAnImage) as info:
        inspect_image(path)
    err = info.value
    assert err.kind == "not_image" and err.path == str(path) and err.code == "image.not_image"
    assert str(err).startswith(f"'{path}' is not an image in any format we can read")
    assert_chinese(err, str(path))


def test_ocr_settings(monkeypatch):
    with pytest.raises(OCRError) as info:
        check_min_confidence("high")
    assert info.value.code == "ocr.confidence_not_number"
    assert str(info.value).startswith("the OCR confidence threshold must be a number from 0 to 100 (got 'high').")
    assert_chinese(info.value, "'high'")


def test_unknown_session_set_and_run(tmp_path):
    store = Store(tmp_path / "wb.db")
    with pytest.raises(NotFound) as info:
        store.get_session("ghost")
    err = info.value
    assert err.code == "session.not_found_none"
    assert str(err) == ("There is no session 'ghost'.\nHow to fix: Use an existing session name or id (known: none "
                        "yet); `workbench sessions` lists them all.")
    assert_chinese(err, "ghost")
    store.create_session("denim")
    with pytest.raises(NotFound) as info:
        store.get_session("ghost")
    assert info.value.code == "session.not_found"
    _, fix = assert_chinese(info.value, "ghost")
    assert "'denim'" in fix
    with pytest.raises(StoreError) as info:
        store.create_session("denim")
    assert info.value.code == "session.exists"
    assert_chinese(info.value, "denim")
    with pytest.raises(NotFound) as info:
        store.load_candidate_set(4242)
    assert info.value.code == "store.no_set" and str(info.value).startswith("There is no candidate set with id 4242.")
    assert_chinese(info.value, "4242")
    with pytest.raises(NotFound) as info:
        store.load_run(77)
    assert info.value.code == "store.no_run"
    assert_chinese(info.value, "77")


def test_a_foreign_database_is_refused(tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(b"plain text, not SQLite")
    with pytest.raises(StoreError) as info:
        Store(path)
    err = info.value
    assert err.code == "store.not_sqlite"
    assert str(err).startswith(f"'{path}' is not a SQLite database at all, not a workbench database")
    assert_chinese(err, str(path))


def test_service_errors(tmp_path):
    store = Store(tmp_path / "wb.db")
    store.create_session("empty one")
    with pytest.raises(InputError) as info:
        service.ocr_session(store, "empty one")
    assert info.value.code == "ocr.session_no_sets"
    assert str(info.value).endswith("workbench import FILE --session 'empty one')")
    assert_chinese(info.value, "empty one")
    with pytest.raises(NotFound) as info:
        service.export_qrels(store, "empty one")
    assert info.value.code == "export.no_labels"
    assert_chinese(info.value, "empty one")


def test_the_english_text_does_not_depend_on_the_app_language(tmp_path):
    """An error raised while the app runs in Chinese still has English message/fix (CLI, logs)."""
    with i18n.language("zh"):
        with pytest.raises(NotFound) as info:
            Store(tmp_path / "wb.db").get_session("ghost")
    assert info.value.message == "There is no session 'ghost'."
    assert zh(info.value)[0] == "没有名为“ghost”的会话。"
