"""Errors on the pages: an analyst error's message and fix, or a bug's error id.

A WorkbenchError is shown as `i18n.error_text(err, surface="app")` gives it: in the UI's
language, with the fix written for the app where the catalog has one ("err.<code>.fix.app":
the Text encoding option, not "--encoding gbk"). Files in the workbench's own folders
(uploads, caches) are named by their file name only. Anything else is a bug: its details go
to the error log and the analyst gets a short message with the error id.

No other ui module is imported here (ui.jobs and ui.widgets both show errors).
User text shown through any Markdown-rendering call goes through `frames.esc` first.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import streamlit as st

from workbench import config, errorlog, i18n
from workbench.errors import WorkbenchError
from workbench.i18n import t

from .frames import esc


def short_paths(text: str) -> str:
    """`text` with the files under the workbench's home folder (uploads, caches) named by
    their file name only: the analyst knows "orders.csv", not the cache path it was saved to."""
    out = str(text or "")
    home = str(config.home_dir())
    if home and home in out:
        out = re.sub(re.escape(home) + r"[^\s'\"]*", lambda m: Path(m.group(0)).name or t("app.wording.upload"),
                     out)
    return out


def show_error(err: BaseException, where: str = "") -> None:
    """An analyst error: its message and fix, as plain text. Anything else is a bug: its
    details go to the error log and the analyst gets a short message with the error id."""
    if not isinstance(err, WorkbenchError):
        unexpected(err, where)
        return

    def lines(value: str) -> str:          # keep the message's own line breaks (lists of rows)
        return "  \n".join(esc(part.strip()) for part in short_paths(value).splitlines() if part.strip())

    message, fix = i18n.error_text(err, surface="app")    # coded errors: the UI's language, the app's fix
    text = f"**{lines(message)}**"
    if fix:
        text += f"\n\n**{t('err.how_to_fix')}** {lines(fix)}"
    st.error(text, icon=":material/error:")


def unexpected(err: BaseException, where: str = "") -> str:
    error_id = errorlog.record(err, where)
    st.error(t("app.unexpected", error_id=error_id, log=esc(errorlog.log_path().name)),
             icon=":material/bug_report:")
    return error_id


@contextlib.contextmanager
def errors_shown(where: str = ""):
    """`with errors_shown(): …` shows WorkbenchErrors with their fix, and any other
    exception as a short message with an error id (details in the error log)."""
    try:
        yield
    except WorkbenchError as err:
        show_error(err)
    except Exception as err:  # noqa: BLE001 - logged with an id; Streamlit's own stop/rerun pass
        unexpected(err, where)
