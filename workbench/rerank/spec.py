"""Backend facts, declared once: one `BackendSpec` per backend.

Everything the library, the CLI, the server and the app need to know about a backend without
importing it lives here: its name (the string stored in the database's runs), aliases, score
kind, declared options (validated: unknown names and wrong types are refused with the valid
ones listed), the i18n key of its display name, and whether it needs a model path, a server
URL or scores on a local GPU. Code asks the spec (`spec_of(run.backend).score_kind ==
"probability"`) instead of comparing backend names.

Score kinds:

    probability   P(yes) of a yes/no reranker, 0..1 (the Qwen-VL models, locally or served)
    relevance     a served cross-encoder's relevance score (any real number)
    lexical       BM25 values (>= 0, unbounded, comparable only within one candidate set)

`Reranker.score_kind` / `Run.score_kind` keep their two-word vocabulary ("probability" or
"raw"): `result_score_kind(spec)` maps one to the other.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import InputError
from ..extras import pip_install

SCORE_KINDS = ("probability", "relevance", "lexical")


# ----------------------------------------------------------------------------- option checks
def _positive_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value > 0


def _non_negative_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 0


def _positive_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and value == value and value > 0


def _number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and value == value


def _text(value: Any) -> bool:
    return isinstance(value, str)


def _text_or_path(value: Any) -> bool:
    import os

    return isinstance(value, (str, os.PathLike))


def _urls(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value))


def _device(value: Any) -> bool:
    return isinstance(value, str) or type(value).__name__ == "device"      # a torch.device


def _dtype(value: Any) -> bool:
    return isinstance(value, str) or type(value).__name__ == "dtype"      # a torch.dtype


def _flag(value: Any) -> bool:
    return isinstance(value, bool)


def _auto_or_flag(value: Any) -> bool:
    return isinstance(value, bool) or (isinstance(value, str) and value.lower() in ("auto", "true", "false"))


def _anything(value: Any) -> bool:
    return True


@dataclass(frozen=True)
class Option:
    """One declared keyword option of a backend: what it does and what it takes."""

    help: str
    expects: str = "any value"                     # said in the error when `check` refuses a value
    check: Callable[[Any], bool] = _anything

    def __str__(self) -> str:
        return self.help


def _opt(help: str, kind: str) -> Option:
    checks = {
        "positive int": _positive_int, "int >= 0": _non_negative_int, "positive number": _positive_number,
        "number": _number, "text": _text, "path": _text_or_path, "urls": _urls, "dtype": _dtype, "device": _device,
        "bool": _flag, "auto/bool": _auto_or_flag,
    }
    expects = {
        "positive int": "a whole number above 0", "int >= 0": "a whole number, 0 or more",
        "positive number": "a number above 0", "number": "a number", "text": "a string",
        "path": "a folder path or hub id (a string)", "urls": "a URL string or a list of them",
        "dtype": "'bfloat16', 'float16', 'float32' or a torch.dtype",
        "device": "'cuda', 'cuda:1', 'cpu' or a torch.device", "bool": "True or False",
        "auto/bool": "'auto', True or False",
    }
    return Option(help, expects[kind], checks[kind])


# ----------------------------------------------------------------------------- the specs
@dataclass(frozen=True)
class BackendSpec:
    name: str                           # the canonical key, stored as Run.backend (never changes)
    module: str                         # relative to workbench.rerank
    cls: str
    requires: tuple[str, ...]           # importable module names
    pip: str                            # what to install when one is missing
    description: str
    options: dict[str, Option]          # keyword options the backend takes (validated, nothing else)
    score_kind: str = "probability"     # one of SCORE_KINDS
    display_key: str = ""               # i18n key of its name in the app
    aliases: tuple[str, ...] = ()       # other names a user may type ("bm25")
    needs_model_path: bool = False      # a checkpoint folder / hub id (model_path)
    needs_url: bool = False             # a server URL (urls)
    uses_gpu: bool = False              # scores on a local GPU when there is one (CPU otherwise)
    cacheable: bool = True              # False: a score depends on more than its pair (BM25's IDF)
    extra_names: tuple[str, ...] = field(default=())   # other strings found in stored runs (e.g. "bm25")

    @property
    def takes_prompt_format(self) -> bool:
        """Whether the backend scores through a prompt format (a yes/no model, local or served)."""
        return "prompt_format" in self.options

    @property
    def probabilistic(self) -> bool:
        return self.score_kind == "probability"

    def check_options(self, opts: dict[str, Any]) -> dict[str, Any]:
        """The options that were given (None means "not given"), or InputError naming each one the
        backend does not take (with the valid names), or a value of the wrong type."""
        given = {k: v for k, v in opts.items() if v is not None}
        unknown = sorted(set(given) - set(self.options))
        if unknown:
            raise InputError.coded("backend.unknown_options", {
                "key": self.name, "options": ", ".join(unknown), "valid": ", ".join(self.options)})
        for name, value in given.items():
            option = self.options[name]
            if not option.check(value):
                raise InputError.coded("backend.bad_option", {
                    "key": self.name, "option": name, "value": repr(value)[:60], "expects": option.expects})
        return given


_QWEN_OPTIONS = {
    "model_path": _opt("checkpoint folder (or hub id) of Lychee-rerank-mm / Qwen3-VL-Reranker; default $WORKBENCH_MODEL", "path"),
    "device": _opt("'cuda', 'cuda:1' or 'cpu' (default: the GPU when there is one)", "device"),
    "dtype": _opt("'bfloat16', 'float16', 'float32' or a torch.dtype (default: by device)", "dtype"),
    "batch_size": _opt("max pairs per forward pass", "positive int"),
    "min_pixels": _opt("smallest image size after resizing (default 4*28*28)", "positive int"),
    "max_pixels": _opt("largest image size after resizing (default 1280*28*28)", "positive int"),
    "max_length": _opt("token limit of one pair (default 3200)", "positive int"),
    "attn_implementation": _opt("'sdpa', 'flash_attention_2' or 'eager' (default: by capability)", "text"),
    "default_instruction": _opt("instruction used when a call gives none", "text"),
    "token_budget": _opt("max padded tokens per batch", "positive int"),
    "prefix_reuse": _opt("'auto', True or False: reuse the shared query prefix across a batch", "auto/bool"),
    "prefix_min_tokens": _opt("shortest shared prefix worth reusing", "int >= 0"),
    "prompt_format": _opt("'lychee', 'lychee-v1', 'qwen3-vl-reranker', … (default: by checkpoint)", "text"),
    "grouped_vision_attention": _opt("batch the vision encoder's attention (default True)", "bool"),
    "prefetch": _opt("prepare the next batch while one is scored (default True)", "bool"),
}
_LEXICAL_OPTIONS = {
    "k1": _opt("BM25 term-frequency saturation (default 1.5)", "number"),
    "b": _opt("BM25 length normalisation (default 0.75)", "number"),
    "batch_size": _opt("documents per progress step", "positive int"),
}
_REMOTE_OPTIONS = {
    "urls": _opt("server URL, or several (a list or commas) for replicas", "urls"),
    "protocol": _opt("'auto', 'chat' or 'rerank'", "text"),
    "api_key": _opt("bearer token (default $WORKBENCH_API_KEY)", "text"),
    "served_model": _opt("model name on the server (default: its only model)", "text"),
    "tokenizer": _opt("local tokenizer folder, for token counts", "path"),
    "prompt_format": _opt("prompt layout sent in chat mode (default: by served model)", "text"),
    "max_inflight": _opt("requests in flight per server", "positive int"),
    "timeout": _opt("seconds per request", "positive number"),
    "retries": _opt("retries of a failed request", "int >= 0"),
    "max_failures": _opt("failures in a row before a replica is taken out of rotation", "positive int"),
    "min_pixels": _opt("smallest image size after resizing", "positive int"),
    "max_pixels": _opt("largest image size after resizing", "positive int"),
    "default_instruction": _opt("instruction used when a call gives none", "text"),
    "docs_per_request": _opt("documents per /rerank request", "positive int"),
}

QWEN_VL = BackendSpec(
    "qwen-vl", ".qwen_vl", "QwenVLReranker", ("torch", "transformers", "qwen_vl_utils"), pip_install("qwen"),
    "Lychee-rerank-mm / Qwen3-VL-Reranker yes/no scorer (P(yes))", _QWEN_OPTIONS,
    score_kind="probability", display_key="app.backend.qwen_vl", aliases=("lychee", "qwen", "qwen_vl"),
    needs_model_path=True, uses_gpu=True)
LEXICAL = BackendSpec(
    "lexical", ".lexical", "LexicalReranker", ("jieba",), pip_install("bm25"),
    "BM25 over document text + OCR text (the old TF-IDF logic)", _LEXICAL_OPTIONS,
    score_kind="lexical", display_key="app.backend.lexical", aliases=("bm25",), cacheable=False,
    extra_names=("bm25",))
REMOTE = BackendSpec(
    "remote", ".remote", "RemoteReranker", ("httpx",), "pip install 'lychee-workbench[serve]'  (httpx)",
    "a serving engine over HTTP (vLLM, SGLang, `workbench serve`): chat or /v1/rerank", _REMOTE_OPTIONS,
    score_kind="probability", display_key="app.backend.remote", aliases=("vllm", "http"), needs_url=True)

BACKENDS: dict[str, BackendSpec] = {s.name: s for s in (QWEN_VL, REMOTE, LEXICAL)}
ALIASES: dict[str, str] = {a: s.name for s in BACKENDS.values() for a in s.aliases}


def find_spec(name: str | None) -> BackendSpec | None:
    """The spec of a backend name or alias (also the strings stored in old runs), else None."""
    key = (name or "").strip().lower()
    key = ALIASES.get(key, key)
    if key in BACKENDS:
        return BACKENDS[key]
    for spec in BACKENDS.values():
        if key in spec.extra_names:
            return spec
    return None


def spec_of(name: str) -> BackendSpec:
    """The spec of a backend name or alias; InputError listing the valid names otherwise."""
    spec = find_spec(name)
    if spec is None:
        raise InputError.coded("backend.unknown", {
            "name": name, "names": ", ".join(sorted(BACKENDS) + sorted(ALIASES))})
    return spec


def is_probabilistic(backend: str | None) -> bool:
    """Whether a backend's scores are P(yes) (0..1); False for BM25, imported systems and unknown names."""
    spec = find_spec(backend)
    return spec is not None and spec.score_kind == "probability"


def result_score_kind(backend: str | None) -> str:
    """`Run.score_kind`'s vocabulary: "probability" for P(yes) backends, "raw" otherwise."""
    return "probability" if is_probabilistic(backend) else "raw"


def backend_names(**facts: Any) -> tuple[str, ...]:
    """Every string that names a backend with these facts (its key, aliases and the names old runs
    stored), e.g. `backend_names(score_kind="lexical")` -> ("lexical", "bm25"); no facts: all."""
    out: list[str] = []
    for spec in BACKENDS.values():
        if all(getattr(spec, k) == v for k, v in facts.items()):
            for n in (spec.name, *spec.aliases, *spec.extra_names):
                if n not in out:
                    out.append(n)
    return tuple(out)


def display_key(backend: str | None) -> str | None:
    """The i18n key of a backend's name in the app (None for an unknown or imported system)."""
    spec = find_spec(backend)
    return spec.display_key if spec is not None else None


def backend_has(backend: str | None, fact: str) -> bool:
    """Whether a backend (name, alias or stored string) has a declared fact, e.g.
    `backend_has(run.backend, "needs_url")`, `backend_has(b, "takes_prompt_format")`; False for
    an unknown name (an imported system)."""
    spec = find_spec(backend)
    return bool(spec is not None and getattr(spec, fact))


def is_lexical(backend: str | None) -> bool:
    """Whether a backend's scores are BM25 values (per candidate set, unbounded)."""
    spec = find_spec(backend)
    return spec is not None and spec.score_kind == "lexical"
