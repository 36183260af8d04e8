"""Paths and settings, overridable through environment variables.

WORKBENCH_DB     SQLite file (default: <repo>/data/workbench.db)
WORKBENCH_HOME   folder for caches such as materialised images and thumbnails
                 (default: folder of the db, subfolder cache/)
WORKBENCH_MODEL  path or id of the Qwen-VL reranker (Lychee-rerank-mm)
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"
SAMPLES_DIR = DATA_DIR / "samples"

DEFAULT_MODEL_ID = "vec-ai/lychee-rerank-mm"

SYSTEM_PROMPT = (
    'Judge whether the Document meets the requirements based on the Query and the '
    'Instruct provided. Note that the answer can only be "yes" or "no".'
)

PRECISE_SUFFIX = "Be precise and avoid vague terms"

# The Lychee deployment guide's scenario instructions: the starting templates.
INSTRUCTION_TEMPLATES: dict[str, str] = {
    "e-commerce": "Given a user's search query, rank products by visual and textual relevance",
    "papers": "Given a research question, retrieve papers whose abstracts and figures best address the question",
    "legal": "Given a legal case description, retrieve precedent cases with similar facts and rulings",
    "web": "Given a web search query, retrieve relevant passages that answer the query",
    "QA": "Given a question, retrieve factual passages that answer it",
    "product similarity": "Given a product image and description, retrieve similar products",
}
DEFAULT_INSTRUCTION = INSTRUCTION_TEMPLATES["web"]

MIN_PIXELS = 4 * 28 * 28
MAX_PIXELS = 1280 * 28 * 28
MAX_LENGTH = 3200


def db_path() -> Path:
    return Path(os.environ.get("WORKBENCH_DB", DATA_DIR / "workbench.db")).expanduser()


def home_dir() -> Path:
    env = os.environ.get("WORKBENCH_HOME")
    path = Path(env).expanduser() if env else db_path().parent / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def model_path() -> str | None:
    value = os.environ.get("WORKBENCH_MODEL", "").strip()
    return value or None


def with_precise(instruction: str, precise: bool) -> str:
    """Append the guide's 'Be precise' suffix once, with sentence punctuation."""
    text = instruction.strip()
    if not precise or text.endswith(PRECISE_SUFFIX) or text.endswith(PRECISE_SUFFIX + "."):
        return text
    if not text:                         # never ". Be precise …" on its own
        return ""
    sep = " " if text.endswith((".", "!", "?", "。")) else ". "
    return f"{text}{sep}{PRECISE_SUFFIX}"
