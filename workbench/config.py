"""Paths and settings, overridable through environment variables.

WORKBENCH_DB     SQLite file. Default: <checkout>/data/workbench.db when the package runs from a
                 source checkout; otherwise workbench.db in the per-user data folder
                 (platformdirs: ~/.local/share/lychee-workbench on Linux,
                 ~/Library/Application Support/lychee-workbench on macOS, %LOCALAPPDATA% on Windows)
WORKBENCH_HOME   folder for caches such as materialised images, thumbnails and OCR results
                 (default: the db's folder, subfolder cache/)
WORKBENCH_MODEL  path or id of the Qwen-VL reranker (Lychee-rerank-mm)
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "lychee-workbench"
REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"            # the checkout's data folder (sample sets, default db)
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


def in_checkout(root: Path = REPO_ROOT) -> bool:
    """True when the package runs from a source checkout (pyproject.toml next to workbench/),
    False when it is installed into site-packages."""
    return (root / "pyproject.toml").is_file() and (root / "workbench" / "__init__.py").is_file()


def user_data_dir() -> Path:
    """The per-user data folder of an installed workbench (platformdirs)."""
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def default_db_path() -> Path:
    """data/workbench.db in a checkout, else workbench.db in the per-user data folder."""
    return (DATA_DIR if in_checkout() else user_data_dir()) / "workbench.db"


def db_path() -> Path:
    env = os.environ.get("WORKBENCH_DB", "").strip()
    return Path(env).expanduser() if env else default_db_path()


def home_dir() -> Path:
    env = os.environ.get("WORKBENCH_HOME", "").strip()
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
