"""Paths and settings, overridable through environment variables.

This module is the one reader of the ``WORKBENCH_*`` environment variables: every setting is
declared in ``SETTINGS`` (name, default, what it does; the README's settings table is checked
against it by a test) and read with ``env(name)``. The main ones:

WORKBENCH_DB     SQLite file, or a PostgreSQL server URL (postgresql://user[:password]@host[:port]/db,
                 also postgresql+psycopg://; see docs/postgres.md). Default: <checkout>/data/workbench.db when the package runs from a
                 source checkout; otherwise workbench.db in the per-user data folder
                 (platformdirs: ~/.local/share/lychee-workbench on Linux,
                 ~/Library/Application Support/lychee-workbench on macOS, %LOCALAPPDATA% on Windows)
WORKBENCH_HOME   folder for caches such as materialised images, thumbnails and OCR results
                 (default: the db's folder, subfolder cache/)
WORKBENCH_MODEL  path or id of the Qwen-VL reranker (Lychee-rerank-mm)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    what: str


SETTINGS: dict[str, Setting] = {s.name: s for s in (
    Setting("WORKBENCH_DB", "data/workbench.db in a checkout, else the per-user data folder",
            "the SQLite database file, or a PostgreSQL server: postgresql://user[:password]@host[:port]/db "
            "(docs/postgres.md)"),
    Setting("WORKBENCH_HOME", "cache/ beside the database",
            "folder for caches: materialised images, thumbnails, OCR results, the doctor's tiny checkpoint"),
    Setting("WORKBENCH_MODEL", "(none: BM25 and test checkpoints only)",
            "folder (or hub id) of the Qwen-VL reranker the app, the CLI and `serve` use by default"),
    Setting("WORKBENCH_API_KEY", "(none)", "API key the remote backend sends to a rerank server"),
    Setting("WORKBENCH_SERVE_API_KEY", "(none: no key asked)",
            "API key `workbench serve` asks of its clients (same as --api-key)"),
    Setting("WORKBENCH_SERVE_MAX_BODY_MB", "32", "largest request body `workbench serve` reads (--max-body-mb)"),
    Setting("WORKBENCH_SERVE_MAX_DOCUMENTS", "1000", "documents per `workbench serve` request (--max-documents)"),
    Setting("WORKBENCH_SERVE_MAX_DOCUMENT_CHARS", "100000",
            "characters per document, query or instruction of a `workbench serve` request (--max-document-chars)"),
    Setting("WORKBENCH_SERVE_CACHE_PAIRS", "10000",
            "pairs in `workbench serve`'s in-memory score cache; 0: none (--cache-pairs)"),
    Setting("WORKBENCH_SERVE_MAX_QUEUE", "256",
            "requests `workbench serve` admits at once (scoring or waiting); one more gets 503 with "
            "Retry-After (--max-queue)"),
    Setting("WORKBENCH_GROUPED_VISION", "on when transformers' code is a checked one",
            "0 turns the grouped vision attention off; force tries it on unchecked transformers code"),
    Setting("WORKBENCH_RUN_STALE_S", "120",
            "seconds without a heartbeat after which a run's worker on another machine counts as dead; >= 30"),
    Setting("WORKBENCH_OCR_MIN_CONFIDENCE", "70", "OCR lines whose median word confidence is lower are dropped"),
    Setting("WORKBENCH_OCR_MIN_WORD_CONFIDENCE", "30", "OCR words with a lower confidence are dropped"),
    Setting("WORKBENCH_DEBUG", "0", "1 prints full tracebacks in the CLI"),
    Setting("WORKBENCH_MAX_ZIP_MB", "2048", "MB unpacked from one ZIP, all members together"),
    Setting("WORKBENCH_MAX_ZIP_RATIO", "200", "unpacked : packed size of a whole ZIP and of one member "
                                                   "(above 1 MB)"),
    Setting("WORKBENCH_MAX_ZIP_MEMBERS", "100000", "entries in one ZIP"),
    Setting("WORKBENCH_MAX_TABLE_MB", "128", "size of one CSV/TSV/JSONL file (after unpacking)"),
    Setting("WORKBENCH_MAX_FIELD_MB", "16", "one CSV field (a document text)"),
    Setting("WORKBENCH_MAX_LINE_MB", "32", "one CSV row / JSONL line"),
    Setting("WORKBENCH_MAX_COLUMNS", "10000", "columns of a CSV header / keys of the JSON rows"),
    Setting("WORKBENCH_MAX_JSON_DEPTH", "64", "nesting of arrays/objects in one JSON value"),
    Setting("WORKBENCH_MAX_IMAGE_MB", "64", "one image file (as stored in the database)"),
    Setting("WORKBENCH_FETCH_IMAGE_URLS", "0", "`1`: the library fetches http(s) image URLs given to rank() "
            "(within WORKBENCH_MAX_IMAGE_MB and 20 s); off, such a URL is an error"),
)}

# Read by the shell scripts and the test suite only (listed in the README's table too).
SCRIPT_SETTINGS: dict[str, Setting] = {s.name: s for s in (
    Setting("WORKBENCH_LOCK", "cpu", "which lock ./run_workbench.sh installs: cpu, or cuda on a GPU machine"),
    Setting("WORKBENCH_SKIP_VLLM", "0", "1: `./run_workbench.sh test` does not install .venv-vllm (its tests skip)"),
    Setting("WORKBENCH_VLLM_PYTHON", ".venv-vllm/bin/python", "the Python whose vLLM the serving tests start"),
    Setting("WORKBENCH_WHEELS", "/opt/wheels", "a folder with the torch CPU wheel for the locked installs"),
    Setting("WORKBENCH_SCREENSHOTS", "0", "1 (set by scripts/screenshots): the browser tests refresh the "
            "README's docs/screenshots/"),
    Setting("WORKBENCH_TORCH_INDEX", "PyTorch's CPU index", "where the locked installs find torch's CPU wheel "
            "when WORKBENCH_WHEELS has none"),
)}


def child_env(**extra: str) -> dict[str, str]:
    """The environment a child process of the workbench starts with: this process's (every
    setting included), plus `extra`."""
    db = {"WORKBENCH_DB": _DB_OVERRIDE[0]} if _DB_OVERRIDE else {}     # the CLI's --db travels too
    return {**os.environ, **db, **extra}


def env(name: str) -> str:
    """The value of the declared setting `name` ('' when unset), stripped."""
    if name not in SETTINGS:
        raise KeyError(f"{name} is not a declared setting: add it to workbench.config.SETTINGS")
    return os.environ.get(name, "").strip()


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


SERVER_SCHEMES = ("postgresql://", "postgresql+psycopg://", "postgres://")


def is_server_url(value: object) -> bool:
    """Whether a WORKBENCH_DB / --db value names a PostgreSQL server rather than a SQLite file."""
    return isinstance(value, str) and value.strip().lower().startswith(SERVER_SCHEMES)


def server_url(value: str) -> str:
    """A PostgreSQL URL in SQLAlchemy's spelling for the psycopg 3 driver
    (postgresql+psycopg://...); postgres:// and postgresql:// are accepted too."""
    value = value.strip()
    scheme, rest = value.split("://", 1)
    if scheme.lower() not in ("postgresql", "postgresql+psycopg", "postgres"):
        raise ValueError(value)
    return "postgresql+psycopg://" + rest


def redact_url(value: str) -> str:
    """A server URL without its password (for messages, the app and `db info`)."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(value.strip())
        if parts.password is None:
            return value.strip()
        host = parts.hostname or ""
        if ":" in host:                     # IPv6 literal
            host = f"[{host}]"
        netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))
    except ValueError:
        return value.split("@", 1)[-1]


_DB_OVERRIDE: list[str] = []      # set by the CLI's --db option (wins over WORKBENCH_DB)


def set_db(value: str | None) -> None:
    """Use `value` (a file path or a server URL) as the database for this process (`--db`)."""
    _DB_OVERRIDE[:] = [value] if value else []


def _db_value() -> str:
    return _DB_OVERRIDE[0].strip() if _DB_OVERRIDE else env("WORKBENCH_DB")


def db_target() -> "Path | str":
    """The database: a Path (SQLite file) or a PostgreSQL URL string (postgresql+psycopg://...)."""
    value = _db_value()
    if is_server_url(value):
        return server_url(value)
    return Path(value).expanduser() if value else default_db_path()


def db_label() -> str:
    """How messages name the database: the file path, or the server URL without its password."""
    target = db_target()
    return redact_url(target) if isinstance(target, str) else str(target)


def db_short_label() -> str:
    """The database in a few words: the file's name, or the server's database name and host."""
    target = db_target()
    if isinstance(target, Path):
        return target.name
    from urllib.parse import urlsplit

    parts = urlsplit(target)
    return f"{parts.path.lstrip('/') or '?'} @ {parts.hostname or 'localhost'}"


def db_path() -> Path:
    """The SQLite file. With a PostgreSQL server as the database there is no file: callers that
    may meet one use `db_target()`; here it is refused (StoreError store.db_is_server)."""
    target = db_target()
    if isinstance(target, Path):
        return target
    from .errors import StoreError

    raise StoreError.coded("store.db_is_server", {"url": redact_url(target)})


def home_dir() -> Path:
    value = env("WORKBENCH_HOME")
    target = db_target()
    base = target.parent if isinstance(target, Path) else default_db_path().parent
    path = Path(value).expanduser() if value else base / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def model_path() -> str | None:
    return env("WORKBENCH_MODEL") or None


def with_precise(instruction: str, precise: bool) -> str:
    """Append the guide's 'Be precise' suffix once, with sentence punctuation."""
    text = instruction.strip()
    if not precise or text.endswith(PRECISE_SUFFIX) or text.endswith(PRECISE_SUFFIX + "."):
        return text
    if not text:                         # never ". Be precise …" on its own
        return ""
    sep = " " if text.endswith((".", "!", "?", "。")) else ". "
    return f"{text}{sep}{PRECISE_SUFFIX}"
