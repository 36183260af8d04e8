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
    'home.title': 'Lychee rerank workbench',
    'home.caption': 'Import candidate sets · OCR images · rerank with Lychee-rerank-mm · compare instructions · '
                    'label · export',
    'home.quick_start': 'Quick start',
    'home.empty_database': 'The database is empty. Load the bundled sample sets to try every page.',
    'home.load_samples': 'Load the sample sets',
    'home.open_in_rerank': 'Open a candidate set straight in the Rerank page:',
    'home.n_docs': '{n} doc|{n} docs',
    'home.n_labels': '{n} label|{n} labels',
    'home.rerank_button': 'Rerank',
    'home.recent_sessions': 'Recent sessions',
    'home.no_sessions': 'No sessions yet.',
    'home.gpu_title': 'Running the GPU model',
    'home.checks_unavailable': 'Environment checks are not available yet.',
    'home.all_ok': 'Everything the Qwen-VL model needs is in place.',
    'home.fix': 'Fix:',
    'home.all_checks': 'All checks',
    'home.col_check': 'name',
    'home.col_ok': 'ok',
    'home.col_detail': 'detail',
    'home.col_fix': 'fix',
    'home.no_gpu_hint': 'Without a GPU you can still use every page with the lexical (BM25) backend.',
})


# ======================================================================= import
# pages/import_page.py and the import report
MESSAGES.update({
    'import.title': 'Import candidate sets',
    'import.tab_file': 'CSV / JSONL / ZIP',
    'import.tab_images': 'Images + query',
    'import.tab_samples': 'Sample sets',
    'import.file_help': 'Columns: `query_id, query_text, query_image, doc_id, doc_text, doc_image` (values may '
                        'be empty) and optional `label` (0/1/2); `text`, `image`, `query` and `document` are '
                        'understood too. Image paths are relative to the file; a CSV/JSONL uploaded on its own '
                        'brings no images along, so put the file and its image folder in one **ZIP** and upload '
                        'that. Uploads up to {max_mb} MB.',
    'import.file_label': 'Candidate file',
    'import.read_file': 'Read file',
    'import.images_label': 'Document images',
    'import.query_text': 'Query text',
    'import.query_id': 'Query id (optional)',
    'import.query_id_help': 'Names the candidate set; defaults to the query text.',
    'import.images_help': 'Each image becomes one document; its file name is the doc id.',
    'import.read_images': 'Read images',
    'import.images_source': '{name} ({images})',
    'import.n_images': '{n} image|{n} images',
    'import.no_samples': 'No sample sets are bundled with this installation.',
    'import.sample': 'Sample',
    'import.read_sample': 'Read sample',
    'import.preview': 'Preview',
    'import.preview_summary': '{source}: {sets} with {docs}',
    'import.preview_encoding': ' (encoding {encoding})',
    'import.n_sets': '{n} candidate set|{n} candidate sets',
    'import.n_documents': '{n} document|{n} documents',
    'import.n_docs': '{n} doc|{n} docs',
    'import.metric_sets': 'Candidate sets',
    'import.metric_documents': 'Documents',
    'import.metric_rejected': 'Rejected rows',
    'import.set_title': '{name}: “{query}” — {docs}',
    'import.col_doc_id': 'doc_id',
    'import.col_text': 'text',
    'import.col_image': 'image',
    'import.col_label': 'label',
    'import.save_title': 'Save into a session',
    'import.session': 'Session',
    'import.new_session': '➕ New session',
    'import.new_session_name': 'New session name',
    'import.save_button': 'Save to session',
    'import.saved': 'Saved {sets} into “{session}”',
    'import.saved_same': '; {n} identical set was already there.|; {n} identical sets were already there.',
    'import.saved_end': '.',
    'import.report_title': 'Validation report: {rows}',
    'import.n_rejected_rows': '{n} rejected row|{n} rejected rows',
    'import.report_zip_hint': 'Image paths in an uploaded CSV/JSONL are looked up next to the file, and an '
                              'upload brings no folder with it. **Put the file and its image folder in one ZIP '
                              'and upload the ZIP.**',
    'import.report_download': 'Download rejected rows (CSV)',
    'import.col_line': 'line',
    'import.col_column': 'column',
    'import.col_error': 'error',
    'import.col_fix': 'fix',
    'import.col_source': 'source',
    'import.note_blank_rows': 'skipped {n} blank row(s)',
    'import.note_blank_lines': 'skipped {n} blank line(s)',
    'import.note_not_images': 'ignored {n} file(s) that are not images',
    'import.note_mixed_utf8': '{name} is UTF-8 except {n} line(s) ({lines}) holding bytes that are not UTF-8; '
                              'the rows on those lines were rejected, the rest imported',
    'import.note_legacy': '{name} is not UTF-8: it was read as {encoding} (detected){sample}. If that text '
                          'looks wrong, import it again naming the right encoding (CLI: --encoding NAME, e.g. '
                          '--encoding gbk or --encoding latin-1), or re-save the file as UTF-8.',
    'import.note_legacy_sample': '; line {line} reads: {sample}',
    'import.note_trailing_mb': "image '{image}' had {mb} MB of other data after the end of the image; only the "
                               'image was kept',
    'import.note_trailing_bytes': "image '{image}' had {n} byte(s) of other data after the end of the image; "
                                  'only the image was kept',
})


# ======================================================================= ocr
# pages/ocr_page.py, ui/ocr_tools.py
MESSAGES.update({
    'ocr.title': 'OCR',
    'ocr.caption': 'Text in product shots and scans helps both the model and the lexical baseline. Run OCR, '
                   'correct what it misread, save: rankings then use the `[OCR] … [TEXT] …` description.',
    'ocr.no_sets': 'This session has no candidate sets yet: import one first.',
    'ocr.counts': '{with_image} of {docs} have an image; {with_text} already have OCR text.',
    'ocr.n_documents': '{n} document|{n} documents',
    'ocr.n_images': '{n} image|{n} images',
    'ocr.n_sets': '{n} set|{n} sets',
    'ocr.what': 'OCR',
    'ocr.session_done': 'OCR read {ok} of {images} in {sets}; descriptions saved.',
    'ocr.col_set': 'set',
    'ocr.col_text_read': 'text read',
    'ocr.col_no_text': 'no text found',
    'ocr.col_errors': 'errors',
    'ocr.nothing_read': 'Every image already has OCR text, so nothing was read. Untick “Only images without OCR '
                        'text” to read them all again (your corrections are kept).',
    'ocr.set_done': 'OCR read {ok} of {images}; descriptions saved.',
    'ocr.no_text_in_image': '**{doc}**: no text found in the image. Type the text below if it has any.',
    'ocr.languages': 'Languages (tesseract)',
    'ocr.only_missing': 'Only images without OCR text',
    'ocr.run': 'Run OCR',
    'ocr.job_set': 'Reading the images of “{set}”',
    'ocr.run_session': 'OCR every set of this session',
    'ocr.run_session_help': 'Reads the images of all {sets} of this session with the languages and the option '
                            'on the left; Cancel keeps what is done.',
    'ocr.job_session': 'Reading the images of every set of “{session}” ({sets})',
    'ocr.tools_title': 'Raw and edited OCR text side by side · clear OCR of selected documents',
    'ocr.page': 'Page',
    'ocr.text_box': 'OCR text (editable)',
    'ocr.description_title': 'Description used for ranking',
    'ocr.empty': '(empty)',
    'ocr.save': 'Save {changed}',
    'ocr.n_changed': '{n} changed description|{n} changed descriptions',
    'ocr.saved': 'Saved {descriptions}.',
    'ocr.n_descriptions': '{n} description|{n} descriptions',
    'ocr.status_not_read': 'not read',
    'ocr.status_no_image': 'no image',
    'ocr.status_no_text': 'no text found',
    'ocr.status_text': 'text',
    'ocr.status_edited': 'edited',
    'ocr.status_count': '{n} {status}',
    'ocr.status_help': 'not read: OCR has not run · no text found: tesseract found no line it was sure of '
                       '(photos) · text: OCR text in use · edited: your correction is in use',
    'ocr.col_doc_id': 'doc_id',
    'ocr.col_status': 'status',
    'ocr.col_raw': 'raw OCR text',
    'ocr.col_edited': 'your edit',
    'ocr.col_in_use': 'in use',
    'ocr.col_description': 'description',
    'ocr.clear_edits_too': 'Also forget my edits',
    'ocr.clear_edits_help': 'Off: your corrected text stays and is still used.',
    'ocr.clear_button': 'Clear OCR of {docs}',
    'ocr.n_selected': '{n} selected document|{n} selected documents',
    'ocr.cleared': 'Cleared the OCR text of {docs}',
    'ocr.cleared_edits_kept': ' (your edits kept)',
    'ocr.cleared_end': '.',
})


# ======================================================================= sessions
# pages/sessions_page.py
MESSAGES.update({
    'sessions.title': 'Sessions',
    'sessions.filter': 'Filter by name',
    'sessions.filter_placeholder': 'type part of a session name',
    'sessions.none_match': 'No sessions match.',
    'sessions.none_yet': 'No sessions yet: import a candidate set first.',
    'sessions.col_session': 'session',
    'sessions.col_sets': 'sets',
    'sessions.col_runs': 'runs',
    'sessions.col_created': 'created',
    'sessions.col_description': 'description',
    'sessions.sample_description': "Bundled sample '{name}' ({file})",
    'sessions.open': 'Open session',
    'sessions.rename_or_delete': 'Rename or delete',
    'sessions.new_name': 'New name',
    'sessions.rename': 'Rename',
    'sessions.renamed': 'Renamed “{old}” to “{new}”.',
    'sessions.confirm_delete': 'Delete “{session}” with its {sets} and {runs}? This cannot be undone.',
    'sessions.n_sets': '{n} set|{n} sets',
    'sessions.n_runs': '{n} run|{n} runs',
    'sessions.delete_yes': 'Yes, delete',
    'sessions.deleted': 'Deleted the session “{session}”.',
    'sessions.delete_no': 'Keep it',
    'sessions.delete': 'Delete session…',
    'sessions.tab_runs': 'Runs',
    'sessions.tab_labels': 'Labels & notes',
    'sessions.tab_rerun': 'Re-run',
    'sessions.tab_io': 'Export / import',
    'sessions.no_runs': 'No runs yet in this session.',
    'sessions.col_run': 'run',
    'sessions.col_name': 'name',
    'sessions.col_set': 'set',
    'sessions.col_backend': 'backend',
    'sessions.col_status': 'status',
    'sessions.col_instruction': 'instruction',
    'sessions.col_started': 'started',
    'sessions.review_run': 'Review run',
    'sessions.rerun_caption': 'Score every set of this session again with another instruction (cached scores '
                              'are reused).',
    'sessions.template': 'Template',
    'sessions.template_custom': 'custom',
    'sessions.instruction': 'Instruction',
    'sessions.precise': 'Be precise and avoid vague terms',
    'sessions.rerun_what': 're-run',
    'sessions.rerun_done': '{runs} saved (see the Runs tab). Compare them on the Compare page.',
    'sessions.rerun_button': 'Re-run session',
    'sessions.empty_instruction': 'The instruction is empty, so the model would not know what to look for.',
    'sessions.empty_instruction_fix': 'Type an instruction in the Instruction box, or pick a template.',
    'sessions.rerun_job': 'Re-running “{session}” ({sets})',
    'sessions.export_title': 'Export ranked results',
    'sessions.shape': 'Shape',
    'sessions.shape_long': 'long (one row per run × document)',
    'sessions.shape_wide': 'wide (one row per document)',
    'sessions.bom': 'Excel-friendly (UTF-8 with BOM)',
    'sessions.bom_help': 'On by default: Excel then shows Chinese text correctly. Turn it off for tools that do '
                         'not expect a BOM.',
    'sessions.export_runs': 'Runs to export (empty: every run of the session)',
    'sessions.download_csv': 'Download CSV',
    'sessions.export_count': '{runs}, {rows}.',
    'sessions.n_rows': '{n} row|{n} rows',
    'sessions.download_trec': 'Download TREC run',
    'sessions.download_trec_help': 'qid Q0 docid rank score tag — for trec_eval, ranx, ir-measures',
    'sessions.nothing_to_export': 'Nothing to export yet.',
    'sessions.download_qrels': 'Download labels as TREC qrels',
    'sessions.download_qrels_help': 'qid 0 docid grade (0/1/2)',
    'sessions.import_runs_title': 'Import ranked results',
    'sessions.ranked_label': 'Ranked-results CSV: query_id, doc_id, score and/or rank; optional system (one run '
                             'per system), instruction, backend, model',
    'sessions.import_runs': 'Import as runs',
    'sessions.imported_runs': 'Imported {runs}',
    'sessions.imported_runs_from': 'Imported {runs} from {file}',
    'sessions.identical_runs': '; {n} identical run was already imported.|; {n} identical runs were already '
                               'imported.',
    'sessions.end': '.',
    'sessions.trec_run_label': 'TREC run file: qid Q0 docid rank score tag',
    'sessions.trec_run_help': "One run per tag; query and doc ids must match this session's sets.",
    'sessions.import_trec': 'Import TREC run',
    'sessions.import_qrels_title': 'Import labels (TREC qrels)',
    'sessions.qrels_label': 'Qrels file: qid 0 docid grade',
    'sessions.qrels_help': 'Grades 0 (not relevant), 1 (partly), 2 (relevant). Every line is checked first; an '
                           'unknown query or document applies nothing.',
    'sessions.qrels_clip': 'Clip grades into 0–2 (negatives → 0, above 2 → 2)',
    'sessions.qrels_skip': 'Skip judgments outside the sets (qrels judged on a bigger pool)',
    'sessions.import_qrels': 'Import labels',
    'sessions.qrels_read': '{judgments} for {queries}',
    'sessions.n_judgments': '{n} judgment|{n} judgments',
    'sessions.n_queries': '{n} query|{n} queries',
    'sessions.qrels_clipped': '; {n} grade outside 0–2 was clipped into 0–2|; {n} grades outside 0–2 were '
                              'clipped into 0–2',
    'sessions.qrels_applied': 'Read {read}. Applied {labels} to {sets} ({new} new, {changed} changed, '
                              '{unchanged} unchanged)',
    'sessions.n_labels': '{n} label|{n} labels',
    'sessions.qrels_skipped': '; skipped {n} judgment outside the sets.|; skipped {n} judgments outside the sets.',
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
