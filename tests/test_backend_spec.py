"""Backend facts are declared once (workbench.rerank.spec) and everything asks the spec: the
registry's names and options, a run's score kind, the app's display names."""

from __future__ import annotations

import pytest

from workbench.errors import InputError
from workbench.i18n import has
from workbench.model import Run, score_kind_of
from workbench.rerank import get_reranker, registry
from workbench.rerank.spec import (BACKENDS, SCORE_KINDS, backend_has, backend_names, find_spec, is_lexical,
                                   spec_of)


def test_every_backend_declares_its_facts():
    assert set(BACKENDS) == {"qwen-vl", "remote", "lexical"}       # the strings stored in runs
    for name, spec in BACKENDS.items():
        assert spec.name == name and spec.score_kind in SCORE_KINDS
        assert has(spec.display_key, lang="en") and has(spec.display_key, lang="zh"), spec.display_key
        assert registry.BACKENDS[name] is spec
    assert [s.name for s in BACKENDS.values() if s.needs_url] == ["remote"]
    assert [s.name for s in BACKENDS.values() if s.needs_model_path] == ["qwen-vl"]
    assert spec_of("bm25") is spec_of("lexical") and spec_of("qwen_vl").uses_gpu
    assert backend_names(score_kind="lexical") == ("lexical", "bm25")
    assert backend_has("remote", "takes_prompt_format") and not backend_has("bm25", "takes_prompt_format")
    assert not backend_has("some imported system", "needs_url") and find_spec("trec-run") is None
    with pytest.raises(InputError) as err:
        spec_of("bm52")
    assert "lexical" in err.value.fix


def test_a_runs_score_kind_comes_from_its_backends_spec():
    assert score_kind_of("qwen-vl") == score_kind_of("remote") == "probability"
    assert score_kind_of("lexical") == score_kind_of("bm25") == "raw"
    assert score_kind_of("other-system") == "raw" and score_kind_of("qwen-vl", "imported") == "raw"
    assert Run("i", "remote", "m").score_kind == "probability"
    assert is_lexical("bm25") and not is_lexical(None)
    assert get_reranker("bm25").score_kind == "raw" and get_reranker("bm25").spec is spec_of("bm25")


@pytest.mark.parametrize("name, opts, words", [
    ("bm25", {"batch_size": "many"}, ["batch_size", "whole number"]),
    ("bm25", {"batch_size": 0}, ["batch_size"]),
    ("bm25", {"k1": "1.2"}, ["k1", "a number"]),
    ("remote", {"urls": "http://127.0.0.1:9/v1", "timeout": -1}, ["timeout", "above 0"]),
    ("remote", {"urls": "http://127.0.0.1:9/v1", "retries": 1.5}, ["retries"]),
    ("qwen-vl", {"model_path": "/nowhere", "dtype": 16}, ["dtype", "torch.dtype"]),
])
def test_declared_options_are_validated_by_type(name, opts, words):
    with pytest.raises(InputError) as err:
        get_reranker(name, **opts)
    text = f"{err.value} {err.value.fix}"
    assert all(w in text for w in words), text


def test_no_code_compares_a_backend_with_a_hard_coded_name():
    """`backend == "remote"` / `backend in ("lexical", "bm25")` is asked of the spec instead
    (`backend_has(backend, "needs_url")`, `is_lexical(backend)`, `spec.score_kind`)."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    names = set(backend_names())
    files = [*(root / "workbench").rglob("*.py"), *(root / "ui").glob("*.py"), *(root / "pages").glob("*.py")]
    found = []
    for path in files:
        if path.name == "spec.py" or "i18n" in path.parts:
            continue
        src = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(src)):
            if not isinstance(node, ast.Compare):
                continue
            sides = [node.left, *node.comparators]
            if not any("backend" in ast.unparse(s) for s in sides):
                continue
            consts = [c.value for s in sides for c in ast.walk(s) if isinstance(c, ast.Constant)]
            if any(isinstance(v, str) and v in names for v in consts):
                found.append(f"{path.relative_to(root)}:{node.lineno}")
    assert not found, found
