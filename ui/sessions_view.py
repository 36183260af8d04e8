"""The sessions table as Home and the Sessions page show it: headings in the UI language,
and the bundled samples' descriptions (written by seed_samples) translated."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from workbench.i18n import t

from . import frames

# workbench.samples.seed_samples stores "Bundled sample 'NAME' (FILE)" as the description
_SAMPLE = re.compile(r"^Bundled sample '(?P<name>[^']*)' \((?P<file>[^()]*)\)$")   # i18n: not UI text


def description(text) -> str:
    """A session's description for the table: the samples' own one in the UI language."""
    match = _SAMPLE.match(str(text or ""))
    return t("sessions.sample_description", **match.groupdict()) if match else str(text or "")


def sessions_table(sessions) -> pd.DataFrame:
    """frames.sessions_frame with translated headings (the data columns stay as they are)."""
    frame = frames.sessions_frame(sessions)
    if "description" in frame.columns:
        frame["description"] = frame["description"].map(description)
    headings = {"session": t("sessions.col_session"), "sets": t("sessions.col_sets"),
                "runs": t("sessions.col_runs"), "created": t("sessions.col_created"),
                "description": t("sessions.col_description")}
    return frame.rename(columns=headings)


def lazy_export(fmt: str, scope: dict, bom: bool = False, tag: str | None = None):
    """An export of `scope` (a session or ranking ids) as a callable for st.download_button:
    built on the button press, in Streamlit's download thread, not on every page load, and
    streamed a batch at a time into a temporary file (flat memory at any size). `fmt`: csv or
    parquet (the tidy export), long, wide or trec. The callable returns that file opened for
    reading (already unlinked: it goes away when Streamlit has read and dropped it)."""
    from workbench import service

    from .state import get_store

    store = get_store()      # captured now: the download thread has no script context
    what = {"csv": "tidy", "parquet": "tidy-parquet"}.get(fmt, fmt)

    def build():
        return export_to_temp(store, what, scope, bom=bom, tag=tag)

    return build


def export_to_temp(store, what: str, scope: dict, *, bom: bool = False, tag: str | None = None):
    """`service.export_file` into a temporary file; returns it opened for reading (unlinked)."""
    import os
    import tempfile

    from workbench import config, service

    folder = config.home_dir() / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="export-", suffix=".part", dir=folder)
    os.close(fd)
    path = Path(name)
    try:
        service.export_file(store, path, what=what, bom=bom, tag=tag, **scope)
        fh = path.open("rb")
    finally:
        path.unlink(missing_ok=True)
    return fh
