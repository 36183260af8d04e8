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
    'rerank.title': 'Rerank',
    'rerank.job_what': 'ranking',
    'rerank.instruction': 'Instruction',
    'rerank.template': 'Scenario template',
    'rerank.instruction_text': 'Instruction text',
    'rerank.instruction_placeholder': "Type the instruction, e.g. “Given a user's question, retrieve …”",
    'rerank.precise': 'Be precise and avoid vague terms',
    'rerank.sent_to_model': 'Sent to the model: {text}',
    'rerank.instruction_empty': 'The instruction is empty: type one, or pick a scenario template.',
    'rerank.query_and_documents': 'Query and documents',
    'rerank.documents_from': 'Documents from',
    'rerank.mode_stored': 'Stored set',
    'rerank.mode_pasted': 'Pasted lines (batch)',
    'rerank.mode_single': 'Single document',
    'rerank.no_sets': 'No candidate sets in this session yet: import one, or paste documents instead.',
    'rerank.set_picker': 'Candidate set',
    'rerank.query_image_caption': 'query image',
    'rerank.query_line': 'Query: {query}',
    'rerank.image_only': '(image only)',
    'rerank.query_text': 'Query text',
    'rerank.query_image': 'Query image (optional)',
    'rerank.documents_lines': 'Documents, one per line',
    'rerank.document': 'Document',
    'rerank.save_adhoc': 'Save as a new candidate set in the current session (keeps labels and the run)',
    'rerank.backend': 'Backend',
    'rerank.run_name': 'Run name (optional)',
    'rerank.run_name_placeholder': 'defaults to the template name, e.g. “e-commerce + precise”',
    'rerank.run_button': 'Run rerank',
    'rerank.job_label_set': 'Scoring “{set}” ({template})',
    'rerank.count_pasted': '{n} pasted document|{n} pasted documents',
    'rerank.job_label_pasted': 'Scoring {docs}',
    'err.rerank.empty_instruction': 'The instruction is empty, so the model would not know what to look for.',
    'err.rerank.empty_instruction.fix': 'Type an instruction in the Instruction text box, or pick a scenario template.',
})


# ======================================================================= compare
# pages/compare_page.py, ui/comparison.py, ui/matrix_links.py
MESSAGES.update({
    'compare.title': 'Compare instructions and backends',
    'compare.no_sets': 'This session has no candidate sets yet: import one first.',
    'compare.scope': 'Scope',
    'compare.set_picker': 'Candidate set',
    'compare.scope_set': 'One candidate set',
    'compare.scope_session': 'Whole session',
    'compare.scope_session_n': 'Whole session ({sets})',
    'compare.job_what': 'comparison',
    'compare.scored_cache': 'Scored {runs}; {hits} of {total} scores came from the score cache.',
    'compare.scored': 'Scored {runs}.',
    'compare.count_runs': '{n} run|{n} runs',
    'compare.count_instructions': '{n} instruction|{n} instructions',
    'compare.new_comparison': 'Run a new comparison',
    'compare.instructions': 'Instructions (2–4)',
    'compare.custom_instructions': 'Extra custom instructions, one per line',
    'compare.precise': 'Be precise and avoid vague terms',
    'compare.also_lexical': 'Also run the lexical baseline',
    'compare.run_button': 'Run comparison',
    'compare.job_label': 'Comparing {instructions} on {sets}',
    'compare.runs_to_compare': 'Runs to compare',
    'compare.pick_two': 'Pick runs of at least two different instructions or backends (or run a comparison above).',
    'compare.baseline': 'Baseline run (rank shifts and win/loss are measured against it)',
    'compare.k': 'k (NDCG@k, P@k, Recall@k, overlap@k)',
    'compare.image_only': '(image only)',
    'compare.export': '**Export** (CSV)',
    'compare.table_metrics': 'metrics',
    'compare.table_per_query_metrics': 'per query metrics',
    'compare.table_significance': 'significance',
    'compare.table_rank_shifts': 'rank shifts',
    'compare.table_correlations': 'correlations',
    'compare.table_discrimination': 'discrimination',
    'compare.template_custom': 'custom',
    'compare.template_e_commerce': 'e-commerce',
    'compare.template_papers': 'papers',
    'compare.template_legal': 'legal',
    'compare.template_web': 'web',
    'compare.template_qa': 'QA',
    'compare.template_product_similarity': 'product similarity',
    'compare.col_run': 'run',
    'compare.col_run_a': 'run_a',
    'compare.col_run_b': 'run_b',
    'compare.col_query': 'query_id',
    'compare.col_doc': 'doc_id',
    'compare.col_description': 'description',
    'compare.col_metric': 'metric',
    'compare.col_n_queries': 'n_queries',
    'compare.col_n_flagged': 'n_flagged',
    'compare.col_share_flagged': 'share_flagged',
    'compare.col_mean_std': 'mean_std',
    'compare.col_mean_iqr': 'mean_iqr',
    'compare.col_mean_share_mid': 'mean_share_mid',
    'compare.col_mean_a': 'mean_a',
    'compare.col_mean_b': 'mean_b',
    'compare.col_mean_diff': 'mean_diff',
    'compare.col_p_ttest': 'p_ttest',
    'compare.col_p_permutation': 'p_permutation',
    'compare.col_wins_b': 'wins_b',
    'compare.col_losses_b': 'losses_b',
    'compare.col_ties': 'ties',
    'compare.col_winner': 'winner',
    'compare.col_verdict': 'verdict',
    'compare.col_n_common': 'n_common',
    'compare.col_kendall_tau': 'kendall_tau',
    'compare.col_spearman_rho': 'spearman_rho',
    'compare.col_overlap': 'overlap@{k}',
    'compare.col_max_shift': 'max |shift|',
    'compare.col_matrix': 'matrix',
    'compare.col_run_shift': '{run} shift',
    'compare.col_run_rank': '{run} rank',
    'compare.col_run_score': '{run} score',
    'compare.open_matrix': 'open in Matrix',
    'compare.open_matrix_help': "The Matrix view of this query: the compared runs' rankings, with the baseline",
    'compare.open_matrix_query': 'Open query {query} in the Matrix (these runs, this baseline)',
    'compare.advice_where': ' on {n} query of {of}| on {n} queries of {of}',
    'compare.advice_why_bm25': 'scores barely separate the documents{where} ({reasons}): most documents share no '
                               'word with the query.',
    'compare.advice_tip_bm25': 'Add text to the documents (OCR page: read the images into descriptions), or rank '
                               'with the Qwen-VL model. BM25 ignores the instruction, so changing it changes nothing.',
    'compare.advice_centre_unsure': 'most scores sit around 0.5: the model is unsure',
    'compare.advice_centre_bunch': 'the scores bunch together around {median}',
    'compare.advice_why_model': 'scores barely discriminate{where} ({reasons}); {centre}.',
    'compare.advice_tip_template': 'Use a scenario-specific instruction instead of a generic one (e.g. the '
                                   '{template} template: “{text}”).',
    'compare.advice_tip_documents': 'Give the model more concrete documents: add the OCR text, a product description '
                                    'or key attributes, so each document carries evidence to judge.',
    'compare.advice_tip_precise': 'Turn on “{suffix}”.',
    'compare.advice_box': '{runs}: {why}\n\n**Try:** {tips}',
    'compare.tab_metrics': 'Metrics',
    'compare.tab_shifts': 'Rank shifts',
    'compare.tab_scores': 'Score distribution',
    'compare.tab_agreement': 'Agreement',
    'compare.no_labels': 'Label documents (Rerank or Sessions page: 0/1/2) to see NDCG, MRR, P@k, Recall@k and MAP.',
    'compare.metrics_heading': '**Runs × metrics** (mean over labelled queries)',
    'compare.more_verdicts': '… and {n} more (see Paired tests)',
    'compare.paired_tests': 'Paired tests',
    'compare.per_query_heading': '**Per query** (each row opens the Matrix of that query)',
    'compare.per_query_metric': 'Metric per query',
    'compare.win_loss_heading': '**Per-query win/loss** — {challenger} vs baseline {baseline} on {metric} '
                                '(ties: grey diamonds on the zero line)',
    'compare.query': 'Query',
    'compare.only_changed': 'Show only changed',
    'compare.shift_caption': 'shift = baseline rank − rank in that run: green moved up, red moved down.',
    'compare.prob_caption': 'P(yes) on 0–1. Shaded band: 0.4–0.6; most scores inside it means the instruction '
                            'barely discriminates.',
    'compare.raw_caption': 'Raw scores (BM25 or imported) are shown on their own scale, apart from P(yes).',
    'compare.no_agreement': 'Agreement needs two runs over the same documents.',
    'compare.outcome_win': 'win',
    'compare.outcome_tie': 'tie',
    'compare.outcome_loss': 'loss',
    'compare.chart_query': 'query',
    'compare.chart_outcome': 'outcome',
    'compare.chart_baseline_value': 'value_a',
    'compare.chart_challenger_value': 'value_b',
    'compare.chart_diff': 'challenger − baseline',
    'compare.chart_raw_score': 'raw score (not a probability)',
    'compare.chart_score': 'score',
    'compare.chart_rank': 'rank',
    'compare.chart_moved': 'changed',
    'compare.chart_changed': 'true',
    'compare.chart_unchanged': 'false',
})


# ======================================================================= matrix
# pages/matrix_page.py
MESSAGES.update({
    'matrix.title': 'Matrix',
    'matrix.caption': 'Runs as columns, documents as rows. Cells: rank (score). Rows where the runs disagree are '
                      'highlighted; the shift columns compare every run with the baseline.',
    'matrix.no_runs': 'This session has no finished runs yet: rerank a set (Rerank page) or import runs.',
    'matrix.runs': 'Runs (columns)',
    'matrix.runs_help': 'Instructions, backends, prompt formats and imported systems of this session.',
    'matrix.pick_one': 'Pick at least one run.',
    'matrix.query': 'Query',
    'matrix.previous': 'Previous',
    'matrix.next': 'Next',
    'matrix.baseline': 'Baseline run',
    'matrix.k': 'k (shift)',
    'matrix.k_help': 'Rows where some run moves the document at least k places are highlighted.',
    'matrix.only_diff': 'Only differences',
    'matrix.count_rows': '{n} row|{n} rows',
    'matrix.status': 'Query {i} of {n} · baseline: {baseline} · {rows} of {total} differ (shift ≥ {k}, a run lacks '
                     'it, or a rank contradicts the label; {relevant} labelled relevant)',
    'matrix.col_image': 'Image',
    'matrix.col_doc': 'Doc',
    'matrix.col_label': 'Label',
    'matrix.col_label_help': '0 not relevant · 1 partly · 2 relevant; empty: not labelled',
    'matrix.col_text': 'Text',
    'matrix.col_why': 'Why it differs',
    'matrix.col_label_it': 'Label it',
    'matrix.label_link': 'label',
    'matrix.label_link_help': 'Open this document in the labelling mode',
    'matrix.shift_help': 'Places moved against the baseline ({baseline}); + = moved up',
    'matrix.cell_help': 'rank (score)',
})


# ======================================================================= label
# pages/label_page.py
MESSAGES.update({
    'label.title': 'Label',
    'label.no_sets': 'This session has no candidate sets yet: import one first (Import page).',
    'label.grade_button_0': 'Not relevant',
    'label.grade_button_1': 'Partly',
    'label.grade_button_2': 'Relevant',
    'label.grade_name_0': 'not relevant',
    'label.grade_name_1': 'partly relevant',
    'label.grade_name_2': 'relevant',
    'label.query': 'Query',
    'label.unlabelled_only': 'Unlabelled only',
    'label.unlabelled_help': 'Show only documents without a grade (the one in view stays).',
    'label.count_documents': '{n} document|{n} documents',
    'label.progress_query': 'This query: {done} of {docs} graded',
    'label.progress_session': 'Session: {done} of {total} graded',
    'label.query_image': 'query image',
    'label.all_graded': 'Every document of this query is graded. Untick “Unlabelled only” to review them, or pick '
                        'the next query.',
    'label.saved': 'Saved: {doc} = {grade}',
    'label.undone_ungraded': 'Undone: {doc} is ungraded again',
    'label.undone_back': 'Undone: {doc} is back to {grade}',
    'label.note_saved': 'Note saved on {doc}',
    'label.no_image': '(no image)',
    'label.position': 'Document {i} of {n} · id {doc}',
    'label.grade_line': '**Grade:** {grade}',
    'label.grade_value': '{grade} ({name})',
    'label.not_graded': 'not graded yet',
    'label.text': 'Text',
    'label.none': '(none)',
    'label.ocr_text': 'OCR text',
    'label.no_text_found': 'no text found',
    'label.not_read': '(not read)',
    'label.previous': 'Previous',
    'label.next': 'Next',
    'label.undo': 'Undo',
    'label.undo_help': 'Undo the last grade you gave',
    'label.note': 'Note (saved when you leave the box)',
    'label.keys': 'Keys: 0 / 1 / 2 grade · ← → move · U undo. Grades and notes are saved at once.',
    'label.progress_per_query': 'Progress per query',
    'label.all_queries': 'all',
    'label.col_set_id': 'set_id',
    'label.col_query_id': 'query_id',
    'label.col_query_text': 'query_text',
    'label.col_documents': 'documents',
    'label.col_labelled': 'labelled',
    'label.col_share': 'done',
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
