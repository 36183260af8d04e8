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
    'advice.the_metric': 'the metric',
    'advice.verdict_too_few': ('Too few queries to call a winner: {n} labelled query in common (need at least {need}). '
                               'Label more queries before trusting a difference on {metric}.|'
                               'Too few queries to call a winner: {n} labelled queries in common (need at least {need}). '
                               'Label more queries before trusting a difference on {metric}.'),
    'advice.verdict_not_significant': "No significant difference on {metric} between '{run_a}' and '{run_b}' "
                                      "(mean diff {diff}, p = {p}, n = {n} queries).",
    'advice.verdict_significant': "'{winner}' beats '{loser}' on {metric} by {diff} (p = {p}, n = {n} queries; "
                                  "better on {wins}, worse on {losses}, tied on {ties}).",
    'advice.note_skipped': ('{n} query without a relevant label left out of the metrics.|'
                            '{n} queries without a relevant label left out of the metrics.'),
    'advice.note_no_labels': 'No labels: metrics, significance and win/loss need relevance labels.',
    'advice.note_superseded': "Run {id} ('{run}', query {query}) was superseded by a newer run with the same "
                              "label; the newest one is compared.",
    'advice.list_sep': ', ',
    'advice.clause_sep': '; ',
    'advice.why_graded_2': 'graded 2 but ranked {rank} (relevant: {relevant})',
    'advice.why_graded_0': 'graded 0 but ranked {rank} (top {relevant})',
    'advice.why_moved': 'moved {moves}',
    'advice.why_move': '{shift} in {run}',
    'advice.why_missing': 'missing in {runs}',
    'advice.why_run': '{run}: {reason}',
    'advice.remedy_template': 'Use a scenario-specific instruction instead of a generic one (e.g. the '
                              'e-commerce template: "{template}").',
    'advice.remedy_documents': 'Give the model more concrete documents: add the OCR text, a product description or '
                               'key attributes so each document carries evidence to judge.',
    'advice.remedy_precise': 'Append "{suffix}" to the instruction (the \'Be precise\' option).',
    'advice.message': 'Scores barely discriminate: {reasons}. Try: {remedies}',
    'advice.reason_tied': '{share} of documents share one identical score',
    'advice.reason_mid': '{share} of scores lie between {low} and {high}',
    'advice.reason_std': 'standard deviation {std} < {limit}',
    'advice.reason_iqr': 'interquartile range {iqr} < {limit}',
})


# ======================================================================= err_data
# errors of workbench/formats, ocr, store, service, samples, labelling, limits (err.<code>)
MESSAGES.update({
})


# ======================================================================= err_engine
# errors of workbench/rerank, compare, parity, jobs, hub, config, doctor (err.<code>)
MESSAGES.update({
})
