"""The images a comparison leaves for people: the diff, the three side by side, a thumbnail."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw

from odoosh.visual.score import Comparison

CHANGED = np.array([255, 0, 160], dtype=np.uint8)  # changed pixels, over a faded candidate
FRAME = (220, 0, 0)  # the failing regions
GAP = 16
THUMBNAIL_WIDTH = 320


def diff_image(comparison: Comparison) -> Image.Image:
    """The candidate faded to grey, its changed pixels in magenta, the failing regions framed."""
    grey = comparison.candidate.mean(axis=2, keepdims=True)
    faded = (255 - (255 - grey) * 0.35).astype(np.uint8).repeat(3, axis=2)
    faded[comparison.changed_pixels] = CHANGED
    image = Image.fromarray(faded)
    draw = ImageDraw.Draw(image)
    for region in comparison.score.changed_regions:
        box = (region.x, region.y, region.x + region.width - 1, region.y + region.height - 1)
        draw.rectangle(box, outline=FRAME, width=3)
    return image


def side_by_side(comparison: Comparison, diff: Image.Image) -> Image.Image:
    """Baseline | candidate | diff on one canvas, each labelled."""
    panels = [Image.fromarray(comparison.baseline), Image.fromarray(comparison.candidate), diff]
    width, height = panels[0].size
    label = 24
    out = Image.new("RGB", (3 * width + 2 * GAP, height + label), "white")
    draw = ImageDraw.Draw(out)
    for i, (name, panel) in enumerate(zip(("baseline", "preview", "diff"), panels, strict=True)):
        out.paste(panel, (i * (width + GAP), label))
        draw.text((i * (width + GAP) + 4, 4), name, fill="black")
    return out


def thumbnail(image: Image.Image, width: int = THUMBNAIL_WIDTH) -> Image.Image:
    scale = min(1.0, width / image.width)
    return image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.LANCZOS)


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()
