"""Long work on the pages: start it in the worker, poll its progress, cancel it.

The work runs in `workbench.jobs` threads (no Streamlit there), one registry per server
process, keyed by (database, workbench session): navigating, reloading or opening a
second tab does not stop it, and every tab of the session sees it. The page polls with
`st.fragment(run_every=…)`; Cancel sets the job's cancel event and the work stops at
its next batch, saved as *cancelled* with the scores it has.
"""

from __future__ import annotations

import streamlit as st

from workbench import jobs as wjobs

from . import frames, state
from .frames import esc

POLL_S = 0.7
KIND_TITLES = {"rerank": "Rerank", "compare": "Comparison", "rerun": "Re-run", "ocr": "OCR"}


def registry() -> wjobs.JobRegistry:
    return wjobs.registry()


def start(kind: str, label: str, work, *, info: dict | None = None, lock=None, session_id=None):
    """Start `work(job)` for the current workbench session; returns the Job."""
    sid = st.session_state.session_id if session_id is None else session_id
    job = registry().start(state.job_key(sid), kind, label, work, info=info, lock=lock)
    st.session_state["started_jobs"] = [*st.session_state.get("started_jobs", [])[-50:], job.id]
    return job


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


def take_finished(kind: str, session_id=None):
    """The latest job of `kind` in this session when it ended and this tab has not taken
    in its outcome yet (each tab takes it once)."""
    job = latest(kind, session_id)
    if job is None or job.running or job.id in st.session_state.seen_jobs:
        return None
    st.session_state.seen_jobs = [*st.session_state.seen_jobs[-50:], job.id]
    return job


def _progress_text(job) -> str:
    title = KIND_TITLES.get(job.kind, job.kind)
    if job.cancelling:
        return f"{title}: stopping after the current batch… ({job.done}/{job.total})"
    if job.phase == "waiting for the model":
        return f"{title}: waiting for the model (another job is using it)"
    if not job.total:
        return f"{title}: starting…"
    return f"{title}: {job.done}/{job.total} · {frames.duration(job.elapsed)}"


def cancel_button(job, key: str) -> None:
    st.button("Cancel", icon=":material/stop:", key=key, disabled=job.cancelling,
              on_click=job.request_cancel, help="Stops after the batch in flight; what is scored is saved.")


def progress_panel(kind: str) -> None:
    """On a page: the running job of `kind` (progress + Cancel), polled until it ends;
    then the whole page reruns to show the outcome."""
    job = next(iter(running(kind)), None)
    if job is None:
        return

    @st.fragment(run_every=POLL_S)
    def poll() -> None:
        current = registry().get(job.id)
        if current is None or not current.running:
            st.rerun(scope="app")
        st.progress(current.fraction, text=esc(_progress_text(current)))
        st.caption(esc(current.label))
        cancel_button(current, key=f"cancel_{kind}_{current.id}")

    poll()


def sidebar_panel() -> None:
    """On every page: the session's running work, polled while it runs."""
    jobs = running()
    if not jobs:
        return

    @st.fragment(run_every=POLL_S)
    def poll() -> None:
        alive = [j for j in (registry().get(job.id) for job in jobs) if j is not None and j.running]
        if not alive:
            st.rerun(scope="app")
        st.markdown("**Running work**")
        for j in alive:
            st.progress(j.fraction, text=esc(_progress_text(j)))
            st.caption(esc(j.label))
            cancel_button(j, key=f"sb_cancel_{j.id}")

    poll()


def outcome(job, *, what: str = "work") -> None:
    """Show how a finished job ended: done (nothing here; the page shows results),
    cancelled (with what was saved) or failed (the error, with its fix or error id)."""
    from .widgets import show_error

    if job.status == wjobs.CANCELLED:
        st.warning(f"The {what} was cancelled. Everything finished before the stop is saved "
                   "(status *cancelled*).", icon=":material/stop_circle:")
    elif job.status == wjobs.FAILED and job.error is not None:
        show_error(job.error, where=f"{job.kind} job")
