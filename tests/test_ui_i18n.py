"""The UI layer in two languages (ui/frames, ui/jobs, ui/widgets): the English stays what it
was, the Chinese comes from the catalogs, and a job's texts follow the tab drawing them."""

from __future__ import annotations

from types import SimpleNamespace

from workbench import i18n
from workbench.errors import InputError
from workbench.model import Run


def test_plural_speaks_the_ui_language_and_keeps_its_english():
    from ui import frames

    assert frames.plural(1, "candidate set") == "1 candidate set"
    assert frames.plural(2, "query", "queries") == "2 queries"
    assert frames.plural(3, "rejected row") == "3 rejected rows"
    assert frames.plural(2, "gizmo") == "2 gizmos"                 # a noun without a key: as before
    with i18n.language("zh"):
        assert frames.plural(2, "query", "queries") == "2 个查询"
        assert frames.plural(1, "set") == "1 个集合"
        assert frames.plural(2, "gizmo") == "2 gizmos"


def test_every_noun_plural_knows_has_both_forms():
    from ui import frames

    for noun, key in frames.COUNT_KEYS.items():
        assert frames.plural(1, noun) == f"1 {noun}", noun
        with i18n.language("zh"):
            text = frames.plural(5, noun)
        assert text.startswith("5 ") and not any(c.isascii() and c.isalpha() for c in text), (noun, text)


def test_job_labels_are_drawn_in_the_language_of_the_tab():
    from ui import jobs

    spec = ("jobs.label.compare", {"instructions": jobs.Count("count.instructions", 2),
                                   "sets": jobs.Count("count.sets", 1)})
    job = SimpleNamespace(info={"label_spec": spec}, label="(English, for the log)", kind="compare",
                          cancelling=False, phase="working", done=3, total=8, elapsed=4.0)
    assert jobs.label_text(job) == "Comparing 2 instructions on 1 set"
    assert jobs._progress_text(job) == "Comparison: 3/8 · 4.0 s"
    with i18n.language("zh"):
        assert jobs.label_text(job) == "正在 1 个集合 上对比 2 条指令"
        assert jobs._progress_text(job) == "对比：3/8 · 4.0 s"
    old = SimpleNamespace(info={}, label="Reading the images of “cat”")     # a plain label: as given
    assert jobs.label_text(old) == "Reading the images of “cat”"


def test_run_texts_and_metrics_in_both_languages():
    from ui import frames

    run = Run("", "lexical", "bm25", id=7, name="", status="cancelled")
    assert frames.run_label(run) == "#7 (no instruction) · lexical · cancelled"
    metrics = frames.run_metrics(run, 10, 0)
    assert [m[0] for m in metrics] == ["Status", "Scored", "Cache hits", "Time", "Labelled"]
    with i18n.language("zh"):
        assert frames.run_label(run) == "#7 （无指令） · 词法 · 已取消"
        assert [m[0] for m in frames.run_metrics(run, 10, 0)] == ["状态", "已评分", "缓存命中", "用时", "已标注"]
        assert frames.score_scale("lexical", [3.0])["title"] == "BM25 分数"
        assert list(frames.grade_colours()) == ["0 级", "1 级", "2 级", "未标注"]


def test_the_app_says_a_fix_for_the_app_in_its_language():
    from workbench.errors import EncodingError, ModelNotFound

    err = EncodingError.coded("encoding.undetected", {"name": "a.csv"})
    assert "--encoding gbk" in err.fix                                   # the CLI's fix keeps its flag
    assert i18n.error_text(err, surface="app")[1] == ("Re-save the file as UTF-8 (in Excel: 'CSV UTF-8'), or choose "
                                                      "its encoding (e.g. gbk) under Text encoding on the Import "
                                                      "page and read the file again.")
    with i18n.language("zh"):
        zh = i18n.error_text(err, surface="app")[1]
        assert "--encoding" not in zh and "导入页的“文本编码”中选择其编码（例如 gbk）" in zh
        model = i18n.error_text(ModelNotFound.coded("model.no_config", {"path": "/m", "model_id": "x/y"}),
                                surface="app")[1]
        assert "--model" not in model and "“模型路径或 ID”框" in model


def test_files_in_the_workbench_folders_are_named_by_their_file_name():
    from ui.errors import short_paths
    from workbench import config

    upload = config.home_dir() / "imports" / "0123abcd" / "orders.csv"
    assert short_paths(f"{upload} is empty.") == "orders.csv is empty."
    assert short_paths("/data/orders.csv is empty.") == "/data/orders.csv is empty."


def test_the_apps_own_errors_are_coded_and_translated():
    from ui import frames

    try:
        frames.adhoc_set(None, [], "x")
    except InputError as err:
        assert err.code == "ui.no_documents" and err.message == "There are no documents to rank."
        with i18n.language("zh"):
            assert i18n.error_text(err)[0] == "没有可排序的文档。"
    else:
        raise AssertionError("no error for an empty document list")


def test_headings_translate_known_columns_only():
    import pandas as pd

    from ui import frames

    frame = pd.DataFrame(columns=["run", "status", "my_column"])
    assert frames.headings(frame) == {"run": "run", "status": "status"}
    with i18n.language("zh"):
        assert frames.headings(frame) == {"run": "运行", "status": "状态"}
        assert frames.heading("my_column") == "my_column"


def test_a_localized_callback_speaks_the_tabs_language_in_a_fresh_thread():
    """Streamlit runs callbacks in a new script thread, before app.py sets the language."""
    import threading
    from unittest import mock

    from ui import state

    seen = []
    callback = state.localized(lambda: seen.append(i18n.t("jobs.cancel")))
    fake_state = mock.MagicMock()
    fake_state.get.return_value = "zh"
    with mock.patch.object(state.st, "session_state", fake_state):
        worker = threading.Thread(target=callback)          # a fresh thread: the default language
        worker.start()
        worker.join()
    assert seen == ["取消"]


def test_the_legacy_encoding_note_points_at_the_import_pages_encoding_option():
    """The note of a GBK file read by detection names the CLI flag; the app (an import read
    through ui.widgets.import_kept) says its own option."""
    from ui import widgets
    from workbench.formats.decode import decode_text

    data = "query_id,text\nq1,深蓝色牛仔夹克配白色衬衫\n".encode("gbk")
    cli = decode_text(data, None, "a.csv").notes
    assert len(cli) == 1 and "--encoding" in cli[0]
    for lang, option in (("en", "Text encoding"), ("zh", "文本编码")):
        with i18n.language(lang):
            shown = widgets.import_kept(decode_text, data, None, "a.csv").notes[0]
        assert "--encoding" not in shown and option in shown and "gbk" in shown, (lang, shown)


def test_the_qrels_fix_names_the_sessions_checkbox_not_the_flag():
    for lang, label in (("en", "skip judgments outside the sets"), ("zh", "跳过集合之外的判断")):
        with i18n.language(lang), i18n.surface("app"):
            fix = i18n.t("err.labels.qrels_unknown_documents.fix", query="q1", valid="d1, d2")
        assert "--skip-unknown" not in fix and label in fix, (lang, fix)
        assert "--skip-unknown" in i18n.t("err.labels.qrels_unknown_documents.fix", lang=lang, query="q1",
                                          valid="d1, d2")
    assert i18n.t("sessions.qrels_skip", lang="zh").startswith("跳过集合之外的判断")
