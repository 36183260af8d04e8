"""Unexpected errors: the details go to a log file, the analyst gets a short id.

    error_id = errorlog.record(err, where="Rerank page")
    # show: "Something went wrong (error id 3f9c1a2b). Details are in <WORKBENCH_HOME>/logs/errors.log"

The app never sends tracebacks to the browser (`client.showErrorDetails` is off); this
file is where they are kept, one block per error, each starting with its id.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import traceback
from pathlib import Path

_lock = threading.Lock()


def log_path() -> Path:
    from . import config

    return config.home_dir() / "logs" / "errors.log"


def record(err: BaseException, where: str = "") -> str:
    """Append the error's traceback to the error log; return its short id."""
    error_id = secrets.token_hex(4)
    stamp = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    body = "".join(traceback.format_exception(type(err), err, err.__traceback__))
    block = f"=== error {error_id} at {stamp}{' in ' + where if where else ''}\n{body}\n"
    try:
        path = log_path()
        with _lock:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(block)
    except OSError:
        pass                     # a full or read-only disk must not hide the original error
    return error_id


def find(error_id: str) -> str | None:
    """The logged block of one error id (tests, support)."""
    try:
        text = log_path().read_text(encoding="utf-8")
    except OSError:
        return None
    for block in text.split("=== error ")[1:]:
        if block.startswith(error_id + " "):
            return "=== error " + block
    return None
