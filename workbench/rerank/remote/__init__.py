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

The package, one job per module:

    probe.py      what a server speaks: model list, protocol, yes/no token ids (`connect`, `probe`)
    protocol.py   request and answer shapes (chat, /v1/rerank), `parse_rerank_scores`, the exact-answer
                  checks, HTTP answer checks, `RemoteError`
    pool.py       replicas, retries with backoff, taking a replica out of rotation (only when another
                  one is healthy)
    reranker.py   `RemoteReranker` (its constructor does not touch the network: the server is probed
                  on first use or by `.probe()`)
"""

from .pool import DEFAULT_INFLIGHT, DEFAULT_MAX_FAILURES, DEFAULT_RETRIES, DEFAULT_TIMEOUT, ReplicaPool
from .probe import connect, is_remote, parse_urls, probe
from .protocol import (API_KEY_ENV, PROTOCOLS, RemoteError, ServerInfo, _check_single, image_data_url, p_yes,
                       parse_chat_scores, parse_rerank_scores, transport_words, vllm_command)
from .reranker import RERANK_DOCS_PER_REQUEST, RemoteReranker, make_remote

__all__ = ["API_KEY_ENV", "DEFAULT_INFLIGHT", "DEFAULT_MAX_FAILURES", "DEFAULT_RETRIES", "DEFAULT_TIMEOUT",
           "PROTOCOLS", "RERANK_DOCS_PER_REQUEST", "RemoteError", "RemoteReranker", "ReplicaPool", "ServerInfo",
           "connect", "image_data_url", "is_remote", "make_remote", "p_yes", "parse_chat_scores",
           "parse_rerank_scores", "parse_urls", "probe", "transport_words", "vllm_command"]
