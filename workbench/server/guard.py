"""What every request passes before a route sees it: the API key, the body size and the JSON
nesting depth; and the error bodies every refusal uses.

* `ServeLimits`: the server's limits (CLI flag > WORKBENCH_SERVE_* setting > default); each
  refusal names the flag and the setting that raise it.
* `authorized(headers, api_key)`: `Authorization: Bearer KEY`, compared in constant time.
* `BodyGuard`: a pure ASGI middleware. A POST body is refused (413) from its Content-Length
  before a byte is read, and while it streams in (chunked uploads) as soon as it passes the
  limit; its nesting depth is checked before any JSON parsing (Python's parser would hit its
  recursion limit, a 500). Bodies are read as JSON whatever their Content-Type (as before).
  Unauthenticated POSTs are refused before their body is read.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass

from .. import config, limits
from ..errors import InputError

MB = 2**20

BODY_MB = limits.Limit("WORKBENCH_SERVE_MAX_BODY_MB", 32, "MB", "one request body of `workbench serve`")
DOCUMENTS = limits.Limit("WORKBENCH_SERVE_MAX_DOCUMENTS", 1000, "", "documents in one request")
DOCUMENT_CHARS = limits.Limit("WORKBENCH_SERVE_MAX_DOCUMENT_CHARS", 100_000, "",
                              "characters of one document (also the query and the instruction)")
QUEUE = limits.Limit("WORKBENCH_SERVE_MAX_QUEUE", 256, "",
                     "requests admitted to the model at once (scoring or waiting); more get 503")
CACHE_PAIRS_ENV = "WORKBENCH_SERVE_CACHE_PAIRS"
CACHE_PAIRS_DEFAULT = 10_000


class RequestError(Exception):
    """A refusal with its HTTP status; the message is shown to the client as is."""

    def __init__(self, status: int, message: str, kind: str = "invalid_request_error",
                 headers: dict[str, str] | None = None):
        self.status, self.message, self.kind, self.headers = status, message, kind, headers
        super().__init__(message)


def cache_pairs_setting() -> int:
    raw = config.env(CACHE_PAIRS_ENV)
    if not raw:
        return CACHE_PAIRS_DEFAULT
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise InputError(f"{CACHE_PAIRS_ENV}={raw!r} is not a number of pairs.",
                         f"Set a whole number >= 0 (0: no score cache; default {CACHE_PAIRS_DEFAULT}), or unset it.")
    return value


@dataclass(frozen=True)
class ServeLimits:
    max_body_mb: float = BODY_MB.default
    max_documents: int = int(DOCUMENTS.default)
    max_document_chars: int = int(DOCUMENT_CHARS.default)
    max_json_depth: int = int(limits.JSON_DEPTH.default)
    max_queue: int = int(QUEUE.default)

    @classmethod
    def from_settings(cls, max_body_mb: float | None = None, max_documents: int | None = None,
                      max_document_chars: int | None = None, max_queue: int | None = None) -> ServeLimits:
        """CLI values where given, else the WORKBENCH_SERVE_* settings, else the defaults."""
        out = cls(max_body_mb=float(max_body_mb) if max_body_mb is not None else BODY_MB.value(),
                  max_documents=int(max_documents) if max_documents is not None else DOCUMENTS.count(),
                  max_document_chars=(int(max_document_chars) if max_document_chars is not None
                                      else DOCUMENT_CHARS.count()),
                  max_json_depth=limits.JSON_DEPTH.count(),
                  max_queue=int(max_queue) if max_queue is not None else QUEUE.count())
        for flag, value, example in (("--max-body-mb", out.max_body_mb, "64"),
                                     ("--max-documents", out.max_documents, "1000"),
                                     ("--max-document-chars", out.max_document_chars, "100000"),
                                     ("--max-queue", out.max_queue, "256")):
            if value <= 0:
                raise InputError(f"{flag} {value:g} is not a positive number.", f"Give e.g. {flag} {example}.")
        return out

    @property
    def max_body_bytes(self) -> int:
        return int(self.max_body_mb * MB)

    # ---- the refusals, each naming the flag and the setting ----
    def body_too_large(self) -> RequestError:
        more = f"{max(self.max_body_mb * 4, 1):g}"
        return RequestError(413, f"The request body is larger than {self.max_body_mb:g} MB, this server's limit. "
                                 "Send fewer or smaller documents per request, or start the server with "
                                 f"--max-body-mb {more} (or {BODY_MB.env}={more}).", "request_too_large")

    def check_documents(self, n: int, field: str = "documents") -> None:
        if n > self.max_documents:
            raise RequestError(413, f"'{field}' holds {n} items; this server takes at most {self.max_documents} "
                                    "per request. Split the request, or start the server with --max-documents "
                                    f"{max(n, self.max_documents * 4)} (or {DOCUMENTS.env}="
                                    f"{max(n, self.max_documents * 4)}).", "request_too_large")

    def check_chars(self, n: int, field: str) -> None:
        if n > self.max_document_chars:
            raise RequestError(413, f"{field} has {n} characters; this server takes at most "
                                    f"{self.max_document_chars} per text (the model reads only its first few "
                                    "thousand tokens). Shorten it, or start the server with --max-document-chars "
                                    f"{n} (or {DOCUMENT_CHARS.env}={n}).", "request_too_large")

    def queue_full(self) -> RequestError:
        more = max(self.max_queue * 4, 1)
        return RequestError(503, f"The server is busy: {self.max_queue} requests are already being scored or "
                                 "waiting for the model. Retry in a moment (see Retry-After), or start the server "
                                 f"with --max-queue {more} (or {QUEUE.env}={more}) to let more requests wait.",
                            "overloaded_error", headers={"Retry-After": str(RETRY_AFTER_S)})

    def too_deep(self) -> RequestError:
        return RequestError(422, f"The request body nests arrays/objects deeper than {self.max_json_depth} levels. "
                                 f"Send a flatter body, or raise {limits.JSON_DEPTH.env} (now "
                                 f"{self.max_json_depth}) where the server starts.")


RETRY_AFTER_S = 1


def error_body(status: int, message: str, kind: str = "invalid_request_error", errors: list | None = None) -> dict:
    """OpenAI/vLLM's `error` object (the openai client reads body["error"]["message"]), FastAPI's and
    Jina's `detail` (LangChain's JinaRerank reads resp["detail"]), Cohere's `message`."""
    param = errors[0].get("field") if errors else None
    body = {"error": {"message": message, "type": kind, "param": param, "code": status}, "detail": message,
            "message": message}
    if errors:
        body["errors"] = errors
    return body


def error_response(status: int, message: str, kind: str = "invalid_request_error", errors: list | None = None,
                   headers: dict[str, str] | None = None):
    from fastapi.responses import JSONResponse

    if status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
    return JSONResponse(error_body(status, message, kind, errors), status_code=status, headers=headers)


UNAUTHORIZED = ("Missing or wrong API key: send 'Authorization: Bearer KEY' (the key the server was started "
                "with, --api-key or WORKBENCH_SERVE_API_KEY).")


def authorized(authorization: str | None, api_key: str | None) -> bool:
    """True without a key; else the header must be 'Bearer KEY' (compared in constant time)."""
    if not api_key:
        return True
    scheme, _, token = (authorization or "").strip().partition(" ")
    ok_scheme = scheme.lower() == "bearer"
    return hmac.compare_digest(token.strip().encode("utf-8", "surrogateescape"),
                               api_key.encode("utf-8", "surrogateescape")) and ok_scheme


_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def json_depth_exceeds(body: bytes, limit: int) -> bool:
    """True when the JSON text nests arrays/objects deeper than `limit` (brackets inside strings
    do not count). Linear; numpy does the running sum of long bracket runs."""
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    if brackets.count(b"[") + brackets.count(b"{") <= limit:
        return False
    import numpy as np

    arr = np.frombuffer(brackets, dtype=np.uint8)
    depth = 0
    for start in range(0, len(arr), 1 << 20):
        chunk = arr[start:start + (1 << 20)]
        steps = np.where((chunk == ord("[")) | (chunk == ord("{")), 1, -1).astype(np.int64)
        run = np.cumsum(steps) + depth
        if run.max() > limit:
            return True
        depth = int(run[-1])
    return False


class BodyGuard:
    """ASGI middleware: API key first, then the body read within `limits.max_body_bytes` (from
    Content-Length, then while streaming), its JSON depth checked, and handed on to the app."""

    def __init__(self, app, limits: ServeLimits, api_key: str | None):
        self.app, self.limits, self.api_key = app, limits, api_key

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if not authorized(headers.get("authorization"), self.api_key):
            return await error_response(401, UNAUTHORIZED, "authentication_error")(scope, receive, send)
        limit = self.limits.max_body_bytes
        declared = headers.get("content-length")
        if declared is not None:
            try:
                n = int(declared)
            except ValueError:
                return await error_response(400, "The Content-Length header is not a number.")(scope, receive, send)
            if n > limit:
                err = self.limits.body_too_large()
                return await error_response(err.status, err.message, err.kind)(scope, receive, send)
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None                     # the client left before sending its body
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                err = self.limits.body_too_large()
                return await error_response(err.status, err.message, err.kind)(scope, receive, send)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        del chunks
        if json_depth_exceeds(body, self.limits.max_json_depth):
            err = self.limits.too_deep()
            return await error_response(err.status, err.message)(scope, receive, send)
        # read as JSON whatever the Content-Type said (curl -d sends a form type)
        raw = [(k, v) for k, v in scope["headers"] if k.lower() not in (b"content-type", b"content-length")]
        raw += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        scope = dict(scope, headers=raw)
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()              # later calls: the real channel (disconnects)

        return await self.app(scope, replay, send)
