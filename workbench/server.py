"""`workbench serve`: the workbench's engine and score cache behind a small HTTP API.

For the "call it from the gateway with curl" case, and as a server the remote backend
(`--model http://HOST:PORT/v1`) can talk to. FastAPI + uvicorn:

    POST /v1/rerank   vLLM / Jina / Cohere shape: {"model"?, "query", "documents", "instruction"?,
                      "top_n"?, "return_documents"?}; query and documents are text, or
                      {"content": [{"type": "text", ...}, {"type": "image_url", "image_url": {"url":
                      "data:image/...;base64,..."}}]} (also {"text", "image"}); answers
                      {"id", "model", "usage", "results": [{"index", "relevance_score", "document"?}]}
                      best first.
    POST /v1/score    vLLM shape: {"text_1": str | [str], "text_2": str | [str]} (1:N or N:N);
                      answers {"data": [{"index", "object": "score", "score"}]}.
    GET  /v1/models   {"object": "list", "data": [{"id", "object": "model", ...}]}
    GET  /health      200 when the model is loaded.

Micro-batching: the pairs of concurrent requests go into one queue; a batcher takes what
arrived within `max_wait_ms` (up to the engine's batch size), so requests share forward
passes; the model forward runs under the engine's lock in a worker thread. Scores go
through the score cache (the workbench's store) like every other run. It binds
127.0.0.1; any other host needs an API key (clients send `Authorization: Bearer KEY`).
"""


import asyncio
import base64
import binascii
import hashlib
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from .errors import InputError, WorkbenchError
from .model import Document, Query

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
MAX_IMAGE_BYTES = 32 * 1024 * 1024


class RequestError(Exception):
    def __init__(self, status: int, message: str, kind: str = "invalid_request_error"):
        self.status, self.message, self.kind = status, message, kind
        super().__init__(message)


def check_bind(host: str, api_key: str | None) -> None:
    if host not in LOCAL_HOSTS and not api_key:
        raise InputError(
            f"Binding to {host} exposes the model to the network without any password.",
            "Add --api-key KEY (clients then send 'Authorization: Bearer KEY'), or keep the default "
            "--host 127.0.0.1.")


class _ImageStore:
    """Images of requests as files (the engine takes paths), named by their sha256."""

    def __init__(self, folder: Path | None = None):
        self._tmp = None
        if folder is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="workbench-serve-")
            folder = Path(self._tmp.name)
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def from_url(self, url: str) -> tuple[str, str]:
        if not isinstance(url, str) or not url.startswith("data:"):
            raise RequestError(400, "Images must be sent inline as data URLs (data:image/png;base64,...); "
                                    "this server does not fetch http(s) URLs or read server paths.")
        head, _, data = url.partition(",")
        if ";base64" not in head:
            raise RequestError(400, "An image data URL is not base64 encoded (expected data:image/...;base64,...).")
        try:
            raw = base64.b64decode(data, validate=False)
        except (binascii.Error, ValueError):
            raise RequestError(400, "An image data URL holds invalid base64.") from None
        if not raw or len(raw) > MAX_IMAGE_BYTES:
            raise RequestError(400, f"An image is empty or larger than {MAX_IMAGE_BYTES // 2**20} MB.")
        digest = hashlib.sha256(raw).hexdigest()
        path = self.folder / f"{digest}.img"
        if not path.exists():
            tmp = path.with_suffix(".part")
            tmp.write_bytes(raw)
            tmp.replace(path)
        try:
            from PIL import Image

            with Image.open(path) as im:
                im.verify()
        except Exception:  # noqa: BLE001 - any decoding failure is the client's
            raise RequestError(400, "An image could not be decoded (send PNG, JPEG or WebP).") from None
        return str(path), digest


def _parse_side(value: Any, images: _ImageStore, what: str) -> tuple[str, str | None, str | None]:
    """(text, image path, image sha256) of a query or document in any accepted shape."""
    if value is None:
        return "", None, None
    if isinstance(value, str):
        return value, None, None
    if isinstance(value, dict):
        if "content" in value:
            value = value["content"]
            if isinstance(value, str):
                return value, None, None
        else:
            text = value.get("text") or ""
            img = value.get("image") or value.get("image_url")
            if isinstance(img, dict):
                img = img.get("url")
            if img:
                path, digest = images.from_url(img)
                return str(text), path, digest
            return str(text), None, None
    if isinstance(value, list):
        texts: list[str] = []
        image = digest = None
        for part in value:
            if isinstance(part, str):
                texts.append(part)
                continue
            if not isinstance(part, dict):
                raise RequestError(400, f"{what}: a content part is neither text nor an object.")
            kind = part.get("type")
            if kind == "text":
                texts.append(str(part.get("text", "")))
            elif kind in ("image_url", "image"):
                url = part.get("image_url", part.get("image"))
                if isinstance(url, dict):
                    url = url.get("url")
                if image is not None:
                    raise RequestError(400, f"{what} has more than one image; send one image per query or document.")
                image, digest = images.from_url(url)
            else:
                raise RequestError(400, f"{what}: content parts of type '{kind}' are not supported "
                                        "(use 'text' and 'image_url').")
        return "".join(texts), image, digest
    raise RequestError(400, f"{what} must be a string, a list of content parts or {{\"content\": [...]}}.")


class Batcher:
    """Collects (instruction, query, doc) pairs from concurrent requests and scores them together."""

    def __init__(self, reranker, cache=None, max_batch: int | None = None, max_wait_ms: float = 5.0):
        self.reranker = reranker
        self.cache = cache if getattr(reranker, "cacheable", True) else None
        self.max_batch = int(max_batch or getattr(reranker, "batch_size", 8) or 8)
        self.max_wait = max_wait_ms / 1000.0
        self.queue: asyncio.Queue | None = None
        self.task: asyncio.Task | None = None
        self.cache_lock = threading.Lock()
        self.stats = {"batches": 0, "pairs": 0, "max_batch_seen": 0, "cache_hits": 0}

    async def start(self) -> None:
        self.queue = asyncio.Queue()
        self.task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self.task:
            self.task.cancel()
            try:
                await self.task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001
                pass

    async def score(self, instruction: str, query: Query, docs: list[Document]) -> list[float]:
        rr = self.reranker
        instruction = rr.resolve_instruction(instruction or "")
        if not getattr(rr, "cacheable", True) or not hasattr(rr, "_fit"):
            # BM25 (scores depend on the whole list) or a backend without pair scoring: rank() directly
            ranked = await asyncio.to_thread(self._rank_locked, instruction, query, docs)
            return ranked.scores_in_input_order()
        scores: dict[int, float] = {}
        keys = [rr.cache_key(instruction, query, d) for d in docs]
        if self.cache is not None and docs:
            found = await asyncio.to_thread(self._cache_get, keys)
            for i, k in enumerate(keys):
                if found.get(k) is not None:
                    scores[i] = float(found[k])
            self.stats["cache_hits"] += len(scores)
        loop = asyncio.get_running_loop()
        futures = {}
        for i, d in enumerate(docs):
            if i not in scores:
                fut = loop.create_future()
                futures[i] = fut
                await self.queue.put((instruction, query, d, fut))
        for i, fut in futures.items():
            scores[i] = await fut
        if self.cache is not None and futures:
            await asyncio.to_thread(self._cache_put, {keys[i]: scores[i] for i in futures})
        return [scores[i] for i in range(len(docs))]

    def _rank_locked(self, instruction, query, docs):
        return self.reranker.rank(query, docs, instruction)

    def _cache_get(self, keys):
        with self.cache_lock:
            return self.cache.get_many(keys)

    def _cache_put(self, items):
        with self.cache_lock:
            self.cache.put_many(items)

    async def _loop(self) -> None:
        while True:
            first = await self.queue.get()
            batch = [first]
            deadline = time.monotonic() + self.max_wait
            while len(batch) < self.max_batch:
                timeout = deadline - time.monotonic()
                if timeout <= 0:
                    break
                try:
                    batch.append(await asyncio.wait_for(self.queue.get(), timeout))
                except asyncio.TimeoutError:
                    break
            live = [b for b in batch if not b[3].done()]
            if not live:
                continue
            self.stats["batches"] += 1
            self.stats["pairs"] += len(live)
            self.stats["max_batch_seen"] = max(self.stats["max_batch_seen"], len(live))
            try:
                values = await asyncio.to_thread(score_pairs, self.reranker, [b[:3] for b in live])
            except Exception as exc:  # noqa: BLE001 - handed to every waiting request
                for b in live:
                    if not b[3].done():
                        b[3].set_exception(exc)
                continue
            for b, v in zip(live, values):
                if not b[3].done():
                    b[3].set_result(float(v))


def score_pairs(reranker, pairs: list[tuple[str, Query, Document]]) -> list[float]:
    """P(yes) of (instruction, query, document) pairs from different requests in shared forward
    passes (the Qwen-VL engine: one padded batch, prefix reuse where the rows share one).
    Pairs of one query are kept next to each other."""
    order = sorted(range(len(pairs)), key=lambda i: (pairs[i][0], pairs[i][1].content_hash()))
    ordered = [pairs[i] for i in order]
    fit = getattr(reranker, "_fit", None)
    forward = getattr(reranker, "_forward_safe", None)
    if fit is not None and forward is not None:
        from .rerank.qwen_vl.reranker import _check_images

        for instruction, query, doc in ordered:
            _check_images(query, [doc])
        messages = [fit(i, q, d) for i, q, d in ordered]
        with reranker._lock:
            values = forward(messages, [d for _, _, d in ordered])
    else:  # group by (instruction, query) and use the backend's batch scorer
        values = []
        j = 0
        while j < len(ordered):
            k = j
            while k < len(ordered) and ordered[k][:2] == ordered[j][:2]:
                k += 1
            values += reranker._score_batch(ordered[j][0], ordered[j][1], [p[2] for p in ordered[j:k]])
            j = k
    out = [0.0] * len(pairs)
    for pos, v in zip(order, values):
        out[pos] = float(v)
    return out


def create_app(reranker, *, api_key: "str | None" = None, cache=None, served_name: "str | None" = None,
               max_batch: int | None = None, max_wait_ms: float = 5.0, image_dir: Path | None = None):
    """The FastAPI app over a loaded reranker (see the module docstring)."""
    from contextlib import asynccontextmanager

    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse

    name = served_name or reranker.model_id
    batcher = Batcher(reranker, cache=cache, max_batch=max_batch, max_wait_ms=max_wait_ms)
    images = _ImageStore(image_dir)

    @asynccontextmanager
    async def lifespan(app):
        await batcher.start()
        yield
        await batcher.stop()

    app = FastAPI(title="Lychee rerank workbench", lifespan=lifespan)
    app.state.batcher = batcher

    def error(status: int, message: str, kind: str = "invalid_request_error") -> JSONResponse:
        return JSONResponse({"error": {"message": message, "type": kind, "code": status}}, status_code=status)

    @app.middleware("http")
    async def auth(request: Request, call_next):
        if api_key and request.url.path.startswith("/v1"):
            header = request.headers.get("authorization", "")
            if header != f"Bearer {api_key}":
                return error(401, "Missing or wrong API key: send 'Authorization: Bearer KEY' (the key the "
                                  "server was started with, --api-key).", "authentication_error")
        return await call_next(request)

    async def body_of(request: Request) -> dict:
        try:
            body = await request.json()
        except ValueError:
            raise RequestError(400, "The request body is not JSON.") from None
        if not isinstance(body, dict):
            raise RequestError(400, "The request body must be a JSON object.")
        model = body.get("model")
        if model not in (None, "", name):
            raise RequestError(404, f"The model '{model}' does not exist here; this server serves '{name}'.",
                               "not_found_error")
        return body

    async def run(instruction, query, docs) -> list[float]:
        try:
            return await batcher.score(instruction, query, docs)
        except WorkbenchError as err:
            raise RequestError(400, str(err)) from None

    @app.exception_handler(RequestError)
    async def request_error(request, exc: RequestError):
        return error(exc.status, exc.message, exc.kind)

    @app.get("/health")
    async def health():
        return {"status": "ok", "model": name, "batching": dict(batcher.stats)}

    @app.get("/v1/models")
    async def models():
        return {"object": "list", "data": [{"id": name, "object": "model", "owned_by": "workbench",
                                            "root": getattr(reranker, "model_path", name),
                                            "backend": reranker.backend}]}

    @app.post("/v1/rerank")
    @app.post("/rerank")
    @app.post("/v2/rerank")
    async def rerank(request: Request):
        body = await body_of(request)
        docs_in = body.get("documents")
        if not isinstance(docs_in, list) or not docs_in:
            raise RequestError(400, "'documents' must be a non-empty list.")
        if "query" not in body:
            raise RequestError(400, "'query' is missing.")
        q_text, q_img, q_hash = _parse_side(body.get("query"), images, "The query")
        query = Query(id="query", text=q_text, image=q_img, image_hash=q_hash)
        docs = []
        for i, d in enumerate(docs_in):
            text, img, digest = _parse_side(d, images, f"Document {i}")
            docs.append(Document(id=str(i), text=text, image=img, image_hash=digest))
        instruction = body.get("instruction") or (body.get("chat_template_kwargs") or {}).get("instruction") or ""
        scores = await run(str(instruction), query, docs)
        order = sorted(range(len(docs)), key=lambda i: -scores[i])
        top_n = body.get("top_n")
        if top_n is not None:
            try:
                top_n = int(top_n)
            except (TypeError, ValueError):
                raise RequestError(400, "'top_n' must be an integer.") from None
            if top_n > 0:
                order = order[:top_n]
        with_docs = body.get("return_documents", True)
        results = []
        for i in order:
            item: dict[str, Any] = {"index": i, "relevance_score": scores[i]}
            if with_docs:
                d = docs_in[i]
                item["document"] = {"text": d} if isinstance(d, str) else {"text": docs[i].text, **(
                    {"multi_modal": d.get("content")} if isinstance(d, dict) and "content" in d else {})}
            results.append(item)
        return {"id": f"rerank-{uuid.uuid4().hex[:16]}", "model": name,
                "usage": {"total_tokens": 0, "documents": len(docs)}, "results": results}

    @app.post("/v1/score")
    @app.post("/score")
    async def score(request: Request):
        body = await body_of(request)
        t1 = body.get("text_1", body.get("queries"))
        t2 = body.get("text_2", body.get("documents"))
        if t1 is None or t2 is None:
            raise RequestError(400, "'text_1' and 'text_2' are required.")
        l1 = t1 if isinstance(t1, list) else [t1]
        l2 = t2 if isinstance(t2, list) else [t2]
        if len(l1) != 1 and len(l1) != len(l2):
            raise RequestError(400, "'text_1' must hold one item or as many as 'text_2'.")
        instruction = str(body.get("instruction") or "")
        qs = [_parse_side(x, images, "text_1") for x in l1]
        ds = [_parse_side(x, images, "text_2") for x in l2]
        groups: dict[int, list[int]] = {}
        for j in range(len(l2)):
            groups.setdefault(0 if len(l1) == 1 else j, []).append(j)
        out = [0.0] * len(l2)

        async def one(qi: int, idx: list[int]):
            t, img, h = qs[qi]
            query = Query(id="query", text=t, image=img, image_hash=h)
            docs = [Document(id=str(j), text=ds[j][0], image=ds[j][1], image_hash=ds[j][2]) for j in idx]
            vals = await run(instruction, query, docs)
            for j, v in zip(idx, vals):
                out[j] = v

        await asyncio.gather(*(one(qi, idx) for qi, idx in groups.items()))
        return {"id": f"score-{uuid.uuid4().hex[:16]}", "object": "list", "model": name,
                "data": [{"index": j, "object": "score", "score": out[j]} for j in range(len(l2))],
                "usage": {}}

    return app


def serve(reranker, *, host: str = "127.0.0.1", port: int = 8000, api_key: str | None = None,
          cache=None, served_name: str | None = None, log_level: str = "info") -> None:
    """Run the server until interrupted."""
    import uvicorn

    check_bind(host, api_key)
    app = create_app(reranker, api_key=api_key, cache=cache, served_name=served_name)
    uvicorn.run(app, host=host, port=port, log_level=log_level)
