"""The app's texts in English: one catalog, key -> template (see workbench/i18n/__init__.py).

Sections belong to parts of the code; keep a key in the section of the code that uses it,
and add every key to both catalogs (tests/test_i18n.py checks)."""

MESSAGES: dict[str, str] = {}

# ======================================================================= common
# words used on several pages (buttons, counts, statuses)
MESSAGES.update({
    'count.sets': '{n} set|{n} sets',
})


# ======================================================================= app
# app.py: page titles, navigation; ui/state.py; ui/widgets.py (sidebar, errors, model choice, uploads)
MESSAGES.update({
    'app.title': 'Lychee rerank workbench',
    'app.language': 'Language',
    'nav.home': 'Home',
    'nav.import': 'Import',
    'nav.ocr': 'OCR',
    'nav.rerank': 'Rerank',
    'nav.compare': 'Compare',
    'nav.matrix': 'Matrix',
    'nav.label': 'Label',
    'nav.sessions': 'Sessions',
    'err.how_to_fix': 'How to fix:',
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
