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

Pure-Python CPU work (BM25's tokenisation: jieba) holds the interpreter lock: in the app's
server process it starved every page (a new tab waited a minute for its title) and was itself
slowed many times over by the pages' polling. Such work runs in a child process instead
(`start_process`): the child reports progress and the run it created through a queue, the
server keeps its interpreter, and Cancel that the child does not honour within
`CANCEL_GRACE_S` ends the child (the run is settled as cancelled with what it saved).
"""

from __future__ import annotations

import contextlib
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



def _failed(job: "Job", err: BaseException) -> None:
    """A job's ending by an exception: Cancelled is a cancel; anything else fails it, and a bug
    (not an analyst's error) is logged with its traceback (a child process's, when it sent one)."""
    from .errors import Cancelled

    if isinstance(err, Cancelled):
        job.status = CANCELLED
        return
    job.status, job.error = FAILED, err
    if not _is_user_error(err):
        child = getattr(err, "child_traceback", "")
        log.error("job %s (%s) failed: %s\n%s", job.id, job.label, err, child, exc_info=None if child else err)

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

    warnings: list = field(default_factory=list)   # engine warnings so far (e.g. truncated documents)
    cancel_requested: float | None = None          # when Cancel was pressed
    rate_since: tuple[float, int] | None = None    # (time, done) when counting began: the time left

    # -- called by the work
    def progress(self, done: int, total: int) -> None:
        self.phase = "working"
        done, total = int(done), int(total)
        if total == self.total:
            done = max(done, self.done)            # never backwards (a backend's two phases)
        if (self.rate_since is None and done > 0) or (self.rate_since is not None and done < self.rate_since[1]):
            self.rate_since = (time.time(), done)  # the pace counts from the first work done (not the
                                                   # model's loading; cached scores come at once)
        self.done, self.total = done, total

    def add_run(self, run_id: int) -> None:
        self.run_ids.append(int(run_id))

    # -- called by the pages
    def request_cancel(self) -> None:
        if self.cancel_requested is None:
            self.cancel_requested = time.time()
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

    @property
    def time_left(self) -> float | None:
        """Seconds left at the pace so far (None until there is a pace to go by)."""
        if not self.running or not self.total or self.rate_since is None:
            return None
        since, first = self.rate_since
        counted, spent = self.done - first, time.time() - since
        if counted <= 0 or spent < 1.0:
            return None
        return max(0.0, (self.total - self.done) * spent / counted)

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
                _failed(job, err)
            finally:
                job.phase = "finished"
                job.finished = time.time()

        job.thread = threading.Thread(target=target, name=f"workbench-job-{job.id}", daemon=True)
        with self._lock:
            self._jobs.append(job)
            self._trim()
        job.thread.start()
        return job

    def start_process(self, key: Any, kind: str, label: str, target: Callable[..., Any], args: tuple = (), *,
                      info: dict | None = None, finish: Callable[[Any], Any] | None = None,
                      settle: Callable[[Job], None] | None = None) -> Job:
        """Run `target(reporter, *args)` in a child process (a fresh interpreter with its own lock,
        so the app's pages keep theirs). `target` and `args` must pickle (a module-level function,
        plain data); the reporter has `progress(done, total)`, `add_run(run_id)` and `cancel` (an
        event), like a Job. `finish(result)` turns the child's answer into the job's result (in
        this process); `settle(job)` tidies up when the child is ended after an unanswered Cancel
        (e.g. the run saved as cancelled)."""
        import os
        import pickle
        import subprocess
        import sys

        from . import config

        job = Job(key=key, kind=kind, label=label, info=dict(info or {}))
        env = config.child_env(PYTHONPATH=os.pathsep.join(p for p in sys.path if p and os.path.isdir(p)))
        messages: list[tuple] = []
        arrived = threading.Event()

        def read(proc) -> None:           # the child's answers, one pickled frame after the other
            with contextlib.suppress(Exception):     # a broken pipe ends the child's answers
                while True:
                    head = proc.stdout.read(8)
                    if len(head) < 8:
                        break
                    messages.append(pickle.loads(proc.stdout.read(int.from_bytes(head, "big"))))
                    arrived.set()
            messages.append(("eof",))
            arrived.set()

        def watch() -> None:
            answer: tuple | None = None
            proc = None
            try:
                proc = subprocess.Popen([sys.executable, "-c", "from workbench.jobs import _child_main; _child_main()"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
                _send(proc.stdin, ("work", target, args))
                reader = threading.Thread(target=read, args=(proc,), daemon=True, name=f"workbench-job-{job.id}-read")
                reader.start()
                told = False
                while answer is None:
                    if job.cancel.is_set() and not told:
                        told = True
                        with contextlib.suppress(OSError):
                            _send(proc.stdin, ("cancel",))
                    arrived.wait(0.1)
                    arrived.clear()
                    while messages and answer is None:
                        msg = messages.pop(0)
                        if msg[0] == "progress":
                            job.progress(msg[1], msg[2])
                        elif msg[0] == "run":
                            job.add_run(msg[1])
                        elif msg[0] in ("result", "error", "eof"):
                            answer = msg
                    if answer is None and job.cancel_requested is not None \
                            and time.time() - job.cancel_requested > CANCEL_GRACE_S:
                        proc.kill()                   # the child did not stop in time: end it
                        proc.wait(5)
                        if settle is not None:
                            settle(job)
                        job.status = CANCELLED
                        return
                if answer[0] == "eof":
                    code = proc.wait(5)
                    from .errors import WorkbenchError

                    raise WorkbenchError.coded("jobs.worker_died", {"code": str(code)})
                if answer[0] == "error":
                    raise answer[1]
                job.result = finish(answer[1]) if finish is not None else answer[1]
                job.status = CANCELLED if job.cancel.is_set() else DONE
            except BaseException as err:  # noqa: BLE001 - kept for the page to show
                _failed(job, err)
            finally:
                job.phase = "finished"
                job.finished = time.time()
                if proc is not None:
                    with contextlib.suppress(Exception):
                        proc.stdin.close()
                    if proc.poll() is None:
                        with contextlib.suppress(subprocess.TimeoutExpired):
                            proc.wait(2)
                    if proc.poll() is None:
                        proc.kill()

        job.thread = threading.Thread(target=watch, name=f"workbench-job-{job.id}-watch", daemon=True)
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


CANCEL_GRACE_S = 1.5          # a child process that has not stopped this long after Cancel is ended


def _send(stream, message: tuple) -> None:
    import pickle

    data = pickle.dumps(message)
    stream.write(len(data).to_bytes(8, "big") + data)
    stream.flush()


class _Reporter:
    """What a child process's work sees of its Job: progress, the run it created, cancel."""

    def __init__(self, out, cancel: threading.Event):
        self._out, self.cancel = out, cancel
        self._lock = threading.Lock()
        self._last = 0.0

    def _put(self, message: tuple) -> None:
        try:
            with self._lock:
                _send(self._out, message)
        except OSError:              # the app is gone (its end of the pipe closed): stop the work
            self.cancel.set()

    def progress(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._last >= 0.05 or done >= total:     # at most 20 messages a second
            self._last = now
            self._put(("progress", int(done), int(total)))

    def add_run(self, run_id: int) -> None:
        self._put(("run", int(run_id)))


def _portable(err: BaseException) -> BaseException:
    """`err` when it survives pickling (WorkbenchErrors do), else a RuntimeError with its text
    and the child's traceback (for the error log)."""
    import pickle
    import traceback

    back = None
    with contextlib.suppress(Exception):
        back = pickle.loads(pickle.dumps(err))
    if isinstance(back, BaseException):
        return back
    out = RuntimeError(f"{type(err).__name__}: {err}")
    out.child_traceback = "".join(traceback.format_exception(err))   # type: ignore[attr-defined]
    return out


def _child_main() -> None:
    """The child process (`python -c "from workbench.jobs import _child_main; _child_main()"`):
    reads ("work", target, args) on stdin, then ("cancel",) when the analyst cancels; answers
    progress, the run it created and ("result", value) or ("error", exception) on stdout."""
    import os
    import pickle
    import sys

    with contextlib.suppress(OSError, AttributeError):
        os.nice(5)           # the pages' server process comes first when the machine is busy
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())     # prints of the libraries: not into the answers
    inp = sys.stdin.buffer

    def frame():
        head = inp.read(8)
        if len(head) < 8:
            return None
        return pickle.loads(inp.read(int.from_bytes(head, "big")))

    _, target, args = frame()
    cancel = threading.Event()

    def listen() -> None:               # Cancel, or the parent gone (stdin closed): stop
        while True:
            msg = frame()
            if msg is None or msg[0] == "cancel":
                cancel.set()
                return

    threading.Thread(target=listen, daemon=True).start()
    reporter = _Reporter(out, cancel)
    try:
        answer = ("result", target(reporter, *args))
    except BaseException as err:  # noqa: BLE001 - sent to the parent, which shows it
        answer = ("error", _portable(err))
    try:
        reporter._put(answer)
    except Exception as err:  # noqa: BLE001 - an answer that does not pickle
        reporter._put(("error", _portable(RuntimeError(f"the answer could not be sent back: {err}"))))
    out.close()
    sys.stderr.flush()
    os._exit(0)          # not a normal shutdown: the listening thread still waits on stdin


# ----------------------------------------------------------------- work run in a child process
def rerank_set_work(job, db_path: str, set_id: int, instruction, backend: str, options: dict, name: str):
    """`service.rerank_set` in a child process (the lexical backend: pure-Python tokenising).
    Returns the saved Run (its `warnings` included)."""
    from . import service
    from .rerank import registry as rr
    from .store import Store

    reranker = rr.get_reranker(backend, **options)
    run = service.rerank_set(Store(db_path), set_id, instruction, reranker, progress=job.progress,
                             cancel=job.cancel, name=name, on_run_created=job.add_run)
    return run


def rerank_adhoc_work(job, instruction: str, query, documents, backend: str, options: dict):
    """`service.rerank_adhoc` in a child process; returns the RankedResults."""
    from . import service
    from .rerank import registry as rr

    reranker = rr.get_reranker(backend, **options)
    return service.rerank_adhoc(instruction, query, documents, reranker, progress=job.progress, cancel=job.cancel)


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
