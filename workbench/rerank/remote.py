"""Remote backend: score on a serving engine (vLLM, SGLang, or `workbench serve`) over HTTP.

A URL given as the model selects it: ``--model http://host:8000/v1``; several URLs (the
flag repeated, or separated by commas) are replicas of one model. Two protocols:

* ``chat``: OpenAI ``/v1/chat/completions`` with exactly the messages of the prompt format
  the local engine builds (`prompts.PromptFormat.messages`); images go as PNG data URLs, resized on
  the client with qwen-vl-utils' ``fetch_image`` and the format's min/max pixels, so the server
  does not resize again. ``max_tokens: 1, temperature: 0, logprobs: true, top_logprobs: 2`` and
  vLLM's ``logprob_token_ids: [no_id, yes_id]``; P(yes) = 1 / (1 + exp(lp_no - lp_yes)).
  A server that ignores ``logprob_token_ids`` is asked for its top 20 logprobs instead, and
  the run stops with a clear error when yes or no is not among them.
* ``rerank``: the Jina/Cohere-shaped ``/v1/rerank`` of vLLM's pooling runner, SGLang and
  `workbench serve` (``query``/``documents`` as text or content-part lists, ``instruction``);
  scores from ``results[].relevance_score`` (SGLang's bare list ``[{"index", "score"}]`` too).

Scale: an asyncio loop in one background thread sends the pairs with httpx, at most
``max_inflight`` requests per endpoint, each to the replica with the least outstanding
requests. 429, 5xx, timeouts and connection errors are retried with exponential backoff;
a replica failing ``max_failures`` times in a row is taken out of rotation (named in the
run's warnings) and the pair goes to another one. Scores are yielded as they arrive, so the
shared `Reranker.rank` loop writes them to the score cache and the run at once: an
interrupted run keeps every finished pair and a re-run sends only the missing ones.
The cache key is the server's model id + prompt format + protocol (never the URL), so
replicas share the cache.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import io
import math
import queue
import random
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from .. import config
from ..errors import BackendUnavailable, ImageError, InputError, WorkbenchError
from ..i18n import Text
from ..model import Document, Query
from .base import Reranker

PROTOCOLS = ("chat", "rerank")
DEFAULT_INFLIGHT = 16           # requests in flight per endpoint
DEFAULT_TIMEOUT = 120.0         # seconds per request
DEFAULT_RETRIES = 4             # retries per request (so 5 attempts)
DEFAULT_MAX_FAILURES = 3        # consecutive failures before a replica leaves the rotation
RERANK_DOCS_PER_REQUEST = 8     # documents per /v1/rerank request
API_KEY_ENV = "WORKBENCH_API_KEY"

class RemoteError(WorkbenchError):
    """A serving engine could not be used (unreachable, refused, wrong answer); says what to do."""


def vllm_command(protocol: str = "chat", fmt: str = "lychee", model: str = "/models/lychee-rerank-mm") -> str:
    """The vLLM start command for a model and protocol (for error messages and the README)."""
    from .score_templates import TEMPLATES

    if fmt == "qwen3-vl-reranker":
        model = model if model != "/models/lychee-rerank-mm" else "Qwen/Qwen3-VL-Reranker-8B"
    base = f"vllm serve {model} --served-model-name {Path(model).name or model} --port 8000"
    if protocol == "chat":
        return base + " --max-model-len 8192"
    arch = ("Qwen3VLForSequenceClassification" if fmt == "qwen3-vl-reranker"
            else "Qwen2_5_VLForSequenceClassification")
    extra = ('"is_original_qwen3_reranker": true' if fmt == "qwen3-vl-reranker"
             else '"method": "from_2_way_softmax"')
    name = fmt if fmt in TEMPLATES else "lychee"
    return (base + " --runner pooling --max-model-len 8192 --hf-overrides "
            f"'{{\"architectures\": [\"{arch}\"], \"classifier_from_token\": [\"no\", \"yes\"], {extra}}}' "
            f"--chat-template \"$(workbench serve --template-path {name})\"")


def is_remote(model: str | None) -> bool:
    text = (model or "").strip().lower()
    return text.startswith(("http://", "https://"))


def parse_urls(urls: str | list[str] | tuple[str, ...]) -> list[str]:
    """Split on commas, strip, and normalise each URL to its OpenAI base ('.../v1')."""
    items = [urls] if isinstance(urls, str) else list(urls)
    out: list[str] = []
    for item in items:
        for part in str(item).split(","):
            url = part.strip().rstrip("/")
            if not url:
                continue
            if not is_remote(url):
                raise InputError.coded("remote.not_a_url", {"url": url})
            for suffix in ("/chat/completions", "/rerank", "/models"):
                if url.endswith(suffix):
                    url = url[: -len(suffix)]
            if not url.endswith("/v1"):
                url += "/v1"
            if url not in out:
                out.append(url)
    if not out:
        raise InputError.coded("remote.no_url")
    return out


def _root(base: str) -> str:
    return base[: -len("/v1")] if base.endswith("/v1") else base


def p_yes(lp_no: float, lp_yes: float) -> float:
    """P(yes) of the 2-way softmax over [no, yes] from the two log-probabilities."""
    d = lp_no - lp_yes
    if d > 700:
        return 0.0
    return 1.0 / (1.0 + math.exp(d))


# ----------------------------------------------------------------------------- HTTP helpers
def _headers(api_key: str | None) -> dict[str, str]:
    h = {"Content-Type": "application/json"}
    if api_key:
        h["Authorization"] = f"Bearer {api_key}"
    return h


def _looks_html(resp) -> bool:
    ctype = resp.headers.get("content-type", "")
    head = resp.text[:200].lstrip().lower() if resp.content else ""
    return "html" in ctype or head.startswith(("<!doctype", "<html"))


def _server_message(resp) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:300].strip()
    if isinstance(body, dict):
        err = body.get("error", body.get("detail", body.get("message", body)))
        if isinstance(err, dict):
            err = err.get("message", err)
        return str(err)[:500]
    return str(body)[:300]


def _check_response(resp, url: str, what: str) -> Any:
    """JSON of a 2xx answer; a RemoteError with the fix for every other one."""
    if resp.status_code in (401, 403):
        raise RemoteError.coded("remote.refused", {
            "url": url, "status": resp.status_code, "detail": _server_message(resp)[:200], "env": API_KEY_ENV})
    if _looks_html(resp):
        raise RemoteError.coded("remote.html_page", {"url": url, "what": what, "status": resp.status_code})
    if resp.status_code >= 400:
        raise RemoteError.coded("remote.http_error", {
            "url": url, "what": what, "status": resp.status_code, "detail": _server_message(resp)})
    try:
        return resp.json()
    except ValueError:
        raise RemoteError.coded("remote.not_json", {"url": url, "what": what, "body": repr(resp.text[:200])}) from None


# what a transport failure's text says -> its words (never the exception's class name)
_SAID = (("refused", "remote.said_refused"), ("errno 111", "remote.said_refused"),
         ("errno 61", "remote.said_refused"), ("10061", "remote.said_refused"),
         ("name or service not known", "remote.said_unknown_host"), ("nodename nor servname", "remote.said_unknown_host"),
         ("getaddrinfo", "remote.said_unknown_host"), ("name resolution", "remote.said_unknown_host"),
         ("reset", "remote.said_reset"), ("unreachable", "remote.said_no_route"),
         ("no route", "remote.said_no_route"), ("disconnected", "remote.said_closed"),
         ("without sending", "remote.said_closed"), ("closed", "remote.said_closed"),
         ("timed out", "remote.said_connect_timeout"))


def transport_words(exc: BaseException) -> Text:
    """A failed connection said in words ("connection refused", "no answer in time"), never as
    "ConnectError: [Errno 111] …" or "ReadTimeout" (the analyst reads it)."""
    try:
        import httpx
    except ImportError:            # an optional extra: the hub check (socket errors) works without it
        httpx = None
    if httpx is not None and isinstance(exc, httpx.TimeoutException):
        return Text("remote.said_connect_timeout" if isinstance(exc, httpx.ConnectTimeout) else "remote.said_timeout")
    text = str(exc).lower()
    for needle, key in _SAID:
        if needle in text:
            return Text(key)
    return Text("remote.said_failed")


def _unreachable(url: str, exc: Exception, timeout: float | None = None) -> RemoteError:
    """Said in words, never with the exception's class name (the analyst reads it)."""
    import httpx

    if isinstance(exc, httpx.TimeoutException) and not isinstance(exc, httpx.ConnectTimeout):
        seconds = timeout
        with contextlib.suppress(Exception):
            seconds = seconds or exc.request.extensions["timeout"]["read"]
        return RemoteError.coded("remote.no_answer", {"url": url, "seconds": f"{float(seconds or 0):g}"})
    return RemoteError.coded("remote.unreachable", {
        "url": url, "error": transport_words(exc), "command": vllm_command("chat")})


# ----------------------------------------------------------------------------- images
_IMAGE_CACHE: dict[tuple, str] = {}
_IMAGE_LOCK = threading.Lock()


def image_data_url(path: str, *, min_pixels: int, max_pixels: int, patch: int) -> str:
    """The image as a PNG data URL, resized with qwen-vl-utils' fetch_image exactly as the local
    engine resizes it (so the server's processor does not resize again)."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError:
        raise ImageError.coded("rank.image_file_missing", {"path": path}) from None
    key = (str(p.resolve()), st.st_size, st.st_mtime_ns, min_pixels, max_pixels, patch)
    with _IMAGE_LOCK:
        hit = _IMAGE_CACHE.get(key)
    if hit is not None:
        return hit
    from .compat import ensure_torchvision

    ensure_torchvision()
    from qwen_vl_utils import fetch_image

    try:
        from ..images import open_rgb

        img = open_rgb(str(p))
    except ImportError:  # pragma: no cover
        from PIL import Image

        img = Image.open(p).convert("RGB")
    resized = fetch_image({"image": img, "min_pixels": min_pixels, "max_pixels": max_pixels},
                          image_patch_size=patch)
    buf = io.BytesIO()
    resized.save(buf, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    with _IMAGE_LOCK:
        if len(_IMAGE_CACHE) > 256:
            _IMAGE_CACHE.clear()
        _IMAGE_CACHE[key] = url
    return url


# ----------------------------------------------------------------------------- probing
@dataclass
class ServerInfo:
    urls: list[str]
    models: list[str]
    model: str
    protocol: str
    yes_id: int | None = None
    no_id: int | None = None
    token_ids_source: str = ""       # "server" (/tokenize), "tokenizer" (--tokenizer), "" (none)
    logprob_mode: str = "token_ids"  # chat: "token_ids" (vLLM) or "top_logprobs" (fallback)
    max_model_len: int | None = None
    notes: list[str] = field(default_factory=list)


def _client(timeout: float):
    try:
        import httpx
    except ImportError:  # pragma: no cover
        raise BackendUnavailable.coded("backend.no_httpx") from None
    return httpx.Client(timeout=timeout)


def _get_models(client, base: str, api_key: str | None) -> tuple[list[str], dict]:
    import httpx

    try:
        resp = client.get(f"{base}/models", headers=_headers(api_key))
    except httpx.HTTPError as exc:
        raise _unreachable(base, exc) from None
    if resp.status_code == 404 and not _looks_html(resp):
        raise RemoteError.coded("remote.no_models_route", {"base": base})
    body = _check_response(resp, base, "GET /models")
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        raise RemoteError.coded("remote.no_model_list", {"base": base, "body": str(body)[:200]})
    ids = [str(m.get("id")) for m in data if isinstance(m, dict) and m.get("id")]
    meta = {str(m.get("id")): m for m in data if isinstance(m, dict)}
    return ids, meta


def _tokenize(client, base: str, model: str, api_key: str | None, word: str) -> list[int] | None:
    """Token ids of `word` from the server's /tokenize (vLLM: at the root, also under /v1); None
    when the server has no such route."""
    import httpx

    for url in (f"{_root(base)}/tokenize", f"{base}/tokenize"):
        try:
            resp = client.post(url, headers=_headers(api_key),
                               json={"model": model, "prompt": word, "add_special_tokens": False})
        except httpx.HTTPError:
            return None
        if resp.status_code in (404, 405) or _looks_html(resp):
            continue
        if resp.status_code >= 400:
            return None
        try:
            tokens = resp.json().get("tokens")
        except (ValueError, AttributeError):
            return None
        if isinstance(tokens, list):
            return [int(t) for t in tokens]
    return None


def _local_token_ids(tokenizer: str) -> tuple[int, int]:
    try:
        from transformers import AutoTokenizer

        tok = AutoTokenizer.from_pretrained(tokenizer)
    except Exception as exc:  # noqa: BLE001 - any loading failure is the analyst's path
        raise RemoteError.coded("remote.tokenizer_failed", {
            "tokenizer": tokenizer, "detail": str(exc).splitlines()[0][:200]}) from None
    ids = {w: tok.encode(w, add_special_tokens=False) for w in ("no", "yes")}
    _check_single(ids, tokenizer=tokenizer)
    return ids["no"][0], ids["yes"][0]


def _check_single(ids: dict[str, list[int]], where: str = "", *, tokenizer: str | None = None,
                  base: str | None = None, model: str | None = None) -> None:
    """RemoteError when "no" or "yes" is not one token: of a local `tokenizer`, of the server
    at `base` serving `model`, or of what `where` names."""
    bad = [w for w, t in ids.items() if len(t) != 1]
    if not bad:
        return
    words = " and ".join(repr(w) for w in bad)
    if tokenizer is not None:
        raise RemoteError.coded("remote.tokenizer_not_yes_no", {"tokenizer": tokenizer, "words": words})
    if base is not None:
        raise RemoteError.coded("remote.server_not_yes_no", {"base": base, "model": model, "words": words})
    raise RemoteError.coded("remote.not_yes_no", {"where": where, "words": words})


def _chat_probe_body(model: str, no_id: int | None, yes_id: int | None, top: int = 2) -> dict:
    body = {"model": model, "messages": [{"role": "user", "content": [{"type": "text", "text": "yes"}]}],
            "max_tokens": 1, "temperature": 0, "logprobs": True, "top_logprobs": top}
    if no_id is not None and yes_id is not None:
        body["logprob_token_ids"] = [no_id, yes_id]
        body["return_tokens_as_token_ids"] = True
    return body


def _rerank_probe(client, base: str, model: str, api_key: str | None) -> tuple[bool, str]:
    import httpx

    try:
        resp = client.post(f"{base}/rerank", headers=_headers(api_key),
                           json={"model": model, "query": "test", "documents": ["test"]})
    except httpx.HTTPError as exc:
        return False, transport_words(exc)
    if resp.status_code >= 400 or _looks_html(resp):
        return False, f"HTTP {resp.status_code}: {_server_message(resp)[:200]}"
    try:
        scores = parse_rerank_scores(resp.json(), 1)
    except (RemoteError, ValueError) as exc:
        return False, str(exc)[:200]
    return len(scores) == 1, ""


def _chat_probe(client, base: str, model: str, api_key: str | None, no_id, yes_id) -> tuple[str | None, str]:
    """("token_ids" | "top_logprobs" | None, why not)."""
    import httpx

    bodies = [_chat_probe_body(model, no_id, yes_id)]
    if no_id is not None:
        bodies.append(_chat_probe_body(model, None, None, top=20))  # a server refusing vLLM's fields
    why = ""
    for body in bodies:
        try:
            resp = client.post(f"{base}/chat/completions", headers=_headers(api_key), json=body)
        except httpx.HTTPError as exc:
            return None, transport_words(exc)
        if resp.status_code in (401, 403) or _looks_html(resp):
            _check_response(resp, base, "POST /chat/completions")
        if resp.status_code >= 400:
            why = f"HTTP {resp.status_code}: {_server_message(resp)[:200]}"
            continue
        try:
            top = resp.json()["choices"][0]["logprobs"]["content"][0]["top_logprobs"]
        except (ValueError, KeyError, IndexError, TypeError):
            return None, "the answer carries no logprobs"
        # vLLM answers the requested ids (plus the sampled token when it is neither)
        if "logprob_token_ids" in body and _pick_by_id(top, no_id, yes_id) is not None:
            return "token_ids", ""
        return "top_logprobs", ""
    return None, why


def connect(urls: str | list[str], api_key: str | None = None, *, model: str | None = None,
            protocol: str = "auto", tokenizer: str | None = None, timeout: float = 30.0) -> ServerInfo:
    """Check every replica and detect the protocol: the model list, the model to use, its
    yes/no token ids (chat). Raises RemoteError with what to do."""
    urls = parse_urls(urls)
    api_key = api_key if api_key is not None else (config.env(API_KEY_ENV) or None)
    if protocol not in ("auto",) + PROTOCOLS:
        raise InputError.coded("remote.unknown_protocol", {"protocol": protocol})
    with _client(timeout) as client:
        all_models: list[list[str]] = []
        metas: dict[str, dict] = {}
        for base in urls:
            ids, meta = _get_models(client, base, api_key)
            if not ids:
                raise RemoteError.coded("remote.no_model", {"base": base})
            all_models.append(ids)
            metas.update(meta)
        models = all_models[0]
        if model:
            for base, ids in zip(urls, all_models):
                if model not in ids:
                    raise RemoteError.coded("remote.wrong_model", {
                        "base": base, "model": model, "models": ", ".join(ids), "first": ids[0]})
            chosen = model
        else:
            common = [m for m in models if all(m in ids for ids in all_models)]
            if not common:
                raise RemoteError.coded("remote.replicas_differ", {"replicas": "; ".join(
                    f"{b}: {', '.join(ids)}" for b, ids in zip(urls, all_models))})
            if len(common) > 1:
                raise RemoteError.coded("remote.several_models", {"models": ", ".join(common), "first": common[0]})
            chosen = common[0]
        info = ServerInfo(urls=urls, models=models, model=chosen, protocol=protocol)
        mlen = metas.get(chosen, {}).get("max_model_len")
        info.max_model_len = int(mlen) if isinstance(mlen, int) else None

        base = urls[0]
        no_id = yes_id = None
        if protocol in ("auto", "chat"):
            got = {w: _tokenize(client, base, chosen, api_key, w) for w in ("no", "yes")}
            if all(v is not None for v in got.values()):
                _check_single(got, base=base, model=chosen)
                no_id, yes_id = got["no"][0], got["yes"][0]
                info.token_ids_source = "server"
            elif tokenizer:
                no_id, yes_id = _local_token_ids(tokenizer)
                info.token_ids_source = "tokenizer"
        if tokenizer and info.token_ids_source != "tokenizer" and protocol in ("auto", "chat"):
            lno, lyes = _local_token_ids(tokenizer)
            if no_id is not None and (lno, lyes) != (no_id, yes_id):
                raise RemoteError.coded("remote.tokenizer_mismatch", {
                    "tokenizer": tokenizer, "lyes": lyes, "lno": lno, "yes": yes_id, "no": no_id})
        info.no_id, info.yes_id = no_id, yes_id

        if protocol in ("auto", "rerank"):
            ok, why = _rerank_probe(client, base, chosen, api_key)
            if ok:
                info.protocol = "rerank"
                return info
            if protocol == "rerank":
                raise RemoteError.coded("remote.no_rerank_route", {
                    "base": base, "model": chosen, "why": why, "command": vllm_command("rerank")})
        mode, why = _chat_probe(client, base, chosen, api_key, no_id, yes_id)
        if mode is None:
            if protocol == "chat" or "logprobs" in why:
                raise RemoteError.coded("remote.no_logprobs", {
                    "base": base, "model": chosen, "why": why, "command": vllm_command("chat")})
            raise RemoteError.coded("remote.not_a_reranker", {
                "base": base, "model": chosen, "why": why, "chat_command": vllm_command("chat"),
                "rerank_command": vllm_command("rerank")})
        info.protocol = "chat"
        info.logprob_mode = mode
        if mode == "top_logprobs":
            info.notes.append("the server ignores logprob_token_ids: scores use its top-20 logprobs")
        return info


def probe(url_or_urls: str | list[str], api_key: str | None = None, **kw) -> tuple[list[str], str]:
    """(models the server lists, detected protocol) - the Rerank page's "test connection".
    Raises RemoteError (message + what to do) when the server cannot be used."""
    info = connect(url_or_urls, api_key, **kw)
    return info.models, info.protocol


# ----------------------------------------------------------------------------- answers
def _pick_by_id(top: list[dict], no_id: int, yes_id: int) -> tuple[float, float] | None:
    """(lp_no, lp_yes) from top_logprobs entries carrying token ids (vLLM's logprob_token_ids
    answers them in request order; 'token_id' or 'token_id:123' forms both accepted)."""
    found: dict[int, float] = {}
    for entry in top:
        tid = entry.get("token_id")
        if tid is None:
            tok = str(entry.get("token", ""))
            if tok.startswith("token_id:"):
                tid = int(tok.split(":", 1)[1])
        if tid is not None:
            found[int(tid)] = float(entry["logprob"])
    if no_id in found and yes_id in found:
        return found[no_id], found[yes_id]
    return None


def parse_chat_scores(body: dict, info: ServerInfo, server: str = "the server") -> float:
    score = _parse_chat_scores(body, info)
    if not math.isfinite(score):
        raise RemoteError.coded("remote.score_not_finite", {"server": server, "value": str(score),
                                                            "where": "the yes/no logprobs"})
    return score


def _parse_chat_scores(body: dict, info: ServerInfo) -> float:
    try:
        content = body["choices"][0]["logprobs"]["content"]
        top = content[0]["top_logprobs"]
    except (KeyError, IndexError, TypeError):
        raise RemoteError.coded("remote.answer_no_logprobs", {
            "model": info.model, "command": vllm_command("chat")}) from None
    if info.logprob_mode == "token_ids" and info.no_id is not None:
        pair = _pick_by_id(top, info.no_id, info.yes_id)
        if pair is None and len(top) >= 2 and all(e.get("token") in ("no", "yes") for e in top[:2]):
            pair = _pick_by_text(top)
        if pair is not None:
            return p_yes(*pair)
    pair = _pick_by_text(top)
    if pair is None:
        have = ", ".join(repr(e.get("token")) for e in top[:20])
        raise RemoteError.coded("remote.yes_no_not_in_top", {"n": len(top), "tokens": have})
    return p_yes(*pair)


def _pick_by_text(top: list[dict]) -> tuple[float, float] | None:
    found: dict[str, float] = {}
    for entry in top:
        tok = entry.get("token")
        if tok in ("yes", "no") and tok not in found:
            found[tok] = float(entry["logprob"])
    if "yes" in found and "no" in found:
        return found["no"], found["yes"]
    return None


def _finite(value: Any, server: str, where: str) -> float:
    """A score as a float, or RemoteError naming the server when it is not a finite number."""
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise RemoteError.coded("remote.answer_malformed", {
            "server": server, "problem": f"{where}: {str(value)[:40]!r} is not a number"}) from None
    if not math.isfinite(out):
        raise RemoteError.coded("remote.score_not_finite", {"server": server, "value": str(value)[:20],
                                                            "where": where})
    return out


def parse_rerank_scores(body: Any, n: int, server: str = "the server") -> list[float]:
    """Scores in document order from a /v1/rerank answer (vLLM/Jina/Cohere `results`, or
    SGLang's bare list). The answer must score each of the n documents exactly once, with a
    finite number: anything else is a RemoteError naming `server`, never a silent gap."""
    items = body.get("results", body.get("data")) if isinstance(body, dict) else body
    if not isinstance(items, list):
        raise RemoteError.coded("remote.rerank_no_results", {"body": str(body)[:200]})
    out: list[float | None] = [None] * n
    for pos, item in enumerate(items):
        where = f"results[{pos}]"
        if not isinstance(item, dict):
            raise RemoteError.coded("remote.answer_malformed", {
                "server": server, "problem": f"{where} is a {type(item).__name__}, not an object"})
        idx = item.get("index")
        if isinstance(idx, bool) or not isinstance(idx, int):
            raise RemoteError.coded("remote.answer_malformed", {
                "server": server, "problem": f"{where} has no whole-number index ({str(idx)[:20]!r})"})
        if not 0 <= idx < n:
            raise RemoteError.coded("remote.answer_malformed", {
                "server": server, "problem": f"{where} has index {idx}, but {n} documents were sent (0..{n - 1})"})
        if out[idx] is not None:
            raise RemoteError.coded("remote.answer_malformed", {
                "server": server, "problem": f"document {idx} is scored twice"})
        score = item.get("relevance_score", item.get("score"))
        if score is None:
            raise RemoteError.coded("remote.answer_malformed", {
                "server": server, "problem": f"{where} has no relevance_score"})
        out[idx] = _finite(score, server, f"document {idx}")
    if any(s is None for s in out):
        raise RemoteError.coded("remote.rerank_incomplete", {"scored": sum(s is not None for s in out), "n": n})
    return [float(s) for s in out]  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- the backend
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


class RemoteReranker(Reranker):
    """Scores on one or several replicas of a serving engine. See the module docstring."""

    backend = "remote"
    cacheable = True

    def __init__(self, urls: str | list[str], protocol: str | None = None, api_key: str | None = None,
                 served_model: str | None = None, tokenizer: str | None = None,
                 prompt_format: str | None = None, max_inflight: int | None = None,
                 timeout: float | None = None, retries: int | None = None,
                 max_failures: int | None = None, min_pixels: int | None = None,
                 max_pixels: int | None = None, default_instruction: str | None = None,
                 docs_per_request: int | None = None, **_ignored: Any):
        self.api_key = api_key if api_key is not None else (config.env(API_KEY_ENV) or None)
        self.timeout = float(timeout or DEFAULT_TIMEOUT)
        self.info = connect(urls, self.api_key, model=served_model, protocol=protocol or "auto",
                            tokenizer=tokenizer, timeout=min(self.timeout, 60.0))
        self.urls = self.info.urls
        self.protocol = self.info.protocol
        from .prompts import get_format

        if not (prompt_format or "").strip():
            low = self.info.model.lower()
            prompt_format = "qwen3-vl-reranker" if ("qwen3-vl" in low or "qwen3_vl" in low) else "lychee"
        self.format = get_format(prompt_format).with_limits(
            min_pixels=min_pixels and int(min_pixels), max_pixels=max_pixels and int(max_pixels),
            default_instruction=default_instruction)
        self.prompt_format = self.format.name
        self.default_instruction = self.format.default_instruction
        self.min_pixels = self.format.min_pixels
        self.max_pixels = self.format.max_pixels
        self.patch = self.format.patch_size
        self.max_inflight = max(1, int(max_inflight or DEFAULT_INFLIGHT))
        self.retries = max(0, int(DEFAULT_RETRIES if retries is None else retries))
        self.max_failures = max(1, int(max_failures or DEFAULT_MAX_FAILURES))
        self.docs_per_request = 1 if self.protocol == "chat" else max(
            1, int(docs_per_request or RERANK_DOCS_PER_REQUEST))
        self.model_id = self.info.model
        self.endpoints = [_Endpoint(u) for u in self.urls]
        # one "batch" = everything missing: the stream below cuts it as answers arrive
        self.batch_size = 1 << 30
        self.token_budget = None
        self.stats = {"pairs_sent": 0, "requests": 0, "retries": 0}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._client = None
        self._lock = threading.Lock()

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
    def _parts(self, text: str | None, image: str | None) -> list[dict[str, Any]]:
        parts: list[dict[str, Any]] = []
        if image:
            parts.append({"type": "image_url", "image_url": {"url": image_data_url(
                image, min_pixels=self.min_pixels, max_pixels=self.max_pixels, patch=self.patch)}})
        if text:
            parts.append({"type": "text", "text": text})
        return parts

    def chat_messages(self, instruction: str, query: Query, doc: Document) -> list[dict[str, Any]]:
        """The local engine's messages for this pair (`PromptFormat.messages`), images as data URLs."""
        messages = self.format.messages(instruction, query.text, query.image, doc.ranking_text, doc.image)
        out = []
        for m in messages:
            content = []
            for part in m["content"]:
                if part.get("type") == "image":
                    content.append({"type": "image_url", "image_url": {"url": image_data_url(
                        part["image"], min_pixels=self.min_pixels, max_pixels=self.max_pixels,
                        patch=self.patch)}})
                else:
                    content.append({"type": "text", "text": part["text"]})
            out.append({"role": m["role"], "content": content})
        return out

    def _side(self, text: str | None, image: str | None) -> Any:
        if not image:
            return text or self.format.empty_side or ""
        return {"content": self._parts(text, image)}

    def rerank_body(self, instruction: str, query: Query, docs: list[Document]) -> dict[str, Any]:
        return {"model": self.info.model, "query": self._side(query.text, query.image),
                "documents": [self._side(d.ranking_text, d.image) for d in docs],
                "instruction": instruction}

    def chat_body(self, instruction: str, query: Query, doc: Document) -> dict[str, Any]:
        body = {"model": self.info.model, "messages": self.chat_messages(instruction, query, doc),
                "max_tokens": 1, "temperature": 0, "logprobs": True}
        if self.info.logprob_mode == "token_ids" and self.info.no_id is not None:
            body["top_logprobs"] = 2
            body["logprob_token_ids"] = [self.info.no_id, self.info.yes_id]
            body["return_tokens_as_token_ids"] = True
        else:
            body["top_logprobs"] = 20
        return body

    # ---- the async engine ----
    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
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

    def __del__(self):  # pragma: no cover - best effort
        try:
            self.close()
        except Exception:
            pass

    async def _get_client(self):
        if self._client is None:
            import httpx

            limits = httpx.Limits(max_connections=self.max_inflight * len(self.endpoints) + 4,
                                  max_keepalive_connections=self.max_inflight * len(self.endpoints))
            self._client = httpx.AsyncClient(timeout=self.timeout, limits=limits)
        return self._client

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

    async def _send(self, cond, path: str, body: dict, n_pairs: int, docs: list[Document]) -> Any:
        """POST to the least busy live replica with retries; the decoded JSON answer. `docs`
        are the documents of the request (named in the errors: one for chat, a range for /rerank)."""
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
            retry_reason = ""
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
            others_live = any(not e.out for e in self.endpoints if e is not ep)
            if ep.fail_streak >= self.max_failures and not ep.out and others_live:
                ep.out = True
                self._warn(Text("warn.replica_out", url=ep.base, failures=ep.fail_streak, last=retry_reason))
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

    async def _run_all(self, instruction: str, query: Query, docs: list[Document], positions: list[int],
                       out: "queue.Queue", stop: threading.Event) -> None:
        cond = asyncio.Condition()
        for ep in self.endpoints:
            ep.fail_streak = 0   # a new run gives every live replica a clean slate

        async def chat_one(i: int) -> None:
            doc = docs[i]
            body = await asyncio.to_thread(self.chat_body, instruction, query, doc)
            data, base = await self._send(cond, "/chat/completions", body, 1, [doc])
            out.put(([i], [parse_chat_scores(data, self.info, base)]))

        async def rerank_chunk(idx: list[int]) -> None:
            chunk = [docs[i] for i in idx]
            body = await asyncio.to_thread(self.rerank_body, instruction, query, chunk)
            data, base = await self._send(cond, "/rerank", body, len(idx), chunk)
            out.put((idx, parse_rerank_scores(data, len(idx), base)))

        # coroutines are created only when a slot is free (a cancelled run leaves none un-awaited)
        if self.protocol == "chat":
            jobs = [functools.partial(chat_one, i) for i in positions]
        else:
            k = self.docs_per_request
            jobs = [functools.partial(rerank_chunk, positions[j:j + k]) for j in range(0, len(positions), k)]
        # at most (endpoints x max_inflight) jobs alive at once: images are encoded just in time
        sem = asyncio.Semaphore(len(self.endpoints) * self.max_inflight)

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
        loop = self._ensure_loop()
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
