"""Prepare the next batch while the current one is scored: one thread, at most one batch ahead.

`Prefetcher(prepare, items)` runs `prepare(item)` for the items in order in ONE
background thread and hands the results out in the same order:

    with Prefetcher(prepare, batches) as feed:
        for item, prepared in feed:
            score(prepared)            # meanwhile the thread prepares the next item

Memory stays bounded: the thread prepares item N+1 only once the consumer holds item
N, and waits before item N+2 until the consumer has finished with item N (asked for
the next one). So at most two prepared items exist: the one being scored and the one
ahead.

Errors: an exception raised by `prepare(item)` is re-raised in the consumer's thread,
unchanged, when the consumer reaches that item, so earlier items are scored (and saved)
first, exactly as without prefetching. Leaving the `with` block (normally, on an error,
on cancellation) stops the thread and waits for it, so no preparation outlives the call.

`capture_warnings(prepare)` wraps a prepare function so that warnings its backend emits
through `Reranker._warn` while preparing are returned with the prepared item (the rank
loop re-emits them with the batch they belong to) instead of racing with the consumer.
"""

from __future__ import annotations

import queue
import threading
from typing import Any, Callable, Iterable, Iterator

_LOCAL = threading.local()


class Prefetcher:
    def __init__(self, prepare: Callable[[Any], Any], items: Iterable[Any], ahead: int = 1):
        self._prepare = prepare
        self._items = list(items)
        self._ready: queue.Queue = queue.Queue()
        # slots = prepared items alive at once: the one being consumed + `ahead` prepared ones
        self._slots = threading.Semaphore(1 + max(0, int(ahead)))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.prepared = 0          # items prepared so far (for tests / stats)
        self.finished = 0          # items the consumer is done with
        self.max_alive = 0         # most prepared items alive at once (<= 1 + ahead)

    def _run(self) -> None:
        for item in self._items:
            self._slots.acquire()
            if self._stop.is_set():
                return
            try:
                out = (item, self._prepare(item), None)
            except BaseException as exc:  # noqa: BLE001 - handed to the consumer unchanged
                self._ready.put((item, None, exc))
                return
            self.prepared += 1
            self.max_alive = max(self.max_alive, self.prepared - self.finished)
            self._ready.put(out)
            if self._stop.is_set():
                return

    def __enter__(self) -> "Prefetcher":
        self._thread = threading.Thread(target=self._run, name="workbench-prefetch", daemon=True)
        self._thread.start()
        return self

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        for _ in range(len(self._items)):
            item, prepared, exc = self._ready.get()
            if exc is not None:
                raise exc
            try:
                yield item, prepared
            finally:
                prepared = None
                self.finished += 1
                self._slots.release()   # this item is done: the thread may prepare one more

    def close(self) -> None:
        self._stop.set()
        self._slots.release()           # wake the thread if it waits for a slot
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        while not self._ready.empty():  # drop what was prepared and never used
            self._ready.get_nowait()

    def __exit__(self, *exc) -> None:
        self.close()


class _CaptureWarnings:
    """`capture_warnings(fn)` -> fn' returning (fn(x), [warnings said meanwhile in this thread])."""

    def __call__(self, fn: Callable[[Any], Any]) -> Callable[[Any], tuple[Any, list[str]]]:
        def wrapped(item):
            sink: list[str] = []
            _LOCAL.sink = sink
            try:
                return fn(item), sink
            finally:
                _LOCAL.sink = None
        return wrapped

    @staticmethod
    def collect(message: str) -> bool:
        """Called by `Reranker._warn`: keep the message if this thread is preparing a batch."""
        sink = getattr(_LOCAL, "sink", None)
        if sink is None:
            return False
        sink.append(message)
        return True


capture_warnings = _CaptureWarnings()
