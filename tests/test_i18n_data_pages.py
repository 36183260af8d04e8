"""Home, Import, OCR and Sessions in 中文: the library's notes, the validation report, the OCR
statuses and the samples' descriptions follow the UI language; English stays as it was."""

from __future__ import annotations

from tests.test_app_defects import CSV_HEAD
from tests.test_pages import app, button, ok
from workbench import formats, i18n, ocr
from workbench.samples import seed_samples
from workbench.store import Store

BAD = (CSV_HEAD + "\nq1,red shoes,,d1,red running shoes,,2\nq1,red shoes,,d2,blue hat,,9\n\n").encode()


def test_import_notes_follow_the_ui_language(tmp_path):
    path = tmp_path / "blank.csv"
    path.write_bytes(BAD)
    assert "skipped 1 blank row(s)" in formats.read_candidates(path).notes
    with i18n.language("zh"):
        notes = formats.read_candidates(path).notes
    assert "跳过了 1 个空行" in notes and not any("skipped" in n for n in notes)


def test_ocr_statuses_and_sample_descriptions_are_translated():
    from ui import ocr_tools, sessions_view

    with i18n.language("zh"):
        assert ocr_tools.status_text(ocr.NO_TEXT_FOUND) == "未发现文字"
        assert ocr_tools.status_text("not read") == "未识别"
        assert sessions_view.description("Bundled sample 'kb' (candidates.csv)") == "自带示例“kb”（candidates.csv）"
        assert sessions_view.description("my own words") == "my own words"        # data stays as typed
    assert ocr_tools.status_text(ocr.NO_TEXT_FOUND) == "no text found"
    assert sessions_view.description("Bundled sample 'kb' (candidates.csv)") == "Bundled sample 'kb' (candidates.csv)"


def _zh(page: str):
    at = app()
    at.session_state["ui_lang"] = "zh"
    ok(at.run())
    at.switch_page(page)
    return ok(at.run())


def test_import_page_and_its_validation_report_in_chinese():
    at = _zh("pages/import_page.py")
    at.file_uploader(key="import_file").set_value(("bad.csv", BAD, "text/csv")).run()
    button(at, "import_read").click().run()
    ok(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"候选集": "1", "文档": "1", "被拒绝的行": "1"}
    assert any(e.label == "校验报告：1 行被拒绝" for e in at.expander)
    assert "跳过了 1 个空行" in [t.value for t in at.text]
    assert at.selectbox(key="import_target").options[0] == "新建会话"
    ok(button(at, "import_save").click().run())
    assert Store().get_session("bad").n_sets == 1
    assert any("已将 1 个候选集保存到" in s.value for s in at.success), ([s.value for s in at.success], [t.value for t in at.toast])


def test_home_and_sessions_tables_have_chinese_headings():
    seed_samples(Store())
    at = _zh("pages/home_page.py")
    table = next(d.value for d in at.dataframe if "会话" in d.value.columns)
    assert list(table.columns) == ["会话", "集合数", "运行数", "创建时间", "说明"]
    assert any(v.startswith("自带示例“") for v in table["说明"])
    at = ok(at.switch_page("pages/sessions_page.py").run())
    assert at.title[0].value == "会话"
    assert [t.label for t in at.tabs] == ["运行", "标注与备注", "重新运行", "导出 / 导入"]
    assert at.radio(key="ss_shape").options == ["长表（每个运行 × 文档一行）", "宽表（每个文档一行）",
                                                 "整洁表（每个运行 × 文档一行，含查询、文档、OCR 文本、标注和备注）"]
