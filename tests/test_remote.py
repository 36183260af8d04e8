"""The remote backend's pure parts: URLs, answer shapes of vLLM / SGLang / OpenAI-style servers,
the yes/no arithmetic and the errors (the server round trips are in test_vllm.py / test_serve.py)."""

from __future__ import annotations

import math

import pytest

from workbench.errors import InputError
from workbench.rerank.remote import (RemoteError, ServerInfo, _check_single, is_remote, p_yes,
                                     parse_chat_scores, parse_rerank_scores, parse_urls, vllm_command)


def test_urls_normalised_and_split():
    assert parse_urls("http://a:8000") == ["http://a:8000/v1"]
    assert parse_urls("http://a:8000/v1/, http://b:8000/v1/rerank") == ["http://a:8000/v1", "http://b:8000/v1"]
    assert parse_urls(["http://a:1/v1", "http://a:1/v1"]) == ["http://a:1/v1"]
    assert is_remote("https://x") and not is_remote("/models/lychee")
    with pytest.raises(InputError):
        parse_urls("a:8000")


def test_p_yes_is_the_two_way_softmax():
    lp_no, lp_yes = -3.2, -1.1
    expected = math.exp(lp_yes) / (math.exp(lp_yes) + math.exp(lp_no))
    assert p_yes(lp_no, lp_yes) == pytest.approx(expected, abs=1e-12)
    assert p_yes(1000.0, -1000.0) == 0.0


def _chat(top):
    return {"choices": [{"logprobs": {"content": [{"token": top[0]["token"], "top_logprobs": top}]}}]}


def test_chat_answers_by_id_and_by_text():
    info = ServerInfo(urls=["u"], models=["m"], model="m", protocol="chat", yes_id=7, no_id=9)
    by_id = _chat([{"token": "token_id:7", "logprob": -0.5}, {"token": "token_id:9", "logprob": -2.0}])
    assert parse_chat_scores(by_id, info) == pytest.approx(p_yes(-2.0, -0.5))
    # vLLM adds the sampled token when it is neither of the requested ids (seen on the small checkpoint)
    three = _chat([{"token": "token_id:314", "logprob": -5.9}, {"token": "token_id:9", "logprob": -7.7},
                   {"token": "token_id:7", "logprob": -7.3}])
    assert parse_chat_scores(three, info) == pytest.approx(p_yes(-7.7, -7.3))
    info.logprob_mode = "top_logprobs"
    by_text = _chat([{"token": "maybe", "logprob": -0.1}, {"token": "no", "logprob": -3.0},
                     {"token": "yes", "logprob": -4.0}])
    assert parse_chat_scores(by_text, info) == pytest.approx(p_yes(-3.0, -4.0))


def test_chat_errors_say_what_to_do():
    info = ServerInfo(urls=["u"], models=["m"], model="m", protocol="chat", logprob_mode="top_logprobs")
    with pytest.raises(RemoteError) as exc:
        parse_chat_scores(_chat([{"token": "yes", "logprob": -0.1}, {"token": "maybe", "logprob": -1}]), info)
    assert "'no' is not among" in str(exc.value) and "logprob_token_ids" in exc.value.fix
    with pytest.raises(RemoteError) as exc:
        parse_chat_scores({"choices": [{"message": {"content": "yes"}, "logprobs": None}]}, info)
    assert "no logprobs" in str(exc.value) and "vllm serve" in exc.value.fix


def test_rerank_answers_vllm_and_sglang_shapes():
    vllm = {"results": [{"index": 1, "relevance_score": 0.9}, {"index": 0, "relevance_score": 0.2}]}
    assert parse_rerank_scores(vllm, 2) == [0.2, 0.9]
    sglang = [{"index": 0, "score": 0.3}, {"index": 1, "score": 0.1}]
    assert parse_rerank_scores(sglang, 2) == [0.3, 0.1]
    with pytest.raises(RemoteError):
        parse_rerank_scores({"results": [{"index": 0, "relevance_score": 0.3}]}, 2)


def test_not_a_yes_no_reranker():
    with pytest.raises(RemoteError) as exc:
        _check_single({"no": [5], "yes": [17, 3]}, "The server's tokenizer")
    assert "not a yes/no reranker" in str(exc.value)


def test_vllm_commands_for_both_protocols():
    assert "--runner pooling" in vllm_command("rerank", "lychee") and "from_2_way_softmax" in vllm_command("rerank")
    assert "is_original_qwen3_reranker" in vllm_command("rerank", "qwen3-vl-reranker")
    assert "--runner" not in vllm_command("chat")
