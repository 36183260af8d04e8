"""Replicas of one model behind the remote backend: at most `max_inflight` requests in flight
per replica, each request to the least busy live one; 429, 5xx, timeouts and connection
errors retried with exponential backoff (jittered). A replica failing `max_failures` times in a
row is taken out of rotation only when another one is healthy: a lone replica (or the last
live one) is retried up to the limits instead, so a short burst of 503s does not end a run.
The asyncio loop runs in one background thread, owned by the pool.
"""

from __future__ import annotations

import asyncio
import random
import threading
from typing import Any, Callable

from ...errors import WorkbenchError
from ...i18n import Text
from ...model import Document
from .protocol import RemoteError, _check_response, _headers, _server_message, transport_words

DEFAULT_INFLIGHT = 16           # requests in flight per endpoint
DEFAULT_TIMEOUT = 120.0         # seconds per request
DEFAULT_RETRIES = 4             # retries per request (so 5 attempts)
DEFAULT_MAX_FAILURES = 3        # consecutive failures before a replica leaves the rotation


class _Endpoint:
    def __init__(self, base: str):
        self.base = base
        self.outstanding = 0
        self.served = 0
        self.fail_streak = 0
        self.out = False
        self.last_error = ""


class _Fatal(Exception):
    def __init__(self, error: WorkbenchError):
        self.error = error


class ReplicaPool:
    """The replicas (`endpoints`), their HTTP client and event loop, and `send` with retries."""

    def __init__(self, urls: list[str], *, api_key: str | None, timeout: float, max_inflight: int,
                 retries: int, max_failures: int, warn: Callable[[Any], None]):
        self.endpoints = [_Endpoint(u) for u in urls]
        self.api_key = api_key
        self.timeout = float(timeout)
        self.max_inflight = max(1, int(max_inflight))
        self.retries = max(0, int(retries))
        self.max_failures = max(1, int(max_failures))
        self.warn = warn
        self.stats = {"pairs_sent": 0, "requests": 0, "retries": 0}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._client = None
        self._lock = threading.Lock()

    # ---- the loop ----
    def ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or not self._thread or not self._thread.is_alive():
                loop = asyncio.new_event_loop()
                t = threading.Thread(target=loop.run_forever, name="workbench-remote", daemon=True)
                t.start()
                self._loop, self._thread = loop, t
            return self._loop

    def close(self) -> None:
        loop, self._loop = self._loop, None
        if loop is None:
            return
        client, self._client = self._client, None
        if client is not None:
            asyncio.run_coroutine_threadsafe(client.aclose(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread:
            self._thread.join(timeout=10)

    def new_run(self) -> None:
        """A new run gives every live replica a clean slate."""
        for ep in self.endpoints:
            ep.fail_streak = 0

    async def _get_client(self):
        if self._client is None:
            import httpx

            n = len(self.endpoints)
            limits = httpx.Limits(max_connections=self.max_inflight * n + 4,
                                  max_keepalive_connections=self.max_inflight * n)
            self._client = httpx.AsyncClient(timeout=self.timeout, limits=limits)
        return self._client

    # ---- choosing a replica ----
    async def _acquire(self, cond: asyncio.Condition, exclude: set[str]) -> _Endpoint:
        async with cond:
            while True:
                live = [e for e in self.endpoints if not e.out]
                if not live:
                    raise _Fatal(RemoteError.coded("remote.all_replicas_out", {"replicas": "; ".join(
                        f"{e.base} ({e.last_error})" for e in self.endpoints)}))
                pool = [e for e in live if e.base not in exclude] or live
                free = [e for e in pool if e.outstanding < self.max_inflight]
                if free:
                    ep = min(free, key=lambda e: (e.outstanding, e.served))
                    ep.outstanding += 1
                    return ep
                await cond.wait()

    async def _release(self, cond: asyncio.Condition, ep: _Endpoint) -> None:
        async with cond:
            ep.outstanding -= 1
            cond.notify_all()

    async def send(self, cond: asyncio.Condition, path: str, body: dict, n_pairs: int,
                   docs: list[Document]) -> tuple[Any, str]:
        """POST to the least busy live replica with retries: (the decoded JSON answer, the replica).
        `docs` are the documents of the request (named in the errors: one for chat, a range for
        /rerank)."""
        one = path == "/chat/completions"
        what = f"Document '{docs[0].id}'" if one else f"Documents '{docs[0].id}'..'{docs[-1].id}'"
        import httpx

        client = await self._get_client()
        attempt = 0
        timeouts = 0
        tried: set[str] = set()
        while True:
            ep = await self._acquire(cond, tried)
            url = f"{ep.base}{path}"
            retry_reason: Any = ""
            try:
                self.stats["requests"] += 1
                resp = await client.post(url, json=body, headers=_headers(self.api_key))
                if resp.status_code == 429 or resp.status_code >= 500:
                    retry_reason = f"HTTP {resp.status_code}: {_server_message(resp)[:120]}"
                else:
                    try:
                        data = _check_response(resp, ep.base, what)
                    except RemoteError as err:
                        if resp.status_code == 400 and "context length" in str(err).lower():
                            detail = _server_message(resp)[:300]
                            raise _Fatal(RemoteError.coded("remote.doc_too_long", {
                                "doc": docs[0].id, "detail": detail}) if one else RemoteError.coded(
                                "remote.docs_too_long", {"first": docs[0].id, "last": docs[-1].id,
                                                         "detail": detail})) from None
                        raise _Fatal(err) from None
                    ep.fail_streak = 0
                    ep.served += n_pairs
                    self.stats["pairs_sent"] += n_pairs
                    return data, ep.base
            except httpx.TimeoutException:
                retry_reason = Text("remote.reason_timeout", seconds=f"{self.timeout:g}")
                timeouts += 1
            except httpx.TransportError as exc:
                retry_reason = transport_words(exc)
            finally:
                await self._release(cond, ep)
            # a failure: count it against the replica, maybe take it out, back off, retry
            ep.fail_streak += 1
            ep.last_error = retry_reason
            # healthy: in rotation and its last request succeeded (or it has not failed yet)
            other_healthy = any(not e.out and e.fail_streak == 0 for e in self.endpoints if e is not ep)
            if ep.fail_streak >= self.max_failures and not ep.out and other_healthy:
                ep.out = True
                self.warn(Text("warn.replica_out", url=ep.base, failures=ep.fail_streak, last=retry_reason))
                async with cond:
                    cond.notify_all()
            attempt += 1
            self.stats["retries"] += 1
            tried.add(ep.base)
            if len(tried) >= len(self.endpoints):
                tried = set()
            if timeouts >= 2 or (timeouts and attempt > self.retries):
                # a server that does not answer in time will not answer the next time either:
                # one more try (another replica when there is one), then say which setting helps
                raise _Fatal(RemoteError.coded("remote.timed_out", {
                    "first": docs[0].id, "last": docs[-1].id, "base": ep.base, "attempts": attempt,
                    "seconds": f"{self.timeout:g}"}))
            if attempt > self.retries:
                params = {"attempts": attempt, "reason": retry_reason, "base": ep.base}
                raise _Fatal(RemoteError.coded("remote.doc_retries_exhausted", {"doc": docs[0].id, **params})
                             if one else RemoteError.coded("remote.docs_retries_exhausted", {
                                 "first": docs[0].id, "last": docs[-1].id, **params}))
            await asyncio.sleep(min(8.0, 0.25 * 2 ** min(attempt, 6)) * (0.5 + random.random()))
