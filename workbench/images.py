"""Image intake: decode, EXIF, RGB, pixel limits, content hash, thumbnails.

Public API that io/store/engine/OCR code against:
  inspect_image(path_or_bytes) -> ImageMeta   decode fully (no RGB copy), raise ImageError naming the file
  file_hash(path_or_bytes) -> str    sha256 hex of the file bytes (the content hash)
  open_rgb(path_or_bytes) -> PIL.Image.Image  decoded, first frame, EXIF-transposed, RGB
  decode_cost(mode, width, height) -> int     bytes of memory open_rgb needs for such a header
  check_image_size(path) -> int      the file's size (a stat), ImageTooLarge over WORKBENCH_MAX_IMAGE_MB
  thumbnail(path, size=256) -> Path  cached JPEG under config.home_dir()/thumbs/
  thumbnail_bytes(path, size=256) -> bytes
  downscale_note(meta) -> str | None what the UI shows for images above config.MAX_PIXELS

Decoding covers everything Pillow plus pillow-heif read: HEIC/HEIF (pillow-heif),
AVIF, WebP (animated: first frame), GIF (first frame), CMYK JPEG, palette and
alpha images (composited on white, so dark text on a transparent background
stays readable), and 16-bit greyscale PNG, which is *scaled* to 8 bit
(v * 255 / 65535) where Pillow's own convert("L") clips everything above 255.

Resources are checked cheapest first, before they are spent (issue 21):
  1. the byte size (a stat, or len() of bytes): over WORKBENCH_MAX_IMAGE_MB is refused unread
     (file_hash, and so thumbnails and OCR, too);
  2. the header (Pillow's lazy open: size and mode, no pixels): more than MAX_DECODE_PIXELS, or
     more decoding memory than MAX_DECODE_BYTES at the mode's bytes per pixel, is refused;
  3. only then the pixels are decoded. Conversions to RGB work in strips of rows and free the
     decoded raster as they go, so the peak stays near raster + RGB (a 40 MP 16-bit PNG no longer
     goes through float64 copies of the whole image), and inspect_image verifies without any
     RGB copy at all.

Every failure raises an ImageError subclass whose message names the file and
whose `fix` says what to do; `err.kind` is a short machine-readable tag:
  ImageNotFound    "missing"    the path does not exist (or is a folder)
  EmptyImageFile   "empty"      zero-byte file
  NotAnImage       "not_image"  bytes are not any image format we know (e.g. text named .png)
  TruncatedImage   "truncated"  header is fine, pixel data is cut short
  ImageTooLarge    "bomb"       a file over WORKBENCH_MAX_IMAGE_MB, more pixels than MAX_DECODE_PIXELS,
                                or more decoding memory than MAX_DECODE_BYTES (decompression-bomb guard)
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
from PIL import Image, UnidentifiedImageError

from . import config, limits
from .errors import (
    EmptyImageFile,
    ImageError,
    ImageNotFound,
    ImageTooLarge,
    NotAnImage,
    TruncatedImage,
    UnreadableImage,
)

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

# Memory, not pixels alone: Pillow keeps a decoded pixel in 1 (L, P, 1), 2 (I;16) or 4 bytes
# (RGB, RGBA, CMYK, I, F, LA); open_rgb needs the raster plus an RGB image (4 bytes) and, for an
# EXIF rotation, a second RGB image. 8 bytes per pixel at MAX_DECODE_PIXELS covers every mode
# Pillow decodes to; a mode we do not know is counted at 8 bytes per pixel.
BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2,
                   "LA": 4, "La": 4, "PA": 4, "RGB": 4, "RGBA": 4, "RGBa": 4, "RGBX": 4, "CMYK": 4,
                   "YCbCr": 4, "LAB": 4, "HSV": 4, "I": 4, "F": 4}
MAX_DECODE_BYTES = 8 * MAX_DECODE_PIXELS
STRIP_PIXELS = 1 << 20       # conversions work on strips of rows of about this many pixels

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
    _check_size(path)                       # a stat before any byte is read
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------- decoding

Source = str | Path | bytes | bytearray | memoryview


def _check_file(path: Path) -> int:
    if not path.exists():
        raise ImageNotFound.coded("image.missing", {"path": str(path)}, path=path)
    if path.is_dir():
        raise ImageNotFound.coded("image.is_folder", {"path": str(path)}, path=path)
    size = path.stat().st_size
    if size == 0:
        raise EmptyImageFile.coded("image.empty", {"path": str(path)}, path=path)
    return size


def _too_big_file(path: str | Path, size: int, cap: int) -> ImageTooLarge:
    lim = limits.IMAGE_SIZE
    return ImageTooLarge.coded("image.too_big_file", {
        "path": str(path), "mb": f"{size / 2**20:,.1f}", "limit_mb": f"{cap / 2**20:,.0f}", "env": lim.env,
        "now": f"{lim.value():g}", "example": f"{max(lim.value() * 4, 1):g}"}, path=path)


def image_byte_limit() -> int:
    """WORKBENCH_MAX_IMAGE_MB in bytes (capped at what SQLite stores in one value)."""
    # imported here: workbench.formats imports this module
    from .formats.image_data import image_limit

    return image_limit()


def check_image_size(path: str | Path) -> int:
    """The file's size (a stat, OSError when it cannot be read) if within WORKBENCH_MAX_IMAGE_MB,
    else ImageTooLarge: for code that is about to read a whole image file (the store)."""
    size = Path(path).stat().st_size
    cap = image_byte_limit()
    if size > cap:
        raise _too_big_file(path, size, cap)
    return size


def _check_size(path: Path) -> int:
    """Step 1, before anything is read: the file's byte size (a stat) against WORKBENCH_MAX_IMAGE_MB.
    (The importer first cuts data after an image's end, formats.image_data.kept_image, so what
    it hands on is within the limit whenever the image itself is.)"""
    size = _check_file(path)
    cap = image_byte_limit()
    if size > cap:
        raise _too_big_file(path, size, cap)
    return size


def decode_cost(mode: str, width: int, height: int, *, rgb: bool = True, rotated: bool = False) -> int:
    """Bytes of memory decoding an image of this header takes: the raster at the mode's bytes per
    pixel, plus (rgb) the RGB image open_rgb makes, plus (rotated) the EXIF-rotated copy."""
    pixels = width * height
    raster = BYTES_PER_PIXEL.get(mode, 8) * pixels
    if not rgb:
        return raster
    cost = raster if mode == "RGB" else raster + 4 * pixels
    return max(cost, 8 * pixels) if rotated else cost


_TRANSPOSE = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
              5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
              8: Image.Transpose.ROTATE_90}


def _orientation(im: Image.Image) -> int:
    try:
        return int(im.getexif().get(0x0112, 1) or 1)
    except Exception:  # noqa: BLE001 - broken EXIF: shown as stored
        return 1


def _strips(im: Image.Image, mode: str, convert) -> Image.Image:
    """`convert` applied to strips of rows (each a crop of about STRIP_PIXELS), pasted into one
    image of `mode`: the working memory is one strip, not copies of the whole image."""
    w, h = im.size
    out = Image.new(mode, (w, h))
    step = max(1, STRIP_PIXELS // max(w, 1))
    for y in range(0, h, step):
        part = convert(im.crop((0, y, w, min(h, y + step))))
        out.paste(part, (0, y))
    return out


def _scale_16bit(im: Image.Image) -> Image.Image:
    """16-bit (or 32-bit int) greyscale → 8-bit L, scaled rather than clipped, in strips:
    round(v * 255 / 65535) in integers, or min..max stretched for ints outside 0..65535."""
    lo, hi = (0, 65535) if im.mode.startswith("I;16") else im.getextrema()   # a pass, no copy
    if lo >= 0 and hi <= 65535:
        def convert(part: Image.Image) -> Image.Image:
            arr = np.asarray(part).astype(np.int64)
            return Image.fromarray(((arr * 255 + 32767) // 65535).astype(np.uint8))
    else:  # 32-bit ints outside the 16-bit range: stretch min..max
        scale = 255.0 / (float(hi) - float(lo) or 1.0)

        def convert(part: Image.Image) -> Image.Image:
            scaled = (np.asarray(part).astype(np.float64) - float(lo)) * scale
            return Image.fromarray(np.clip(scaled, 0, 255).astype(np.uint8))
    return _strips(im, "L", convert)


def _float_to_l(im: Image.Image) -> Image.Image:
    hi_value = im.getextrema()[1]
    hi = 1.0 if hi_value <= 1.0 else 255.0

    def convert(part: Image.Image) -> Image.Image:
        arr = np.asarray(part, dtype=np.float64)
        return Image.fromarray(np.clip(arr * (255.0 / hi), 0, 255).astype(np.uint8))
    return _strips(im, "L", convert)


def _on_white(part: Image.Image) -> Image.Image:
    rgba = part.convert("RGBA")
    background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(background, rgba).convert("RGB")


def _free(im: Image.Image, keep: Image.Image) -> None:
    """Release `im`'s pixels as soon as `keep` (made from them) exists."""
    if im is not keep:
        im.close()


def _to_rgb(im: Image.Image) -> Image.Image:
    """RGB of a loaded image; `im`'s own pixels are released once they are converted."""
    mode = im.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        grey = _scale_16bit(im) if mode != "F" else _float_to_l(im)
        _free(im, grey)
        out = grey.convert("RGB")
        grey.close()
        return out
    if mode == "P" and "transparency" in im.info:
        rgba = im.convert("RGBA")
        _free(im, rgba)
        im, mode = rgba, "RGBA"
    if mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        out = _strips(im, "RGB", _on_white)
        _free(im, out)
        return out
    if mode == "RGB":
        return im
    out = im.convert("RGB")  # L, 1, P, CMYK, YCbCr, LAB, HSV
    _free(im, out)
    return out


def _open(src: Path | bytes):
    return Image.open(io.BytesIO(src) if isinstance(src, (bytes, bytearray, memoryview)) else src)


def _decode(src: Source, draft: tuple[int, int] | None = None, *, rgb: bool = True,
            name: str | None = None) -> tuple[Image.Image | None, dict]:
    """Decode the first frame. Returns (image, info): with `rgb` the image is EXIF-transposed RGB;
    without, nothing is converted (image None) and info holds the size as displayed.

    The byte size is checked first (no read), then the header (no pixels), then the pixels."""
    if isinstance(src, (bytes, bytearray, memoryview)):
        label = name or "image data"
        n_bytes = len(src)
        if n_bytes == 0:
            raise EmptyImageFile.coded("image.empty", {"path": label}, path=label)
        if n_bytes > image_byte_limit():
            raise _too_big_file(label, n_bytes, image_byte_limit())
        data: Path | bytes = bytes(src)
        path: str | Path = label
    else:
        path = Path(src)
        n_bytes = _check_size(path)
        data = path
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with _open(data) as im:
                fmt = (im.format or "").upper()
                w, h = im.size
                if w * h > MAX_DECODE_PIXELS:
                    raise ImageTooLarge.coded("image.too_many_pixels", {
                        "path": str(path), "limit_mp": f"{MAX_DECODE_PIXELS / 1e6:.0f}", "width": w, "height": h,
                        "mp": f"{w * h / 1e6:.0f}"}, path=path)
                cost = decode_cost(im.mode, w, h, rgb=rgb)
                if cost > MAX_DECODE_BYTES:
                    raise ImageTooLarge.coded("image.too_much_memory", {
                        "path": str(path), "width": w, "height": h, "mode": im.mode,
                        "bpp": BYTES_PER_PIXEL.get(im.mode, 8), "mb": f"{cost / 2**20:,.0f}",
                        "limit_mb": f"{MAX_DECODE_BYTES / 2**20:,.0f}"}, path=path)
                info = {"format": fmt, "mode": im.mode, "frames": int(getattr(im, "n_frames", 1) or 1),
                        "n_bytes": n_bytes}
                if getattr(im, "n_frames", 1) > 1:
                    im.seek(0)
                if draft and fmt == "JPEG":
                    im.draft("RGB", draft)
                im.load()
                orientation = _orientation(im)
                method = _TRANSPOSE.get(orientation)
                rotated = orientation in (5, 6, 7, 8)
                info["width"], info["height"] = (im.height, im.width) if rotated else (im.width, im.height)
                if not rgb:
                    im.close()
                    return None, info
                out = _to_rgb(im)
                if method is not None:
                    turned = out.transpose(method)
                    out.close()
                    out = turned
                return out, info          # loaded: the pixels outlive the file, no copy needed
    except ImageTooLarge:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        params = {"path": str(path), "limit_mp": f"{MAX_DECODE_PIXELS / 1e6:.0f}"}
        try:
            with _open(data) as im:
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


def open_rgb(src: Source, *, name: str | None = None) -> Image.Image:
    """Decode an image file (or its bytes; `name` labels them in errors): first frame, EXIF
    orientation applied, RGB (16-bit scaled)."""
    image, _ = _decode(src if isinstance(src, (bytes, bytearray, memoryview)) else Path(src), name=name)
    return image


def inspect_image(src: Source, *, name: str | None = None) -> ImageMeta:
    """Decode fully (so a broken file fails now, not at scoring time) and describe the image.
    The pixels are decoded and dropped: no RGB copy is made. The content hash comes last."""
    if isinstance(src, (bytes, bytearray, memoryview)):
        _, info = _decode(src, rgb=False, name=name)
        label = name or "image data"
        return ImageMeta(label, file_hash(bytes(src)), info["width"], info["height"], info["format"],
                         mode=info["mode"], frames=info["frames"], n_bytes=info["n_bytes"])
    path = Path(src)
    _, info = _decode(path, rgb=False)
    return ImageMeta(str(path), file_hash(path), info["width"], info["height"], info["format"],
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
