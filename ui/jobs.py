"""Long work on the pages: start it in the worker, poll its progress, cancel it.

The work runs in `workbench.jobs` threads (no Streamlit there), one registry per server
process, keyed by (database, workbench session): navigating, reloading or opening a
second tab does not stop it, and every tab of the session sees it. The page polls with
`st.fragment(run_every=…)`; Cancel sets the job's cancel event and the work stops at
its next batch, saved as *cancelled* with the scores it has.

A job is watched from tabs in different languages while its thread runs in English, so
its texts are built when they are drawn: the label is a catalog key with its params
(`start(kind, ("jobs.label.ocr", {"set": name}), work)`; a param `Count("count.sets", 3)` is a
counted text), progress and outcome come from the job's numbers and kind.
"""

from __future__ import annotations

import streamlit as st

from typing import Any, NamedTuple

from workbench import i18n
from workbench import jobs as wjobs
from workbench.i18n import t, tn

from . import frames, state
from .errors import show_error
from .frames import esc

POLL_S = 0.7
KINDS = ("rerank", "compare", "rerun", "ocr")       # jobs.kind.<kind> titles, jobs.what.<kind> nouns


class Count(NamedTuple):
    """A counted param of a job label, said in the language of the tab drawing it."""
    key: str
    n: int


def _params(params: dict | None, lang: str | None = None) -> dict:
    return {k: tn(v.key, v.n, lang=lang) if isinstance(v, Count) else v for k, v in (params or {}).items()}


def label_text(job, lang: str | None = None) -> str:
    """A job's label in the UI's language (or `lang`)."""
    spec = (getattr(job, "info", None) or {}).get("label_spec")
    if spec:
        return t(spec[0], lang=lang, **_params(spec[1], lang))
    return str(job.label)


def kind_title(kind: str) -> str:
    return t(f"jobs.kind.{kind}") if kind in KINDS else str(kind)


def registry() -> wjobs.JobRegistry:
    return wjobs.registry()


def start(kind: str, label: str | tuple[str, dict[str, Any]], work, *, info: dict | None = None, lock=None,
          session_id=None):
    """Start `work(job)` for the current workbench session; returns the Job.

    `label` is a catalog key with its params, (key, {params}), drawn in each tab's language
    (the job itself keeps the English text, for the log); a plain string is shown as is."""
    sid = st.session_state.session_id if session_id is None else session_id
    info = dict(info or {})
    if isinstance(label, tuple):
        key, params = label
        info["label_spec"] = (key, dict(params or {}))
        label = t(key, lang="en", **_params(params, "en"))
    job = registry().start(state.job_key(sid), kind, label, work, info=info, lock=lock)
    st.session_state["started_jobs"] = [*st.session_state.get("started_jobs", [])[-50:], job.id]
    return job


def start_process(kind: str, label: tuple[str, dict[str, Any]], target, args: tuple, *, info: dict | None = None,
                  finish=None, settle=None, session_id=None):
    """Like `start`, but `target(job, *args)` runs in a child process (workbench.jobs.start_process):
    for pure-Python CPU work (BM25), which in a thread would hold the server's interpreter and
    freeze every page while it runs."""
    sid = st.session_state.session_id if session_id is None else session_id
    info = dict(info or {})
    key, params = label
    info["label_spec"] = (key, dict(params or {}))
    text = t(key, lang="en", **_params(params, "en"))
    job = registry().start_process(state.job_key(sid), kind, text, target, args, info=info,
                                   finish=finish, settle=settle)
    st.session_state["started_jobs"] = [*st.session_state.get("started_jobs", [])[-50:], job.id]
    return job


def settle_run(store, job) -> None:
    """After a child process was ended at Cancel: its run saved as cancelled, with the scores it has."""
    from workbench import service

    for run_id in job.run_ids[-1:]:
        service.stop_run(store, run_id)


def started_here(job) -> bool:
    """Whether this tab started `job` (another tab's, or a job from before a reload, must not
    move this tab's view, e.g. to the job's candidate set)."""
    return job is not None and job.id in st.session_state.get("started_jobs", [])


def running(kind: str | None = None, session_id=None):
    sid = st.session_state.session_id if session_id is None else session_id
    return registry().running(state.job_key(sid), kind=kind)


def latest(kind: str, session_id=None):
    sid = st.session_state.session_id if session_id is None else session_id
    return registry().latest(state.job_key(sid), kind)


def watch(job) -> None:
    """This tab saw `job` running (its progress panel or the sidebar's running work): its
    outcome is this tab's to show once it ends."""
    seen = st.session_state.get("watched_jobs", [])
    if job is not None and job.id not in seen:
        st.session_state["watched_jobs"] = [*seen[-50:], job.id]


def _ours(job) -> bool:
    return started_here(job) or job.id in st.session_state.get("watched_jobs", [])


def take_finished(kind: str, session_id=None):
    """The latest job of `kind` in this session when it ended, this tab started it or saw
    it run, and has not taken in its outcome yet. A message belongs to the tab that saw
    the work end, once: a new tab, a reload after the end, or a page opened an hour later
    does not show an old "cancelled" or an old OCR summary."""
    job = latest(kind, session_id)
    if job is None or job.running or job.id in st.session_state.seen_jobs:
        return None
    st.session_state.seen_jobs = [*st.session_state.seen_jobs[-50:], job.id]
    return job if _ours(job) else None


def _progress_text(job) -> str:
    title = kind_title(job.kind)
    if job.cancelling:
        return t("jobs.stopping", title=title, done=job.done, total=job.total)
    if job.phase == "waiting for the model":       # i18n: not UI text (workbench.jobs' phase name)
        return t("jobs.waiting", title=title)
    if job.phase == "loading the model":           # i18n: not UI text (set by ui.widgets.load_in_job)
        return t("jobs.loading", title=title)
    if not job.total:
        return t("jobs.starting", title=title)
    left = getattr(job, "time_left", None)
    if left is not None and job.done < job.total:
        return t("jobs.progress_left", title=title, done=job.done, total=job.total,
                 elapsed=frames.duration(job.elapsed), left=frames.duration(left))
    return t("jobs.progress", title=title, done=job.done, total=job.total, elapsed=frames.duration(job.elapsed))


def cancel_button(job, key: str) -> None:
    st.button(t("jobs.cancel"), icon=":material/stop:", key=key, disabled=job.cancelling,
              on_click=job.request_cancel, help=t("jobs.cancel.help"))


def progress_panel(kind: str) -> None:
    """On a page: the running job of `kind` (progress + Cancel), polled until it ends;
    then the whole page reruns to show the outcome."""
    job = next(iter(running(kind)), None)
    if job is None:
        return
    watch(job)

    @st.fragment(run_every=POLL_S)
    def poll() -> None:
        state.apply_language()          # a fragment's rerun may run in a fresh script thread
        current = registry().get(job.id)
        if current is None or not current.running:
            st.rerun(scope="app")
        st.progress(current.fraction, text=esc(_progress_text(current)))
        st.caption(esc(label_text(current)))
        cancel_button(current, key=f"cancel_{kind}_{current.id}")

    poll()


def sidebar_panel() -> None:
    """On every page: the session's running work, polled while it runs."""
    jobs = running()
    if not jobs:
        return
    for job in jobs:
        watch(job)

    @st.fragment(run_every=POLL_S)
    def poll() -> None:
        state.apply_language()          # a fragment's rerun may run in a fresh script thread
        alive = [j for j in (registry().get(job.id) for job in jobs) if j is not None and j.running]
        if not alive:
            st.rerun(scope="app")
        st.markdown(f"**{t('jobs.running_work')}**")
        for j in alive:
            st.progress(j.fraction, text=esc(_progress_text(j)))
            st.caption(esc(label_text(j)))
            cancel_button(j, key=f"sb_cancel_{j.id}")

    poll()


def outcome(job, *, what: str | None = None) -> None:
    """Show how a finished job ended: done (nothing here; the page shows results),
    cancelled (with what was saved) or failed (the error, with its fix or error id).
    The job's kind names the work (jobs.what.<kind>); `what` is kept for old callers and
    used only for a kind the catalog does not know."""
    if job.status == wjobs.CANCELLED:
        noun = t(f"jobs.what.{job.kind}") if i18n.has(f"jobs.what.{job.kind}") else (what or t("jobs.what.work"))
        st.warning(t("jobs.cancelled", what=noun), icon=":material/stop_circle:")
    elif job.status == wjobs.FAILED and job.error is not None:
        show_error(job.error, where=f"{job.kind} job")
