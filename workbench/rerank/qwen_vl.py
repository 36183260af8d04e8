"""Qwen-VL yes/no reranker: Lychee-rerank-mm (Qwen2.5-VL-7B) and Qwen3-VL-Reranker on transformers.

The recipe of the Lychee-rerank-mm model card, followed exactly:

    system: SYSTEM_PROMPT
    user:   "<Instruct>: {instruction}\\n<Query>:" [query image] [query text]
            "\\n<Document>:" [document image] [document text]
    chat template with add_generation_prompt=True  (ends "<|im_start|>assistant\\n")
    score = softmax([logit("no"), logit("yes")])[1] at the last position

Images are message elements ``{"type": "image", "image": path, "min_pixels", "max_pixels"}``
resized by ``qwen_vl_utils.process_vision_info``. Padding is on the left. The
processor never truncates; document *text* is cut token-wise before templating
so the whole pair fits ``max_length`` and the generation prompt is never lost.
Only the last position's logits are computed (``logits_to_keep=1``).

A checkpoint whose config says Qwen3-VL (or whose name says Qwen3-VL-Reranker)
gets the Qwen3-VL-Reranker reference defaults: its default instruction, 32-px
factor pixel limits (4..1800 x 32 x 32), max length 8192 and its prompt layout
("<Instruct>: …", "<Query>:", …, "NULL" for an empty side).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import threading
from pathlib import Path
from typing import Any

from .. import config
from ..errors import BackendUnavailable, ImageError, ModelNotFound, WorkbenchError
from ..model import Document, Query
from .base import Reranker

LYCHEE_PROMPT = "lychee-rerank-mm"
QWEN3_PROMPT = "qwen3-vl-reranker"

QWEN3_DEFAULTS = {
    "instruction": "Given a search query, retrieve relevant candidates that answer the query.",
    "min_pixels": 4 * 32 * 32,
    "max_pixels": 1800 * 32 * 32,
    "max_length": 8192,
    "image_patch_size": 16,
}
LYCHEE_DEFAULTS = {
    "instruction": config.DEFAULT_INSTRUCTION,
    "min_pixels": config.MIN_PIXELS,
    "max_pixels": config.MAX_PIXELS,
    "max_length": config.MAX_LENGTH,
    "image_patch_size": 14,
}

DEFAULT_BATCH_SIZE = 8


def select_runtime(cuda_available: bool, flash_available: bool) -> tuple[str, str, str]:
    """(device, dtype, attn_implementation) for the machine.

    CUDA -> bfloat16 with flash_attention_2 only when flash-attn is importable
    (transformers raises instead of falling back), else sdpa. CPU -> float32 + sdpa.
    """
    if cuda_available:
        return "cuda", "bfloat16", ("flash_attention_2" if flash_available else "sdpa")
    return "cpu", "float32", "sdpa"


def flash_attn_available() -> bool:
    return importlib.util.find_spec("flash_attn") is not None


def missing_model_error(path: str | None = None, detail: str = "") -> ModelNotFound:
    where = f"'{path}' could not be loaded" + (f" ({detail})" if detail else "") if path else \
        "No Qwen-VL reranker model is configured"
    return ModelNotFound(
        f"{where}.",
        "Download the weights on a machine with Hugging Face access: "
        f"`huggingface-cli download {config.DEFAULT_MODEL_ID} --local-dir /models/lychee-rerank-mm`, "
        "copy the folder here, then set WORKBENCH_MODEL=/models/lychee-rerank-mm (or pass --model PATH). "
        "To try the workbench without the real weights, build a test model with "
        "`workbench tiny-checkpoint DIR` and point WORKBENCH_MODEL at DIR.",
    )


def weights_fingerprint(path: str | os.PathLike) -> str:
    """Cheap revision hash of a local checkpoint: config bytes + weight file names/sizes/mtimes."""
    p = Path(path)
    h = hashlib.sha256()
    for name in ("config.json", "model.safetensors.index.json"):
        f = p / name
        if f.is_file():
            h.update(name.encode())
            h.update(f.read_bytes())
    for f in sorted(p.glob("*.safetensors")) + sorted(p.glob("*.bin")):
        st = f.stat()
        h.update(f"{f.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:12]


def detect_family(path: str, cfg: dict[str, Any] | None) -> str:
    model_type = str((cfg or {}).get("model_type", "")).lower()
    name = str(path).lower()
    if model_type.startswith("qwen3_vl") or "qwen3-vl-reranker" in name or "qwen3_vl" in name:
        return QWEN3_PROMPT
    return LYCHEE_PROMPT


def build_messages(instruction: str, query: Query, doc_text: str, doc_image: str | None, *,
                   min_pixels: int, max_pixels: int, prompt: str = LYCHEE_PROMPT,
                   system_prompt: str = config.SYSTEM_PROMPT) -> list[dict[str, Any]]:
    """The chat messages for one (instruction, query, document) pair."""

    def image(path: str) -> dict[str, Any]:
        return {"type": "image", "image": str(path), "min_pixels": min_pixels, "max_pixels": max_pixels}

    def side(text: str | None, img: str | None, null: bool) -> list[dict[str, Any]]:
        parts: list[dict[str, Any]] = []
        if img:
            parts.append(image(img))
        if text:
            parts.append({"type": "text", "text": text})
        if not parts and null:
            parts.append({"type": "text", "text": "NULL"})
        return parts

    if prompt == QWEN3_PROMPT:
        content = [{"type": "text", "text": f"<Instruct>: {instruction}"},
                   {"type": "text", "text": "<Query>:"}]
        content += side(query.text, query.image, True)
        content.append({"type": "text", "text": "\n<Document>:"})
        content += side(doc_text, doc_image, True)
    else:
        content = [{"type": "text", "text": f"<Instruct>: {instruction}\n<Query>:"}]
        content += side(query.text, query.image, False)
        content.append({"type": "text", "text": "\n<Document>:"})
        content += side(doc_text, doc_image, False)
    return [
        {"role": "system", "content": [{"type": "text", "text": system_prompt}]},
        {"role": "user", "content": content},
    ]


class QwenVLReranker(Reranker):
    """P(yes) reranker over a local Qwen2.5-VL / Qwen3-VL checkpoint."""

    backend = "qwen-vl"

    def __init__(self, model_path: str | None = None, device: str | None = None,
                 dtype: str | None = None, batch_size: int = DEFAULT_BATCH_SIZE,
                 min_pixels: int | None = None, max_pixels: int | None = None,
                 max_length: int | None = None, attn_implementation: str | None = None,
                 default_instruction: str | None = None):
        path = model_path or config.model_path()
        if not path:
            raise missing_model_error()
        path = str(path)
        local = Path(path).expanduser()
        looks_local = local.exists() or not _looks_like_hub_id(path)
        if looks_local and not (local / "config.json").is_file():
            raise missing_model_error(path, "no config.json in that folder" if local.is_dir()
                                      else "the folder does not exist")
        if looks_local:
            path = str(local.resolve())
        self.model_path = path

        from .compat import ensure_torchvision

        ensure_torchvision()
        try:
            import torch
            import transformers
            from qwen_vl_utils import process_vision_info  # noqa: F401
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise BackendUnavailable(
                f"The qwen-vl backend needs torch, transformers and qwen-vl-utils ({exc}).",
                "pip install 'transformers>=4.51' qwen-vl-utils torch accelerate") from None
        self._torch = torch

        cfg = _read_config(local) if looks_local else None
        self.family = detect_family(path, cfg)
        defaults = QWEN3_DEFAULTS if self.family == QWEN3_PROMPT else LYCHEE_DEFAULTS
        self.default_instruction = default_instruction or defaults["instruction"]
        self.min_pixels = int(min_pixels or defaults["min_pixels"])
        self.max_pixels = int(max_pixels or defaults["max_pixels"])
        self.max_length = int(max_length or defaults["max_length"])
        self.image_patch_size = defaults["image_patch_size"]
        self.batch_size = max(1, int(batch_size or DEFAULT_BATCH_SIZE))

        want_cuda = device in (None, "auto", "cuda") or str(device).startswith("cuda")
        cuda = bool(want_cuda and torch.cuda.is_available())
        if device and str(device).startswith("cuda") and not cuda:
            raise WorkbenchError(f"Device '{device}' was requested but no CUDA GPU is visible.",
                                 "Use --device cpu, or check the NVIDIA driver with `nvidia-smi`.")
        dev, auto_dtype, attn = select_runtime(cuda, flash_attn_available())
        self.device = str(device) if cuda and device and str(device).startswith("cuda") else dev
        self.dtype_name = dtype if dtype and dtype != "auto" else auto_dtype
        self.attn_implementation = attn_implementation or attn
        torch_dtype = getattr(torch, self.dtype_name, None)
        if not isinstance(torch_dtype, torch.dtype):
            raise WorkbenchError(f"Unknown dtype '{dtype}'.", "Use float32, bfloat16 or float16.")

        from transformers import AutoModelForImageTextToText, AutoProcessor

        try:
            self.processor = AutoProcessor.from_pretrained(
                path, size={"shortest_edge": self.min_pixels, "longest_edge": self.max_pixels})
            # on CUDA load straight onto the GPU (an 8B bf16 model must not go through CPU RAM)
            self.model = AutoModelForImageTextToText.from_pretrained(
                path, dtype=torch_dtype, attn_implementation=self.attn_implementation,
                device_map=self.device if cuda else None)
        except (OSError, EnvironmentError) as exc:
            raise missing_model_error(path, str(exc).splitlines()[0][:200]) from None
        except ValueError as exc:
            if "does not recognize this architecture" in str(exc) or "Unrecognized" in str(exc):
                raise BackendUnavailable(
                    f"This transformers ({transformers.__version__}) cannot load '{path}': {exc}",
                    "pip install -U transformers") from None
            raise
        if not cuda:
            self.model.to(self.device)
        self.model.eval()
        tok = self.processor.tokenizer
        tok.padding_side = "left"
        self.processor.tokenizer.padding_side = "left"
        self.yes_id = _single_token_id(tok, "yes", path)
        self.no_id = _single_token_id(tok, "no", path)
        self.model_id = f"{Path(path).name or path}@{weights_fingerprint(local) if looks_local else 'hub'}"
        self._lock = threading.Lock()

    # ---- Reranker API ----
    def params(self) -> dict[str, Any]:
        return {"prompt": self.family, "min_pixels": self.min_pixels, "max_pixels": self.max_pixels,
                "max_length": self.max_length, "dtype": self.dtype_name}

    def _cost(self, query: Query, doc: Document) -> int:
        return len(doc.ranking_text) // 3 + (self.max_pixels // (28 * 28) if doc.image else 0)

    def resolve_instruction(self, instruction: str) -> str:
        return (instruction or "").strip() or self.default_instruction

    def messages_for(self, instruction: str, query: Query, doc: Document,
                     doc_text: str | None = None) -> list[dict[str, Any]]:
        text = doc.ranking_text if doc_text is None else doc_text
        return build_messages(instruction or self.default_instruction, query, text, doc.image,
                              min_pixels=self.min_pixels, max_pixels=self.max_pixels,
                              prompt=self.family)

    def _score_batch(self, instruction: str, query: Query, docs: list[Document]) -> list[float]:
        _check_images(query, docs)
        messages = [self._fit(instruction, query, d) for d in docs]
        with self._lock:
            return self._forward_safe(messages, docs)

    # ---- internals ----
    def _vision(self, messages: list[list[dict[str, Any]]]):
        from qwen_vl_utils import process_vision_info

        try:
            images, videos = process_vision_info(messages, image_patch_size=self.image_patch_size)
        except (OSError, ValueError) as exc:
            raise ImageError(f"An image could not be read for scoring ({exc}).",
                             "Check the image files of this set, or re-import them.") from None
        return images, videos

    def _image_tokens(self, messages: list[dict[str, Any]]) -> int:
        images, _ = self._vision([messages])
        merge = getattr(self.processor.image_processor, "merge_size", 2)
        patch = getattr(self.processor.image_processor, "patch_size", self.image_patch_size)
        return sum((im.width // patch) * (im.height // patch) // (merge * merge) for im in images or [])

    def _pair_length(self, messages: list[dict[str, Any]], image_tokens: int) -> int:
        text = self.processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        ids = self.processor.tokenizer(text, add_special_tokens=False)["input_ids"]
        n_placeholders = sum(1 for part in messages[1]["content"] if part.get("type") == "image")
        return len(ids) - n_placeholders + image_tokens

    def _fit(self, instruction: str, query: Query, doc: Document) -> list[dict[str, Any]]:
        """Messages for one pair, with the document text cut so the pair fits max_length."""
        messages = self.messages_for(instruction, query, doc)
        text = doc.ranking_text
        n_images = int(bool(query.image)) + int(bool(doc.image))
        factor = self.image_patch_size * 2
        upper = self._pair_length(messages, n_images * (self.max_pixels // (factor * factor) + 1))
        if upper <= self.max_length:  # fits even at the largest image size: skip decoding images
            return messages
        img_tokens = self._image_tokens(messages) if n_images else 0
        length = self._pair_length(messages, img_tokens)
        if length <= self.max_length:
            return messages
        tok = self.processor.tokenizer
        ids = tok(text, add_special_tokens=False)["input_ids"]
        fixed = self._pair_length(self.messages_for(instruction, query, doc, ""), img_tokens)
        budget = self.max_length - fixed
        if budget <= 0:
            self._warn(f"Document '{doc.id}': query and images alone take {fixed} tokens, more than "
                       f"max_length={self.max_length}; its text was dropped and it was scored over-long.")
            return self.messages_for(instruction, query, doc, "")
        keep = min(len(ids), budget)
        while keep > 0:
            cut = tok.decode(ids[:keep], skip_special_tokens=False)
            messages = self.messages_for(instruction, query, doc, cut)
            length = self._pair_length(messages, img_tokens)
            if length <= self.max_length:
                break
            keep -= max(1, length - self.max_length)
        else:
            messages = self.messages_for(instruction, query, doc, "")
        self._warn(f"Document '{doc.id}' was truncated from {len(ids)} to {max(keep, 0)} text tokens "
                   f"to fit max_length={self.max_length}.")
        return messages

    def encode(self, messages: list[list[dict[str, Any]]]):
        """Processor inputs (left padded, never truncated) for a batch of message lists."""
        texts = [self.processor.apply_chat_template(m, tokenize=False, add_generation_prompt=True)
                 for m in messages]
        images, videos = self._vision(messages)
        kwargs: dict[str, Any] = {}
        if self.family == QWEN3_PROMPT:
            kwargs["do_resize"] = False
        inputs = self.processor(text=texts, images=images, videos=videos, padding=True,
                                padding_side="left", return_tensors="pt", **kwargs)
        return inputs

    def _forward(self, messages: list[list[dict[str, Any]]]) -> list[float]:
        torch = self._torch
        inputs = self.encode(messages).to(self.model.device)
        with torch.inference_mode():
            out = self.model(**inputs, logits_to_keep=1)
            last = out.logits[:, -1, :].float()
            pair = torch.stack([last[:, self.no_id], last[:, self.yes_id]], dim=-1)
            return torch.softmax(pair, dim=-1)[:, 1].cpu().tolist()

    def _forward_safe(self, messages: list[list[dict[str, Any]]], docs: list[Document]) -> list[float]:
        torch = self._torch
        try:
            return self._forward(messages)
        except torch.cuda.OutOfMemoryError:
            torch.cuda.empty_cache()
            if len(messages) == 1:
                raise WorkbenchError(
                    f"The GPU ran out of memory on document '{docs[0].id}' even alone.",
                    "Lower max_pixels or max_length, close other GPU programs, or use a bigger GPU.",
                ) from None
            half = len(messages) // 2
            self._warn(f"CUDA out of memory on a batch of {len(messages)}; retried as "
                       f"{half} + {len(messages) - half}.")
            return (self._forward_safe(messages[:half], docs[:half])
                    + self._forward_safe(messages[half:], docs[half:]))


def _looks_like_hub_id(path: str) -> bool:
    parts = path.split("/")
    return len(parts) == 2 and all(parts) and not Path(path).exists() and not path.startswith((".", "~"))


def _read_config(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _single_token_id(tok, word: str, path: str) -> int:
    ids = tok.encode(word, add_special_tokens=False)
    if len(ids) != 1:
        raise ModelNotFound(
            f"The tokenizer of '{path}' splits '{word}' into {len(ids)} tokens; a yes/no reranker "
            "needs it as one token.",
            "Point WORKBENCH_MODEL at a Lychee-rerank-mm / Qwen-VL reranker checkpoint.")
    return ids[0]


def _check_images(query: Query, docs: list[Document]) -> None:
    for owner, path in [(f"query '{query.id}'", query.image)] + [
            (f"document '{d.id}'", d.image) for d in docs]:
        if path and not Path(path).is_file():
            raise ImageError(f"The image of {owner} ('{path}') does not exist.",
                             "Re-import the set with its images, or fix the image path.")
