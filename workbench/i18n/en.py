"""The app's texts in English: one catalog, key -> template (see workbench/i18n/__init__.py).

Sections belong to parts of the code; keep a key in the section of the code that uses it,
and add every key to both catalogs (tests/test_i18n.py checks)."""

MESSAGES: dict[str, str] = {}

# ======================================================================= common
# words used on several pages (buttons, counts, statuses)
MESSAGES.update({
    'count.sets': '{n} set|{n} sets',
    'count.candidate_sets': '{n} candidate set|{n} candidate sets',
    'count.identical_sets': '{n} identical set|{n} identical sets',
    'count.runs': '{n} run|{n} runs',
    'count.identical_runs': '{n} identical run|{n} identical runs',
    'count.docs': '{n} doc|{n} docs',
    'count.documents': '{n} document|{n} documents',
    'count.pasted_documents': '{n} pasted document|{n} pasted documents',
    'count.selected_documents': '{n} selected document|{n} selected documents',
    'count.queries': '{n} query|{n} queries',
    'count.labels': '{n} label|{n} labels',
    'count.rows': '{n} row|{n} rows',
    'count.rejected_rows': '{n} rejected row|{n} rejected rows',
    'count.images': '{n} image|{n} images',
    'count.warnings': '{n} warning|{n} warnings',
    'count.models': '{n} model|{n} models',
    'count.instructions': '{n} instruction|{n} instructions',
    'count.cached_scores': '{n} cached score|{n} cached scores',
    'count.descriptions': '{n} description|{n} descriptions',
    'count.changed_descriptions': '{n} changed description|{n} changed descriptions',
    'count.judgments': '{n} judgment|{n} judgments',
    'common.choose_option': 'Choose an option',
    'common.choose_options': 'Choose options',
    'common.no_options': 'No options to select',
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
    'app.sidebar_title': 'Lychee workbench',
    'app.unexpected': 'Something went wrong (error id **{error_id}**). What you saved so far is kept. The details are in the workbench error log ({log} under the workbench home folder); quote the id when you report it.',
    'app.wording.encoding_gbk': 'the encoding (e.g. gbk) — re-save the file as UTF-8 and upload it again',
    'app.wording.eg_encoding': 'e.g. re-save it as UTF-8',
    'app.wording.encoding': 're-save the file as UTF-8 and upload it again',
    'app.wording.model_box': 'the Model path box',
    'app.wording.lexical': 'the Lexical (BM25) backend',
    'app.wording.k10': 'k = 10',
    'app.wording.k': 'k',
    'app.wording.error_log': 'the error log',
    'app.wording.upload': 'the upload',
    'app.loading_reranker': 'Loading the reranker (once per model)…',
    'err.ui.no_server_url': 'No server URL is given.',
    'err.ui.no_server_url.fix': "Type the serving engine's address in the Server URL box, e.g. http://127.0.0.1:8000/v1, then press Test connection.",
    'err.ui.no_server_url_probe': 'No server URL is given.',
    'err.ui.no_server_url_probe.fix': 'Type the address in the Server URL box, e.g. http://127.0.0.1:8000/v1.',
    'app.backend': 'Backend',
    'app.backend.qwen_vl': 'Qwen-VL model (Lychee-rerank-mm)',
    'app.backend.remote': 'Serving engine (vLLM, SGLang, workbench serve)',
    'app.backend.lexical': 'Lexical (BM25 baseline)',
    'app.format.auto': "auto: the model's own (lychee for Qwen2.5-VL, qwen3-vl-reranker for Qwen3-VL)",
    'app.format.lychee': "Lychee-rerank-mm, separate elements: '<Instruct>: …', '<Query>:', query, '\\n<Document>:', document (as public Lychee usage code sends it)",
    'app.format.lychee_v1': "the first release's layout: '<Instruct>: {{instruction}}\\n<Query>:' as one element (reproduces runs saved before the lychee format)",
    'app.format.qwen3_vl_reranker': "Qwen3-VL-Reranker reference: separate elements, 'NULL' for an empty side",
    'app.model_path': 'Model path or id',
    'app.model_path.help': 'Defaults to $WORKBENCH_MODEL. A local folder with the Lychee-rerank-mm weights (or a tiny test checkpoint), or a Hugging Face model id.',
    'app.server_url': 'Server URL',
    'app.server_url.help': 'The OpenAI-compatible address of a vLLM or SGLang server, or of `workbench serve`. Several replicas: separate their URLs with commas. An API key is read from WORKBENCH_API_KEY.',
    'app.test_connection': 'Test connection',
    'app.connected': 'Connected. Protocol: {protocol} · model(s): {models}',
    'app.prompt_format': 'Prompt format',
    'app.prompt_format.help': 'How instruction, query and document are laid out for the model. lychee-v1 reproduces runs saved before the lychee format existed.',
    'app.prompt_sent': 'Prompt sent to the model',
    'app.prompt_caption': 'Prompt format {format} · first document “{doc}”',
    'app.prompt_tokens': '{n} tokens',
    'app.prompt_no_tokens': 'token count: give a local model folder',
    'app.prompt_image_tokens': 'image tokens {tokens}',
    'app.upload_zip_hint': 'Image paths in an uploaded CSV/JSONL are looked up next to the file, and an upload brings no folder with it. **Put the file and its image folder in one ZIP and upload the ZIP.**',
    'app.validation_report': 'Validation report: {rows}',
    'app.download_rejected': 'Download rejected rows (CSV)',
    'app.doctor_spinner': 'Checking GPU, flash-attn, tesseract and the model…',
    'app.check_fix': 'Fix: {fix}',
    'app.check.python': 'Python is too old for the workbench',
    'app.check.torch': 'torch is missing or cannot be imported: only BM25 and the library work',
    'app.check.transformers': 'transformers cannot be imported',
    'app.check.cuda': 'no CUDA GPU visible; the Qwen-VL backend runs on CPU',
    'app.check.gpu_memory': 'too little GPU memory for Lychee-rerank-mm 7B in bf16',
    'app.check.gpu_memory.name': 'gpu memory',
    'app.check.bf16': 'this GPU has no bfloat16',
    'app.check.flash_attn': 'flash-attn not installed: attention uses sdpa',
    'app.check.tesseract': 'tesseract is missing or does not run: OCR is unavailable',
    'app.check.tesseract_languages': 'some OCR languages are not installed',
    'app.check.tesseract_languages.name': 'tesseract languages',
    'app.check.model': 'the model is not usable (see the tooltip)',
    'app.check.model.name': 'model',
    'app.check.app_port': 'the app port is in use',
    'app.check.app_port.name': 'app port',
    'app.check.scoring_smoke_test': 'the scoring smoke test failed',
    'app.check.scoring_smoke_test.name': 'scoring smoke test',
    'app.check.doctor': 'the checks could not run',
    'app.check.doctor.name': 'doctor',
    'app.session_option': '{name}  ({sets}, {runs})',
    'app.session': 'Session',
    'app.no_sessions': 'No sessions yet — import a set to start one.',
    'app.database': 'Database: {name}',
    'app.backend_device': 'Backend & device',
    'app.checks_pass': '{good} of {total} checks pass: {names}',
    'app.model': 'Model: {name}',
    'app.model_not_set': 'Model: not set (WORKBENCH_MODEL)',
    'app.score_cache': 'Score cache',
    'app.no_session_yet': 'No session yet. Import a candidate set (Import page) or pick a sample on Home; that creates a session.',
    'app.candidate_set': 'Candidate set',
    'app.st.upload': 'Upload',
    'app.st.upload_limit': '{mb}MB per file',
    'app.list_sep': ', ',
})


# ======================================================================= jobs
# ui/jobs.py: progress, cancel, job outcomes
MESSAGES.update({
    'jobs.kind.rerank': 'Rerank',
    'jobs.kind.compare': 'Comparison',
    'jobs.kind.rerun': 'Re-run',
    'jobs.kind.ocr': 'OCR',
    'jobs.what.rerank': 'ranking',
    'jobs.what.compare': 'comparison',
    'jobs.what.rerun': 're-run',
    'jobs.what.ocr': 'OCR',
    'jobs.what.work': 'work',
    'jobs.stopping': '{title}: stopping after the current batch… ({done}/{total})',
    'jobs.waiting': '{title}: waiting for the model (another job is using it)',
    'jobs.starting': '{title}: starting…',
    'jobs.progress': '{title}: {done}/{total} · {elapsed}',
    'jobs.cancel': 'Cancel',
    'jobs.cancel.help': 'Stops after the batch in flight; what is scored is saved.',
    'jobs.running_work': 'Running work',
    'jobs.cancelled': 'The {what} was cancelled. Everything finished before the stop is saved (status *cancelled*).',
    'jobs.label.rerank_set': 'Scoring “{set}” ({template})',
    'jobs.label.custom': 'custom',
    'jobs.label.rerank_pasted': 'Scoring {docs}',
    'jobs.label.ocr': 'Reading the images of “{set}”',
    'jobs.label.rerun': 'Re-running “{session}” ({sets})',
    'jobs.label.compare': 'Comparing {instructions} on {sets}',
})


# ======================================================================= frames
# ui/frames.py, ui/results.py: table headings, result texts
MESSAGES.update({
    'frames.image_only': '(image only: no text yet; the OCR page can read it)',
    'frames.set_n': 'set {id}',
    'frames.set_option': '{name} — {docs}',
    'frames.no_instruction': '(no instruction)',
    'frames.run_label': '#{id} {name} · {backend} · {status}',
    'frames.status.done': 'done',
    'frames.status.cancelled': 'cancelled',
    'frames.status.failed': 'failed',
    'frames.status.running': 'running',
    'frames.status.pending': 'pending',
    'frames.status.interrupted': 'interrupted',
    'frames.status.imported': 'imported',
    'frames.backend.lexical': 'lexical',
    'frames.backend.remote': 'remote',
    'frames.backend.imported': 'imported',
    'frames.score_pyes': 'Score P(yes)',
    'frames.score_pyes.help': "The model's probability that the document meets the instruction (0–1).",
    'frames.score_bm25': 'BM25 score',
    'frames.score': 'Score',
    'frames.score_raw.help': "Raw score, not a probability: only the order within this set means something. The bar is scaled to this run's range ({lo}–{hi}).",
    'frames.grade_0': 'grade 0',
    'frames.grade_1': 'grade 1',
    'frames.grade_2': 'grade 2',
    'frames.unlabelled': 'unlabelled',
    'frames.metric.status': 'Status',
    'frames.metric.scored': 'Scored',
    'frames.metric.cache_hits': 'Cache hits',
    'frames.metric.cache_hits.imported': 'Imported rankings are not scored here.',
    'frames.metric.cache_hits.help': 'Scores reused from the score cache.',
    'frames.metric.cache_hits.stopped': 'Counted when a run finishes; a stopped run does not count them.',
    'frames.metric.time': 'Time',
    'frames.metric.time.imported': 'Imported rankings have no scoring time.',
    'frames.metric.labelled': 'Labelled',
    'err.ui.no_documents': 'There are no documents to rank.',
    'err.ui.no_documents.fix': 'Paste one document per line, type a single document, or pick a stored set.',
    'frames.col.session': 'session',
    'frames.col.sets': 'sets',
    'frames.col.runs': 'runs',
    'frames.col.created': 'created',
    'frames.col.description': 'description',
    'frames.col.run': 'run',
    'frames.col.name': 'name',
    'frames.col.set': 'set',
    'frames.col.backend': 'backend',
    'frames.col.status': 'status',
    'frames.col.instruction': 'instruction',
    'frames.col.started': 'started',
    'frames.col.doc_id': 'doc_id',
    'frames.col.text': 'text',
    'frames.col.image': 'image',
    'frames.col.label': 'label',
    'frames.col.rank': 'rank',
    'frames.col.score': 'score',
    'frames.col.thumbnail': 'thumbnail',
    'frames.col.note': 'note',
    'frames.col.query_id': 'query_id',
    'frames.col.query_text': 'query_text',
    'frames.col.query': 'query',
    'frames.col.document': 'document',
    'frames.col.doc_text': 'doc_text',
    'frames.col.line': 'line',
    'frames.col.column': 'column',
    'frames.col.error': 'error',
    'frames.col.fix': 'fix',
    'frames.col.ocr_text': 'ocr_text',
    'frames.col.docs': 'docs',
    'frames.col.labels': 'labels',
    'frames.col.labelled': 'labelled',
    'frames.col.progress': 'progress',
    'frames.h.rank': 'Rank',
    'frames.h.image': 'Image',
    'frames.h.doc': 'Doc',
    'frames.h.description': 'Description',
    'frames.h.label': 'Label',
    'frames.h.label.help': '0 not relevant · 1 partly · 2 relevant',
    'frames.h.note': 'Note',
    'frames.chart.rank': 'rank',
    'frames.chart.label': 'label',
    'frames.warnings_while_scoring': '{warnings} while scoring:',
    'frames.results': 'Results',
    'frames.results_caption': '{run} · instruction: {instruction}',
    'frames.cancelled_run': 'Cancelled run: {scored} of {total} documents were scored before the stop; they are saved.',
    'frames.save_labels': 'Save labels',
    'frames.saved_labels_for': 'Saved {labels} for “{set}”.',
    'frames.export_csv': 'Export CSV',
    'frames.score_chart': 'Score chart',
    'frames.results_unsaved': 'Results (not saved)',
    'frames.results_unsaved_caption': '{backend} · {instruction} — tick “Save as a new candidate set” and run again to keep labels and the run.',
    'frames.save_labels_notes': 'Save labels and notes',
    'frames.saved_labels': 'Saved {labels}.',
    'frames.saved_labels_removed': 'Saved {labels}, removed {removed}.',
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
