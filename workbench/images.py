"""Image intake (minimal first cut; issue 5 completes it).

Public API that io/store/engine code against — keep these signatures:
  inspect_image(path) -> ImageMeta   decode fully, raise ImageError naming the file
  file_hash(path_or_bytes) -> str    sha256 hex of the file bytes (the content hash)
  open_rgb(path) -> PIL.Image.Image  decoded, EXIF-transposed, RGB
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import ImageError


@dataclass(frozen=True)
class ImageMeta:
    path: str
    sha256: str
    width: int
    height: int
    format: str


def file_hash(data: bytes | str | Path) -> str:
    if not isinstance(data, (bytes, bytearray)):
        data = Path(data).read_bytes()
    return hashlib.sha256(data).hexdigest()


def open_rgb(path: str | Path) -> Image.Image:
    path = Path(path)
    try:
        with Image.open(path) as im:
            im.load()
            im = ImageOps.exif_transpose(im)
            return im.convert("RGB")
    except FileNotFoundError:
        raise ImageError(f"Image file '{path}' does not exist.",
                         "Check the path; image paths are relative to the imported file.") from None
    except (UnidentifiedImageError, OSError) as exc:
        raise ImageError(f"'{path.name}' is not a readable image ({exc}).",
                         "Re-export the image as JPEG or PNG, or remove it from the set.") from None


def inspect_image(path: str | Path) -> ImageMeta:
    path = Path(path)
    im = open_rgb(path)
    return ImageMeta(str(path), file_hash(path), im.width, im.height, (Image.open(path).format or "").upper())
