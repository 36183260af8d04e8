"""Rendered product-label images for measuring OCR preprocessing and for self-tests."""

from __future__ import annotations

import numpy as np
from PIL import Image

from ..errors import ImageError

# --------------------------------------------------------------------------- samples

FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"

SAMPLE_TEXTS = {
    "eng": ["Wireless Bluetooth Headphones 40H", "Stainless Steel Bottle 750ml", "Organic Green Tea 100 Bags"],
    "chi_sim": ["无线蓝牙耳机超长续航", "不锈钢保温杯大容量", "有机绿茶一百袋装"],
}


def render_sample(text: str, font_px: int, noisy: bool = False, seed: int = 0,
                  font_path: str = FONT_PATH) -> Image.Image:
    """Render product text like a label photo (for measuring preprocessing and self-tests).

    noisy=True puts it on a coloured gradient with Gaussian grain and speckles.
    """
    from PIL import ImageDraw, ImageFont

    try:
        font = ImageFont.truetype(font_path, font_px)
    except OSError:
        raise ImageError.coded("ocr.font_missing", {"font": font_path}) from None
    left, top, right, bottom = font.getbbox(text)
    pad = max(6, font_px // 2)
    w, h = right - left + 2 * pad, bottom - top + 2 * pad
    rng = np.random.default_rng(seed)
    if noisy:
        gx = np.linspace(0, 1, w)[None, :, None]
        base = np.array([235, 215, 170]) * (1 - gx) + np.array([170, 205, 235]) * gx
        bg = np.repeat(base, h, axis=0) + rng.normal(0, 28, (h, w, 3))
        speck = rng.random((h, w)) < 0.02
        bg[speck] = rng.integers(60, 140)
        im = Image.fromarray(np.clip(bg, 0, 255).astype(np.uint8), "RGB")
        colour = (25, 30, 60)
    else:
        im = Image.new("RGB", (w, h), (255, 255, 255))
        colour = (20, 20, 20)
    ImageDraw.Draw(im).text((pad - left, pad - top), text, font=font, fill=colour)
    return im
