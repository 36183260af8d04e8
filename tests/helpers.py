"""Small helpers shared by test modules."""

from __future__ import annotations

import numpy as np
from PIL import Image


def random_image(path, w: int, h: int, seed: int) -> str:
    """Write a seeded random RGB image of w×h pixels; returns its path."""
    arr = (np.random.RandomState(seed).rand(h, w, 3) * 255).astype("uint8")
    Image.fromarray(arr).save(path)
    return str(path)


# Two small labelled candidate sets (English and Chinese) for CLI tests.
CSV = """query_id,query_text,query_image,doc_id,doc_text,doc_image,label
q1,red running shoes,,d1,Lightweight red running shoes,,2
q1,red running shoes,,d2,Stainless steel bottle,,0
q1,red running shoes,,d3,Blue running shorts,,1
q2,无线耳机,,e1,无线蓝牙耳机 降噪,,2
q2,无线耳机,,e2,保温杯,,0
"""
