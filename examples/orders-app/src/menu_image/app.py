"""Menu image (S3 upload event): make the thumbnails a menu shows for a new dish photo.

CPU-bound and single-threaded: decode stand-in (a photo-like image made from the object key),
area-average it to three widths and encode each as a real PNG (zlib). More memory helps up to
one full vCPU (1,769 MB), no further.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from typing import Any

import numpy as np

WIDTHS = (640, 320, 160)


def _photo(key: str, width: int = 1920, height: int = 1280) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big")
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = (np.sin(x / 41.0) + np.cos(y / 29.0)) * 60 + 128
    return np.clip(base + rng.normal(0, 14, (height, width)), 0, 255).astype(np.uint8)


def _resize(image: np.ndarray, width: int) -> np.ndarray:
    factor = max(1, image.shape[1] // width)
    h, w = (image.shape[0] // factor) * factor, (image.shape[1] // factor) * factor
    blocks = image[:h, :w].reshape(h // factor, factor, w // factor, factor)
    return blocks.mean(axis=(1, 3)).round().astype(np.uint8)


def _png(image: np.ndarray) -> bytes:
    height, width = image.shape

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + image[row].tobytes() for row in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    record = (event.get("Records") or [{}])[0]
    key = record.get("s3", {}).get("object", {}).get("key", "menu/dish.jpg")
    photo = _photo(key)
    sizes = {width: len(_png(_resize(photo, width))) for width in WIDTHS}
    return {"key": key, "thumbnails": sizes}
