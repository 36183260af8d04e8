"""Small helpers shared by test modules."""

from __future__ import annotations

import numpy as np
from PIL import Image


def random_image(path, w: int, h: int, seed: int) -> str:
    """Write a seeded random RGB image of w×h pixels; returns its path."""
    arr = (np.random.RandomState(seed).rand(h, w, 3) * 255).astype("uint8")
    Image.fromarray(arr).save(path)
    return str(path)
