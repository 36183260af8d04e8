"""The app's texts in 中文 (简体): one catalog, key -> template (see workbench/i18n/__init__.py).

Sections belong to parts of the code; keep a key in the section of the code that uses it,
and add every key to both catalogs (tests/test_i18n.py checks)."""

MESSAGES: dict[str, str] = {}

# ======================================================================= common
# words used on several pages (buttons, counts, statuses)
MESSAGES.update({
    'count.sets': '{n} 个集合',
})


# ======================================================================= app
# app.py: page titles, navigation; ui/state.py; ui/widgets.py (sidebar, errors, model choice, uploads)
MESSAGES.update({
    'app.title': 'Lychee 重排序工作台',
    'app.language': '语言',
    'nav.home': '首页',
    'nav.import': '导入',
    'nav.ocr': 'OCR 识别',
    'nav.rerank': '重排序',
    'nav.compare': '对比',
    'nav.matrix': '矩阵',
    'nav.label': '标注',
    'nav.sessions': '会话',
    'err.how_to_fix': '解决方法：',
})


# ======================================================================= jobs
# ui/jobs.py: progress, cancel, job outcomes
MESSAGES.update({
})


# ======================================================================= frames
# ui/frames.py, ui/results.py: table headings, result texts
MESSAGES.update({
})


# ======================================================================= home
# pages/home_page.py
MESSAGES.update({
})


# ======================================================================= import
# pages/import_page.py and the import report
MESSAGES.update({
})


# ======================================================================= ocr
# pages/ocr_page.py, ui/ocr_tools.py
MESSAGES.update({
})


# ======================================================================= sessions
# pages/sessions_page.py
MESSAGES.update({
})


# ======================================================================= rerank
# pages/rerank_page.py
MESSAGES.update({
})


# ======================================================================= compare
# pages/compare_page.py, ui/comparison.py, ui/matrix_links.py
MESSAGES.update({
})


# ======================================================================= matrix
# pages/matrix_page.py
MESSAGES.update({
})


# ======================================================================= label
# pages/label_page.py
MESSAGES.update({
})


# ======================================================================= advice
# workbench/compare (advice, significance texts shown in the app)
MESSAGES.update({
})


# ======================================================================= err_data
# errors of workbench/formats, ocr, store, service, samples, labelling, limits (err.<code>)
MESSAGES.update({
})


# ======================================================================= err_engine
# errors of workbench/rerank, compare, parity, jobs, hub, config, doctor (err.<code>)
MESSAGES.update({
})
