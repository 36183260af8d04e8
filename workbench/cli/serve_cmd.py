"""`workbench serve`: the engine and score cache behind a /v1/rerank HTTP API (FastAPI + uvicorn).

    workbench serve --model /models/lychee-rerank-mm|bm25 [--host 127.0.0.1] [--port 8000] [--api-key KEY]
    workbench serve --template-path lychee      # the chat template file for vLLM's pooling runner

Binds 127.0.0.1 by default; any other host needs --api-key (clients send
`Authorization: Bearer KEY`). See workbench/server/ for the endpoints.
"""

from __future__ import annotations

import argparse
import sys

from .. import config
from ..errors import InputError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="serve a reranker over HTTP (/v1/rerank, /v1/score) for a gateway or curl",
                       description="Serve the local engine (or BM25) and the score cache over HTTP: POST /v1/rerank "
                                   "(vLLM/Jina/Cohere shape, text and image documents), POST /v1/score, "
                                   "GET /v1/models, GET /health. Concurrent requests share batches.")
    p.add_argument("--model", default=None,
                   help="model folder (Lychee-rerank-mm / Qwen3-VL-Reranker) or 'bm25' (default: $WORKBENCH_MODEL)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; others need --api-key)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 = any free port)")
    p.add_argument("--api-key", default=config.env("WORKBENCH_SERVE_API_KEY") or None,
                   help="require 'Authorization: Bearer KEY' (default: $WORKBENCH_SERVE_API_KEY)")
    p.add_argument("--served-model-name", nargs="+", default=None, metavar="NAME",
                   help="model name(s) clients send in 'model' and see in /v1/models; several aliases allowed, "
                        "the first is the answer's default (default: the model id)")
    p.add_argument("--prompt-format", default=None, help="prompt format (default: the model family's)")
    p.add_argument("--batch-size", type=int, default=None,
                   help="pairs per forward pass, at most (default 64; the engine's token budget cuts long ones)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--dtype", choices=("auto", "float32", "bfloat16", "float16"), default="auto")
    p.add_argument("--no-cache", action="store_true", help="no score cache (same as --cache-pairs 0)")
    p.add_argument("--cache-pairs", type=int, default=None,
                   help="pairs kept in the server's in-memory score cache (default 10000, "
                        "$WORKBENCH_SERVE_CACHE_PAIRS; 0: none); the analysts' database is never written")
    p.add_argument("--max-body-mb", type=float, default=None,
                   help="largest request body in MB (default 32, $WORKBENCH_SERVE_MAX_BODY_MB)")
    p.add_argument("--max-documents", type=int, default=None,
                   help="documents per request (default 1000, $WORKBENCH_SERVE_MAX_DOCUMENTS)")
    p.add_argument("--max-document-chars", type=int, default=None,
                   help="characters per document, query or instruction (default 100000, "
                        "$WORKBENCH_SERVE_MAX_DOCUMENT_CHARS)")
    p.add_argument("--max-queue", type=int, default=None,
                   help="requests scoring or waiting for the model at once; one more gets 503 with Retry-After "
                        "(default 256, $WORKBENCH_SERVE_MAX_QUEUE)")
    p.add_argument("--open-metrics", action="store_true",
                   help="serve /metrics (Prometheus) without the API key (default: behind the key like the rest)")
    p.add_argument("--docs", action="store_true", help="also serve /docs, /redoc and /openapi.json (without the key)")
    p.add_argument("--template-path", metavar="FORMAT", default=None,
                   help="print the path of the chat template for vLLM's pooling runner (lychee, lychee-v1, "
                        "qwen3-vl-reranker) and exit")
    p.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    if args.template_path:
        from ..rerank.score_templates import template_path

        print(template_path(args.template_path))
        return 0
    from ..extras import require
    from ..server import check_bind

    for module in ("fastapi", "uvicorn"):
        require(module, "workbench serve", extra="serve")
    check_bind(args.host, args.api_key)
    if not (0 <= args.port <= 65535):
        raise InputError(f"--port {args.port} is not a port number.", "Use e.g. --port 8000.")
    from .. import config
    from ..rerank import get_reranker

    name = (args.model or config.model_path() or "").strip()
    if not name:
        raise InputError("No model to serve.", "Give --model /models/lychee-rerank-mm (or 'bm25'), or set "
                                               "WORKBENCH_MODEL.")
    if name.lower().startswith(("http://", "https://")):
        raise InputError("workbench serve serves a local model, not another server.",
                         "Give a model folder or 'bm25'; point clients at the other server directly.")
    opts = {"batch_size": args.batch_size}
    from ..rerank.spec import is_lexical

    if not is_lexical(name):
        from ..server.batcher import SERVE_BATCH_SIZE

        # concurrent requests share passes: larger batches than one analyst's run, cut to the
        # engine's token budget (its memory bound) by the batcher
        opts["batch_size"] = args.batch_size or SERVE_BATCH_SIZE
        opts.update(device=None if args.device == "auto" else args.device,
                    dtype=None if args.dtype == "auto" else args.dtype, prompt_format=args.prompt_format)
    from ..server import ServeLimits, serve
    from ..server.guard import cache_pairs_setting

    limits = ServeLimits.from_settings(args.max_body_mb, args.max_documents, args.max_document_chars,
                                       args.max_queue)
    cache_pairs = 0 if args.no_cache else args.cache_pairs if args.cache_pairs is not None else cache_pairs_setting()
    if cache_pairs < 0:
        raise InputError(f"--cache-pairs {cache_pairs} is negative.", "Give 0 (no cache) or a number of pairs.")
    try:
        reranker = get_reranker(name, **opts)
    except KeyboardInterrupt as err:          # SIGTERM / Ctrl-C while the model loads: nothing to keep
        from . import interrupted_exit

        print(f"server stopped ({interrupted_exit(err)[0]}) before it started serving", file=sys.stderr)
        return 0
    return serve(reranker, host=args.host, port=args.port, api_key=args.api_key,
                 served_name=args.served_model_name, limits=limits, cache_pairs=cache_pairs, docs=args.docs,
                 open_metrics=args.open_metrics)
