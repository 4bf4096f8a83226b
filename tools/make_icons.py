"""Draw the app's icons (app/web/static/icons/*.png) with the standard library alone.

A white "C" with a dot, on the brand blue: rounded-square icons for "any" purpose and a
full-bleed one whose glyph stays inside the maskable safe zone (a circle of 40 % of the
size). Shapes are signed distance functions, so edges are anti-aliased without a library.

    python tools/make_icons.py    # rewrites the three files; the output is deterministic
"""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

ICONS = Path(__file__).resolve().parent.parent / "app" / "web" / "static" / "icons"
BACKGROUND = (0x24, 0x46, 0xC7)
FOREGROUND = (0xFF, 0xFF, 0xFF)
ARC_RADIUS = 0.25  # all lengths are fractions of the icon's size
ARC_HALF_WIDTH = 0.07
ARC_APERTURE = math.radians(135)  # the C spans ±135° around its back: a 90° opening
DOT_RADIUS = 0.07
CORNER_RADIUS = 0.2


def _arc(x: float, y: float) -> float:
    # Inigo Quilez's sdArc, turned so that the opening faces right.
    qx, qy = abs(y), -x
    sin_a, cos_a = math.sin(ARC_APERTURE), math.cos(ARC_APERTURE)
    if cos_a * qx > sin_a * qy:
        edge = math.hypot(qx - sin_a * ARC_RADIUS, qy - cos_a * ARC_RADIUS)
    else:
        edge = abs(math.hypot(qx, qy) - ARC_RADIUS)
    return edge - ARC_HALF_WIDTH


def _rounded_square(x: float, y: float) -> float:
    inner = 0.5 - CORNER_RADIUS
    dx, dy = abs(x) - inner, abs(y) - inner
    outside = math.hypot(max(dx, 0.0), max(dy, 0.0))
    return outside + min(max(dx, dy), 0.0) - CORNER_RADIUS


def _coverage(distance: float, size: int) -> float:
    return min(1.0, max(0.0, 0.5 - distance * size))


def draw(size: int, *, maskable: bool) -> bytes:
    """RGBA rows, each behind PNG's filter byte 0."""
    rows = bytearray()
    for row in range(size):
        rows.append(0)
        y = (row + 0.5) / size - 0.5
        for column in range(size):
            x = (column + 0.5) / size - 0.5
            glyph = _coverage(min(_arc(x, y), math.hypot(x, y) - DOT_RADIUS), size)
            alpha = 1.0 if maskable else _coverage(_rounded_square(x, y), size)
            rows.extend(round(b + (f - b) * glyph) for b, f in zip(BACKGROUND, FOREGROUND,
                                                                     strict=True))
            rows.append(round(255 * alpha))
    return bytes(rows)


def png(size: int, pixels: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(pixels, 9)) + chunk(b"IEND", b""))


def main() -> None:
    ICONS.mkdir(parents=True, exist_ok=True)
    for name, size, maskable in (("icon-192.png", 192, False), ("icon-512.png", 512, False),
                                 ("icon-maskable-512.png", 512, True)):
        (ICONS / name).write_bytes(png(size, draw(size, maskable=maskable)))
        print(f"wrote {ICONS / name}")


if __name__ == "__main__":
    main()
