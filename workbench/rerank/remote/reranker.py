"""`RemoteReranker`: the remote backend behind the `Reranker` interface.

The constructor only reads its options (no network): the server is probed on first use (a
`rank`, `score_pairs`, `model_id`, …) or by an explicit `.probe()`, and a server that cannot
be used then raises a `RemoteError` naming it. Scores are yielded as the answers arrive, so
the shared `Reranker.rank` loop writes them to the score cache and the run at once.
"""

from __future__ import annotations

import asyncio
import functools
import queue
import threading
from typing import Any, Iterator

from ... import config
from ...errors import WorkbenchError
from ...model import Document, Query
from ..base import Reranker
from ..spec import REMOTE
from . import protocol as wire
from .pool import (DEFAULT_INFLIGHT, DEFAULT_MAX_FAILURES, DEFAULT_RETRIES, DEFAULT_TIMEOUT, ReplicaPool,
                   _Fatal)
from .probe import connect, parse_urls
from .protocol import API_KEY_ENV, ServerInfo, parse_chat_scores, parse_rerank_scores

RERANK_DOCS_PER_REQUEST = 8     # documents per /v1/rerank request


class _Probed:
    """An attribute known once the server has been probed: reading it probes (once)."""

    def __set_name__(self, owner, name: str) -> None:
        self.slot = "_" + name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        obj.probe()
        return obj.__dict__[self.slot]


class RemoteReranker(Reranker):
    """Scores on one or several replicas of a serving engine (vLLM, SGLang, `workbench serve`).
    See `workbench.rerank.remote`. Building one does not touch the network."""

    spec = REMOTE
    backend = REMOTE.name
    cacheable = REMOTE.cacheable

    # what the server says (known after `probe()`)
    info = _Probed()
    model_id = _Probed()
    protocol = _Probed()
    format = _Probed()
    prompt_format = _Probed()
    default_instruction = _Probed()
    min_pixels = _Probed()
    max_pixels = _Probed()
    patch = _Probed()
    docs_per_request = _Probed()

    def __init__(self, urls: str | list[str], protocol: str | None = None, api_key: str | None = None,
                 served_model: str | None = None, tokenizer: str | None = None,
                 prompt_format: str | None = None, max_inflight: int | None = None,
                 timeout: float | None = None, retries: int | None = None,
                 max_failures: int | None = None, min_pixels: int | None = None,
                 max_pixels: int | None = None, default_instruction: str | None = None,
                 docs_per_request: int | None = None):
        from ...errors import InputError
        from .protocol import PROTOCOLS

        self.urls = parse_urls(urls)
        if (protocol or "auto") not in ("auto",) + PROTOCOLS:
            raise InputError.coded("remote.unknown_protocol", {"protocol": protocol})
        self.api_key = api_key if api_key is not None else (config.env(API_KEY_ENV) or None)
        self.timeout = float(timeout or DEFAULT_TIMEOUT)
        self._wanted = {"protocol": protocol or "auto", "served_model": served_model, "tokenizer": tokenizer,
                        "prompt_format": prompt_format, "min_pixels": min_pixels, "max_pixels": max_pixels,
                        "default_instruction": default_instruction, "docs_per_request": docs_per_request}
        self.max_inflight = max(1, int(max_inflight or DEFAULT_INFLIGHT))
        self.retries = max(0, int(DEFAULT_RETRIES if retries is None else retries))
        self.max_failures = max(1, int(max_failures or DEFAULT_MAX_FAILURES))
        self.pool = ReplicaPool(self.urls, api_key=self.api_key, timeout=self.timeout,
                                max_inflight=self.max_inflight, retries=self.retries,
                                max_failures=self.max_failures, warn=self._warn)
        self.endpoints = self.pool.endpoints
        self.stats = self.pool.stats
        # one "batch" = everything missing: the stream below cuts it as answers arrive
        self.batch_size = 1 << 30
        self.token_budget = None
        self._probe_lock = threading.Lock()

    # ---- probing (first use) ----
    @property
    def probed(self) -> bool:
        return "_info" in self.__dict__

    def probe(self) -> ServerInfo:
        """Ask the server(s) what they speak (models, protocol, yes/no token ids), once. Raises
        RemoteError naming the server when one cannot be used."""
        if self.probed:
            return self.__dict__["_info"]
        with self._probe_lock:
            if not self.probed:
                w = self._wanted
                info = connect(self.urls, self.api_key, model=w["served_model"], protocol=w["protocol"],
                               tokenizer=w["tokenizer"], timeout=min(self.timeout, 60.0))
                self._configure(info)
        return self.__dict__["_info"]

    def _configure(self, info: ServerInfo) -> None:
        from ..prompts import get_format

        w = self._wanted
        prompt_format = w["prompt_format"]
        if not (prompt_format or "").strip():
            low = info.model.lower()
            prompt_format = "qwen3-vl-reranker" if ("qwen3-vl" in low or "qwen3_vl" in low) else "lychee"
        fmt = get_format(prompt_format).with_limits(
            min_pixels=w["min_pixels"] and int(w["min_pixels"]), max_pixels=w["max_pixels"] and int(w["max_pixels"]),
            default_instruction=w["default_instruction"])
        d = self.__dict__
        d["_format"] = fmt
        d["_prompt_format"] = fmt.name
        d["_default_instruction"] = fmt.default_instruction
        d["_min_pixels"] = fmt.min_pixels
        d["_max_pixels"] = fmt.max_pixels
        d["_patch"] = fmt.patch_size
        d["_protocol"] = info.protocol
        d["_docs_per_request"] = 1 if info.protocol == "chat" else max(
            1, int(w["docs_per_request"] or RERANK_DOCS_PER_REQUEST))
        d["_model_id"] = info.model
        d["_info"] = info            # last: `probed` means every attribute above is set

    def __repr__(self) -> str:
        urls = ", ".join(self.urls)
        if not self.probed:
            return f"RemoteReranker(urls=[{urls}], not probed yet)"
        return f"RemoteReranker(urls=[{urls}], model={self.model_id!r}, protocol={self.protocol!r})"

    # ---- Reranker API ----
    def params(self) -> dict[str, Any]:
        return {"prompt": self.format.name, "protocol": self.protocol,
                "min_pixels": self.min_pixels, "max_pixels": self.max_pixels}

    def resolve_instruction(self, instruction: str) -> str:
        return (instruction or "").strip() or self.default_instruction

    def describe(self) -> str:
        return (f"{self.model_id} on {len(self.urls)} replica(s) ({', '.join(self.urls)}), protocol "
                f"{self.protocol}, prompt format {self.prompt_format}")

    def _cost(self, query: Query, doc: Document) -> int:
        return 1

    def _score_batch(self, instruction: str, query: Query, docs: list[Document]) -> list[float]:
        scores: dict[int, float] = {}
        for idx, vals in self._score_stream(instruction, query, docs, list(range(len(docs)))):
            scores.update(zip(idx, vals))
        return [scores[i] for i in range(len(docs))]

    # ---- requests ----
    def _pixels(self) -> dict[str, int]:
        return {"min_pixels": self.min_pixels, "max_pixels": self.max_pixels, "patch": self.patch}

    def chat_messages(self, instruction: str, query: Query, doc: Document) -> list[dict[str, Any]]:
        """The local engine's messages for this pair (`PromptFormat.messages`), images as data URLs."""
        return wire.chat_messages(self.format, instruction, query, doc, **self._pixels())

    def _side(self, text: str | None, image: str | None) -> Any:
        if not image:
            return text or self.format.empty_side or ""
        return {"content": wire.content_parts(text, image, **self._pixels())}

    def rerank_body(self, instruction: str, query: Query, docs: list[Document]) -> dict[str, Any]:
        return wire.rerank_body(self.info.model, self._side(query.text, query.image),
                                [self._side(d.ranking_text, d.image) for d in docs], instruction)

    def chat_body(self, instruction: str, query: Query, doc: Document) -> dict[str, Any]:
        return wire.chat_body(self.info, self.chat_messages(instruction, query, doc))

    # ---- the async engine ----
    def close(self) -> None:
        self.pool.close()

    def __del__(self):  # pragma: no cover - best effort
        try:
            self.close()
        except Exception:
            pass

    async def _run_all(self, instruction: str, query: Query, docs: list[Document], positions: list[int],
                       out: "queue.Queue", stop: threading.Event) -> None:
        cond = asyncio.Condition()
        self.pool.new_run()

        async def chat_one(i: int) -> None:
            doc = docs[i]
            body = await asyncio.to_thread(self.chat_body, instruction, query, doc)
            data, base = await self.pool.send(cond, "/chat/completions", body, 1, [doc])
            out.put(([i], [parse_chat_scores(data, self.info, base)]))

        async def rerank_chunk(idx: list[int]) -> None:
            chunk = [docs[i] for i in idx]
            body = await asyncio.to_thread(self.rerank_body, instruction, query, chunk)
            data, base = await self.pool.send(cond, "/rerank", body, len(idx), chunk)
            out.put((idx, parse_rerank_scores(data, len(idx), base)))

        # coroutines are created only when a slot is free (a cancelled run leaves none un-awaited)
        if self.protocol == "chat":
            jobs = [functools.partial(chat_one, i) for i in positions]
        else:
            k = self.docs_per_request
            jobs = [functools.partial(rerank_chunk, positions[j:j + k]) for j in range(0, len(positions), k)]
        # at most (endpoints x max_inflight) jobs alive at once: images are encoded just in time
        sem = asyncio.Semaphore(len(self.pool.endpoints) * self.pool.max_inflight)

        async def guarded(job):
            async with sem:
                if stop.is_set():
                    return
                await job()

        tasks = [asyncio.ensure_future(guarded(j)) for j in jobs]
        try:
            for fut in asyncio.as_completed(tasks):
                try:
                    await fut
                except _Fatal as fatal:
                    out.put(fatal.error)
                    return
                except WorkbenchError as err:
                    out.put(err)
                    return
                except Exception as exc:  # noqa: BLE001 - surfaced in the caller's thread
                    out.put(exc)
                    return
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            out.put(None)

    def _score_stream(self, instruction: str, query: Query, docs: list[Document],
                      positions: list[int]) -> Iterator[tuple[list[int], list[float]]]:
        """Yield (positions, scores) groups as the answers arrive."""
        if not positions:
            return
        loop = self.pool.ensure_loop()
        out: queue.Queue = queue.Queue()
        stop = threading.Event()
        fut = asyncio.run_coroutine_threadsafe(
            self._run_all(instruction, query, docs, positions, out, stop), loop)
        finished = False
        try:
            while True:
                try:
                    item = out.get(timeout=0.2)
                except queue.Empty:
                    continue
                items = [item]
                while len(items) < 64:
                    try:
                        items.append(out.get_nowait())
                    except queue.Empty:
                        break
                idx: list[int] = []
                vals: list[float] = []
                error = None
                for it in items:
                    if it is None:
                        finished = True
                    elif isinstance(it, BaseException):
                        error = error or it
                    else:
                        idx += it[0]
                        vals += it[1]
                if idx:
                    yield idx, vals
                if error is not None:
                    raise error
                if finished:
                    return
        finally:
            if not finished:
                stop.set()
                fut.cancel()
                try:
                    fut.result(timeout=10)
                except BaseException:  # noqa: BLE001 - cancelled on purpose
                    pass

    def _stream(self, instruction: str, query: Query, docs: list[Document], missing: list[int],
                plan: list[list[int]]) -> Iterator[tuple[list[int], list[float]]]:
        """The shared rank loop's scoring hook: every missing pair at once, answers as they come."""
        return self._score_stream(instruction, query, docs, missing)


def make_remote(urls: str | list[str], **opts: Any) -> RemoteReranker:
    return RemoteReranker(urls, **opts)
