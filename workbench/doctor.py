"""`workbench doctor`: check the stack and explain, with a fix for each problem.

`run_checks(device=None, smoke=True) -> list[Check]`. A Check is `ok` (True),
a failure (`ok=False`, `warning=False`) or a warning (`ok=False, warning=True`:
e.g. no GPU — the workbench still works on CPU, just slowly). The final check
scores one real pair with the tiny random checkpoint on the chosen device, to
prove torch + transformers + the processor + our engine work end to end.
"""

from __future__ import annotations

import importlib.util
import platform
import shutil
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from . import config
from .errors import shell_quote
from .extras import pip_install

MIN_GPU_GB = 16.0
APP_PORT = 8501


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    warning: bool = False

    @property
    def status(self) -> str:
        return "ok" if self.ok else ("warn" if self.warning else "FAIL")


def check_python_torch() -> list[Check]:
    out = []
    py_ok = sys.version_info >= (3, 10)
    out.append(Check("python", py_ok, f"Python {platform.python_version()} ({sys.executable})",
                     "" if py_ok else "Use Python 3.10 or newer (./run_workbench.sh setup)."))
    try:
        import torch

        out.append(Check("torch", True, f"torch {torch.__version__}"))
    except ModuleNotFoundError as exc:   # a lean install: the model backend is an extra
        out.append(Check("torch", False, f"torch is not installed ({exc}): only BM25 and the library work",
                         f"For the Qwen-VL reranker: {pip_install('qwen')}", warning=True))
        return out
    except Exception as exc:  # noqa: BLE001 - report any import failure
        out.append(Check("torch", False, f"torch cannot be imported: {exc}",
                         f"Install the Qwen-VL extra: {pip_install('qwen')} (in a checkout: "
                         "PIP_CONSTRAINT=constraints.txt pip install -e '.[all]')"))
    try:
        import transformers

        out.append(Check("transformers", True, f"transformers {transformers.__version__}"))
    except Exception as exc:  # noqa: BLE001
        out.append(Check("transformers", False, f"transformers cannot be imported: {exc}",
                         pip_install("qwen")))
    return out


def check_cuda(device: str | None) -> list[Check]:
    try:
        import torch
    except ModuleNotFoundError:
        return [Check("cuda", False, "torch is not installed, CUDA not checked", pip_install("qwen"),
                      warning=device != "cuda")]
    except Exception:  # noqa: BLE001
        return [Check("cuda", False, "torch missing, CUDA not checked", "Install torch first.")]
    want_cuda = device == "cuda"
    if not torch.cuda.is_available():
        msg = "no CUDA GPU visible; the Qwen-VL backend runs on CPU (fine for the tiny model, " \
              "far too slow for the 7B Lychee weights)"
        fix = ("Run on a machine with an NVIDIA GPU (>= 16 GB), a CUDA build of torch and a working "
               "driver (`nvidia-smi`).")
        return [Check("cuda", False, msg, fix, warning=not want_cuda)]
    out = []
    props = torch.cuda.get_device_properties(0)
    gb = props.total_memory / 1024 ** 3
    out.append(Check("cuda", True, f"{torch.cuda.device_count()} GPU(s); GPU 0: {props.name}, "
                                   f"CUDA {torch.version.cuda}"))
    enough = gb >= MIN_GPU_GB
    out.append(Check("gpu memory", enough, f"{gb:.1f} GB on GPU 0 (Lychee-rerank-mm 7B in bf16 needs "
                                           f"about {MIN_GPU_GB:.0f} GB)",
                     "" if enough else "Use a GPU with >= 16 GB, or lower max_pixels/batch size and "
                                       "expect out-of-memory retries.", warning=not enough))
    bf16 = torch.cuda.is_bf16_supported()
    out.append(Check("bf16", bf16, "bfloat16 supported" if bf16 else "this GPU has no bfloat16",
                     "" if bf16 else "Use --dtype float16 (slightly different scores).", warning=True))
    return out


def check_flash_attn() -> Check:
    if importlib.util.find_spec("flash_attn") is not None:
        return Check("flash-attn", True, "flash-attn installed: attention uses flash_attention_2 on CUDA")
    return Check("flash-attn", False, "flash-attn not installed: attention uses sdpa (correct, a bit slower "
                                      "and more memory on long image inputs)",
                 "On a CUDA machine: pip install flash-attn --no-build-isolation", warning=True)


def check_tesseract() -> list[Check]:
    exe = shutil.which("tesseract")
    if not exe:
        return [Check("tesseract", False, "tesseract binary not found (OCR is unavailable)",
                      "sudo apt-get install -y tesseract-ocr tesseract-ocr-chi-sim", warning=True)]
    try:
        import pytesseract
    except ImportError:
        return [Check("tesseract", False, "the Python package pytesseract is not installed (OCR is unavailable)",
                      pip_install("ocr"), warning=True)]
    try:
        version = str(pytesseract.get_tesseract_version())
        langs = set(pytesseract.get_languages(config=""))
    except Exception as exc:  # noqa: BLE001
        return [Check("tesseract", False, f"tesseract at {exe} does not run: {exc}",
                      "Reinstall: sudo apt-get install --reinstall tesseract-ocr", warning=True)]
    out = [Check("tesseract", True, f"tesseract {version} at {exe}")]
    missing = [lang for lang in ("chi_sim", "eng") if lang not in langs]
    out.append(Check("tesseract languages", not missing,
                     f"installed: {', '.join(sorted(langs)) or 'none'}",
                     "" if not missing else "sudo apt-get install -y " + " ".join(
                         f"tesseract-ocr-{lang.replace('_', '-')}" for lang in missing),
                     warning=True))
    return out


def check_model_path() -> Check:
    path = config.model_path()
    if not path:
        return Check("model", False, "WORKBENCH_MODEL is not set: only the lexical (BM25) backend and "
                                     "test checkpoints can be used",
                     f"huggingface-cli download {config.DEFAULT_MODEL_ID} --local-dir /models/lychee-rerank-mm "
                     "(on a machine with hub access), then export WORKBENCH_MODEL=/models/lychee-rerank-mm",
                     warning=True)
    p = Path(path).expanduser()
    if p.is_dir():
        if (p / "config.json").is_file():
            weights = list(p.glob("*.safetensors"))
            size = sum(f.stat().st_size for f in weights) / 1024 ** 3
            if weights:
                return Check("model", True, f"{p}: config.json + {len(weights)} safetensors file(s), {size:.1f} GB")
            return Check("model", False, f"{p} has a config.json but no *.safetensors weights",
                         "Finish the download (huggingface-cli download … --local-dir) into that folder.")
        return Check("model", False, f"WORKBENCH_MODEL={shell_quote(path)} has no config.json",
                     "Point WORKBENCH_MODEL at the folder that holds config.json and the weights.")
    return Check("model", False, f"WORKBENCH_MODEL={shell_quote(path)} does not exist on this machine",
                 f"Download {config.DEFAULT_MODEL_ID} (huggingface-cli download … --local-dir DIR) "
                 "and set WORKBENCH_MODEL=DIR.")


def check_port(port: int = APP_PORT) -> Check:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return Check("app port", True, f"port {port} is free")
        except OSError:
            return Check("app port", False, f"port {port} is in use (another Streamlit app?)",
                         f"Stop the other app, or start with `streamlit run app.py --server.port {port + 1}`.",
                         warning=True)


def tiny_checkpoint_dir() -> Path:
    return config.home_dir() / "tiny-checkpoint"


def smoke_test(device: str | None = None) -> Check:
    """Score one text pair and one image pair with the tiny checkpoint on `device`."""
    import time

    if importlib.util.find_spec("torch") is None:
        return Check("scoring smoke test", False, "skipped: torch is not installed", pip_install("qwen"),
                     warning=True)
    try:
        from .model import Document, Query
        from .rerank import get_reranker
        from .rerank.tiny import build_tiny_checkpoint

        folder = tiny_checkpoint_dir()
        if not (folder / "model.safetensors").is_file():
            build_tiny_checkpoint(folder)
        from PIL import Image

        img = folder / "doctor.png"
        if not img.is_file():
            Image.new("RGB", (56, 56), (200, 30, 30)).save(img)
        t0 = time.perf_counter()
        rr = get_reranker("qwen-vl", model_path=str(folder),
                          device=None if device in (None, "auto") else device)
        res = rr.rank(Query("q", text="red square"), [Document("text", text="a red square"), Document("image", image=str(img))], config.DEFAULT_INSTRUCTION)
        scores = [r.score for r in res]
        ok = all(0.0 < s < 1.0 for s in scores)
        return Check("scoring smoke test", ok,
                     f"tiny checkpoint on {rr.device} ({rr.dtype_name}, {rr.attn_implementation}): "
                     f"scores {', '.join(f'{s:.4f}' for s in scores)} in {time.perf_counter() - t0:.1f}s",
                     "" if ok else "Scores out of (0, 1): report this as a bug.")
    except Exception as exc:  # noqa: BLE001 - the doctor reports, never crashes
        return Check("scoring smoke test", False, f"{type(exc).__name__}: {exc}".splitlines()[0][:300],
                     getattr(exc, "fix", None) or "Reinstall the environment: ./run_workbench.sh setup")


def run_checks(device: str | None = None, smoke: bool = True, port: bool = True) -> list[Check]:
    """All checks; `port=False` inside the running app (its own port is busy by design)."""
    checks = check_python_torch()
    checks += check_cuda(device)
    checks.append(check_flash_attn())
    checks += check_tesseract()
    checks.append(check_model_path())
    if port:
        checks.append(check_port())
    if smoke:
        checks.append(smoke_test(device))
    return checks


def core_ok(checks: list[Check]) -> bool:
    """True when nothing failed outright (warnings such as 'no GPU' are allowed)."""
    return all(c.ok or c.warning for c in checks)


def format_table(checks: list[Check]) -> str:
    width = max(len(c.name) for c in checks) if checks else 10
    lines = []
    for c in checks:
        lines.append(f"[{c.status:>4}] {c.name:<{width}}  {c.detail}")
        if not c.ok and c.fix:
            lines.append(f"       {'':<{width}}  fix: {c.fix}")
    return "\n".join(lines)
