"""Optional dependencies: which pip extra brings which package, and one import helper that says so.

`pip install lychee-workbench` installs the library (import, store, export, BM25-free CLI);
the heavy parts are extras: ``[qwen]`` (torch + transformers), ``[ocr]`` (pytesseract),
``[app]`` (streamlit), ``[compare]`` (scipy), ``[bm25]`` (jieba), ``[serve]``
(fastapi + uvicorn + httpx: `workbench serve` and the remote backend), ``[parquet]`` (pyarrow, the
Parquet export), ``[all]``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import BackendUnavailable, WorkbenchError

DIST = "lychee-workbench"

# import name -> the extra that installs it
EXTRA_OF: dict[str, str] = {
    "torch": "qwen", "torchvision": "qwen", "transformers": "qwen", "accelerate": "qwen",
    "qwen_vl_utils": "qwen", "tokenizers": "qwen",
    "pytesseract": "ocr",
    "streamlit": "app", "altair": "app",
    "scipy": "compare",
    "jieba": "bm25",
    "pyarrow": "parquet",
    "flash_attn": "gpu",
    "httpx": "serve", "fastapi": "serve", "uvicorn": "serve",
    "psycopg": "postgres", "krippendorff": "team",
}


def pip_install(extra: str) -> str:
    """The command that installs an extra, e.g. ``pip install 'lychee-workbench[qwen]'``."""
    return f"pip install '{DIST}[{extra}]'"


def require(module: str, purpose: str, *, extra: str | None = None,
            error: type[WorkbenchError] = BackendUnavailable, code: str | None = None) -> ModuleType:
    """Import an optional module, or raise ``error`` naming the extra to install.

    ``purpose`` finishes the sentence "… is needed for ___", e.g. "the Qwen-VL reranker".
    The error is coded (workbench/i18n): ``code`` names a catalog text that says the purpose
    itself (so the app can say it in Chinese too); without it "backend.package_missing"
    carries `purpose` as data.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        extra = extra or EXTRA_OF.get(top, "all")
        missing = getattr(exc, "name", None) or top
        raise error.coded(code or "backend.package_missing", {
            "missing": missing, "purpose": purpose, "pip": pip_install(extra), "pip_all": pip_install("all")}) from None
