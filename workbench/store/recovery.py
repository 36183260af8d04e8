"""Runs that end consistent, however their process ends.

* While a run is being scored its row holds the owner's pid and host, and a
  heartbeat thread refreshes ``heartbeat_at`` every HEARTBEAT_S seconds.
* A run left ``running`` by a process that died (kill -9, power loss, OOM) is
  found the next time any workbench process opens the database: on the same
  host its pid is gone, or (any host) its heartbeat is older than STALE_S
  (``WORKBENCH_RUN_STALE_S``). It is settled as ``interrupted``.
* A run being scored (status running/pending) writes its scores with rank NULL:
  the raw ``scores`` table never holds two documents at one rank, whenever a reader
  looks and however the process ends (migration m008).
* Settling ranks the scores a run has, best first, ties by input position, so
  ranks are always 1..n with no duplicates (`settle_ranks`); it happens when the run
  ends (done, cancelled, failed, interrupted). Runs still in flight are shown with
  ranks computed on the fly (`normalise_ranks`). Ranks given with a finished run
  (imported) are kept unless two documents share one (`dedupe_ranks`).
"""

from __future__ import annotations

import os
import socket
import threading
from datetime import datetime, timedelta, timezone
from contextlib import AbstractContextManager
from typing import Protocol

from sqlalchemy import Connection, text

from .. import config
from ..model import Result


class Connections(Protocol):
    """What recovery needs of a store (the Store in store/api.py is one): a read and a write
    connection. Typed here, so recovery does not import the Store that imports it."""

    def _read(self) -> AbstractContextManager[Connection]: ...

    def _write(self) -> AbstractContextManager[Connection]: ...

HEARTBEAT_S = 15.0


def stale_after_s() -> float:
    """Seconds without a heartbeat after which a running run of another machine counts as dead
    (default 120; on this machine the owner's pid decides). It must outlast a few heartbeats."""
    import math

    raw = config.env("WORKBENCH_RUN_STALE_S")
    if not raw:
        return 120.0
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not math.isfinite(value) or value < 2 * HEARTBEAT_S:
        from ..errors import InputError

        raise InputError.coded("settings.run_stale_s", {"value": raw, "min": f"{2 * HEARTBEAT_S:g}"})
    return value


def _host_id() -> str:
    """This machine as run owners are told apart across machines sharing one database (a team's
    PostgreSQL): the host name plus the start of /etc/machine-id, so two laptops both called
    'localhost' are not taken for one (whose pid check would then judge the other's live run)."""
    name = socket.gethostname()
    for source in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            with open(source, encoding="ascii") as fh:
                mid = fh.read().strip()
        except (OSError, UnicodeDecodeError):
            continue
        if mid:
            return f"{name}/{mid[:8]}"
    return name


HOST = _host_id()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def now_text() -> str:
    return _now().isoformat(timespec="milliseconds")


def owner_values() -> dict:
    return dict(owner_pid=os.getpid(), owner_host=HOST, heartbeat_at=now_text())


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:      # exists, owned by someone else
        return True
    except OSError:
        return False
    try:                          # a zombie (killed, not yet reaped) is dead for our purposes
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


def process_start(pid: int) -> datetime | None:
    """When process `pid` started (Linux /proc), or None when unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            ticks = int(fh.read().rsplit(b")", 1)[1].split()[19])
        with open("/proc/stat", "rb") as fh:
            boot = next(int(line.split()[1]) for line in fh if line.startswith(b"btime"))
        return datetime.fromtimestamp(boot + ticks / os.sysconf("SC_CLK_TCK"), tz=timezone.utc)
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def _parse(when) -> datetime | None:
    try:
        out = datetime.fromisoformat(str(when))
    except (TypeError, ValueError):
        return None
    return out if out.tzinfo else out.replace(tzinfo=timezone.utc)


def is_dead(owner_pid, owner_host, heartbeat_at, started_at) -> bool:
    """Whether a 'running' run's owner is gone.

    Same host: the owner pid is gone, or that pid now belongs to a process that started after
    the owner's last heartbeat (pid reuse after a crash); a live owner is trusted however slow.
    Another host (pid unknowable): the heartbeat is older than WORKBENCH_RUN_STALE_S."""
    if owner_pid is not None and owner_host == HOST:
        pid = int(owner_pid)
        if pid == os.getpid():
            return False
        if not pid_alive(pid):
            return True
        # the owner beat from inside its process, so a live owner started before its last beat;
        # a process that started after it is another one that got the pid
        began, last = process_start(pid), _parse(heartbeat_at or started_at)
        return began is not None and last is not None and began > last + timedelta(seconds=2)
    beat = heartbeat_at or started_at
    if beat is None:
        return True
    try:
        when = datetime.fromisoformat(str(beat))
    except ValueError:
        return True
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return _now() - when > timedelta(seconds=stale_after_s())


SETTLE_SQL = """
UPDATE scores SET rank = (
    SELECT r FROM (
        SELECT doc_id, ROW_NUMBER() OVER (
            ORDER BY score DESC, position IS NULL, position, doc_id) AS r
        FROM scores WHERE ranking_id = :ranking_id) AS ranked
    WHERE ranked.doc_id = scores.doc_id)
WHERE ranking_id = :ranking_id
"""


def settle_ranks(conn: Connection, ranking_id: int) -> None:
    """Ranks 1..n of what a ranking has scored: best first, ties by input position."""
    conn.execute(text(SETTLE_SQL), {"ranking_id": int(ranking_id)})


IN_FLIGHT = ("running", "pending")

DEDUPE_SQL = """
UPDATE scores SET rank = (
    SELECT r FROM (
        SELECT doc_id, ROW_NUMBER() OVER (
            ORDER BY rank IS NULL, rank, score DESC, position IS NULL, position, doc_id) AS r
        FROM scores WHERE ranking_id = :ranking_id) AS ranked
    WHERE ranked.doc_id = scores.doc_id)
WHERE ranking_id = :ranking_id
"""


def dedupe_ranks(conn: Connection, run_id: int) -> None:
    """A finished run's ranks as given, unless two documents share a rank or one has none:
    then 1..n in the given order (ties: best score, then input position)."""
    dupes, missing = conn.execute(text(
        "SELECT count(rank) - count(DISTINCT rank), count(*) - count(rank) FROM scores "
        "WHERE ranking_id = :ranking_id"), {"ranking_id": int(run_id)}).one()
    if dupes or missing:
        conn.execute(text(DEDUPE_SQL), {"ranking_id": int(run_id)})


def unrank(conn: Connection, run_id: int) -> None:
    """A run scored again (resume) holds no ranks until it ends."""
    conn.execute(text("UPDATE scores SET rank = NULL WHERE ranking_id = :ranking_id"),
                 {"ranking_id": int(run_id)})


def normalise_ranks(scores: list[Result]) -> list[Result]:
    """The same ranking as `settle_ranks`, computed in memory (for runs still in flight)."""
    ordered = sorted(scores, key=lambda s: (-s.score, s.index is None, s.index or 0, s.doc_id))
    return [Result(doc_id=s.doc_id, score=s.score, rank=r, index=s.index) for r, s in enumerate(ordered, start=1)]


def has_rank_gaps(scores: list[Result]) -> bool:
    """Ranks that are not exactly 1..n (a gap, a duplicate, or none yet: a run in flight)."""
    if any(s.rank is None for s in scores):
        return True
    return sorted(s.rank for s in scores) != list(range(1, len(scores) + 1))


def settle_dead_runs(store: Connections) -> list[int]:
    """Settle every 'running' run whose process is gone as 'interrupted'; return their ids."""
    with store._read() as conn:
        rows = conn.exec_driver_sql(
            "SELECT id, owner_pid, owner_host, heartbeat_at, started_at FROM rankings WHERE status = 'running'").all()
    dead = [r[0] for r in rows if is_dead(*r[1:])]
    settled = []
    for run_id in dead:
        with store._write() as conn:
            row = conn.execute(text(
                "SELECT owner_pid, owner_host, heartbeat_at, started_at FROM rankings "
                "WHERE id = :id AND status = 'running'"), {"id": run_id}).first()
            if row is None or not is_dead(*row):   # settled or refreshed by someone else meanwhile
                continue
            settle_ranks(conn, run_id)
            conn.execute(text("UPDATE rankings SET status = 'interrupted', finished_at = :at WHERE id = :id"),
                         {"at": now_text(), "id": run_id})
        settled.append(run_id)
    return settled


class Heartbeat:
    """Context manager: marks a ranking (or, with ``whole_run=True``, every running ranking of
    the run ``run_id``) as owned by this process and refreshes its heartbeat every HEARTBEAT_S
    seconds from a daemon thread until the block ends."""

    def __init__(self, store: Connections, run_id: int, interval: float = HEARTBEAT_S, *,
                 whole_run: bool = False):
        self.store, self.run_id, self.interval = store, int(run_id), interval
        self.whole_run = whole_run
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self) -> None:
        column = "run_id" if self.whole_run else "id"
        with self.store._write() as conn:
            conn.execute(text(
                "UPDATE rankings SET owner_pid = :pid, owner_host = :host, heartbeat_at = :at "
                f"WHERE {column} = :id AND status = 'running'"),
                {"pid": os.getpid(), "host": HOST, "at": now_text(), "id": self.run_id})

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.beat()
            except Exception:  # noqa: BLE001 - a missed beat is harmless; the next one retries
                pass

    def __enter__(self) -> "Heartbeat":
        self.beat()
        self._thread = threading.Thread(target=self._loop, name=f"run-{self.run_id}-heartbeat", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
