"""Orchestration shared by the pages and the CLI: the only place that wires the
store, the engine and the score cache together.

    file → formats → domain objects → store → engine (asks the store's cache first) → store

Long work reports `progress(done, total)` and stops between batches when `cancel`
(a threading.Event) is set. Scores are saved batch by batch, so a closed tab or a
crash loses at most the batch in flight; a cancelled run is kept with status
"cancelled" and whatever scores were finished.

The service is a package, one module per domain: runs (the run lifecycle), sets, imports,
exports, labels, ocr, analysis. Everything is re-exported here, so ``from workbench import
service; service.rerank_set(...)`` and ``from workbench.service import ...`` keep working.
"""

from __future__ import annotations

from ._common import Progress, instruction_text, provisional_scores, _short, _few  # noqa: F401
from .runs import rerank_set, stop_run, _same_params, resume_run, rerank_many, rerank_adhoc, docs_from_lines, set_run_note, delete_run  # noqa: F401
from .runs import rerank_run, resume_session_run, note_run, delete_whole_run  # noqa: F401
from .sets import set_fingerprint, _rough_size, save_sets  # noqa: F401
from .imports import BEIR_BATCH, import_beir, import_runs, _same_imported_run, import_qrels  # noqa: F401
from .exports import export_runs, export_tidy, tidy_export_frame, _runs_to_export, export_trec_run, export_qrels  # noqa: F401
from .exports import EXPORT_BATCH, write_tidy, write_runs, write_trec_run, export_file, count_rows, rankings_meta  # noqa: F401
from .labels import save_labels, grade_document, undo_label, note_document, label_progress, labels_by_query  # noqa: F401
from .annotators import visible_grades, session_grades, agreement, disagreements, adjudicate, session_annotators  # noqa: F401
from .ocr import ocr_set, ocr_session, clear_ocr, edit_ocr, clear_session_ocr  # noqa: F401
from .analysis import compare_runs, query_matrix, session_run_ids, comparison_tables  # noqa: F401
from .analysis import (  # noqa: F401
    compare_session_runs,
    load_rankings,
    runs_by_label_source,
    session_labels,
    session_query_ids,
)
