"""The FastAPI app of `workbench serve` (routes listed in workbench/server/__init__.py)."""

import asyncio
import logging
import uuid
from pathlib import Path
from typing import Any

from ..errors import WorkbenchError
from ..model import Document, Query
from .batcher import Batcher, Scored, ServeCache
from .guard import (
    UNAUTHORIZED,
    BodyGuard,
    RequestError,
    ServeLimits,
    authorized,
    cache_pairs_setting,
    error_response,
)
from .request_images import ImageRoot, RequestImages, scrub
from .schemas import (
    SIDE_SHAPES,
    ContentSide,
    FieldsSide,
    Health,
    ImagePart,
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


def create_app(reranker, *, api_key: str | None = None, served_name: str | None = None,
               max_batch: int | None = None, max_wait_ms: float = 5.0, image_dir: Path | None = None,
               limits: ServeLimits | None = None, cache_pairs: int | None = None, docs: bool = False):
    """The FastAPI app over a loaded reranker.

    `api_key`: every route but /health asks for `Authorization: Bearer KEY`. `limits`: body size,
    documents per request, characters per text (default: the WORKBENCH_SERVE_* settings).
    `cache_pairs`: size of the in-memory score cache (0: none; default WORKBENCH_SERVE_CACHE_PAIRS).
    `docs`: serve /docs, /redoc and /openapi.json (open, without the key)."""
    from contextlib import asynccontextmanager

    from fastapi import Depends, FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException as StarletteHTTPException

    name = served_name or reranker.model_id
    limits = limits or ServeLimits.from_settings()
    cache_pairs = cache_pairs_setting() if cache_pairs is None else int(cache_pairs)
    cache = ServeCache(cache_pairs) if cache_pairs > 0 else None
    batcher = Batcher(reranker, cache=cache, max_batch=max_batch, max_wait_ms=max_wait_ms)
    images = ImageRoot(image_dir)

    async def check_key(request: Request) -> None:
        """Applied to every route of the app: only /health is open."""
        if request.url.path in OPEN_PATHS:
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
    app.add_middleware(BodyGuard, limits=limits, api_key=api_key)

    # ---- errors: always {"error": {...}, "detail", "message"} ----
    @app.exception_handler(RequestError)
    async def request_error(request, exc: RequestError):
        return error_response(exc.status, exc.message, exc.kind)

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

    def check_model(model: str | None) -> None:
        if model not in (None, "", name):
            raise RequestError(404, f"The model '{model}' does not exist here; this server serves '{name}'.",
                               "not_found_error")

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
        """The batcher's answer; cancelled as soon as the client disconnects."""
        task = asyncio.ensure_future(batcher.score(instruction, query, docs, owner=req))
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=DISCONNECT_POLL_S)
                if done:
                    break
                if await request.is_disconnected():
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
        return ModelList(data=[ModelCard(id=name, root=str(getattr(reranker, "model_path", None) or name),
                                         backend=reranker.backend)])

    @app.post("/v1/rerank", response_model=RerankResponse, response_model_exclude_none=True)
    @app.post("/rerank", response_model=RerankResponse, response_model_exclude_none=True)
    @app.post("/v2/rerank", response_model=RerankResponse, response_model_exclude_none=True)
    async def rerank(body: RerankRequest, request: Request):
        check_model(body.model)
        if not body.documents:
            raise RequestError(400, "'documents' must be a non-empty list.")
        limits.check_documents(len(body.documents))
        instruction = body.instruction_text()
        limits.check_chars(len(instruction), "instruction")
        req = images.request()
        try:
            def parse():
                q_text, q_img, q_hash = side(body.query, "query", req)
                docs = []
                for i, d in enumerate(body.documents):
                    text, img, digest = side(d, f"documents[{i}]", req)
                    docs.append(Document(id=str(i), text=text, image=img, image_hash=digest))
                return Query(id="query", text=q_text, image=q_img, image_hash=q_hash), docs

            query, docs = await asyncio.to_thread(parse)
            result = await scored(request, req, instruction, query, docs)
        finally:
            req.cleanup()
        scores = result.scores
        order = sorted(range(len(docs)), key=lambda i: -scores[i])
        if body.top_n is not None and body.top_n > 0:
            order = order[:body.top_n]
        results = []
        for i in order:
            item = RerankResult(index=i, relevance_score=scores[i])
            if body.return_documents:
                d = body.documents[i]
                item.document = RerankDocument(
                    text=docs[i].text,
                    multi_modal=d.content if isinstance(d, ContentSide) else None)
            results.append(item)
        return RerankResponse(id=f"rerank-{uuid.uuid4().hex[:16]}", model=name,
                              usage=usage(result, len(docs)), results=results)

    @app.post("/v1/score", response_model=ScoreResponse, response_model_exclude_none=True)
    @app.post("/score", response_model=ScoreResponse, response_model_exclude_none=True)
    async def score(body: ScoreRequest, request: Request):
        check_model(body.model)
        l1, l2 = body.sides()
        if len(l1) != 1 and len(l1) != len(l2):
            raise RequestError(400, "'text_1' must hold one item or as many as 'text_2'.")
        limits.check_documents(len(l2), "text_2")
        instruction = body.instruction or ""
        limits.check_chars(len(instruction), "instruction")
        req = images.request()
        try:
            def parse():
                return ([side(x, f"text_1[{i}]", req) for i, x in enumerate(l1)],
                        [side(x, f"text_2[{j}]", req) for j, x in enumerate(l2)])

            qs, ds = await asyncio.to_thread(parse)
            groups: dict[int, list[int]] = {}
            for j in range(len(l2)):
                groups.setdefault(0 if len(l1) == 1 else j, []).append(j)
            out = [0.0] * len(l2)
            tokens = [0] * len(l2)

            async def one(qi: int, idx: list[int]):
                t, img, h = qs[qi]
                query = Query(id="query", text=t, image=img, image_hash=h)
                docs = [Document(id=str(j), text=ds[j][0], image=ds[j][1], image_hash=ds[j][2]) for j in idx]
                got = await scored(request, req, instruction, query, docs)
                for j, v, n in zip(idx, got.scores, got.tokens):
                    out[j], tokens[j] = v, n

            tasks = [asyncio.ensure_future(one(qi, idx)) for qi, idx in groups.items()]
            try:
                await asyncio.gather(*tasks)
            finally:
                for t in tasks:
                    t.cancel()
        finally:
            req.cleanup()
        return ScoreResponse(id=f"score-{uuid.uuid4().hex[:16]}", model=name,
                             data=[ScoreData(index=j, score=out[j]) for j in range(len(l2))],
                             usage=usage(Scored(out, tokens)))

    return app


__all__ = ["create_app", "scrub"]
