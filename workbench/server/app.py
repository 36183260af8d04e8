"""The FastAPI app of `workbench serve` (routes listed in workbench/server/__init__.py)."""

import asyncio
import logging
import math
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import WorkbenchError
from ..model import Document, Query
from .batcher import Batcher, QueueFull, Scored, ServeCache
from .guard import (
    UNAUTHORIZED,
    BodyGuard,
    RequestError,
    ServeLimits,
    authorized,
    cache_pairs_setting,
    error_response,
)
from .metrics import CONTENT_TYPE, Metrics, RequestMetrics
from .request_images import ImageRoot, RequestImages, scrub
from .schemas import (
    SIDE_SHAPES,
    ApiVersion,
    BilledUnits,
    ContentSide,
    FieldsSide,
    Health,
    ImagePart,
    Meta,
    ModelCard,
    ModelList,
    RerankDocument,
    RerankRequest,
    RerankResponse,
    RerankResult,
    ScoreData,
    ScoreRequest,
    ScoreResponse,
    TextPart,
    Usage,
    split_documents,
)

log = logging.getLogger("workbench.serve")
DISCONNECT_POLL_S = 0.1
OPEN_PATHS = ("/health",)


def _field_name(loc: tuple | list) -> str:
    """('body', 'documents', 0, '<content>', 'content') -> 'documents[0].content'."""
    out = ""
    for part in loc:
        if part == "body" and not out:
            continue
        if isinstance(part, str) and part.startswith("<"):
            continue                               # a union's tag (schemas.TAG)
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


def _validation_message(errors: list[dict]) -> tuple[str, list[dict]]:
    items, shown = [], []
    for e in errors:
        where = _field_name(e.get("loc", ()))
        msg = str(e.get("msg", "invalid"))
        if e.get("type") == "json_invalid":
            msg = f"the body is not valid JSON ({(e.get('ctx') or {}).get('error', 'decode error')})"
            where = "body"
        elif e.get("type") == "missing":
            msg = "is required"
        msg = msg.removeprefix("Value error, ")
        items.append({"field": where, "message": msg, "type": e.get("type")})
        shown.append(f"{where}: {msg}")
    text = "Invalid request: " + "; ".join(shown[:5]) + (f" (and {len(shown) - 5} more)" if len(shown) > 5 else "")
    return text, items


SCORING_ROUTES = ("/v1/rerank", "/rerank", "/v2/rerank", "/v1/score", "/score")


def create_app(reranker, *, api_key: str | None = None, served_name: str | list[str] | tuple | None = None,
               max_batch: int | None = None, max_wait_ms: float = 5.0, image_dir: Path | None = None,
               limits: ServeLimits | None = None, cache_pairs: int | None = None, docs: bool = False,
               open_metrics: bool = False):
    """The FastAPI app over a loaded reranker.

    `api_key`: every route but /health asks for `Authorization: Bearer KEY`. `served_name`: the
    model name, or several aliases (each accepted in `model`, each listed in /v1/models; the first
    is the default answer). `limits`: body size, documents per request, characters per text,
    requests admitted at once (default: the WORKBENCH_SERVE_* settings). `cache_pairs`: size of the
    in-memory score cache (0: none; default WORKBENCH_SERVE_CACHE_PAIRS). `docs`: serve /docs,
    /redoc and /openapi.json (open, without the key). `open_metrics`: /metrics without the key."""
    from contextlib import asynccontextmanager

    from fastapi import Depends, FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException as StarletteHTTPException

    if isinstance(served_name, str | None):
        names = [served_name or reranker.model_id]
    else:
        names = list(dict.fromkeys(n for n in served_name if n)) or [reranker.model_id]
    name = names[0]
    limits = limits or ServeLimits.from_settings()
    cache_pairs = cache_pairs_setting() if cache_pairs is None else int(cache_pairs)
    cache = ServeCache(cache_pairs) if cache_pairs > 0 else None
    batcher = Batcher(reranker, cache=cache, max_batch=max_batch, max_wait_ms=max_wait_ms,
                      max_queue=limits.max_queue)
    images = ImageRoot(image_dir)
    metrics = Metrics(set(SCORING_ROUTES) | {"/v1/models", "/health", "/metrics", "/docs", "/redoc",
                                             "/openapi.json"})
    open_paths = OPEN_PATHS + (("/metrics",) if open_metrics else ())

    async def check_key(request: Request) -> None:
        """Applied to every route of the app: only /health (and /metrics when opened) is open."""
        if request.url.path in open_paths:
            return
        if not authorized(request.headers.get("authorization"), api_key):
            raise RequestError(401, UNAUTHORIZED, "authentication_error")

    @asynccontextmanager
    async def lifespan(app):
        await batcher.start()
        try:
            yield
        finally:
            await batcher.stop()
            images.cleanup()

    app = FastAPI(title="Lychee rerank workbench", lifespan=lifespan, dependencies=[Depends(check_key)],
                  docs_url="/docs" if docs else None, redoc_url="/redoc" if docs else None,
                  openapi_url="/openapi.json" if docs else None)
    app.state.batcher = batcher
    app.state.images = images
    app.state.limits = limits
    app.state.cache = cache
    app.state.metrics = metrics
    app.add_middleware(BodyGuard, limits=limits, api_key=api_key)
    app.add_middleware(RequestMetrics, metrics=metrics)      # outermost: counts the guard's refusals too

    # ---- errors: always {"error": {...}, "detail", "message"} ----
    @app.exception_handler(RequestError)
    async def request_error(request, exc: RequestError):
        return error_response(exc.status, exc.message, exc.kind, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request, exc: RequestValidationError):
        text, items = _validation_message(list(exc.errors()))
        return error_response(422, text, errors=items)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request, exc: StarletteHTTPException):
        kind = "not_found_error" if exc.status_code == 404 else "invalid_request_error"
        return error_response(exc.status_code, str(exc.detail), kind)

    @app.exception_handler(Exception)
    async def internal_error(request, exc: Exception):
        ref = uuid.uuid4().hex[:8]
        log.error("internal error %s on %s", ref, request.url.path, exc_info=exc)
        return error_response(500, f"Internal error (id {ref}); the server's log has the details.", "server_error")

    def check_model(model: str | None) -> str:
        """The name to answer with: the alias the client asked for, else the first one."""
        if model in (None, ""):
            return name
        if model not in names:
            shown = ", ".join(f"'{n}'" for n in names)
            raise RequestError(404, f"The model '{model}' does not exist here; this server serves {shown}.",
                               "not_found_error")
        return model

    def side(value: Any, field: str, req: RequestImages) -> tuple[str, str | None, str | None]:
        """(text, image path, image sha256) of a validated query or document."""
        texts: list[str] = []
        image = digest = None

        def add_image(url: str | None) -> None:
            nonlocal image, digest
            if image is not None:
                raise RequestError(400, f"{field} has more than one image; send one image per query or document.")
            image, digest = req.from_url(url, field)

        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, FieldsSide):
            texts.append(value.text or "")
            if value.url() is not None:
                add_image(value.url())
        else:
            parts = value.content if isinstance(value, ContentSide) else value
            if isinstance(parts, str):
                texts.append(parts)
            else:
                for part in parts:
                    if isinstance(part, str):
                        texts.append(part)
                    elif isinstance(part, TextPart):
                        texts.append(part.text)
                    elif isinstance(part, ImagePart):
                        add_image(part.url())
                    else:  # pragma: no cover - the schema allows nothing else
                        raise RequestError(422, f"{field}: must be {SIDE_SHAPES}")
        text = "".join(texts)
        limits.check_chars(len(text), field)
        return text, image, digest

    async def scored(request: Request, req: RequestImages, instruction: str, query: Query,
                     docs: list[Document]) -> Scored:
        """The batcher's answer; cancelled as soon as the client disconnects (told by the server's
        `http.disconnect` message: the body has been read, so the next receive() waits for it)."""
        task = asyncio.ensure_future(batcher.score(instruction, query, docs, owner=req))
        watch = asyncio.ensure_future(request.receive())
        try:
            while True:
                done, _ = await asyncio.wait({task, watch}, timeout=None if watch is not None else DISCONNECT_POLL_S,
                                             return_when=asyncio.FIRST_COMPLETED)
                if task in done:
                    break
                if watch is not None and watch in done:
                    message = watch.result() if not watch.cancelled() and watch.exception() is None else {}
                    watch = None
                    if message.get("type") != "http.disconnect":
                        continue                    # something else: poll from now on
                elif not await request.is_disconnected():
                    continue
                task.cancel()
                log.info("client left: %d pair(s) dropped", len(docs))
                raise RequestError(499, "The client closed the connection.")
            return task.result()
        except WorkbenchError as err:
            raise RequestError(400, req.scrub(str(err))) from None
        except (RequestError, asyncio.CancelledError):
            raise
        except Exception as exc:
            ref = uuid.uuid4().hex[:8]
            log.error("scoring failed %s", ref, exc_info=exc)
            raise RequestError(500, f"Scoring failed (id {ref}): {req.scrub(type(exc).__name__)}; the server's "
                                    "log has the details.", "server_error") from None
        finally:
            if not task.done():
                task.cancel()
            if watch is not None and not watch.done():
                watch.cancel()

    def usage(result: Scored, n_docs: int | None = None) -> Usage:
        total = int(sum(result.tokens))
        return Usage(prompt_tokens=total, total_tokens=total, documents=n_docs)

    @app.get("/health", response_model=Health, response_model_exclude_none=True)
    async def health(request: Request):
        """Open without the key; the model and batching counters only with it."""
        if not authorized(request.headers.get("authorization"), api_key):
            return Health(status="ok")
        return Health(status="ok", model=name, batching=dict(batcher.stats))

    @app.get("/v1/models", response_model=ModelList)
    async def models():
        root = str(getattr(reranker, "model_path", None) or name)
        return ModelList(data=[ModelCard(id=n, root=root, backend=reranker.backend) for n in names])

    @app.get("/metrics", include_in_schema=False)
    async def prometheus():
        from fastapi.responses import Response

        return Response(metrics.render(batcher), media_type=CONTENT_TYPE)

    @app.post("/v1/rerank", response_model=RerankResponse, response_model_exclude_none=True)
    @app.post("/rerank", response_model=RerankResponse, response_model_exclude_none=True)
    @app.post("/v2/rerank", response_model=RerankResponse, response_model_exclude_none=True)
    async def rerank(body: RerankRequest, request: Request):
        answer_name = check_model(body.model)
        documents = split_documents(body.documents)
        if not documents:
            raise RequestError(400, "'documents' must be a non-empty list.")
        limits.check_documents(len(documents))
        instruction = body.instruction_text()
        limits.check_chars(len(instruction), "instruction")
        with admission():
            req = images.request()
            try:
                def parse():
                    q_text, q_img, q_hash = side(body.query, "query", req)
                    docs = []
                    for i, d in enumerate(documents):
                        text, img, digest = side(d, f"documents[{i}]", req)
                        docs.append(Document(id=str(i), text=text, image=img, image_hash=digest))
                    return Query(id="query", text=q_text, image=q_img, image_hash=q_hash), docs

                query, docs = await asyncio.to_thread(parse) if _has_images(body) else parse()
                result = await scored(request, req, instruction, query, docs)
            finally:
                req.cleanup()
        scores = result.scores
        cut = result.truncated or [False] * len(docs)
        order = sorted(range(len(docs)), key=lambda i: -scores[i])
        if body.top_n is not None and body.top_n > 0:
            order = order[:body.top_n]
        results = []
        for i in order:
            item = RerankResult(index=i, relevance_score=scores[i], truncated=True if cut[i] else None)
            if body.return_documents:
                d = documents[i]
                item.document = RerankDocument(
                    text=docs[i].text,
                    multi_modal=d.content if isinstance(d, ContentSide) else None)
            results.append(item)
        warnings = truncation_warnings(cut, "documents")
        total = int(sum(result.tokens))
        version = "2" if request.url.path.startswith("/v2/") else "1"
        meta = Meta(api_version=ApiVersion(version=version),
                    billed_units=BilledUnits(search_units=max(1, math.ceil(len(docs) / 100)), input_tokens=total),
                    warnings=warnings)
        return RerankResponse(id=f"rerank-{uuid.uuid4().hex[:16]}", model=answer_name,
                              usage=usage(result, len(docs)), results=results, meta=meta, warnings=warnings)

    @app.post("/v1/score", response_model=ScoreResponse, response_model_exclude_none=True)
    @app.post("/score", response_model=ScoreResponse, response_model_exclude_none=True)
    async def score(body: ScoreRequest, request: Request):
        answer_name = check_model(body.model)
        f1, f2 = body.fields()
        l1, l2 = body.sides()
        if not l1 or not l2:
            raise RequestError(400, f"'{f1}' and '{f2}' must each hold at least one item.")
        if len(l1) != 1 and len(l1) != len(l2):
            raise RequestError(400, f"'{f1}' holds {len(l1)} items and '{f2}' {len(l2)}: send one item in "
                                    f"'{f1}' (1:N) or as many as in '{f2}' (N:N).")
        limits.check_documents(len(l2), f2)
        instruction = body.instruction or ""
        limits.check_chars(len(instruction), "instruction")
        with admission():
            req = images.request()
            try:
                def parse():
                    return ([side(x, f"{f1}[{i}]", req) for i, x in enumerate(l1)],
                            [side(x, f"{f2}[{j}]", req) for j, x in enumerate(l2)])

                qs, ds = await asyncio.to_thread(parse) if _has_images(body) else parse()
                groups: dict[int, list[int]] = {}
                for j in range(len(l2)):
                    groups.setdefault(0 if len(l1) == 1 else j, []).append(j)
                out = [0.0] * len(l2)
                tokens = [0] * len(l2)
                cut = [False] * len(l2)

                async def one(qi: int, idx: list[int]):
                    t, img, h = qs[qi]
                    query = Query(id="query", text=t, image=img, image_hash=h)
                    docs = [Document(id=str(j), text=ds[j][0], image=ds[j][1], image_hash=ds[j][2]) for j in idx]
                    got = await scored(request, req, instruction, query, docs)
                    for j, v, n, c in zip(idx, got.scores, got.tokens, got.truncated or [False] * len(idx)):
                        out[j], tokens[j], cut[j] = v, n, c

                tasks = [asyncio.ensure_future(one(qi, idx)) for qi, idx in groups.items()]
                try:
                    await asyncio.gather(*tasks)
                finally:
                    for t in tasks:
                        t.cancel()
            finally:
                req.cleanup()
        return ScoreResponse(id=f"score-{uuid.uuid4().hex[:16]}", created=int(time.time()), model=answer_name,
                             data=[ScoreData(index=j, score=out[j], truncated=True if cut[j] else None)
                                   for j in range(len(l2))],
                             usage=usage(Scored(out, tokens)), warnings=truncation_warnings(cut, f2))

    def truncation_warnings(cut: list[bool], field: str) -> list[str] | None:
        if not any(cut):
            return None
        which = [i for i, c in enumerate(cut) if c]
        shown = ", ".join(f"{field}[{i}]" for i in which[:10]) + (f" and {len(which) - 10} more" if len(which) > 10
                                                                  else "")
        cap = getattr(reranker, "max_length", None)
        limit = f" ({cap} tokens)" if cap else ""
        return [f"{shown}: the text was cut to fit the model's input limit{limit}; the score reads only its "
                "beginning. Send shorter passages (split long documents into chunks) for a score of the whole text."]

    @contextmanager
    def admission():
        """The request's place in the bounded queue in front of the model: 503 when it is full."""
        slot = batcher.admit()
        try:
            slot.__enter__()
        except QueueFull:
            raise limits.queue_full() from None
        try:
            yield
        finally:
            slot.__exit__(None, None, None)

    return app


def _has_images(body) -> bool:
    """Whether any side of a request carries an image (then the parsing, which decodes and
    writes image files, runs in a worker thread; plain text is parsed on the event loop)."""
    def walk(v) -> bool:
        if isinstance(v, ImagePart):
            return True
        if isinstance(v, FieldsSide):
            return v.url() is not None
        if isinstance(v, ContentSide):
            return walk(v.content)
        if isinstance(v, list):
            return any(walk(x) for x in v)
        return False

    return any(walk(getattr(body, f, None)) for f in type(body).model_fields)


__all__ = ["create_app", "scrub"]
