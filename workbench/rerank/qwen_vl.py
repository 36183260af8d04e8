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

Checked against the reference `Qwen3VLReranker` (src/models/qwen3_vl_reranker.py of
QwenLM/Qwen3-VL-Embedding, as copied in public forks): same system prompt as Lychee;
user content = text "<Instruct>: " + instruction, text "<Query>:", the query's
image then text (or text "NULL"), text "\\n<Document>:", the document's image then
text (or "NULL"); Qwen3-VL's chat template joins the parts with nothing in between
and ends "<|im_start|>assistant\\n". Images carry min/max_pixels and go through
``process_vision_info(..., image_patch_size=16)``; the processor runs with
``do_resize=False``. Score = sigmoid((W_yes - W_no) · h_last), which equals
softmax([no, yes])[1] at the last position, what we compute. Where the reference
cuts tokens (non-special tokens past max_length, keeping the last 5, i.e. the
generation prompt) we cut the document text before templating; the prompt end is
kept either way. Shared-prefix reuse and token-budget batching work for both
families (image tokens estimated with each family's patch size: 28 px / 32 px).
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

# ---- batching defaults (see default_batching) ----
# CPU: a 2-16 core machine gains nothing from batches beyond a few thousand tokens.
CPU_TOKEN_BUDGET = 4096
CPU_MAX_BATCH = 8
# The fixed cost of one more forward call, in tokens (plan_batches splits a batch where the
# padding saved is worth more). CPU, small model: ~10-15 ms per call at ~4-5k tokens/s.
CPU_BATCH_OVERHEAD = 64
# GPU, 7B bf16: ~15-20 ms of launches/sync per call at ~25k tokens/s on an H100
# (an estimate from the FLOP count; not measured here, no GPU was lent).
GPU_BATCH_OVERHEAD = 512
# GPU: transient activation memory per padded token of the 7B model in bf16, with margin
# for the allocator: LLM MLP (2 x 18944 x 2 B x ~3 live tensors ~ 0.11 MB) + hidden-state copies
# (~0.03 MB) + the vision tower's share per image token (4 patches x 1280/3420 wide ~ 0.1 MB),
# times ~2 for fragmentation -> 0.5 MiB. Half of the memory free after loading goes to it.
GPU_BYTES_PER_TOKEN = 512 * 1024
GPU_MIN_BUDGET = 2048
GPU_MAX_BUDGET = 32768
GPU_MAX_BATCH = 64

# Shared-prefix reuse pays off from this many common prefix tokens on. Crossover measured
# with `bench/engine.py --crossover` (small ~19M checkpoint, fp32, 2 CPU cores, 8 rows):
#   suffix 24 tokens:  P=8 1.06x, P=16 1.39x, P=32 1.68x, P=64 2.27x, P=256 4.44x
#   suffix 200 tokens: P=8 0.96x, P=16 0.82x (noise), P=32 1.07x, P=64 1.22x, P=256 2.32x
# so reuse is on from 32 tokens. The real prompt (system + instruction) alone is ~50-60
# tokens, so "auto" uses it for every batch of >= 2 documents.
PREFIX_MIN_TOKENS = 32


def default_batching(device: str, free_bytes: int | None = None) -> tuple[int, int, int]:
    """(token_budget, max_batch, batch_overhead) for a device; GPU budgets scale with the
    memory free after loading.

    7B bf16 (16.6 GB of weights): a 24 GB card leaves ~6-7 GB -> 4096 tokens (a 16 GB card
    cannot hold the bf16 weights at all; it gets the 2048 floor); an 80 GB card leaves
    ~62 GB -> 32768 tokens, 64 docs per batch. CPU: 4096 tokens, 8 docs.
    """
    if not str(device).startswith("cuda"):
        return CPU_TOKEN_BUDGET, CPU_MAX_BATCH, CPU_BATCH_OVERHEAD
    if not free_bytes or free_bytes <= 0:
        return GPU_MIN_BUDGET, GPU_MAX_BATCH, GPU_BATCH_OVERHEAD
    raw = int(free_bytes * 0.5 // GPU_BYTES_PER_TOKEN)
    budget = GPU_MIN_BUDGET
    while budget * 2 <= min(raw, GPU_MAX_BUDGET):
        budget *= 2
    return budget, GPU_MAX_BATCH, GPU_BATCH_OVERHEAD


def image_tokens_from_size(width: int, height: int, *, min_pixels: int, max_pixels: int,
                           patch: int = 14, merge: int = 2) -> int:
    """LLM tokens of one image: the smart_resize'd grid, (h/28) x (w/28) for Qwen2.5-VL."""
    from qwen_vl_utils import smart_resize

    factor = patch * merge
    h, w = smart_resize(height, width, factor=factor, min_pixels=min_pixels, max_pixels=max_pixels)
    return (h // factor) * (w // factor)


def image_header_size(path: str) -> tuple[int, int] | None:
    """(width, height) from the file header, without decoding pixels; None if unreadable."""
    from PIL import Image

    try:
        from .. import images as _images  # noqa: F401  (registers the HEIC opener)
    except ImportError:  # pragma: no cover
        pass
    try:
        with Image.open(path) as im:
            return im.size
    except Exception:  # noqa: BLE001 - scoring reports the real error with a fix
        return None


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


# Files a local checkpoint folder needs besides config.json: any one name of each group.
CHECKPOINT_FILES = {
    "tokenizer": ("tokenizer.json", "vocab.json"),
    "image processor": ("preprocessor_config.json", "processor_config.json"),
    "weights": ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                "pytorch_model.bin.index.json"),
}


def check_checkpoint_files(folder: Path) -> None:
    """Name the missing pieces of a local checkpoint before transformers fails on them."""
    missing = [f"{what} ({' or '.join(names)})" for what, names in CHECKPOINT_FILES.items()
               if not any((folder / n).is_file() for n in names)
               and not (what == "weights" and any(folder.glob("*.safetensors")))]
    if missing:
        raise ModelNotFound(
            f"The model folder '{folder}' is incomplete: it has no {', no '.join(missing)}.",
            "Copy the whole checkpoint folder (every file of the model's download, e.g. "
            f"`huggingface-cli download {config.DEFAULT_MODEL_ID} --local-dir DIR` on a machine with "
            "Hugging Face access), or point --model / WORKBENCH_MODEL at the complete folder.")


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
                 dtype: str | None = None, batch_size: int | None = None,
                 min_pixels: int | None = None, max_pixels: int | None = None,
                 max_length: int | None = None, attn_implementation: str | None = None,
                 default_instruction: str | None = None, token_budget: int | None = None,
                 prefix_reuse: str | bool = "auto", prefix_min_tokens: int | None = None,
                 grouped_vision_attention: bool = True, prefetch: bool = True):
        path = model_path or config.model_path()
        if not path:
            raise missing_model_error()
        path = str(path)
        local = Path(path).expanduser()
        looks_local = local.exists() or not _looks_like_hub_id(path)
        if looks_local and not (local / "config.json").is_file():
            raise missing_model_error(path, "no config.json in that folder" if local.is_dir()
                                      else "it is a file, not a model folder" if local.exists()
                                      else "the folder does not exist")
        if looks_local:
            check_checkpoint_files(local)
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
        if prefix_reuse not in ("auto", True, False):
            raise WorkbenchError(f"prefix_reuse={prefix_reuse!r} is not a valid choice.",
                                 'Use prefix_reuse="auto", True or False.')
        self.prefix_reuse = prefix_reuse
        self.prefix_min_tokens = int(PREFIX_MIN_TOKENS if prefix_min_tokens is None else prefix_min_tokens)
        self._batch_size_opt = batch_size
        self._token_budget_opt = token_budget

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
            detail = str(exc).splitlines()[0]
            detail = detail.split(". If you were trying to load it from")[0]   # hub advice: no hub here
            raise missing_model_error(path, detail[:200]) from None
        except ValueError as exc:
            if "does not recognize this architecture" in str(exc) or "Unrecognized" in str(exc):
                raise BackendUnavailable(
                    f"This transformers ({transformers.__version__}) cannot load '{path}': {exc}",
                    "pip install -U transformers") from None
            raise
        if not cuda:
            self.model.to(self.device)
        self.model.eval()
        self._install_vision(grouped_vision_attention, prefetch)
        tok = self.processor.tokenizer
        tok.padding_side = "left"
        self.processor.tokenizer.padding_side = "left"
        self.yes_id = _single_token_id(tok, "yes", path)
        self.no_id = _single_token_id(tok, "no", path)
        self.model_id = f"{Path(path).name or path}@{weights_fingerprint(local) if looks_local else 'hub'}"
        self._lock = threading.Lock()
        self._setup_runtime()

    def _install_vision(self, grouped: bool, prefetch: bool) -> None:
        """Grouped-window vision attention (workbench.rerank.vision_attention; exact, off with
        grouped_vision_attention=False or WORKBENCH_GROUPED_VISION=0) and batch prefetching."""
        from .vision_attention import install

        self.vision_attention = install(self.model, enabled=grouped)
        self.prefetch = bool(prefetch)
        self._prep_lock = threading.Lock()   # the processor/tokenizer: one preparing thread at a time

    def _setup_runtime(self) -> None:
        """Batching defaults by free memory, pad id, the model's cache kwarg name."""
        import inspect

        torch = self._torch
        free = None
        if str(self.device).startswith("cuda"):
            try:
                free = torch.cuda.mem_get_info(torch.device(self.device))[0]
            except Exception:  # noqa: BLE001 - fall back to the floor
                free = None
        budget, cap, self.batch_overhead = default_batching(self.device, free)
        self.token_budget = int(self._token_budget_opt) if self._token_budget_opt else budget
        self.batch_size = max(1, int(self._batch_size_opt)) if self._batch_size_opt else cap
        tok = self.processor.tokenizer
        self.pad_id = tok.pad_token_id if tok.pad_token_id is not None else 0
        cfg = self.model.config
        self.vision_start_id = getattr(cfg, "vision_start_token_id", None)
        self.image_token_id = getattr(cfg, "image_token_id", None)
        params = inspect.signature(self.model.forward).parameters
        self._cache_kw = "cache" if "cache" in params else "past_key_values"
        self._prefix_store: dict[str, Any] | None = None   # one shared-prefix KV, guarded by _lock
        self.stats = {"prefix_batches": 0, "full_batches": 0, "prefix_computed": 0}

    @classmethod
    def from_loaded(cls, model, processor, *, model_id: str, device: str, dtype: str,
                    attn_implementation: str = "sdpa", batch_size: int | None = None,
                    token_budget: int | None = None, prefix_reuse: str | bool = "auto",
                    prefix_min_tokens: int | None = None, grouped_vision_attention: bool = True,
                    prefetch: bool = True) -> "QwenVLReranker":
        """Wrap a model + processor already in memory (e.g. bench/gpu.py's random 7B built on
        the GPU, which is never written to disk). Lychee prompt and defaults."""
        import torch

        self = cls.__new__(cls)
        self._torch = torch
        self.model_path = model_id
        self.family = LYCHEE_PROMPT
        self.default_instruction = LYCHEE_DEFAULTS["instruction"]
        self.min_pixels = int(LYCHEE_DEFAULTS["min_pixels"])
        self.max_pixels = int(LYCHEE_DEFAULTS["max_pixels"])
        self.max_length = int(LYCHEE_DEFAULTS["max_length"])
        self.image_patch_size = LYCHEE_DEFAULTS["image_patch_size"]
        if prefix_reuse not in ("auto", True, False):
            raise WorkbenchError(f"prefix_reuse={prefix_reuse!r} is not a valid choice.",
                                 'Use prefix_reuse="auto", True or False.')
        self.prefix_reuse = prefix_reuse
        self.prefix_min_tokens = int(PREFIX_MIN_TOKENS if prefix_min_tokens is None else prefix_min_tokens)
        self._batch_size_opt, self._token_budget_opt = batch_size, token_budget
        self.device, self.dtype_name, self.attn_implementation = str(device), dtype, attn_implementation
        self.processor, self.model = processor, model.eval()
        self._install_vision(grouped_vision_attention, prefetch)
        tok = processor.tokenizer
        tok.padding_side = "left"
        self.yes_id = _single_token_id(tok, "yes", model_id)
        self.no_id = _single_token_id(tok, "no", model_id)
        self.model_id = model_id
        self._lock = threading.Lock()
        self._setup_runtime()
        return self

    # ---- Reranker API ----
    def params(self) -> dict[str, Any]:
        return {"prompt": self.family, "min_pixels": self.min_pixels, "max_pixels": self.max_pixels,
                "max_length": self.max_length, "dtype": self.dtype_name}

    def _cost(self, query: Query, doc: Document) -> int:
        return self._costs(self.default_instruction, query, [doc])[0]

    def image_tokens(self, path: str | None) -> int:
        """Estimated LLM tokens of one image, from its header size (no pixel decoding)."""
        if not path:
            return 0
        factor = self.image_patch_size * 2
        size = image_header_size(path)
        if size is None:
            return self.max_pixels // (factor * factor)
        return image_tokens_from_size(size[0], size[1], min_pixels=self.min_pixels,
                                      max_pixels=self.max_pixels, patch=self.image_patch_size)

    def _costs(self, instruction: str, query: Query, docs: list[Document]) -> list[int]:
        """Token length of each pair: prompt + query (once) + doc text tokens + image grid tokens.

        The prompt with an empty document is templated and tokenized once; document texts are
        tokenized in chunks with the fast tokenizer; image sizes come from file headers.
        Exact up to a BPE merge at the document boundary; capped at max_length.
        """
        empty = self.messages_for(instruction, query, Document("_", text=""))
        q_img = self.image_tokens(query.image)
        null_cost = 0
        if self.family == QWEN3_PROMPT:
            # Qwen3-VL writes "NULL" for an empty document: count it only where the doc is empty
            with_null = self._pair_length(empty, q_img)
            empty = _drop_null_document(empty)
            base = self._pair_length(empty, q_img)
            null_cost = with_null - base
        else:
            base = self._pair_length(empty, q_img)
        tok = self.processor.tokenizer
        out: list[int] = []
        for start in range(0, len(docs), 256):
            chunk = docs[start:start + 256]
            texts = [d.ranking_text for d in chunk]
            ids = tok(texts, add_special_tokens=False)["input_ids"] if any(texts) else [[] for _ in chunk]
            for d, t in zip(chunk, ids):
                extra = (self.image_tokens(d.image) + 2) if d.image else 0
                null = null_cost if not t and not d.image else 0
                out.append(min(self.max_length, base + len(t) + extra + null))
        return out

    def resolve_instruction(self, instruction: str) -> str:
        return (instruction or "").strip() or self.default_instruction

    def messages_for(self, instruction: str, query: Query, doc: Document,
                     doc_text: str | None = None) -> list[dict[str, Any]]:
        text = doc.ranking_text if doc_text is None else doc_text
        return build_messages(instruction or self.default_instruction, query, text, doc.image,
                              min_pixels=self.min_pixels, max_pixels=self.max_pixels,
                              prompt=self.family)

    def _score_batch(self, instruction: str, query: Query, docs: list[Document]) -> list[float]:
        return self._score_prepared(self._prepare_batch(instruction, query, docs))

    def _prepare_batch(self, instruction: str, query: Query, docs: list[Document]) -> dict[str, Any]:
        """CPU work of one batch (the rank loop runs it one batch ahead in a prefetch thread):
        image checks, text fitting, image decoding + processor, prefix plan and mRoPE ids."""
        _check_images(query, docs)
        with self._prep_lock:
            messages = [self._fit(instruction, query, d) for d in docs]
            return dict(self.prepare_inputs(messages), messages=messages, docs=docs)

    def _score_prepared(self, prepared: dict[str, Any]) -> list[float]:
        with self._lock:
            return self._forward_safe(prepared["messages"], prepared["docs"], prepared)

    # ---- internals ----
    def _vision(self, messages: list[list[dict[str, Any]]]):
        from qwen_vl_utils import process_vision_info

        messages = _decoded(messages)
        try:
            images, videos = process_vision_info(messages, image_patch_size=self.image_patch_size)
        except (OSError, ValueError) as exc:
            raise ImageError(f"An image could not be read for scoring ({exc}).",
                             "Check the image files of this set, or re-import them.") from None
        return images, videos

    def _image_tokens(self, messages: list[dict[str, Any]]) -> int:
        """Image tokens of one message list, from header sizes (same smart_resize rule)."""
        return sum(self.image_tokens(part["image"]) for m in messages for part in m["content"]
                   if isinstance(part, dict) and part.get("type") == "image"
                   and isinstance(part.get("image"), str))

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
        max_img = self.max_pixels // (factor * factor) + 1
        # cheapest bound first: byte-level BPE never makes more tokens than UTF-8 bytes, and
        # the prompt without the document is tokenized once per (instruction, query)
        key = (instruction, query.content_hash())
        if getattr(self, "_base_len", (None,))[0] != key:
            empty = self.messages_for(instruction, query, Document("_", text=""))
            self._base_len = (key, self._pair_length(empty, int(bool(query.image)) * max_img))
        upper = self._base_len[1] + len(text.encode("utf-8")) + (max_img + 2 if doc.image else 0) + 2
        if upper <= self.max_length:
            return messages
        upper = self._pair_length(messages, n_images * max_img)
        if upper <= self.max_length:  # fits even at the largest image size: skip decoding images
            return messages
        img_tokens = self._image_tokens(messages) if n_images else 0
        length = self._pair_length(messages, img_tokens)
        if length <= self.max_length:
            return messages
        tok = self.processor.tokenizer
        ids = tok(text, add_special_tokens=False)["input_ids"]
        no_text = self.messages_for(instruction, query, doc, "")
        if self.family == QWEN3_PROMPT:
            no_text = _drop_null_document(no_text)  # the cut text replaces "NULL"
        fixed = self._pair_length(no_text, img_tokens)
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

    def prepare_inputs(self, messages: list[list[dict[str, Any]]]) -> dict[str, Any]:
        """Encoded inputs (on the CPU; pinned for a CUDA model), the query-image count, the
        prefix plan and, for a prefix batch, the explicit mRoPE position ids."""
        inputs = self.encode(messages)
        n_q = _query_images(messages[0])
        plan = self.prefix_plan(inputs, n_q)
        position_ids = None
        if plan is not None:
            position_ids, _ = self.model.model.get_rope_index(
                inputs["input_ids"], mm_token_type_ids=inputs["mm_token_type_ids"],
                image_grid_thw=inputs.get("image_grid_thw"), attention_mask=inputs["attention_mask"])
        if str(self.device).startswith("cuda"):
            for k, v in list(inputs.items()):
                if isinstance(v, self._torch.Tensor):
                    inputs[k] = v.pin_memory()
        return {"inputs": inputs, "n_query_images": n_q, "plan": plan, "position_ids": position_ids}

    def _forward(self, messages: list[list[dict[str, Any]]]) -> list[float]:
        with self._prep_lock:   # the prefetch thread may be using the processor
            prepared = self.prepare_inputs(messages)
        return self._forward_prepared(prepared)

    def _forward_prepared(self, prepared: dict[str, Any]) -> list[float]:
        inputs = prepared["inputs"].to(self.model.device, non_blocking=True)
        pos = prepared["position_ids"]
        if pos is not None:
            pos = pos.to(self.model.device, non_blocking=True)
        return self.forward_inputs(inputs, prepared["n_query_images"], plan=prepared["plan"],
                                   position_ids=pos)

    def forward_inputs(self, inputs, n_query_images: int, plan: Any = "compute",
                       position_ids=None) -> list[float]:
        """P(yes) per row of encoded processor inputs: the model forward alone (shared-prefix
        reuse where `prefix_plan` says so; `plan`/`position_ids` when already computed).
        Inputs are built and dropped per batch."""
        torch = self._torch
        with torch.inference_mode():
            if isinstance(plan, str):
                plan = self.prefix_plan(inputs, n_query_images)
            if plan is not None:
                self.stats["prefix_batches"] += 1
                logits = self._forward_with_prefix(inputs, *plan, position_ids=position_ids)
            else:
                self.stats["full_batches"] += 1
                logits = self.model(**inputs, logits_to_keep=1).logits[:, -1, :]
            return self._p_yes(logits)

    def _p_yes(self, last) -> list[float]:
        torch = self._torch
        last = last.float()
        pair = torch.stack([last[:, self.no_id], last[:, self.yes_id]], dim=-1)
        return torch.softmax(pair, dim=-1)[:, 1].cpu().tolist()

    # ---- shared-prefix reuse ----
    def common_prefix_length(self, inputs, n_query_images: int) -> int:
        """Longest common *token* prefix of the batch's rows (left padding skipped), capped
        before each row's first document <|vision_start|> and so that >= 1 token is left."""
        ids = inputs["input_ids"]
        mask = inputs["attention_mask"]
        lengths = mask.sum(1).tolist()
        L = ids.shape[1]
        rows = [ids[i, L - n:] for i, n in enumerate(lengths)]
        limit = min(lengths) - 1
        for row in rows:
            starts = (row == self.vision_start_id).nonzero().flatten().tolist() \
                if self.vision_start_id is not None else []
            if len(starts) > n_query_images:
                limit = min(limit, starts[n_query_images])
        if limit <= 0:
            return 0
        first = rows[0][:limit]
        same = self._torch.ones(limit, dtype=self._torch.bool, device=first.device)
        for row in rows[1:]:
            same &= row[:limit] == first
        diff = (~same).nonzero()
        return int(diff[0].item()) if diff.numel() else limit

    def prefix_plan(self, inputs, n_query_images: int) -> tuple[int, int] | None:
        """(prefix length, query images) when shared-prefix reuse is used for this batch, else None.

        prefix_reuse=True: whenever the batch has >= 2 rows and a usable prefix; "auto": also
        needs >= prefix_min_tokens common tokens (below that it does not pay); False: never.
        """
        if self.prefix_reuse is False or "mm_token_type_ids" not in inputs:
            return None
        if inputs.get("pixel_values_videos") is not None:
            return None  # video grids (Qwen3-VL: per-frame timestamps) stay on the plain path
        if self.family not in (LYCHEE_PROMPT, QWEN3_PROMPT):
            return None
        B = inputs["input_ids"].shape[0]
        if B < 2:
            return None
        P = self.common_prefix_length(inputs, n_query_images)
        if P <= 0 or (self.prefix_reuse == "auto" and P < self.prefix_min_tokens):
            return None
        if n_query_images:
            # the query image must lie wholly inside the prefix
            row0 = inputs["input_ids"][0, inputs["input_ids"].shape[1] - int(inputs["attention_mask"][0].sum()):]
            q_tokens = int(inputs["image_grid_thw"][:n_query_images].prod(-1).sum()) // 4
            if int((row0[:P] == self.image_token_id).sum()) != q_tokens:
                return None
        return P, n_query_images

    def _forward_with_prefix(self, inputs, P: int, n_q: int, position_ids=None):
        """Logits at the last position, computing the shared prefix once.

        Position ids are the explicit 3D mRoPE ids of each FULL sequence (get_rope_index with
        the attention mask), then sliced. The prefix (system + instruction + query, with the
        query image's pixels) runs once at batch 1; its KV cache is expanded over the batch.
        Suffixes are left padded *between* prefix and suffix: the attention mask is
        [prefix ones | pad zeros | suffix ones], so every real token sees exactly the
        prefix and its own earlier tokens, as in the full sequence.
        """
        torch = self._torch
        ids, mask = inputs["input_ids"], inputs["attention_mask"]
        types = inputs["mm_token_type_ids"]
        grid = inputs.get("image_grid_thw")
        pixels = inputs.get("pixel_values")
        B, L = ids.shape
        lengths = mask.sum(1).tolist()
        if position_ids is None:
            position_ids, _ = self.model.model.get_rope_index(
                ids, mm_token_type_ids=types, image_grid_thw=grid, attention_mask=mask)

        # images per row, in order: the first n_q of each row are the query's
        per_row = [int((ids[i] == self.vision_start_id).sum()) for i in range(B)] \
            if grid is not None else [0] * B
        q_pix = q_grid = d_pix = d_grid = None
        if grid is not None and len(grid):
            sizes = grid.prod(-1).tolist()
            offsets = [0]
            for n in sizes:
                offsets.append(offsets[-1] + n)
            img, q_idx, d_idx = 0, [], []
            for i in range(B):
                for j in range(per_row[i]):
                    (q_idx if j < n_q else d_idx).append(img)
                    img += 1
            q_first = q_idx[:n_q] if n_q else []
            if q_first:
                q_pix = torch.cat([pixels[offsets[k]:offsets[k + 1]] for k in q_first])
                q_grid = grid[q_first]
            if d_idx:
                d_pix = torch.cat([pixels[offsets[k]:offsets[k + 1]] for k in d_idx])
                d_grid = grid[d_idx]

        start0 = L - lengths[0]
        p_ids = ids[0:1, start0:start0 + P]
        layers = self._prefix_kv(p_ids, position_ids[:, 0:1, start0:start0 + P],
                                 types[0:1, start0:start0 + P], q_pix, q_grid)
        P = layers[0][0].shape[2]

        S = [n - P for n in lengths]
        W = max(S)
        s_ids = torch.full((B, W), self.pad_id, dtype=ids.dtype, device=ids.device)
        s_types = torch.zeros((B, W), dtype=types.dtype, device=ids.device)
        s_pos = torch.ones((3, B, W), dtype=position_ids.dtype, device=ids.device)
        s_mask = torch.zeros((B, P + W), dtype=mask.dtype, device=ids.device)
        s_mask[:, :P] = 1
        for i, n in enumerate(S):
            s_ids[i, W - n:] = ids[i, L - n:]
            s_types[i, W - n:] = types[i, L - n:]
            s_pos[:, i, W - n:] = position_ids[:, i, L - n:]
            s_mask[i, P + W - n:] = 1
        cache = _make_cache([(k.expand(B, -1, -1, -1), v.expand(B, -1, -1, -1)) for k, v in layers])
        kwargs = {self._cache_kw: cache}
        out = self.model(input_ids=s_ids, attention_mask=s_mask, position_ids=s_pos,
                         mm_token_type_ids=s_types, pixel_values=d_pix, image_grid_thw=d_grid,
                         use_cache=True, logits_to_keep=1, **kwargs)
        return out.logits[:, -1, :]

    def _prefix_kv(self, p_ids, p_pos, p_types, q_pix, q_grid):
        """KV tensors of the prefix per layer (batch 1). Kept for the next batches of the same
        query: a stored prefix is reused when its tokens (and query-image pixels) match the
        batch's (possibly shorter or longer) common prefix, so it is computed once per query."""
        torch = self._torch
        st = self._prefix_store
        P = p_ids.shape[1]
        if st is not None and _same(torch, st["pix"], q_pix):
            n = st["ids"].shape[1]
            if n >= P and torch.equal(st["ids"][:, :P], p_ids):
                return [(k[:, :, :P], v[:, :, :P]) for k, v in st["layers"]]
            if n < P and torch.equal(p_ids[:, :n], st["ids"]):
                return st["layers"]  # a shorter stored prefix still fits this batch
        cache = _make_cache([])
        kwargs = {self._cache_kw: cache}
        self.model.model(input_ids=p_ids, attention_mask=torch.ones_like(p_ids), position_ids=p_pos,
                         mm_token_type_ids=p_types, pixel_values=q_pix, image_grid_thw=q_grid,
                         use_cache=True, **kwargs)
        layers = [(layer.keys, layer.values) for layer in cache.layers] if hasattr(cache, "layers") \
            else [(cache.key_cache[i], cache.value_cache[i]) for i in range(len(cache.key_cache))]
        self._prefix_store = {"ids": p_ids.clone(), "pix": q_pix, "layers": layers}
        self.stats["prefix_computed"] += 1
        return layers

    def _forward_safe(self, messages: list[list[dict[str, Any]]], docs: list[Document],
                      prepared: dict[str, Any] | None = None) -> list[float]:
        torch = self._torch
        try:
            if prepared is not None:
                return self._forward_prepared(prepared)
            return self._forward(messages)
        except torch.cuda.OutOfMemoryError:
            prepared = None
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


def _query_images(messages: list[dict[str, Any]]) -> int:
    """Images before the "\n<Document>:" marker of a user turn (the query's images)."""
    n = 0
    for part in messages[-1]["content"]:
        if part.get("type") == "text" and "<Document>:" in part.get("text", ""):
            return n
        n += part.get("type") == "image"
    return 0


def _drop_null_document(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The Qwen3-VL messages without the "NULL" written for an empty document (length estimates:
    the prompt up to "\\n<Document>:" plus whatever the document brings)."""
    content = messages[-1]["content"]
    if len(content) >= 2 and content[-1] == {"type": "text", "text": "NULL"} \
            and content[-2].get("text") == "\n<Document>:":
        return messages[:-1] + [dict(messages[-1], content=content[:-1])]
    return messages


def _make_cache(layers):
    """A DynamicCache holding the given per-layer (key, value) tensors (transformers 4.5x and 5.x)."""
    from transformers import DynamicCache

    cache = DynamicCache()
    for i, (k, v) in enumerate(layers):
        cache.update(k, v, i)
    return cache


def _same(torch, a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a.shape == b.shape and bool(torch.equal(a, b))


def _decoded(messages: list[list[dict[str, Any]]]) -> list[list[dict[str, Any]]]:
    """Copies of the messages with image paths replaced by images decoded through
    workbench.images.open_rgb (HEIC, CMYK, 16-bit, EXIF orientation handled there).
    Without workbench.images the paths are kept (qwen_vl_utils opens them)."""
    try:
        from ..images import open_rgb
    except ImportError:  # pragma: no cover - images module missing
        return messages
    out = []
    for m in messages:
        conv = []
        for turn in m:
            content = turn.get("content")
            if isinstance(content, list):
                content = [dict(part, image=open_rgb(part["image"]))
                           if isinstance(part, dict) and part.get("type") == "image"
                           and isinstance(part.get("image"), str) else part for part in content]
            conv.append(dict(turn, content=content))
        out.append(conv)
    return out


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
