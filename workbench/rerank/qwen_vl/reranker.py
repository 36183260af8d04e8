"""Qwen-VL yes/no reranker on transformers: Lychee-rerank-mm (Qwen2.5-VL-7B) and Qwen3-VL-Reranker.

The input is built by a `PromptFormat` (rerank/prompts.py: ``lychee``, ``lychee-v1``,
``qwen3-vl-reranker``); the checkpoint's family picks the default. Then:

    chat template with add_generation_prompt=True  (ends "<|im_start|>assistant\\n")
    score = softmax([logit("no"), logit("yes")])[1] at the last position

Images are message elements carrying the format's min/max pixels, resized by
``qwen_vl_utils.process_vision_info``. Padding is on the left. The processor never
truncates; document *text* is cut token-wise before templating so the whole pair fits
``max_length`` and the generation prompt is never lost. Only the last position's logits
are computed (``logits_to_keep=1``). Shared-prefix reuse (prefix_cache.py) and token-budget
batching (budget.py) work for both families.

Qwen3-VL-Reranker was checked against the reference `Qwen3VLReranker`
(src/models/qwen3_vl_reranker.py of QwenLM/Qwen3-VL-Embedding): same system prompt, the
separate-elements layout with "NULL" for an empty side, images resized by
``process_vision_info(..., image_patch_size=16)`` and the processor run with
``do_resize=False``; score = sigmoid((W_yes - W_no) · h_last) = softmax([no, yes])[1].
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from ... import config
from ...errors import BackendUnavailable, ImageError, ModelNotFound, WorkbenchError
from ...i18n import Text
from ...extras import pip_install
from ...model import Document, Query
from ..base import Reranker
from ..prompts import PromptFormat, get_format
from ..spec import QWEN_VL
from .vision_attention import install as install_vision_attention
from .budget import PREFIX_MIN_TOKENS, default_batching, image_header_size, image_tokens_from_size
from .checkpoint import (_looks_like_hub_id, _read_config, _single_token_id, check_checkpoint_files,
                         detect_family, flash_attn_available, missing_model_error, select_runtime,
                         weights_fingerprint)
from .prefix_cache import PrefixCacheMixin


class QwenVLReranker(PrefixCacheMixin, Reranker):
    """P(yes) reranker over a local Qwen2.5-VL / Qwen3-VL checkpoint."""

    spec = QWEN_VL
    backend = QWEN_VL.name
    cross_query_batches = True     # rank_many packs pairs of several queries into one batch

    def __init__(self, model_path: str | None = None, device: str | None = None,
                 dtype: str | None = None, batch_size: int | None = None,
                 min_pixels: int | None = None, max_pixels: int | None = None,
                 max_length: int | None = None, attn_implementation: str | None = None,
                 default_instruction: str | None = None, token_budget: int | None = None,
                 prefix_reuse: str | bool = "auto", prefix_min_tokens: int | None = None,
                 prompt_format: "str | PromptFormat | None" = None,
                 grouped_vision_attention: bool = True, prefetch: bool = True):
        path = model_path or config.model_path()
        if not path:
            raise missing_model_error()
        path = str(path)
        local = Path(path).expanduser()
        looks_local = local.exists() or not _looks_like_hub_id(path)
        if looks_local and not (local / "config.json").is_file():
            raise missing_model_error(path, reason="no_config" if local.is_dir()
                                      else "is_file" if local.exists() else "no_folder")
        if looks_local:
            check_checkpoint_files(local)
        if looks_local:
            path = str(local.resolve())
        else:
            from ...hub import check_reachable

            check_reachable(path)     # seconds, not minutes of download retries, when offline
        self.model_path = path

        from .compat import ensure_torchvision

        ensure_torchvision()
        try:
            import torch
            import transformers
            from qwen_vl_utils import process_vision_info  # noqa: F401
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise BackendUnavailable.coded("backend.qwen_missing", {
                "detail": str(exc), "pip": pip_install("qwen")}) from None
        self._torch = torch

        cfg = _read_config(local) if looks_local else None
        self.family = detect_family(path, cfg)
        self._configure(prompt_format, min_pixels=min_pixels, max_pixels=max_pixels,
                        max_length=max_length, default_instruction=default_instruction,
                        batch_size=batch_size, token_budget=token_budget,
                        prefix_reuse=prefix_reuse, prefix_min_tokens=prefix_min_tokens,
                        grouped_vision_attention=grouped_vision_attention, prefetch=prefetch)

        want_cuda = device in (None, "auto", "cuda") or str(device).startswith("cuda")
        cuda = bool(want_cuda and torch.cuda.is_available())
        if device and str(device).startswith("cuda") and not cuda:
            raise WorkbenchError.coded("backend.no_cuda", {"device": device})
        dev, auto_dtype, attn = select_runtime(cuda, flash_attn_available())
        self.device = str(device) if cuda and device and str(device).startswith("cuda") else dev
        if dtype is not None and not isinstance(dtype, str):     # torch.float16 as well as "float16"
            dtype = str(dtype).removeprefix("torch.")
        self.dtype_name = dtype if dtype and dtype != "auto" else auto_dtype
        self.attn_implementation = attn_implementation or attn
        torch_dtype = getattr(torch, self.dtype_name, None)
        if not isinstance(torch_dtype, torch.dtype):
            raise WorkbenchError.coded("backend.unknown_dtype", {"dtype": dtype})

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
                raise BackendUnavailable.coded("backend.transformers_too_old", {
                    "version": transformers.__version__, "path": path, "detail": str(exc)}) from None
            raise
        if not cuda:
            self.model.to(self.device)
        model_id = f"{Path(path).name or path}@{weights_fingerprint(local) if looks_local else 'hub'}"
        self._attach(self.model, self.processor, model_id)

    def _configure(self, prompt_format, *, min_pixels=None, max_pixels=None, max_length=None,
                   default_instruction=None, batch_size=None, token_budget=None,
                   prefix_reuse="auto", prefix_min_tokens=None, grouped_vision_attention=True,
                   prefetch=True) -> None:
        """Options shared by loading from disk and wrapping a loaded model."""
        fmt = get_format(prompt_format, self.family)
        self.format = fmt.with_limits(min_pixels=min_pixels and int(min_pixels),
                                      max_pixels=max_pixels and int(max_pixels),
                                      max_length=max_length and int(max_length),
                                      default_instruction=default_instruction)
        if prefix_reuse not in ("auto", True, False):
            raise WorkbenchError(f"prefix_reuse={prefix_reuse!r} is not a valid choice.",  # not an analyst error
                                 'Use prefix_reuse="auto", True or False.')
        self.prefix_reuse = prefix_reuse
        self.prefix_min_tokens = int(PREFIX_MIN_TOKENS if prefix_min_tokens is None else prefix_min_tokens)
        self._batch_size_opt = batch_size
        self._token_budget_opt = token_budget
        self._grouped_opt = bool(grouped_vision_attention)
        self.prefetch = bool(prefetch)

    def _attach(self, model, processor, model_id: str) -> None:
        """The one setup path after a model and processor exist (from disk or in memory)."""
        self.model, self.processor = model.eval(), processor
        tok = processor.tokenizer
        tok.padding_side = "left"
        self.yes_id = _single_token_id(tok, "yes", model_id)
        self.no_id = _single_token_id(tok, "no", model_id)
        self.model_id = model_id
        self._lock = threading.Lock()
        self._prep_lock = threading.Lock()   # the processor/tokenizer: one preparing thread at a time
        # exact grouped-window vision attention (off: grouped_vision_attention=False or
        # WORKBENCH_GROUPED_VISION=0); the dict says whether it is active and why
        self.vision_attention = install_vision_attention(self.model, enabled=self._grouped_opt)
        self._setup_runtime()

    # the format's values, named as the engine uses them
    min_pixels = property(lambda self: self.format.min_pixels)
    max_pixels = property(lambda self: self.format.max_pixels)
    max_length = property(lambda self: self.format.max_length)
    default_instruction = property(lambda self: self.format.default_instruction)
    image_patch_size = property(lambda self: self.format.patch_size)

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
                    prefix_min_tokens: int | None = None, family: str = "qwen2.5-vl",
                    prompt_format: "str | PromptFormat | None" = None,
                    grouped_vision_attention: bool = True, prefetch: bool = True) -> "QwenVLReranker":
        """Wrap a model + processor already in memory (e.g. bench/gpu.py's random 7B built on
        the GPU, which is never written to disk)."""
        import torch

        self = cls.__new__(cls)
        self._torch = torch
        self.model_path = model_id
        self.family = family
        self._configure(prompt_format, batch_size=batch_size, token_budget=token_budget,
                        prefix_reuse=prefix_reuse, prefix_min_tokens=prefix_min_tokens,
                        grouped_vision_attention=grouped_vision_attention, prefetch=prefetch)
        self.device, self.dtype_name, self.attn_implementation = str(device), dtype, attn_implementation
        self._attach(model, processor, model_id)
        return self

    # ---- Reranker API ----
    def params(self) -> dict[str, Any]:
        return {"prompt": self.format.name, "min_pixels": self.min_pixels, "max_pixels": self.max_pixels,
                "max_length": self.max_length, "dtype": self.dtype_name}

    def _prepare(self, instruction: str, query: Query, docs: list[Document]) -> None:
        """A run with images says when transformers' changed code keeps them on the slow path."""
        va = self.vision_attention
        if va.get("changed") and (query.image or any(d.image for d in docs)):
            self._warn(Text("warn.vision_attention_changed", version=va.get("transformers"),
                            what=va.get("what", "")))

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
        if self.format.empty_side is not None:
            # e.g. Qwen3-VL writes "NULL" for an empty document: count it only where the doc is empty
            with_null = self._pair_length(empty, q_img)
            empty = self.format.without_empty_document(empty)
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
        return self.format.messages(instruction, query.text, query.image, text, doc.image)

    def _score_batch(self, instruction: str, query: Query, docs: list[Document]) -> list[float]:
        return self._score_prepared(self._prepare_batch(instruction, query, docs))

    def _prepare_batch(self, instruction: str, query: Query, docs: list[Document]) -> dict[str, Any]:
        """CPU work of one batch (the rank loop runs it one batch ahead in a prefetch thread):
        image checks, text fitting, image decoding + processor, prefix plan and mRoPE ids."""
        return self._prepare_pairs(instruction, [(query, d) for d in docs])

    def _prepare_pairs(self, instruction: str, pairs: list[tuple[Query, Document]]) -> dict[str, Any]:
        """`_prepare_batch` for pairs that may belong to several queries (rank_many): the
        shared-prefix reuse only where every row has the same query (one query image's tokens
        look alike for another image of the same size)."""
        for q, d in pairs:
            _check_images(q, [d])
        shared = all(q is pairs[0][0] for q, _ in pairs)
        with self._prep_lock:
            messages = [self._fit(instruction, q, d) for q, d in pairs]
            return dict(self.prepare_inputs(messages, shared_query=shared), messages=messages,
                        docs=[d for _, d in pairs], shared_query=shared)

    def _score_prepared(self, prepared: dict[str, Any]) -> list[float]:
        with self._lock:
            return self._forward_safe(prepared["messages"], prepared["docs"], prepared,
                                      shared_query=prepared.get("shared_query", True))

    def _pair_tokens(self, instruction: str, pairs: list[tuple[Query, Document]], prepared: Any,
                     wanted: bool) -> list[int]:
        """Each pair's real input length (text + image tokens), from the prepared batch."""
        if prepared is None:
            return [0] * len(pairs)
        return [int(t) for t in prepared["inputs"]["attention_mask"].sum(dim=1).tolist()]

    # ---- internals ----
    def _vision(self, messages: list[list[dict[str, Any]]]):
        from qwen_vl_utils import process_vision_info

        messages = _decoded(messages)
        try:
            images, videos = process_vision_info(messages, image_patch_size=self.image_patch_size)
        except (OSError, ValueError) as exc:
            raise ImageError.coded("rank.image_unreadable", {"detail": str(exc)}) from None
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
        no_text = self.format.without_empty_document(no_text)  # the cut text replaces "NULL"
        fixed = self._pair_length(no_text, img_tokens)
        budget = self.max_length - fixed
        if budget <= 0:
            self._warn(Text("warn.text_dropped", doc=doc.id, tokens=fixed, max_length=self.max_length))
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
        self._warn(Text("warn.truncated", doc=doc.id, before=len(ids), after=max(keep, 0),
                        max_length=self.max_length))
        return messages

    def encode(self, messages: list[list[dict[str, Any]]]):
        """Processor inputs (left padded, never truncated) for a batch of message lists."""
        texts = [self.processor.apply_chat_template(m, tokenize=False, add_generation_prompt=True)
                 for m in messages]
        images, videos = self._vision(messages)
        kwargs: dict[str, Any] = {}
        if not self.format.processor_resizes:
            kwargs["do_resize"] = False
        inputs = self.processor(text=texts, images=images, videos=videos, padding=True,
                                padding_side="left", return_tensors="pt", **kwargs)
        return inputs

    def prepare_inputs(self, messages: list[list[dict[str, Any]]], shared_query: bool = True) -> dict[str, Any]:
        """Encoded inputs (on the CPU; pinned for a CUDA model), the query-image count, the
        prefix plan and, for a prefix batch, the explicit mRoPE position ids. `shared_query`:
        every row has the same query (else no prefix reuse)."""
        inputs = self.encode(messages)
        n_q = _query_images(messages[0])
        plan = self.prefix_plan(inputs, n_q) if shared_query else None
        position_ids = self.rope_positions(inputs) if plan is not None else None
        if str(self.device).startswith("cuda"):
            for k, v in list(inputs.items()):
                if isinstance(v, self._torch.Tensor):
                    inputs[k] = v.pin_memory()
        return {"inputs": inputs, "n_query_images": n_q, "plan": plan, "position_ids": position_ids}

    def _forward(self, messages: list[list[dict[str, Any]]], shared_query: bool = True) -> list[float]:
        with self._prep_lock:   # the prefetch thread may be using the processor
            prepared = self.prepare_inputs(messages, shared_query=shared_query)
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
    def _forward_safe(self, messages: list[list[dict[str, Any]]], docs: list[Document],
                      prepared: dict[str, Any] | None = None, shared_query: bool = True) -> list[float]:
        torch = self._torch
        try:
            if prepared is not None:
                return self._forward_prepared(prepared)
            return self._forward(messages, shared_query=shared_query)
        except torch.cuda.OutOfMemoryError:
            prepared = None
            torch.cuda.empty_cache()
            if len(messages) == 1:
                raise WorkbenchError.coded("rank.gpu_out_of_memory", {"doc": docs[0].id}) from None
            half = len(messages) // 2
            self._warn(Text("warn.gpu_oom_split", batch=len(messages), first=half, second=len(messages) - half))
            return (self._forward_safe(messages[:half], docs[:half], shared_query=shared_query)
                    + self._forward_safe(messages[half:], docs[half:], shared_query=shared_query))


def _query_images(messages: list[dict[str, Any]]) -> int:
    """Images before the "\n<Document>:" marker of a user turn (the query's images)."""
    n = 0
    for part in messages[-1]["content"]:
        if part.get("type") == "text" and "<Document>:" in part.get("text", ""):
            return n
        n += part.get("type") == "image"
    return 0


def _decoded(messages: list[list[dict[str, Any]]]) -> list[list[dict[str, Any]]]:
    """Copies of the messages with image paths replaced by images decoded through
    workbench.images.open_rgb (HEIC, CMYK, 16-bit, EXIF orientation handled there).
    Without workbench.images the paths are kept (qwen_vl_utils opens them)."""
    try:
        from ...images import open_rgb
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


def _check_images(query: Query, docs: list[Document]) -> None:
    if query.image and not Path(query.image).is_file():
        raise ImageError.coded("rank.query_image_missing", {"id": query.id, "path": query.image})
    for d in docs:
        if d.image and not Path(d.image).is_file():
            raise ImageError.coded("rank.doc_image_missing", {"id": d.id, "path": d.image})
