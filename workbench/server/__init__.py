"""`workbench serve`: the workbench's engine behind a small HTTP API (FastAPI + uvicorn).

For the "call it from the gateway with curl" case, and as a server the remote backend
(`--model http://HOST:PORT/v1`) can talk to:

    POST /v1/rerank   vLLM / Jina / Cohere shape (also /rerank, /v2/rerank): {"model"?, "query",
                      "documents", "instruction"?, "top_n"?, "return_documents"?}; query and
                      documents are text, {"content": [{"type": "text", ...}, {"type": "image_url",
                      "image_url": {"url": "data:image/...;base64,..."}}]} or {"text", "image"};
                      answers {"id", "model", "usage", "results": [{"index", "relevance_score",
                      "document"?}]} best first.
                      Also vLLM's single {"content": [...]} as `documents`, and Jina's raw base64
                      {"image": "<base64>"}. Results carry "truncated": true where a document was cut
                      to the model's token limit (and a `warnings` list); `meta` is Cohere's.
    POST /v1/score    vLLM shape (also /score): {"data_1": side | [side], "data_2": side | [side]}
                      (also text_1/text_2, queries/documents, queries/items; 1:1, 1:N or N:N);
                      answers {"data": [{"index", "object": "score", "score"}], "usage"}.
    GET  /v1/models   {"object": "list", "data": [{"id", "object": "model", ...}]} (one per alias)
    GET  /metrics     Prometheus text (behind the key unless --open-metrics)
    GET  /health      200 when the model is loaded (open; the only route without the API key).
    /docs, /redoc, /openapi.json only with `--docs`.
    Errors: {"error": {"message", "type", "param", "code"}, "detail", "message"}; 503 with
    Retry-After when --max-queue requests are already admitted.

Modules: schemas (pydantic request/response models), guard (API key, body size and JSON depth
before parsing, limits, error bodies), request_images (per-request image files, paths scrubbed
from messages), batcher (micro-batching, failure isolation, the bounded score cache, token
counts, admission), metrics (/metrics in Prometheus text), app (the routes), run (bind, serve,
clean shutdown on SIGTERM/SIGINT/SIGHUP).
"""

from .app import create_app
from .batcher import Batcher, ServeCache, score_pairs, score_pairs_tokens
from .guard import RequestError, ServeLimits
from .run import LOCAL_HOSTS, check_bind, serve_app


def serve(reranker, *, host: str = "127.0.0.1", port: int = 8000, api_key: str | None = None,
          served_name: str | list[str] | None = None, limits: ServeLimits | None = None,
          cache_pairs: int | None = None, docs: bool = False, open_metrics: bool = False,
          log_level: str = "warning") -> int:
    """Serve `reranker` until SIGTERM / Ctrl-C (a clean shutdown returns 0)."""
    check_bind(host, api_key)
    app = create_app(reranker, api_key=api_key, served_name=served_name, limits=limits, cache_pairs=cache_pairs,
                     docs=docs, open_metrics=open_metrics)
    banner = f"serving {reranker.model_id} ({reranker.backend})"
    if api_key:
        banner += "  (API key required)"
    return serve_app(app, host=host, port=port, banner=banner, log_level=log_level)


__all__ = [
    "LOCAL_HOSTS",
    "Batcher",
    "RequestError",
    "ServeCache",
    "ServeLimits",
    "check_bind",
    "create_app",
    "score_pairs",
    "score_pairs_tokens",
    "serve",
    "serve_app",
]
