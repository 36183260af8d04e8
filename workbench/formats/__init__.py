"""File formats in and out of the workbench.

* :mod:`.decode`      bytes -> text (BOM sniffing, UTF-8/16, GBK/GB18030, charset-normalizer)
* :mod:`.tables`      CSV/TSV/JSONL rows with per-row errors (line + column)
* :mod:`.candidates`  rows -> validated CandidateSets; ZIP and image-folder import; bundled samples
* :mod:`.export`      long / wide ranked-results CSV, formula neutralising
* :mod:`.ranked_csv`  ranked results from another system (CSV) -> Runs
* :mod:`.trec`        TREC qrels and runs, both ways
* :mod:`.beir`        BEIR / ViDoRe layouts (corpus, queries, qrels) -> sets, labels, first-stage runs
* :mod:`.tidy`        the tidy export (one row per run x document, everything joined), CSV / Parquet
"""

from . import beir, trec
from .candidates import (
                     IMAGE_SUFFIXES,
                     ImportResult,
                     Sample,
                     import_folder,
                     list_samples,
                     read_candidates,
)
from .decode import decode_bytes
from .export import (
                     LONG_COLUMNS,
                     export_long,
                     export_wide,
                     long_frame,
                     neutralise,
                     run_labels,
                     to_csv_bytes,
                     wide_frame,
                     write_csv,
)
from .ranked_csv import read_ranked_csv
from .tidy import TIDY_COLUMNS, tidy_frame, to_parquet_bytes
from .tables import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, TABLE_SUFFIXES

__all__ = [
    "REQUIRED_COLUMNS", "OPTIONAL_COLUMNS", "TABLE_SUFFIXES", "IMAGE_SUFFIXES", "LONG_COLUMNS",
    "ImportResult", "Sample", "decode_bytes", "read_candidates", "import_folder", "list_samples",
    "long_frame", "wide_frame", "run_labels", "neutralise", "to_csv_bytes", "write_csv",
    "export_long", "export_wide", "read_ranked_csv", "trec", "beir", "TIDY_COLUMNS", "tidy_frame", "to_parquet_bytes",
]
