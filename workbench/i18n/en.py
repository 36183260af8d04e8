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
_ENGINE_MODEL_FIX = ("Download the weights on a machine with Hugging Face access: "
              "`huggingface-cli download {model_id} --local-dir /models/lychee-rerank-mm`, "
              "copy the folder here, then set WORKBENCH_MODEL=/models/lychee-rerank-mm (or pass --model PATH). "
              "To try the workbench without the real weights, build a test model with "
              "`workbench tiny-checkpoint DIR` and point WORKBENCH_MODEL at DIR.")
_ENGINE_HUB_FIX = ("Download the model on a machine with internet access and copy its folder here, then "
            "type that folder's path as the model; or connect this machine to the internet.")
_ENGINE_NOT_YES_NO_FIX = ("Serve a yes/no reranker checkpoint (e.g. vLLM with the Lychee-rerank-mm folder), "
                          "or point the workbench at the right server.")
_ENGINE_TOO_LONG_FIX = ("Start the server with a larger --max-model-len, or lower max_pixels / shorten "
                        "the document text.")
_ENGINE_RETRIES_FIX = ("Check the servers' logs and that they are running, then run again: the pairs already "
                       "scored are kept and not sent again.")
_ENGINE_PACKAGE_FIX = "Install it with: {pip}  (or everything: {pip_all}), then restart the workbench."
MESSAGES.update({
    # --- backends and models (rerank/registry.py, rerank/qwen_vl, hub.py)
    'err.backend.unknown': "Unknown reranker backend '{name}'.",
    'err.backend.unknown.fix': 'Use one of: {names}.',
    'err.model.none_named': 'No reranker was named.',
    'err.model.none_named.fix': "Give 'bm25', or the folder of a Lychee-rerank-mm / Qwen3-VL-Reranker checkpoint.",
    'err.model.not_backend_or_folder': "'{key}' is neither a reranker backend nor a model folder.",
    'err.model.not_backend_or_folder.fix': 'Use one of: {names}, or the folder of a Lychee-rerank-mm / '
                                           'Qwen3-VL-Reranker checkpoint.',
    'err.backend.missing_packages': "The '{key}' backend needs {packages}, which is not installed.",
    'err.backend.missing_packages.fix': '{pip}',
    'err.backend.import_failed': "The '{key}' backend could not be imported ({detail}).",
    'err.backend.import_failed.fix': '{pip}',
    'err.backend.qwen_missing': 'The qwen-vl backend needs torch, transformers and qwen-vl-utils ({detail}).',
    'err.backend.qwen_missing.fix': '{pip}',
    'err.backend.no_cuda': "Device '{device}' was requested but no CUDA GPU is visible.",
    'err.backend.no_cuda.fix': 'Use --device cpu, or check the NVIDIA driver with `nvidia-smi`.',
    'err.backend.unknown_dtype': "Unknown dtype '{dtype}'.",
    'err.backend.unknown_dtype.fix': 'Use float32, bfloat16 or float16.',
    'err.backend.transformers_too_old': "This transformers ({version}) cannot load '{path}': {detail}",
    'err.backend.transformers_too_old.fix': 'pip install -U transformers',
    'err.model.not_configured': 'No Qwen-VL reranker model is configured.',
    'err.model.not_configured.fix': _ENGINE_MODEL_FIX,
    'err.model.no_config': "'{path}' could not be loaded (no config.json in that folder).",
    'err.model.no_config.fix': _ENGINE_MODEL_FIX,
    'err.model.is_file': "'{path}' could not be loaded (it is a file, not a model folder).",
    'err.model.is_file.fix': _ENGINE_MODEL_FIX,
    'err.model.no_folder': "'{path}' could not be loaded (the folder does not exist).",
    'err.model.no_folder.fix': _ENGINE_MODEL_FIX,
    'err.model.load_failed': "'{path}' could not be loaded ({detail}).",
    'err.model.load_failed.fix': _ENGINE_MODEL_FIX,
    'err.model.cannot_load': "'{path}' could not be loaded.",
    'err.model.cannot_load.fix': _ENGINE_MODEL_FIX,
    'err.model.incomplete': "The model folder '{folder}' is incomplete: it has no {missing}.",
    'err.model.incomplete.fix': "Copy the whole checkpoint folder (every file of the model's download, e.g. "
                                '`huggingface-cli download {model_id} --local-dir DIR` on a machine with '
                                'Hugging Face access), or point --model / WORKBENCH_MODEL at the complete folder.',
    'err.model.not_yes_no': "The tokenizer of '{path}' splits '{word}' into {n} tokens; a yes/no reranker "
                            'needs it as one token.',
    'err.model.not_yes_no.fix': 'Point WORKBENCH_MODEL at a Lychee-rerank-mm / Qwen-VL reranker checkpoint.',
    'err.model.hub_offline': "Model '{model}' is not a local folder and not in the Hugging Face cache, "
                             'and the hub is switched off here (HF_HUB_OFFLINE).',
    'err.model.hub_offline.fix': _ENGINE_HUB_FIX,
    'err.model.hub_unreachable': "Model '{model}' is not a local folder and not in the Hugging Face cache, "
                                 'and the Hugging Face hub ({host}) cannot be reached from this machine ({error}).',
    'err.model.hub_unreachable.fix': _ENGINE_HUB_FIX,
    # --- scoring (rerank/qwen_vl/reranker.py, rerank/remote.py)
    'err.rank.image_unreadable': 'An image could not be read for scoring ({detail}).',
    'err.rank.image_unreadable.fix': 'Check the image files of this set, or re-import them.',
    'err.rank.gpu_out_of_memory': "The GPU ran out of memory on document '{doc}' even alone.",
    'err.rank.gpu_out_of_memory.fix': 'Lower max_pixels or max_length, close other GPU programs, or use a bigger GPU.',
    'err.rank.query_image_missing': "The image of query '{id}' ('{path}') does not exist.",
    'err.rank.query_image_missing.fix': 'Re-import the set with its images, or fix the image path.',
    'err.rank.doc_image_missing': "The image of document '{id}' ('{path}') does not exist.",
    'err.rank.doc_image_missing.fix': 'Re-import the set with its images, or fix the image path.',
    'err.rank.image_file_missing': "The image '{path}' does not exist.",
    'err.rank.image_file_missing.fix': 'Re-import the set with its images, or fix the image path.',
    # --- serving engines over HTTP (rerank/remote.py)
    'err.backend.no_httpx': 'The remote backend needs httpx, which is not installed.',
    'err.backend.no_httpx.fix': "pip install 'lychee-workbench[serve]'  (httpx)",
    'err.remote.not_a_url': "'{url}' is not a server URL.",
    'err.remote.not_a_url.fix': 'Give it as http://HOST:PORT/v1, e.g. --model http://127.0.0.1:8000/v1.',
    'err.remote.no_url': 'No server URL was given.',
    'err.remote.no_url.fix': 'Give one as --model http://HOST:PORT/v1.',
    'err.remote.refused': 'The server at {url} refused the request ({status}: {detail}).',
    'err.remote.refused.fix': "Put the server's API key in the environment variable {env} (e.g. "
                              '`export {env}=...`, the key the server was started with via --api-key), '
                              'or type it in the API key field.',
    'err.remote.html_page': '{url} answered {what} with an HTML page (HTTP {status}), not the JSON of an '
                            'OpenAI-compatible API: the URL points at a web page or a proxy, not at the engine.',
    'err.remote.html_page.fix': "Give the engine's API base, e.g. http://HOST:8000/v1 (vLLM, SGLang or "
                                '`workbench serve`), and check that no proxy or login page sits in front of it.',
    'err.remote.http_error': '{url} answered {what} with HTTP {status}: {detail}',
    'err.remote.http_error.fix': "Check the server's log; see the message above for the cause.",
    'err.remote.not_json': '{url} answered {what} with something that is not JSON: {body}',
    'err.remote.not_json.fix': "Give the engine's API base, e.g. http://HOST:8000/v1.",
    'err.remote.unreachable': 'The server at {url} cannot be reached ({error}).',
    'err.remote.unreachable.fix': 'Check the URL and port, that the server is running and reachable from here '
                                  '(firewall, VPN). Start one with e.g.: {command}  (the CPU build: python -m '
                                  'vllm.entrypoints.openai.api_server --model DIR ...)',
    'err.remote.no_models_route': '{base}/models does not exist (HTTP 404): {base} is not an OpenAI-compatible '
                                  'API base.',
    'err.remote.no_models_route.fix': "Give the engine's API base, ending in /v1, e.g. http://HOST:8000/v1.",
    'err.remote.no_model_list': '{base}/models answered without a model list: {body}',
    'err.remote.no_model_list.fix': "Give the engine's API base, ending in /v1, e.g. http://HOST:8000/v1.",
    'err.remote.tokenizer_failed': "The tokenizer '{tokenizer}' could not be loaded ({detail}).",
    'err.remote.tokenizer_failed.fix': 'Give --tokenizer the model folder (or hub id) the server serves.',
    'err.remote.tokenizer_not_yes_no': "the tokenizer '{tokenizer}' splits {words} into several tokens: the model "
                                       'is not a yes/no reranker (Lychee-rerank-mm, Qwen3-VL-Reranker).',
    'err.remote.tokenizer_not_yes_no.fix': _ENGINE_NOT_YES_NO_FIX,
    'err.remote.server_not_yes_no': "The server's tokenizer ({base}, model '{model}') splits {words} into several "
                                    'tokens: the model is not a yes/no reranker (Lychee-rerank-mm, Qwen3-VL-Reranker).',
    'err.remote.server_not_yes_no.fix': _ENGINE_NOT_YES_NO_FIX,
    'err.remote.not_yes_no': '{where} splits {words} into several tokens: the model is not a yes/no reranker '
                             '(Lychee-rerank-mm, Qwen3-VL-Reranker).',
    'err.remote.not_yes_no.fix': _ENGINE_NOT_YES_NO_FIX,
    'err.remote.unknown_protocol': "Unknown protocol '{protocol}'.",
    'err.remote.unknown_protocol.fix': 'Use --protocol chat or --protocol rerank (or leave it out to detect it).',
    'err.remote.no_model': '{base} serves no model.',
    'err.remote.no_model.fix': 'Start the server with the reranker model.',
    'err.remote.wrong_model': "The server at {base} does not serve a model named '{model}'; it serves: {models}.",
    'err.remote.wrong_model.fix': 'Use one of those names (--served-model {first}), or start the server with '
                                  '--served-model-name {model}.',
    'err.remote.replicas_differ': 'The replicas serve different models: {replicas}.',
    'err.remote.replicas_differ.fix': 'Replicas must serve the same model under the same name (--served-model-name).',
    'err.remote.several_models': 'The server serves several models ({models}); which one is the reranker?',
    'err.remote.several_models.fix': 'Name it with --served-model {first}.',
    'err.remote.tokenizer_mismatch': "--tokenizer '{tokenizer}' gives yes/no ids {lyes}/{lno}, the server "
                                     "{yes}/{no}: it is not the served model's tokenizer.",
    'err.remote.tokenizer_mismatch.fix': 'Give --tokenizer the folder of the model the server serves, or leave it out.',
    'err.remote.no_rerank_route': "The server at {base} (model '{model}') does not answer /v1/rerank ({why}).",
    'err.remote.no_rerank_route.fix': 'Start vLLM with the pooling runner for a yes/no reranker, e.g.: '
                                      '{command}  - or use --protocol chat with a generate server.',
    'err.remote.no_logprobs': "The server at {base} (model '{model}') gives no yes/no log-probabilities on "
                              '/v1/chat/completions ({why}).',
    'err.remote.no_logprobs.fix': 'Serve the reranker as a generate model with logprobs enabled (vLLM: '
                                  '{command}; do not pass --max-logprobs 0), or use --protocol rerank '
                                  'with a pooling server.',
    'err.remote.not_a_reranker': "The model '{model}' at {base} answers neither /v1/rerank nor "
                                 '/v1/chat/completions with scores (rerank: {why}). It does not look like a '
                                 'yes/no reranker being served.',
    'err.remote.not_a_reranker.fix': 'Serve Lychee-rerank-mm / Qwen3-VL-Reranker with vLLM: for the chat protocol '
                                     '`{chat_command}`, for /v1/rerank `{rerank_command}`.',
    'err.remote.answer_no_logprobs': "The server's chat answer carries no logprobs (model '{model}').",
    'err.remote.answer_no_logprobs.fix': 'Serve the model with logprobs enabled (vLLM: {command}), or use '
                                         '--protocol rerank with a pooling server.',
    'err.remote.yes_no_not_in_top': "'yes' or 'no' is not among the server's top {n} logprobs ({tokens}), so "
                                    'P(yes) cannot be computed exactly.',
    'err.remote.yes_no_not_in_top.fix': 'Use vLLM (its logprob_token_ids returns exactly the yes/no logprobs; give '
                                        '--tokenizer if the server has no /tokenize), or use --protocol rerank '
                                        'with a pooling server.',
    'err.remote.rerank_no_results': 'The /v1/rerank answer has no results: {body}',
    'err.remote.rerank_no_results.fix': 'Check that the server runs a reranker (vLLM: --runner pooling).',
    'err.remote.rerank_incomplete': 'The /v1/rerank answer scored {scored} of {n} documents.',
    'err.remote.rerank_incomplete.fix': "Do not set top_n on the server side; check the server's log.",
    'err.remote.all_replicas_out': 'Every replica failed and was taken out of rotation: {replicas}.',
    'err.remote.all_replicas_out.fix': 'Check that the servers are running (their logs say why they fail), then '
                                       'run again: the pairs already scored are kept and not sent again.',
    'err.remote.doc_too_long': "Document '{doc}' is longer than the server's context ({detail}).",
    'err.remote.doc_too_long.fix': _ENGINE_TOO_LONG_FIX,
    'err.remote.docs_too_long': "Documents '{first}'..'{last}' is longer than the server's context ({detail}).",
    'err.remote.docs_too_long.fix': _ENGINE_TOO_LONG_FIX,
    'err.remote.doc_retries_exhausted': "Document '{doc}' failed {attempts} times (last: {reason} on {base}).",
    'err.remote.doc_retries_exhausted.fix': _ENGINE_RETRIES_FIX,
    'err.remote.docs_retries_exhausted': "Documents '{first}'..'{last}' failed {attempts} times (last: {reason} "
                                         'on {base}).',
    'err.remote.docs_retries_exhausted.fix': _ENGINE_RETRIES_FIX,
    'err.prompt.unknown_format': "'{name}' is not a prompt format.",
    'err.prompt.unknown_format.fix': 'Choose one of: {names}.',
    'err.prompt.wrong_family': "The prompt format '{name}' is made for {format_family} checkpoints, but this "
                               'model is {family}.',
    'err.prompt.wrong_family.fix': 'Choose a format for this model: {fits}.',
    'err.prompt.no_serving_template': "No serving template named '{name}'.",
    'err.prompt.no_serving_template.fix': 'Use one of: {names} (or {files}).',
    # --- what a reranker is given, and stopping it (rerank/base.py)
    'err.rank.query_unknown_fields': 'The query has unknown field(s): {fields}.',
    'err.rank.query_unknown_fields.fix': "Give the query as a string, or a dict with 'text' and/or 'image' "
                                         "(a file path), optionally 'id'.",
    'err.rank.query_empty': 'The query has neither text nor an image.',
    'err.rank.query_empty.fix': "Give the query a 'text', an 'image' (a file path), or both.",
    'err.rank.query_bad_type': 'The query is a {type}; a reranker cannot read it.',
    'err.rank.query_bad_type.fix': "Give the query as a string, a dict with 'text' and/or 'image', or a Query.",
    'err.rank.documents_not_list': 'The documents must be a list, even for one document.',
    'err.rank.documents_not_list.fix': 'Wrap it in a list: rank(query, ["one document"]).',
    'err.rank.document_unknown_fields': 'Document {i} has unknown field(s): {fields}.',
    'err.rank.document_unknown_fields.fix': "Give each document as a string, or a dict with 'text' and/or "
                                            "'image' (a file path), optionally 'id' and 'metadata'.",
    'err.rank.document_bad_type': 'Document {i} is a {type}; a reranker cannot read it.',
    'err.rank.document_bad_type.fix': "Give each document as a string, a dict with 'text' and/or 'image', "
                                      'or a Document.',
    'err.rank.duplicate_document_id': "Two documents share the id '{id}'.",
    'err.rank.duplicate_document_id.fix': 'Give every document a unique id, or leave the ids out.',
    'err.rank.cancelled_before_scoring': 'Cancelled before scoring: {done} of {total} documents scored.',
    'err.rank.cancelled_before_scoring.fix': 'Start the run again; scores already computed are cached.',
    'err.rank.cancelled': 'Cancelled after {done} of {total} documents.',
    'err.rank.cancelled.fix': 'Start the run again; the scores already computed are kept and reused from the cache.',
    # --- comparing runs (compare/*), parity (parity.py)
    'err.compare.too_few_runs': 'Comparison needs at least {least} run(s); got {n}.',
    'err.compare.too_few_runs.fix': 'Rerank the candidate set with another instruction or backend first, then compare.',
    'err.compare.several_queries': 'A rank table compares runs of one query, but these runs belong to {n} '
                                   'different queries.',
    'err.compare.several_queries.fix': 'Pick one query first, e.g. group_runs(runs).for_query(query_id).',
    'err.compare.baseline_not_compared': "Baseline run '{baseline}' is not among the compared runs.",
    'err.compare.baseline_not_compared.fix': 'Pick one of: {labels}.',
    'err.compare.baseline_out_of_range': 'Baseline run number {baseline} is out of range.',
    'err.compare.baseline_out_of_range.fix': 'Pick a number from 0 to {last}.',
    'err.compare.baseline_not_in_session': "Baseline run '{baseline}' is not in this session.",
    'err.compare.baseline_not_in_session.fix': 'Pick one of: {labels}.',
    'err.compare.no_relevant_labels': 'No compared query has a document labelled relevant, so ranking metrics '
                                      'are undefined.',
    'err.compare.no_relevant_labels.fix': 'Label at least one document per query as 1 (partly relevant) or 2 '
                                          "(relevant), or import TREC qrels whose query ids match the runs' query ids.",
    'err.compare.bad_shift_threshold': 'The rank-shift threshold must be at least 1 (got {k}).',
    'err.compare.bad_shift_threshold.fix': 'Use e.g. 3: rows where a run moves a document 3 or more places are '
                                           'highlighted.',
    'err.compare.run_without_metrics': "Run '{run}' has no metrics to compare.",
    'err.compare.run_without_metrics.fix': 'Pick one of: {labels} (runs need labelled queries).',
    'err.parity.no_common_pairs': 'The two score sets have no (query, document) pair in common.',
    'err.parity.no_common_pairs.fix': 'Score the same candidate set with both backends.',
    # --- workbench doctor (doctor.py): check names, details and fixes (the app's sidebar shows them)
    'doctor.name.gpu_memory': 'gpu memory',
    'doctor.name.tesseract_languages': 'tesseract languages',
    'doctor.name.model': 'model',
    'doctor.name.app_port': 'app port',
    'doctor.name.smoke_test': 'scoring smoke test',
    'doctor.install.fix': '{pip}',
    'doctor.python.fix': 'Use Python 3.10 or newer (./run_workbench.sh setup).',
    'doctor.torch.missing': 'torch is not installed ({error}): only BM25 and the library work',
    'doctor.torch.missing.fix': 'For the Qwen-VL reranker: {pip}',
    'doctor.torch.broken': 'torch cannot be imported: {error}',
    'doctor.torch.broken.fix': "Install the Qwen-VL extra: {pip} (in a checkout: "
                               "PIP_CONSTRAINT=constraints.txt pip install -e '.[all]')",
    'doctor.transformers.broken': 'transformers cannot be imported: {error}',
    'doctor.cuda.no_torch': 'torch is not installed, CUDA not checked',
    'doctor.cuda.torch_broken': 'torch missing, CUDA not checked',
    'doctor.cuda.torch_broken.fix': 'Install torch first.',
    'doctor.cuda.no_gpu': 'no CUDA GPU visible; the Qwen-VL backend runs on CPU (fine for the tiny model, '
                          'far too slow for the 7B Lychee weights)',
    'doctor.cuda.no_gpu.fix': 'Run on a machine with an NVIDIA GPU (>= 16 GB), a CUDA build of torch and a '
                              'working driver (`nvidia-smi`).',
    'doctor.cuda.ok': '{n} GPU(s); GPU 0: {name}, CUDA {cuda}',
    'doctor.gpu_memory.detail': '{gb} GB on GPU 0 (Lychee-rerank-mm 7B in bf16 needs about {need} GB)',
    'doctor.gpu_memory.fix': 'Use a GPU with >= 16 GB, or lower max_pixels/batch size and expect out-of-memory '
                             'retries.',
    'doctor.bf16.ok': 'bfloat16 supported',
    'doctor.bf16.missing': 'this GPU has no bfloat16',
    'doctor.bf16.fix': 'Use --dtype float16 (slightly different scores).',
    'doctor.flash_attn.ok': 'flash-attn installed: attention uses flash_attention_2 on CUDA',
    'doctor.flash_attn.missing': 'flash-attn not installed: attention uses sdpa (correct, a bit slower and more '
                                 'memory on long image inputs)',
    'doctor.flash_attn.fix': 'On a CUDA machine: pip install flash-attn --no-build-isolation',
    'doctor.tesseract.missing': 'tesseract binary not found (OCR is unavailable)',
    'doctor.tesseract.missing.fix': 'sudo apt-get install -y tesseract-ocr tesseract-ocr-chi-sim',
    'doctor.tesseract.no_pytesseract': 'the Python package pytesseract is not installed (OCR is unavailable)',
    'doctor.tesseract.broken': 'tesseract at {exe} does not run: {error}',
    'doctor.tesseract.broken.fix': 'Reinstall: sudo apt-get install --reinstall tesseract-ocr',
    'doctor.tesseract.ok': 'tesseract {version} at {exe}',
    'doctor.tesseract_languages.installed': 'installed: {langs}',
    'doctor.tesseract_languages.none': 'installed: none',
    'doctor.tesseract_languages.fix': 'sudo apt-get install -y {packages}',
    'doctor.model.not_set': 'WORKBENCH_MODEL is not set: only the lexical (BM25) backend and test checkpoints '
                            'can be used',
    'doctor.model.not_set.fix': 'huggingface-cli download {model_id} --local-dir /models/lychee-rerank-mm (on a '
                                'machine with hub access), then export WORKBENCH_MODEL=/models/lychee-rerank-mm',
    'doctor.model.ok': '{path}: config.json + {n} safetensors file(s), {size} GB',
    'doctor.model.no_weights': '{path} has a config.json but no *.safetensors weights',
    'doctor.model.no_weights.fix': 'Finish the download (huggingface-cli download … --local-dir) into that folder.',
    'doctor.model.no_config': 'WORKBENCH_MODEL={path} has no config.json',
    'doctor.model.no_config.fix': 'Point WORKBENCH_MODEL at the folder that holds config.json and the weights.',
    'doctor.model.missing': 'WORKBENCH_MODEL={path} does not exist on this machine',
    'doctor.model.missing.fix': 'Download {model_id} (huggingface-cli download … --local-dir DIR) and set '
                                'WORKBENCH_MODEL=DIR.',
    'doctor.port.free': 'port {port} is free',
    'doctor.port.busy': 'port {port} is in use (another Streamlit app?)',
    'doctor.port.busy.fix': 'Stop the other app, or start with `streamlit run app.py --server.port {next}`.',
    'doctor.smoke.skipped': 'skipped: torch is not installed',
    'doctor.smoke.detail': 'tiny checkpoint on {device} ({dtype}, {attn}): scores {scores} in {secs}s',
    'doctor.smoke.bad_scores.fix': 'Scores out of (0, 1): report this as a bug.',
    'doctor.smoke.failed.fix': 'Reinstall the environment: ./run_workbench.sh setup',
    # --- optional packages (extras.require; the callers in compare/ name their purpose by code)
    'err.backend.package_missing': "The Python package '{missing}' is not installed; it is needed for {purpose}.",
    'err.backend.package_missing.fix': _ENGINE_PACKAGE_FIX,
    'err.compare.needs_package': "The Python package '{missing}' is not installed; it is needed for comparing runs.",
    'err.compare.needs_package.fix': _ENGINE_PACKAGE_FIX,
    'err.compare.metrics_need_package': "The Python package '{missing}' is not installed; it is needed for ranking "
                                        'metrics (NDCG, MRR, P@k, Recall@k, MAP).',
    'err.compare.metrics_need_package.fix': _ENGINE_PACKAGE_FIX,
    # --- test checkpoints (rerank/tiny.py: `workbench tiny-checkpoint`)
    'err.tiny.unknown_family': "Unknown model family '{family}'.",
    'err.tiny.unknown_family.fix': 'Use --family qwen2.5-vl (Lychee-rerank-mm) or --family qwen3-vl (Qwen3-VL-Reranker).',
    'err.tiny.unknown_size': "Unknown tiny-checkpoint size '{size}'.",
    'err.tiny.unknown_size.fix': 'Use --size tiny or --size small.',
    'err.tiny.unknown_layout': "Unknown checkpoint layout '{layout}'.",
    'err.tiny.unknown_layout.fix': 'Use --layout current or --layout v4.',
    'err.tiny.qwen3_has_no_windows': 'vision_depth / fullatt_block_indexes / window_size shape the Qwen2.5-VL '
                                     'window-attention tower; Qwen3-VL has no windows.',
    'err.tiny.qwen3_has_no_windows.fix': 'Leave them out for --family qwen3-vl.',
    'err.tiny.bad_tower': 'Vision tower layout depth={depth}, full attention at {full}, window {window} px is '
                          'not possible.',
    'err.tiny.bad_tower.fix': 'Use a depth >= 1, full-attention block numbers below the depth and a window of at '
                              'least 28 px (e.g. depth 32, blocks 7,15,23,31, window 112).',
    'err.tiny.v4_is_qwen25_only': 'The v4 layout exists only for Qwen2.5-VL checkpoints (the published Lychee '
                                  'files); Qwen3-VL needs transformers 4.57+ and its current layout.',
    'err.tiny.v4_is_qwen25_only.fix': 'Drop --layout v4, or use --family qwen2.5-vl.',
})
