"""Image intake: formats decode correctly, bad files get their own specific error."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from workbench import config, images
from workbench.errors import ImageError, WorkbenchError
from workbench.images import (
    EmptyImageFile,
    ImageNotFound,
    ImageTooLarge,
    NotAnImage,
    TruncatedImage,
    downscale_note,
    file_hash,
    inspect_image,
    open_rgb,
    thumbnail,
    thumbnail_bytes,
)

RED = (220, 30, 40)


def _photo(w=64, h=48, color=RED) -> Image.Image:
    return Image.new("RGB", (w, h), color)


def _close(pixel, expected, tol=12):
    return all(abs(int(a) - int(b)) <= tol for a, b in zip(pixel, expected))


# ------------------------------------------------------------------ formats

def test_heic_decodes(tmp_path):
    import pillow_heif

    path = tmp_path / "photo.heic"
    heif = pillow_heif.from_pillow(_photo())
    heif.save(str(path), quality=95)
    im = open_rgb(path)
    assert im.mode == "RGB" and im.size == (64, 48)
    assert _close(im.getpixel((32, 24)), RED)
    assert inspect_image(path).format == "HEIF"


def test_webp_and_animated_webp_first_frame(tmp_path):
    still = tmp_path / "still.webp"
    _photo().save(still, "WEBP", quality=95)
    assert _close(open_rgb(still).getpixel((5, 5)), RED)

    anim = tmp_path / "anim.webp"
    frames = [_photo(color=RED), _photo(color=(20, 200, 30)), _photo(color=(10, 20, 230))]
    frames[0].save(anim, "WEBP", save_all=True, append_images=frames[1:], duration=100, lossless=True)
    meta = inspect_image(anim)
    assert meta.frames == 3 and meta.format == "WEBP"
    assert _close(open_rgb(anim).getpixel((5, 5)), RED, tol=2)


def test_gif_first_frame(tmp_path):
    path = tmp_path / "anim.gif"
    frames = [_photo(color=(255, 0, 0)), _photo(color=(0, 0, 255))]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100)
    assert inspect_image(path).frames == 2
    assert _close(open_rgb(path).getpixel((3, 3)), (255, 0, 0), tol=2)


def test_avif_decodes(tmp_path):
    path = tmp_path / "photo.avif"
    _photo().save(path, "AVIF", quality=95)
    assert _close(open_rgb(path).getpixel((10, 10)), RED, tol=16)


def test_cmyk_jpeg_to_rgb(tmp_path):
    path = tmp_path / "print.jpg"
    # pure cyan in CMYK is (255, 0, 0, 0) -> RGB (0, 255, 255)
    Image.new("CMYK", (40, 30), (255, 0, 0, 0)).save(path, "JPEG", quality=95)
    meta = inspect_image(path)
    assert meta.mode == "CMYK"
    im = open_rgb(path)
    assert im.mode == "RGB"
    assert _close(im.getpixel((20, 15)), (0, 255, 255), tol=6)


def test_16bit_png_is_scaled_not_clipped(tmp_path):
    path = tmp_path / "depth.png"
    row = np.array([[0, 257, 32768, 65535]], dtype=np.uint16)
    Image.fromarray(row).save(path)
    assert Image.open(path).convert("L").getpixel((2, 0)) == 255  # Pillow alone clips
    im = open_rgb(path)
    values = [im.getpixel((x, 0))[0] for x in range(4)]
    assert values == [0, 1, 128, 255]
    assert inspect_image(path).mode.startswith("I")


def test_transparent_png_composited_on_white(tmp_path):
    path = tmp_path / "logo.png"
    rgba = Image.new("RGBA", (20, 20), (0, 0, 0, 0))
    rgba.putpixel((5, 5), (0, 0, 0, 255))
    rgba.save(path)
    im = open_rgb(path)
    assert im.getpixel((0, 0)) == (255, 255, 255)
    assert im.getpixel((5, 5)) == (0, 0, 0)


def test_exif_rotation_applied(tmp_path):
    path = tmp_path / "rotated.jpg"
    im = Image.new("RGB", (80, 40), (255, 255, 255))
    for x in range(10):  # a dark stripe on the left edge
        for y in range(40):
            im.putpixel((x, y), (0, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    im.save(path, "JPEG", exif=exif, quality=95)
    out = open_rgb(path)
    assert out.size == (40, 80)
    meta = inspect_image(path)
    assert (meta.width, meta.height) == (40, 80)
    # the left stripe ends up on top after a 90° clockwise rotation
    assert sum(out.getpixel((20, 2))) < 60 and sum(out.getpixel((20, 77))) > 700


# ------------------------------------------------------------------ hashing

def test_content_hash_is_stable_and_by_content(tmp_path):
    a = tmp_path / "a.png"
    _photo().save(a)
    b = tmp_path / "copy-with-other-name.png"
    b.write_bytes(a.read_bytes())
    assert file_hash(a) == file_hash(b) == file_hash(a.read_bytes())
    assert len(file_hash(a)) == 64
    c = tmp_path / "c.png"
    _photo(color=(1, 2, 3)).save(c)
    assert file_hash(c) != file_hash(a)
    assert inspect_image(a).sha256 == file_hash(a)


# ------------------------------------------------------------------ bad files

def _assert_good_error(err: ImageError, path):
    assert isinstance(err, ImageError) and isinstance(err, WorkbenchError)
    assert str(path.name) in err.message
    assert err.fix and len(err.fix) > 10
    assert "How to fix" in str(err)


def test_missing_file(tmp_path):
    path = tmp_path / "nope.jpg"
    with pytest.raises(ImageNotFound) as info:
        open_rgb(path)
    assert info.value.kind == "missing"
    _assert_good_error(info.value, path)


def test_zero_byte_file(tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(EmptyImageFile) as info:
        inspect_image(path)
    assert info.value.kind == "empty"
    _assert_good_error(info.value, path)


def test_text_named_png(tmp_path):
    path = tmp_path / "page.png"
    path.write_text("<html><body>404 not found</body></html>")
    with pytest.raises(NotAnImage) as info:
        inspect_image(path)
    assert info.value.kind == "not_image"
    _assert_good_error(info.value, path)


def test_truncated_jpeg(tmp_path):
    full = tmp_path / "full.jpg"
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (200, 200, 3), dtype=np.uint8)).save(full, quality=90)
    path = tmp_path / "cut.jpg"
    path.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    with pytest.raises(TruncatedImage) as info:
        open_rgb(path)
    assert info.value.kind == "truncated"
    _assert_good_error(info.value, path)


def test_decompression_bomb(tmp_path, monkeypatch):
    path = tmp_path / "bomb.png"
    Image.new("L", (3000, 3000)).save(path)  # tiny file, 9 MP
    monkeypatch.setattr(images, "MAX_DECODE_PIXELS", 1_000_000)
    with pytest.raises(ImageTooLarge) as info:
        inspect_image(path)
    assert info.value.kind == "bomb"
    assert "3000×3000" in info.value.message
    _assert_good_error(info.value, path)


def test_pillow_bomb_limit_is_set():
    assert Image.MAX_IMAGE_PIXELS == images.MAX_DECODE_PIXELS


def test_error_kinds_are_distinct():
    kinds = {c.kind for c in (ImageNotFound, EmptyImageFile, NotAnImage, TruncatedImage, ImageTooLarge)}
    assert len(kinds) == 5


# ------------------------------------------------------------------ pixel limit / thumbnails

def test_large_image_accepted_with_downscale_note(tmp_path):
    path = tmp_path / "big.jpg"
    Image.new("RGB", (2000, 1500), (200, 200, 200)).save(path, quality=70)
    meta = inspect_image(path)
    assert meta.pixels > config.MAX_PIXELS and meta.will_downscale
    note = downscale_note(meta)
    assert note and "big.jpg" in note and "downscaled" in note
    w, h = images.model_size(2000, 1500)
    assert w * h <= config.MAX_PIXELS and w % 28 == 0 and h % 28 == 0

    small = tmp_path / "small.jpg"
    _photo().save(small)
    assert not inspect_image(small).will_downscale
    assert downscale_note(inspect_image(small)) is None


def test_thumbnail_cached_by_content(tmp_path):
    path = tmp_path / "wide.png"
    Image.new("RGB", (1000, 500), (10, 120, 200)).save(path)
    thumb = thumbnail(path, size=128)
    assert thumb.parent == config.home_dir() / "thumbs"
    assert thumb.name == f"{file_hash(path)}_128.jpg"
    with Image.open(thumb) as t:
        assert t.format == "JPEG" and t.size == (128, 64)
    mtime = thumb.stat().st_mtime_ns
    copy = tmp_path / "renamed.png"
    copy.write_bytes(path.read_bytes())
    assert thumbnail(copy, size=128) == thumb and thumb.stat().st_mtime_ns == mtime
    assert thumbnail_bytes(path, 128)[:2] == b"\xff\xd8"


def test_thumbnail_of_bad_file_raises(tmp_path):
    path = tmp_path / "bad.png"
    path.write_text("nope")
    with pytest.raises(NotAnImage):
        thumbnail(path)
