"""Prompt formats as data: everything one yes/no reranker family needs to build its input.

A `PromptFormat` names the system prompt, how the instruction, query and document parts are
laid out as chat-message elements, what an empty side becomes, the image pixel limits and
patch size, the maximum length and the default instruction. The local engine
(`rerank.qwen_vl`), the remote client and `workbench prompt` all build messages through
`PromptFormat.messages`, so one format means the same tokens everywhere.

Presets:

* ``lychee`` (default for Qwen2.5-VL checkpoints): the user turn as separate text elements,
  as public Lychee-rerank-mm usage code and the Qwen3-VL-Reranker reference send it:
  ``"<Instruct>: " + instruction``, ``"<Query>:"``, query image, query text,
  ``"\\n<Document>:"``, document image, document text. The chat template joins elements with
  nothing in between, so no newline comes before ``<Query>:``.
* ``lychee-v1``: the first release's layout, ``"<Instruct>: {instruction}\\n<Query>:"`` as one
  element (one token more). Kept so runs saved before are reproducible; migration 4 marks
  them and their cached scores as ``lychee-v1``.
* ``qwen3-vl-reranker`` (chosen automatically for Qwen3-VL configs): the separate-elements
  layout, ``"NULL"`` for an empty side, 32-px image factor, 4..1800·32·32 pixels,
  max length 8192, its own default instruction; its processor does not resize again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from .. import config
from ..errors import InputError

IMAGE_PLACEHOLDER = "<|vision_start|><|image_pad|><|vision_end|>"


@dataclass(frozen=True)
class PromptFormat:
    name: str
    description: str
    family: str                                   # checkpoint family: "qwen2.5-vl" | "qwen3-vl"
    system_prompt: str = config.SYSTEM_PROMPT
    instruction_element: str = "<Instruct>: {instruction}"   # the first text element
    query_element: str | None = "<Query>:"        # its own element; None = inside instruction_element
    document_element: str = "\n<Document>:"
    empty_side: str | None = None                 # text sent for a side with no text and no image
    min_pixels: int = config.MIN_PIXELS
    max_pixels: int = config.MAX_PIXELS
    patch_size: int = 14                          # vision patch; image factor = patch * merge
    merge_size: int = 2
    max_length: int = config.MAX_LENGTH
    default_instruction: str = config.DEFAULT_INSTRUCTION
    processor_resizes: bool = True                # False: images arrive resized (do_resize=False)

    @property
    def image_factor(self) -> int:
        return self.patch_size * self.merge_size

    def with_limits(self, *, min_pixels: int | None = None, max_pixels: int | None = None,
                    max_length: int | None = None, default_instruction: str | None = None) -> "PromptFormat":
        """A copy with the given limits changed (None keeps the format's value)."""
        changes = {k: v for k, v in dict(min_pixels=min_pixels, max_pixels=max_pixels,
                                         max_length=max_length,
                                         default_instruction=default_instruction).items() if v}
        return replace(self, **changes) if changes else self

    def image_element(self, path: Any) -> dict[str, Any]:
        # the limits travel on every element: qwen_vl_utils.fetch_image resizes with its own
        # defaults otherwise (docs/ENVIRONMENT.md)
        return {"type": "image", "image": path, "min_pixels": self.min_pixels,
                "max_pixels": self.max_pixels}

    def _side(self, text: str | None, image: Any) -> list[dict[str, Any]]:
        parts: list[dict[str, Any]] = []
        if image:
            parts.append(self.image_element(image))
        if text:
            parts.append({"type": "text", "text": text})
        if not parts and self.empty_side is not None:
            parts.append({"type": "text", "text": self.empty_side})
        return parts

    def user_content(self, instruction: str, query_text: str | None, query_image: Any,
                     doc_text: str | None, doc_image: Any) -> list[dict[str, Any]]:
        """The user turn's elements for one (instruction, query, document) pair."""
        content = [{"type": "text", "text": self.instruction_element.format(instruction=instruction)}]
        if self.query_element is not None:
            content.append({"type": "text", "text": self.query_element})
        content += self._side(query_text, query_image)
        content.append({"type": "text", "text": self.document_element})
        content += self._side(doc_text, doc_image)
        return content

    def messages(self, instruction: str | None, query_text: str | None, query_image: Any,
                 doc_text: str | None, doc_image: Any) -> list[dict[str, Any]]:
        """System + user chat messages for one pair (the generation prompt is added by the
        chat template). An empty instruction becomes the format's default."""
        instruction = (instruction or "").strip() or self.default_instruction
        return [
            {"role": "system", "content": [{"type": "text", "text": self.system_prompt}]},
            {"role": "user", "content": self.user_content(instruction, query_text, query_image,
                                                          doc_text, doc_image)},
        ]

    def without_empty_document(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The messages without the `empty_side` text written for an empty document (used to
        measure the prompt up to "<Document>:" plus whatever a document brings)."""
        if self.empty_side is None:
            return messages
        content = messages[-1]["content"]
        if len(content) >= 2 and content[-1] == {"type": "text", "text": self.empty_side} \
                and content[-2].get("text") == self.document_element:
            return messages[:-1] + [dict(messages[-1], content=content[:-1])]
        return messages

    def render(self, messages: list[dict[str, Any]], image_tokens: list[int] | None = None,
               add_generation_prompt: bool = True) -> str:
        """The exact text the model receives (the Qwen2.5-VL / Qwen3-VL chat template: elements
        joined with nothing between them). With `image_tokens`, each image shows as
        ``<|vision_start|><|image_pad|>×N<|vision_end|>``."""
        out: list[str] = []
        n_img = 0
        for m in messages:
            out.append(f"<|im_start|>{m['role']}\n")
            content = m["content"]
            if isinstance(content, str):
                out.append(content)
            else:
                for part in content:
                    if part.get("type") == "image":
                        if image_tokens is not None and n_img < len(image_tokens):
                            out.append(f"<|vision_start|><|image_pad|>×{image_tokens[n_img]}<|vision_end|>")
                        else:
                            out.append(IMAGE_PLACEHOLDER)
                        n_img += 1
                    else:
                        out.append(part.get("text", ""))
            out.append("<|im_end|>\n")
        if add_generation_prompt:
            out.append("<|im_start|>assistant\n")
        return "".join(out)


LYCHEE = PromptFormat(
    name="lychee", family="qwen2.5-vl",
    description="Lychee-rerank-mm, separate elements: '<Instruct>: …', '<Query>:', query, "
                "'\\n<Document>:', document (as public Lychee usage code sends it)")
LYCHEE_V1 = replace(
    LYCHEE, name="lychee-v1", instruction_element="<Instruct>: {instruction}\n<Query>:", query_element=None,
    description="the first release's layout: '<Instruct>: {instruction}\\n<Query>:' as one element "
                "(reproduces runs saved before the lychee format)")
QWEN3_VL_RERANKER = PromptFormat(
    name="qwen3-vl-reranker", family="qwen3-vl",
    description="Qwen3-VL-Reranker reference: separate elements, 'NULL' for an empty side",
    empty_side="NULL", min_pixels=4 * 32 * 32, max_pixels=1800 * 32 * 32, patch_size=16,
    max_length=8192,
    default_instruction="Given a search query, retrieve relevant candidates that answer the query.",
    processor_resizes=False)

PRESETS: dict[str, PromptFormat] = {f.name: f for f in (LYCHEE, LYCHEE_V1, QWEN3_VL_RERANKER)}
DEFAULT_FOR_FAMILY = {"qwen2.5-vl": "lychee", "qwen3-vl": "qwen3-vl-reranker"}


def get_format(name: "str | PromptFormat | None", family: str | None = None) -> PromptFormat:
    """The preset called `name` (a PromptFormat passes through); None = the family's default.
    A format made for another checkpoint family is refused (its image grid would be wrong)."""
    if name is None or name == "" or name == "auto":
        fmt = PRESETS[DEFAULT_FOR_FAMILY.get(family or "qwen2.5-vl", "lychee")]
    elif isinstance(name, PromptFormat):
        fmt = name
    else:
        key = str(name).strip().lower()
        if key not in PRESETS:
            raise InputError.coded("prompt.unknown_format", {"name": name, "names": ", ".join(PRESETS)})
        fmt = PRESETS[key]
    if family is not None and fmt.family != family:
        fits = ", ".join(n for n, f in PRESETS.items() if f.family == family)
        raise InputError.coded("prompt.wrong_family", {
            "name": fmt.name, "format_family": fmt.family, "family": family, "fits": fits})
    return fmt


def format_names(family: str | None = None) -> list[str]:
    return [n for n, f in PRESETS.items() if family is None or f.family == family]


@dataclass
class PromptPreview:
    """What the model receives for one pair: the text (images as placeholders with their
    token counts), the token count when a tokenizer is known, and each image's tokens."""

    format: str
    text: str
    image_tokens: list[int]
    tokens: int | None = None
    tokenizer: str | None = None


def image_tokens(path: str, fmt: PromptFormat) -> int:
    """LLM tokens of one image under `fmt`'s pixel limits (its resized grid / merge²)."""
    from PIL import Image

    from .qwen_vl.compat import ensure_torchvision

    ensure_torchvision()
    from qwen_vl_utils import smart_resize

    from ..images import open_rgb

    try:
        with Image.open(path) as im:
            width, height = im.size
    except Exception:  # noqa: BLE001 - decode fully for the real error / exotic formats
        width, height = open_rgb(path).size
    h, w = smart_resize(height, width, factor=fmt.image_factor, min_pixels=fmt.min_pixels,
                        max_pixels=fmt.max_pixels)
    return (h // fmt.image_factor) * (w // fmt.image_factor)


def preview(fmt: "PromptFormat | str", instruction: str | None, query_text: str = "",
            query_image: str | None = None, doc_text: str = "", doc_image: str | None = None,
            *, tokenizer: Any = None) -> PromptPreview:
    """The exact prompt of one pair under `fmt` (`workbench prompt`, the Rerank page).
    `tokenizer`: a tokenizer object or a model folder, to count tokens."""
    fmt = get_format(fmt)
    messages = fmt.messages(instruction, query_text, query_image, doc_text, doc_image)
    n_img = [image_tokens(p, fmt) for p in (query_image, doc_image) if p]
    text = fmt.render(messages, image_tokens=n_img)
    tokens = name = None
    if tokenizer is not None:
        if isinstance(tokenizer, (str, bytes)) or hasattr(tokenizer, "__fspath__"):
            from transformers import AutoTokenizer

            name = str(tokenizer)
            tokenizer = AutoTokenizer.from_pretrained(name)
        else:
            name = getattr(tokenizer, "name_or_path", None)
        ids = tokenizer(fmt.render(messages), add_special_tokens=False)["input_ids"]
        tokens = len(ids) + sum(n - 1 for n in n_img)    # one <|image_pad|> stands for n tokens
    return PromptPreview(fmt.name, text, n_img, tokens, name)
