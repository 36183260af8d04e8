"""Long work in a background thread: progress, a cancel event, the result or the error.

No Streamlit here. The app keeps one `JobRegistry` per server process and keys jobs by
the workbench session they work on, so every browser tab of that session sees the same
running work, and navigating or reloading a page does not stop it.

    registry = JobRegistry()
    job = registry.start(session_id, "rerank", "Scoring denim-jacket",
                         lambda job: service.rerank_set(store, set_id, instr, rr,
                                                        progress=job.progress, cancel=job.cancel,
                                                        on_run_created=job.add_run))
    job.request_cancel()        # the work stops at its next batch (saved as cancelled)
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("workbench.jobs")

RUNNING, DONE, CANCELLED, FAILED = "running", "done", "cancelled", "failed"
_ids = itertools.count(1)


@dataclass
class Job:
    """One piece of long work. Read its fields from any thread; only the worker writes them."""

    key: Any                                 # what it belongs to (a workbench session id)
    kind: str                                # rerank | compare | rerun | ocr
    label: str                               # what the sidebar says
    id: int = field(default_factory=lambda: next(_ids))
    status: str = RUNNING
    done: int = 0
    total: int = 0
    phase: str = "starting"                  # starting | waiting for the model | working | finished
    run_ids: list[int] = field(default_factory=list)
    result: Any = None
    error: BaseException | None = None
    started: float = field(default_factory=time.time)
    finished: float | None = None
    info: dict = field(default_factory=dict)  # what the page needs to show the outcome
    cancel: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    # -- called by the work
    def progress(self, done: int, total: int) -> None:
        self.phase = "working"
        self.done, self.total = int(done), int(total)

    def add_run(self, run_id: int) -> None:
        self.run_ids.append(int(run_id))

    # -- called by the pages
    def request_cancel(self) -> None:
        self.cancel.set()

    @property
    def running(self) -> bool:
        return self.status == RUNNING

    @property
    def cancelling(self) -> bool:
        return self.running and self.cancel.is_set()

    @property
    def fraction(self) -> float:
        return 0.0 if not self.total else min(1.0, self.done / self.total)

    @property
    def elapsed(self) -> float:
        return (self.finished or time.time()) - self.started

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the work ended (tests, the CLI); True when it did."""
        if self.thread is not None:
            self.thread.join(timeout)
        return not self.running


class JobRegistry:
    """Process-wide list of jobs, keyed by the workbench session they belong to."""

    def __init__(self, keep_finished: int = 20):
        self._lock = threading.Lock()
        self._jobs: list[Job] = []
        self.keep_finished = keep_finished

    def start(self, key: Any, kind: str, label: str, work: Callable[[Job], Any], *,
              info: dict | None = None, lock: threading.Lock | None = None) -> Job:
        """Run `work(job)` in a daemon thread. With `lock`, the work waits for it first
        (the shared model is used by one job at a time)."""
        job = Job(key=key, kind=kind, label=label, info=dict(info or {}))

        def target() -> None:
            try:
                if lock is not None:
                    job.phase = "waiting for the model"
                    while not lock.acquire(timeout=0.2):
                        if job.cancel.is_set():
                            job.status = CANCELLED
                            return
                    try:
                        job.phase = "working"
                        job.result = work(job)
                    finally:
                        lock.release()
                else:
                    job.phase = "working"
                    job.result = work(job)
                job.status = CANCELLED if job.cancel.is_set() else DONE
            except BaseException as err:  # noqa: BLE001 - kept for the page to show
                from .errors import Cancelled

                if isinstance(err, Cancelled):
                    job.status = CANCELLED
                else:
                    job.status, job.error = FAILED, err
                    if not _is_user_error(err):
                        log.exception("job %s (%s) failed", job.id, job.label)
            finally:
                job.phase = "finished"
                job.finished = time.time()

        job.thread = threading.Thread(target=target, name=f"workbench-job-{job.id}", daemon=True)
        with self._lock:
            self._jobs.append(job)
            self._trim()
        job.thread.start()
        return job

    def _trim(self) -> None:
        finished = [j for j in self._jobs if not j.running]
        for old in finished[:-self.keep_finished] if len(finished) > self.keep_finished else []:
            self._jobs.remove(old)

    def jobs(self, key: Any = None, *, kind: str | None = None) -> list[Job]:
        with self._lock:
            return [j for j in self._jobs if (key is None or j.key == key)
                    and (kind is None or j.kind == kind)]

    def running(self, key: Any = None, *, kind: str | None = None) -> list[Job]:
        return [j for j in self.jobs(key, kind=kind) if j.running]

    def latest(self, key: Any, kind: str) -> Job | None:
        found = self.jobs(key, kind=kind)
        return found[-1] if found else None

    def get(self, job_id: int) -> Job | None:
        with self._lock:
            return next((j for j in self._jobs if j.id == int(job_id)), None)


def _is_user_error(err: BaseException) -> bool:
    from .errors import WorkbenchError

    return isinstance(err, WorkbenchError)


_REGISTRY: JobRegistry | None = None
_REGISTRY_LOCK = threading.Lock()


def registry() -> JobRegistry:
    """The process-wide registry (the app's every browser session shares it)."""
    global _REGISTRY
    with _REGISTRY_LOCK:
        if _REGISTRY is None:
            _REGISTRY = JobRegistry()
        return _REGISTRY
