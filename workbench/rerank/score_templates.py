"""Chat templates for serving the yes/no rerankers on vLLM's pooling runner (`/v1/rerank`, `/score`).

vLLM's pooling runner turns a Qwen-VL yes/no reranker into a sequence classifier
(`--hf-overrides` with `classifier_from_token: ["no", "yes"]`) and builds each pair's prompt
with `--chat-template FILE`: the query and the document arrive as two messages with the roles
"query" and "document" (their text, image placeholders first), the request's "instruction"
as a template variable. The files here render exactly the workbench's prompt formats, so a
pooling server scores what the local engine scores:

    lychee             -> templates/lychee_rerank_mm.jinja
    lychee-v1          -> templates/lychee_v1.jinja
    qwen3-vl-reranker  -> templates/qwen3_vl_reranker.jinja

`workbench serve --template-path NAME` prints a file's path for `--chat-template`.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from .prompts import IMAGE_PLACEHOLDER  # vLLM's placeholder for one image in a score prompt

TEMPLATE_DIR = Path(__file__).with_name("templates")
TEMPLATES = {"lychee": "lychee_rerank_mm.jinja", "lychee-v1": "lychee_v1.jinja",
             "qwen3-vl-reranker": "qwen3_vl_reranker.jinja"}


def template_path(name: str) -> Path:
    """Path of the template for a prompt format ('lychee', 'qwen3-vl-reranker') or file name."""
    key = name.strip().lower()
    file = TEMPLATES.get(key, key)
    path = TEMPLATE_DIR / file
    if not path.is_file():
        raise InputError.coded("prompt.no_serving_template", {
            "name": name, "names": ", ".join(sorted(TEMPLATES)), "files": ", ".join(sorted(TEMPLATES.values()))})
    return path


def side_content(text: str | None, n_images: int) -> str:
    """One side (query or document) as vLLM's score path renders it: placeholders, then the text."""
    return IMAGE_PLACEHOLDER * n_images + (text or "")


def render(tokenizer, name: str, query: str, document: str, instruction: str | None = None) -> str:
    """The prompt vLLM builds for one pair (transformers' apply_chat_template, as vLLM calls it)."""
    kwargs = {"instruction": instruction} if instruction else {}
    return tokenizer.apply_chat_template(
        [{"role": "query", "content": query}, {"role": "document", "content": document}],
        chat_template=template_path(name).read_text(encoding="utf-8"), tokenize=False, **kwargs)
