"""Realistic: makes a thumbnail, as image pipelines do, with numpy and zlib.

Builds (or receives) a grayscale image, downsizes it by area averaging, and encodes the result as
a real PNG (zlib-compressed scanlines). Returns the PNG's size and SHA-256.
"""

from __future__ import annotations

import base64
import hashlib
import struct
import zlib
from typing import Any

import numpy as np


def synthetic_image(width: int, height: int, seed: int) -> np.ndarray:
    """A photo-like test image: gradients plus noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = (np.sin(x / 37.0) + np.cos(y / 23.0)) * 60 + 128
    return np.clip(base + rng.normal(0, 12, (height, width)), 0, 255).astype(np.uint8)


def downsize(image: np.ndarray, factor: int) -> np.ndarray:
    height, width = (image.shape[0] // factor) * factor, (image.shape[1] // factor) * factor
    blocks = image[:height, :width].reshape(height // factor, factor, width // factor, factor)
    return blocks.mean(axis=(1, 3)).round().astype(np.uint8)


def encode_png(image: np.ndarray, level: int = 9) -> bytes:
    height, width = image.shape

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + image[row].tobytes() for row in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grayscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, level))
        + chunk(b"IEND", b"")
    )


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    width = int(event.get("width", 1200))
    height = int(event.get("height", 800))
    factor = int(event.get("factor", 4))
    image = synthetic_image(width, height, int(event.get("seed", 7)))
    thumbnail = downsize(image, factor)
    png = encode_png(thumbnail)
    result = {
        "width": int(thumbnail.shape[1]),
        "height": int(thumbnail.shape[0]),
        "png_bytes": len(png),
        "sha256": hashlib.sha256(png).hexdigest(),
    }
    if event.get("return_png"):
        result["png_base64"] = base64.b64encode(png).decode()
    return result
