"""The remote backend's wire shapes: what is sent (chat and /v1/rerank bodies, images as data
URLs) and what must come back (`parse_chat_scores`, `parse_rerank_scores`: every requested
document scored exactly once, with a finite number, else a `RemoteError` naming the server),
plus the HTTP answer checks and the words for a failed connection.
"""

from __future__ import annotations

import base64
import contextlib
import io
import math
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...errors import ImageError, WorkbenchError
from ...i18n import Text
from ...model import Document, Query

PROTOCOLS = ("chat", "rerank")
API_KEY_ENV = "WORKBENCH_API_KEY"


class RemoteError(WorkbenchError):
    """A serving engine could not be used (unreachable, refused, wrong answer); says what to do."""


def vllm_command(protocol: str = "chat", fmt: str = "lychee", model: str = "/models/lychee-rerank-mm") -> str:
    """The vLLM start command for a model and protocol (for error messages and the README)."""
    from ..score_templates import TEMPLATES

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
    from ..qwen_vl.compat import ensure_torchvision

    ensure_torchvision()
    from qwen_vl_utils import fetch_image

    try:
        from ...images import open_rgb

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


# ----------------------------------------------------------------------------- what a server speaks
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



# ----------------------------------------------------------------------------- requests
def content_parts(text: str | None, image: str | None, *, min_pixels: int, max_pixels: int,
                  patch: int) -> list[dict[str, Any]]:
    """OpenAI content parts of one side: the image (a PNG data URL) first, then the text."""
    parts: list[dict[str, Any]] = []
    if image:
        parts.append({"type": "image_url", "image_url": {"url": image_data_url(
            image, min_pixels=min_pixels, max_pixels=max_pixels, patch=patch)}})
    if text:
        parts.append({"type": "text", "text": text})
    return parts


def chat_messages(fmt, instruction: str, query: Query, doc: Document, *, min_pixels: int, max_pixels: int,
                  patch: int) -> list[dict[str, Any]]:
    """The local engine's messages for this pair (`PromptFormat.messages`), images as data URLs."""
    messages = fmt.messages(instruction, query.text, query.image, doc.ranking_text, doc.image)
    out = []
    for m in messages:
        content = []
        for part in m["content"]:
            if part.get("type") == "image":
                content.append({"type": "image_url", "image_url": {"url": image_data_url(
                    part["image"], min_pixels=min_pixels, max_pixels=max_pixels, patch=patch)}})
            else:
                content.append({"type": "text", "text": part["text"]})
        out.append({"role": m["role"], "content": content})
    return out


def chat_body(info: ServerInfo, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """One pair's /v1/chat/completions body: one token, temperature 0, the yes/no logprobs."""
    body = {"model": info.model, "messages": messages, "max_tokens": 1, "temperature": 0, "logprobs": True}
    if info.logprob_mode == "token_ids" and info.no_id is not None:
        body["top_logprobs"] = 2
        body["logprob_token_ids"] = [info.no_id, info.yes_id]
        body["return_tokens_as_token_ids"] = True
    else:
        body["top_logprobs"] = 20
    return body


def rerank_body(model: str, query_side: Any, doc_sides: list[Any], instruction: str) -> dict[str, Any]:
    """A /v1/rerank body (vLLM / Jina / Cohere shape, plus the instruction)."""
    return {"model": model, "query": query_side, "documents": doc_sides, "instruction": instruction}


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

