"""Image intake: decode, EXIF, RGB, pixel limits, content hash, thumbnails.

Public API that io/store/engine/OCR code against:
  inspect_image(path) -> ImageMeta   decode fully, raise ImageError naming the file
  file_hash(path_or_bytes) -> str    sha256 hex of the file bytes (the content hash)
  open_rgb(path) -> PIL.Image.Image  decoded, first frame, EXIF-transposed, RGB
  thumbnail(path, size=256) -> Path  cached JPEG under config.home_dir()/thumbs/
  thumbnail_bytes(path, size=256) -> bytes
  downscale_note(meta) -> str | None what the UI shows for images above config.MAX_PIXELS

Decoding covers everything Pillow plus pillow-heif read: HEIC/HEIF (pillow-heif),
AVIF, WebP (animated: first frame), GIF (first frame), CMYK JPEG, palette and
alpha images (composited on white, so dark text on a transparent background
stays readable), and 16-bit greyscale PNG, which is *scaled* to 8 bit
(v * 255 / 65535) where Pillow's own convert("L") clips everything above 255.

Every failure raises an ImageError subclass whose message names the file and
whose `fix` says what to do; `err.kind` is a short machine-readable tag:
  ImageNotFound    "missing"    the path does not exist (or is a folder)
  EmptyImageFile   "empty"      zero-byte file
  NotAnImage       "not_image"  bytes are not any image format we know (e.g. text named .png)
  TruncatedImage   "truncated"  header is fine, pixel data is cut short
  ImageTooLarge    "bomb"       more pixels than MAX_DECODE_PIXELS (decompression-bomb guard)
  UnreadableImage  "unreadable" anything else the decoder rejects
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from . import config
from .errors import (EmptyImageFile, ImageError, ImageNotFound, ImageTooLarge,  # noqa: F401
                     NotAnImage, TruncatedImage, UnreadableImage)

try:  # HEIC/HEIF support; pillow-heif is a declared dependency
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF_SUPPORTED = True
except ImportError:  # pragma: no cover - only without the dependency
    HEIF_SUPPORTED = False

# Decompression-bomb guard. 40 megapixels is above any phone camera photo we
# expect (a 48 MP sensor bins to 12 MP by default) and decodes in ~120 MB RGB.
# Pillow warns above MAX_IMAGE_PIXELS and raises above twice that; we check the
# header size ourselves before decoding and turn both into ImageTooLarge.
MAX_DECODE_PIXELS = 40_000_000
Image.MAX_IMAGE_PIXELS = MAX_DECODE_PIXELS

THUMB_DIR_NAME = "thumbs"


# --------------------------------------------------------------------------- meta

@dataclass(frozen=True)
class ImageMeta:
    path: str
    sha256: str
    width: int                 # after EXIF orientation
    height: int
    format: str                # "JPEG", "PNG", "HEIF", "WEBP", ...
    mode: str = ""             # mode as stored in the file, before conversion ("CMYK", "I;16", ...)
    frames: int = 1            # >1 for animated GIF/WebP; only the first frame is used
    n_bytes: int = 0

    @property
    def pixels(self) -> int:
        return self.width * self.height

    @property
    def will_downscale(self) -> bool:
        """True when the model will see this image downscaled (above config.MAX_PIXELS)."""
        return self.pixels > config.MAX_PIXELS


def model_size(width: int, height: int, max_pixels: int = config.MAX_PIXELS,
               min_pixels: int = config.MIN_PIXELS, factor: int = 28) -> tuple[int, int]:
    """Approximate size the Qwen-VL processor resizes to (same rule as qwen_vl_utils.smart_resize).

    Re-implemented here because importing qwen_vl_utils pulls in torchvision.
    """
    h = max(factor, round(height / factor) * factor)
    w = max(factor, round(width / factor) * factor)
    if h * w > max_pixels:
        beta = math.sqrt((height * width) / max_pixels)
        h = max(factor, math.floor(height / beta / factor) * factor)
        w = max(factor, math.floor(width / beta / factor) * factor)
    elif h * w < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h = math.ceil(height * beta / factor) * factor
        w = math.ceil(width * beta / factor) * factor
    return w, h


def downscale_note(meta: ImageMeta, max_pixels: int = config.MAX_PIXELS) -> str | None:
    """One sentence for the UI when the model will downscale the image, else None."""
    if meta.pixels <= max_pixels:
        return None
    w, h = model_size(meta.width, meta.height, max_pixels=max_pixels)
    return (f"{Path(meta.path).name} is {meta.width}×{meta.height} ({meta.pixels / 1e6:.1f} MP), above the "
            f"model's limit of {max_pixels:,} pixels: it is kept as is, and the model will see it "
            f"downscaled to about {w}×{h}. Small text may become unreadable to the model; its OCR "
            f"text is read from the full-size image.")


# --------------------------------------------------------------------------- hashing

def file_hash(data: bytes | str | Path) -> str:
    """sha256 hex of the file bytes: the image's content hash (stable across names and copies)."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        return hashlib.sha256(data).hexdigest()
    path = Path(data)
    _check_file(path)
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------- decoding

def _check_file(path: Path) -> int:
    if not path.exists():
        raise ImageNotFound.coded("image.missing", {"path": str(path)}, path=path)
    if path.is_dir():
        raise ImageNotFound.coded("image.is_folder", {"path": str(path)}, path=path)
    size = path.stat().st_size
    if size == 0:
        raise EmptyImageFile.coded("image.empty", {"path": str(path)}, path=path)
    return size


def _scale_16bit(im: Image.Image) -> Image.Image:
    """16-bit (or 32-bit int) greyscale → 8-bit L, scaled rather than clipped."""
    arr = np.asarray(im)
    if im.mode.startswith("I;16") or (arr.size and arr.min() >= 0 and arr.max() <= 65535):
        scaled = np.floor(arr.astype(np.float64) * (255.0 / 65535.0) + 0.5)
    else:  # 32-bit ints outside the 16-bit range: stretch min..max
        lo, hi = float(arr.min()), float(arr.max())
        scaled = (arr.astype(np.float64) - lo) * (255.0 / (hi - lo or 1.0))
    return Image.fromarray(np.clip(scaled, 0, 255).astype(np.uint8), "L")


def _to_rgb(im: Image.Image) -> Image.Image:
    mode = im.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        return _scale_16bit(im).convert("RGB")
    if mode == "F":
        arr = np.asarray(im, dtype=np.float64)
        hi = 1.0 if arr.size and arr.max() <= 1.0 else 255.0
        return Image.fromarray(np.clip(arr * (255.0 / hi), 0, 255).astype(np.uint8), "L").convert("RGB")
    if mode == "P" and "transparency" in im.info:
        im = im.convert("RGBA")
        mode = "RGBA"
    if mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if mode == "RGB":
        return im
    return im.convert("RGB")  # L, 1, P, CMYK, YCbCr, LAB, HSV


def _decode(path: Path, draft: tuple[int, int] | None = None) -> tuple[Image.Image, dict]:
    """Decode the first frame, EXIF-transposed, as RGB. Returns (image, info)."""
    n_bytes = _check_file(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                fmt = (im.format or "").upper()
                w, h = im.size
                if w * h > MAX_DECODE_PIXELS:
                    raise Image.DecompressionBombError(f"{w}x{h}")
                info = {"format": fmt, "mode": im.mode, "frames": int(getattr(im, "n_frames", 1) or 1),
                        "n_bytes": n_bytes}
                if getattr(im, "n_frames", 1) > 1:
                    im.seek(0)
                if draft and fmt == "JPEG":
                    im.draft("RGB", draft)
                im.load()
                out = ImageOps.exif_transpose(im)
                out = _to_rgb(out)
                if out is im:
                    out = im.copy()
                return out, info
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        params = {"path": str(path), "limit_mp": f"{MAX_DECODE_PIXELS / 1e6:.0f}"}
        try:
            with Image.open(path) as im:
                w, h = im.size
            code = "image.too_many_pixels"
            params.update(width=w, height=h, mp=f"{w * h / 1e6:.0f}")
        except Exception:  # noqa: BLE001 - only for the message
            code = "image.too_many_pixels_unknown"
        raise ImageTooLarge.coded(code, params, path=path) from None
    except UnidentifiedImageError:
        raise NotAnImage.coded("image.not_image", {"path": str(path)}, path=path) from None
    except OSError as exc:
        msg = str(exc)
        if "truncated" in msg.lower() or "end of file" in msg.lower() or "broken data stream" in msg.lower():
            raise TruncatedImage.coded("image.truncated", {"path": str(path), "reason": msg}, path=path) from None
        raise UnreadableImage.coded("image.undecodable", {"path": str(path), "reason": msg}, path=path) from None
    except (ValueError, SyntaxError, EOFError) as exc:
        raise UnreadableImage.coded("image.undecodable", {"path": str(path), "reason": str(exc)},
                                    path=path) from None


def open_rgb(path: str | Path) -> Image.Image:
    """Decode an image file: first frame, EXIF orientation applied, RGB (16-bit scaled)."""
    image, _ = _decode(Path(path))
    return image


def inspect_image(path: str | Path) -> ImageMeta:
    """Decode fully (so a broken file fails now, not at scoring time) and describe the image."""
    path = Path(path)
    image, info = _decode(path)
    return ImageMeta(str(path), file_hash(path), image.width, image.height, info["format"],
                     mode=info["mode"], frames=info["frames"], n_bytes=info["n_bytes"])


# --------------------------------------------------------------------------- thumbnails

def thumbnail_dir() -> Path:
    path = config.home_dir() / THUMB_DIR_NAME
    path.mkdir(parents=True, exist_ok=True)
    return path


def _render_thumbnail(path: Path, size: int) -> bytes:
    image, _ = _decode(path, draft=(size, size))
    image.thumbnail((size, size), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=85, optimize=True)
    return buf.getvalue()


def thumbnail(path: str | Path, size: int = 256, *, digest: str | None = None) -> Path:
    """Path of a cached JPEG thumbnail (longest side ≤ size) under config.home_dir()/thumbs/.

    Cached by content: `<sha256>_<size>.jpg`, so renamed copies share one thumbnail.
    Pass `digest` when the content hash is already known to skip re-hashing.
    """
    if size <= 0:
        raise ImageError.coded("image.bad_thumbnail_size", {"size": size})
    path = Path(path)
    digest = digest or file_hash(path)
    target = thumbnail_dir() / f"{digest}_{int(size)}.jpg"
    if target.exists() and target.stat().st_size > 0:
        return target
    data = _render_thumbnail(path, int(size))
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)  # atomic: concurrent callers never see half a file
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def thumbnail_bytes(path: str | Path, size: int = 256) -> bytes:
    """JPEG bytes of the (cached) thumbnail, e.g. for st.image or a data URI."""
    return thumbnail(path, size).read_bytes()
