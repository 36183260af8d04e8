"""`workbench doctor`: check the stack and explain, with a fix for each problem.

`run_checks(device=None, smoke=True) -> list[Check]`. A Check is `ok` (True),
a failure (`ok=False`, `warning=False`) or a warning (`ok=False, warning=True`:
e.g. no GPU — the workbench still works on CPU, just slowly). Names, details and fixes
are written in the current language (workbench.i18n, keys "doctor.*"; the CLI's is
English). The final check
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

from . import config, i18n
from .errors import shell_quote
from .extras import pip_install
from .i18n import t

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
                     "" if py_ok else t("doctor.python.fix")))
    try:
        import torch

        out.append(Check("torch", True, f"torch {torch.__version__}"))
    except ModuleNotFoundError as exc:   # a lean install: the model backend is an extra
        out.append(Check("torch", False, t("doctor.torch.missing", error=exc),
                         t("doctor.torch.missing.fix", pip=pip_install("qwen")), warning=True))
        return out
    except Exception as exc:  # noqa: BLE001 - report any import failure
        out.append(Check("torch", False, t("doctor.torch.broken", error=exc),
                         t("doctor.torch.broken.fix", pip=pip_install("qwen"))))
    try:
        import transformers

        out.append(Check("transformers", True, f"transformers {transformers.__version__}"))
    except Exception as exc:  # noqa: BLE001
        out.append(Check("transformers", False, t("doctor.transformers.broken", error=exc),
                         t("doctor.install.fix", pip=pip_install("qwen"))))
    return out


def check_cuda(device: str | None) -> list[Check]:
    try:
        import torch
    except ModuleNotFoundError:
        return [Check("cuda", False, t("doctor.cuda.no_torch"), t("doctor.install.fix", pip=pip_install("qwen")),
                      warning=device != "cuda")]
    except Exception:  # noqa: BLE001
        return [Check("cuda", False, t("doctor.cuda.torch_broken"), t("doctor.cuda.torch_broken.fix"))]
    want_cuda = device == "cuda"
    if not torch.cuda.is_available():
        return [Check("cuda", False, t("doctor.cuda.no_gpu"), t("doctor.cuda.no_gpu.fix"), warning=not want_cuda)]
    out = []
    props = torch.cuda.get_device_properties(0)
    gb = props.total_memory / 1024 ** 3
    out.append(Check("cuda", True, t("doctor.cuda.ok", n=torch.cuda.device_count(), name=props.name,
                                     cuda=torch.version.cuda)))
    enough = gb >= MIN_GPU_GB
    out.append(Check(t("doctor.name.gpu_memory"), enough,
                     t("doctor.gpu_memory.detail", gb=f"{gb:.1f}", need=f"{MIN_GPU_GB:.0f}"),
                     "" if enough else t("doctor.gpu_memory.fix"), warning=not enough))
    bf16 = torch.cuda.is_bf16_supported()
    out.append(Check("bf16", bf16, t("doctor.bf16.ok") if bf16 else t("doctor.bf16.missing"),
                     "" if bf16 else t("doctor.bf16.fix"), warning=True))
    return out


def check_flash_attn() -> Check:
    if importlib.util.find_spec("flash_attn") is not None:
        return Check("flash-attn", True, t("doctor.flash_attn.ok"))
    return Check("flash-attn", False, t("doctor.flash_attn.missing"), t("doctor.flash_attn.fix"), warning=True)


def check_vision_attention() -> Check:
    """Does the installed transformers carry the vision attention the grouped path was checked
    against? (A changed one is not an error: images are scored right, only slower.)"""
    from .rerank.qwen_vl import vision_attention as va

    name = t("doctor.name.vision_attention")
    if importlib.util.find_spec("transformers") is None:
        return Check(name, False, t("doctor.transformers.broken", error="not installed"),
                     t("doctor.install.fix", pip=pip_install("qwen")), warning=True)
    if va._env_setting() in ("0", "false", "off", "no"):
        return Check(name, True, t("doctor.vision_attention.off", reason=f"{va.ENV}={config.env(va.ENV)}"))
    check = va.check_transformers()
    if check["ok"]:
        return Check(name, True, t("doctor.vision_attention.ok", version=check["transformers"], what=check["what"]))
    return Check(name, False, t("doctor.vision_attention.changed", version=check["transformers"], what=check["what"]),
                 t("doctor.vision_attention.changed.fix"), warning=True)


def check_tesseract() -> list[Check]:
    exe = shutil.which("tesseract")
    if not exe:
        return [Check("tesseract", False, t("doctor.tesseract.missing"), t("doctor.tesseract.missing.fix"),
                      warning=True)]
    try:
        import pytesseract
    except ImportError:
        return [Check("tesseract", False, t("doctor.tesseract.no_pytesseract"),
                      t("doctor.install.fix", pip=pip_install("ocr")), warning=True)]
    try:
        version = str(pytesseract.get_tesseract_version())
        langs = set(pytesseract.get_languages(config=""))
    except Exception as exc:  # noqa: BLE001
        return [Check("tesseract", False, t("doctor.tesseract.broken", exe=exe, error=exc),
                      t("doctor.tesseract.broken.fix"), warning=True)]
    out = [Check("tesseract", True, t("doctor.tesseract.ok", version=version, exe=exe))]
    missing = [lang for lang in ("chi_sim", "eng") if lang not in langs]
    out.append(Check(t("doctor.name.tesseract_languages"), not missing,
                     t("doctor.tesseract_languages.installed", langs=", ".join(sorted(langs))) if langs
                     else t("doctor.tesseract_languages.none"),
                     "" if not missing else t("doctor.tesseract_languages.fix", packages=" ".join(
                         f"tesseract-ocr-{lang.replace('_', '-')}" for lang in missing)),
                     warning=True))
    return out


def check_model_path() -> Check:
    path = config.model_path()
    name = t("doctor.name.model")
    if not path:
        return Check(name, False, t("doctor.model.not_set"),
                     t("doctor.model.not_set.fix", model_id=config.DEFAULT_MODEL_ID), warning=True)
    p = Path(path).expanduser()
    if p.is_dir():
        if (p / "config.json").is_file():
            weights = list(p.glob("*.safetensors"))
            size = sum(f.stat().st_size for f in weights) / 1024 ** 3
            if weights:
                return Check(name, True, t("doctor.model.ok", path=p, n=len(weights), size=f"{size:.1f}"))
            return Check(name, False, t("doctor.model.no_weights", path=p), t("doctor.model.no_weights.fix"))
        return Check(name, False, t("doctor.model.no_config", path=shell_quote(path)),
                     t("doctor.model.no_config.fix"))
    return Check(name, False, t("doctor.model.missing", path=shell_quote(path)),
                 t("doctor.model.missing.fix", model_id=config.DEFAULT_MODEL_ID))


def check_port(port: int = APP_PORT) -> Check:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return Check(t("doctor.name.app_port"), True, t("doctor.port.free", port=port))
        except OSError:
            return Check(t("doctor.name.app_port"), False, t("doctor.port.busy", port=port),
                         t("doctor.port.busy.fix", next=port + 1), warning=True)


def tiny_checkpoint_dir() -> Path:
    return config.home_dir() / "tiny-checkpoint"


def smoke_test(device: str | None = None) -> Check:
    """Score one text pair and one image pair with the tiny checkpoint on `device`."""
    import time

    if importlib.util.find_spec("torch") is None:
        return Check(t("doctor.name.smoke_test"), False, t("doctor.smoke.skipped"),
                     t("doctor.install.fix", pip=pip_install("qwen")), warning=True)
    try:
        from .model import Document, Query
        from .rerank import get_reranker
        from .rerank.spec import QWEN_VL
        from .testing.tiny import build_tiny_checkpoint

        folder = tiny_checkpoint_dir()
        if not (folder / "model.safetensors").is_file():
            build_tiny_checkpoint(folder)
        from PIL import Image

        img = folder / "doctor.png"
        if not img.is_file():
            Image.new("RGB", (56, 56), (200, 30, 30)).save(img)
        t0 = time.perf_counter()
        rr = get_reranker(QWEN_VL.name, model_path=str(folder),
                          device=None if device in (None, "auto") else device)
        res = rr.rank(Query("q", text="red square"), [Document("text", text="a red square"), Document("image", image=str(img))], config.DEFAULT_INSTRUCTION)
        scores = [r.score for r in res]
        ok = all(0.0 < s < 1.0 for s in scores)
        return Check(t("doctor.name.smoke_test"), ok,
                     t("doctor.smoke.detail", device=rr.device, dtype=rr.dtype_name, attn=rr.attn_implementation,
                       scores=", ".join(f"{s:.4f}" for s in scores), secs=f"{time.perf_counter() - t0:.1f}"),
                     "" if ok else t("doctor.smoke.bad_scores.fix"))
    except Exception as exc:  # noqa: BLE001 - the doctor reports, never crashes
        text, fix = f"{exc}", getattr(exc, "fix", None)
        if getattr(exc, "code", None) and i18n.get_language() != "en":
            text, fix = i18n.error_text(exc)     # a coded library error, in the analyst's language
        return Check(t("doctor.name.smoke_test"), False, f"{type(exc).__name__}: {text}".splitlines()[0][:300],
                     fix or t("doctor.smoke.failed.fix"))


def run_checks(device: str | None = None, smoke: bool = True, port: bool = True) -> list[Check]:
    """All checks; `port=False` inside the running app (its own port is busy by design)."""
    checks = check_python_torch()
    checks += check_cuda(device)
    checks.append(check_flash_attn())
    checks.append(check_vision_attention())
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
