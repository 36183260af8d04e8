"""The sessions table as Home and the Sessions page show it: headings in the UI language,
and the bundled samples' descriptions (written by seed_samples) translated."""

from __future__ import annotations

import re

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


def lazy_export(fmt: str, scope: dict, bom: bool):
    """The tidy export of `scope` (a session or run ids) as a callable for st.download_button:
    built on the button press, in Streamlit's download thread, not on every page load."""
    from workbench import service

    from .state import get_store

    store = get_store()      # captured now: the download thread has no script context

    def build() -> bytes:
        return service.export_tidy(store, **scope, fmt=fmt, bom=bom)[0]

    return build
