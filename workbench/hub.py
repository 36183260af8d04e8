"""Fail fast when a model id needs the Hugging Face hub and the hub cannot be reached.

Without this, transformers retries the download for minutes (140 s measured with no
network) before its (good) error. A local folder, or a model already in the Hugging
Face cache, never touches the network here.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from urllib.parse import urlparse

from .errors import ModelNotFound

CONNECT_TIMEOUT_S = 3.0


def _looks_like_hub_id(model: str) -> bool:
    parts = model.strip().split("/")
    return len(parts) == 2 and all(parts) and not model.startswith((".", "/", "~"))


def _cached(model: str) -> bool:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # pragma: no cover - transformers always brings it
        return False
    try:
        found = try_to_load_from_cache(model, "config.json")
    except Exception:  # noqa: BLE001 - a malformed id: let the loader word the error
        return False
    return isinstance(found, str)


def hub_address() -> tuple[str, int]:
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    url = urlparse(endpoint)
    return url.hostname or "huggingface.co", url.port or (80 if url.scheme == "http" else 443)


def check_reachable(model: str, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """Raise ModelNotFound within `timeout` seconds when `model` would need the hub and
    the hub is offline or unreachable; return quietly otherwise."""
    model = str(model or "").strip()
    if not model or Path(model).expanduser().exists() or not _looks_like_hub_id(model) or _cached(model):
        return
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
        raise ModelNotFound.coded("model.hub_offline", {"model": model})
    host, port = hub_address()
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return
    except OSError as err:
        # said in words ("connection refused"), never as a class name ("ConnectionRefusedError")
        from .rerank.remote import transport_words

        raise ModelNotFound.coded("model.hub_unreachable", {
            "model": model, "host": host, "error": transport_words(err)}) from None
