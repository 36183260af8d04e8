"""Discovering what a server speaks: its model list, the model to use, the yes/no token ids
(chat) and the protocol (`/v1/rerank` first, then chat with logprobs). `connect` checks every
replica; `probe` is the Rerank page's "test connection". Every failure is a `RemoteError`
that names the server and says what to do.
"""

from __future__ import annotations

from ... import config
from ...errors import BackendUnavailable, InputError
from .protocol import (API_KEY_ENV, PROTOCOLS, RemoteError, ServerInfo, _check_response, _check_single,
                       _headers, _looks_html, _pick_by_id, _server_message, _unreachable, parse_rerank_scores,
                       transport_words, vllm_command)


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

