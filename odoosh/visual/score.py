"""Visual parity of two screenshots: global SSIM plus the worst region, on one padded canvas.

Global SSIM hides small real changes: one changed word of a heading on a 1280x800 page scores
0.999. So the pair is also scored region by region: 16x16-pixel tiles of an SSIM map taken at
arm's length, i.e. of both images blurred (Gaussian, sigma 1 px) and halved. Anti-aliasing and
sub-pixel text shifts blur away there (a 0.3 px shift of all text: worst tile 0.94), a changed
glyph does not (one digit of a clock: 0.77), and the worst tile must clear its own threshold.

Both maps are `skimage.metrics.structural_similarity` (RGB, uniform 7x7 window, explicit
`data_range`), computed only where the two images differ: where every pixel of the window is
equal in both, the SSIM of that window is exactly 1, so the map outside the bounding box of the
changed pixels (grown by the window and the blur) is 1 without computing it. Identical
screenshots, the common case, cost one comparison of the pixels; the global score equals the
plain call's.
"""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError
from scipy import ndimage
from skimage.metrics import structural_similarity

WINDOW = 7  # skimage's default window; its half width is the band the map needs around a change
BLUR_SIGMA = 1.0  # pixels: what the region map does not see (anti-aliasing, sub-pixel shifts)
REGION_MARGIN = 32  # pixels around the changed box for the region map: blur and window (x2) fit in it
DATA_RANGE = 255.0  # uint8 channels; explicit, so the score never depends on the images' content
PAD_COLOUR = (255, 0, 255)  # what a smaller image is padded with: no page is this magenta
MASK_COLOUR = (128, 128, 128)
MAX_PIXELS = 40_000_000  # a full-page capture is a few million; far beyond that is not a screenshot
MIN_SIDE = 2 * WINDOW  # the region map, at half resolution, needs a window's room


class VisualInputError(ValueError):
    """An image that cannot be compared: missing, not a PNG, corrupt, or absurdly large."""


@dataclass(frozen=True)
class Region:
    x: int
    y: int
    width: int
    height: int

    @classmethod
    def parse(cls, text: str) -> Region:
        """`x,y,w,h` in CSS pixels of the screenshot (the device scale factor is 1)."""
        try:
            x, y, w, h = (int(v) for v in text.split(","))
        except ValueError:
            raise VisualInputError(f"mask {text!r}: give x,y,width,height as four integers") from None
        if x < 0 or y < 0 or w <= 0 or h <= 0:
            raise VisualInputError(f"mask {text!r}: x and y must be >= 0, width and height > 0")
        return cls(x, y, w, h)


@dataclass(frozen=True)
class Thresholds:
    """The gate for one viewport: the global SSIM and the worst tile's SSIM must reach these."""

    global_min: float
    region_min: float = 0.85
    tile: int = 16  # pixels per side of a tile (even: the region map is at half resolution)


# The defaults; README "Visual gate" says how to change them.
VIEWPORT_THRESHOLDS = {"desktop": Thresholds(0.98), "mobile": Thresholds(0.97)}


@dataclass(frozen=True)
class Score:
    """The verdict on one pair, as `python -m odoosh.visual compare` prints it."""

    score: float
    worst_region: Region | None
    worst_region_score: float
    passed: bool
    reason: str
    thresholds: Thresholds
    size: tuple[int, int]  # the canvas, width x height
    changed_regions: list[Region] = field(default_factory=list)

    def as_json(self) -> dict:
        data = asdict(self)
        data["score"] = round(self.score, 6)
        data["worst_region_score"] = round(self.worst_region_score, 6)
        return data


@dataclass(frozen=True)
class Comparison:
    """The score and what the diff image is drawn from: both images on the common canvas and the
    per-pixel SSIM map (1 where nothing changed)."""

    score: Score
    baseline: np.ndarray
    candidate: np.ndarray
    ssim_map: np.ndarray
    changed_pixels: np.ndarray


def load_png(source: Path | bytes) -> np.ndarray:
    """An RGB uint8 array of a PNG file or PNG bytes; VisualInputError says what is wrong."""
    name = str(source) if isinstance(source, Path) else "the image"
    try:
        raw = source.read_bytes() if isinstance(source, Path) else source
    except OSError as exc:
        raise VisualInputError(f"{name}: cannot read it ({exc.strerror or exc})") from None
    if not raw.startswith(b"\x89PNG\r\n\x1a\n"):
        raise VisualInputError(f"{name} is not a PNG image (its first bytes are not PNG's signature)")
    try:
        with Image.open(io.BytesIO(raw), formats=["PNG"]) as image:
            if image.width * image.height > MAX_PIXELS:
                raise VisualInputError(f"{name} is {image.width}x{image.height}: too large for a screenshot")
            return np.asarray(image.convert("RGB"))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        if isinstance(exc, VisualInputError):
            raise
        raise VisualInputError(f"{name} is a corrupt PNG: {exc}") from None


def compare(
    baseline: np.ndarray, candidate: np.ndarray, thresholds: Thresholds, masks: list[Region] = ()
) -> Comparison:
    """Score `candidate` against `baseline` (RGB uint8 arrays); `masks` are blanked in both."""
    size_change = None
    if baseline.shape != candidate.shape:
        size_change = f"size changed from {_size(baseline)} to {_size(candidate)}"
    a, b = _on_canvas(baseline, candidate)
    if min(a.shape[:2]) < MIN_SIDE:
        raise VisualInputError(
            f"a {_size(a)} image is too small to compare: screenshots are at least {MIN_SIDE} pixels a side"
        )
    for mask in masks:
        a[mask.y : mask.y + mask.height, mask.x : mask.x + mask.width] = MASK_COLOUR
        b[mask.y : mask.y + mask.height, mask.x : mask.x + mask.width] = MASK_COLOUR
    changed = np.any(a != b, axis=2)
    ssim_map = _ssim_map(a, b, changed)
    r = WINDOW // 2
    inner = ssim_map[r:-r, r:-r] if min(ssim_map.shape) > 2 * r else ssim_map
    score = float(inner.mean())
    tiles = _tile_scores(_region_map(a, b, changed), thresholds.tile // 2)
    worst = np.unravel_index(np.argmin(tiles), tiles.shape)
    worst_score = float(tiles[worst])
    regions = _regions(tiles < thresholds.region_min, thresholds.tile, a.shape)
    worst_region = _tile_region(worst, thresholds.tile, a.shape) if worst_score < 1.0 else None
    reasons = []
    if size_change:
        reasons.append(size_change)
    if score < thresholds.global_min:
        reasons.append(f"SSIM {score:.4f} is below {thresholds.global_min}")
    if worst_score < thresholds.region_min:
        where = worst_region
        reasons.append(
            f"the region at x={where.x} y={where.y} ({where.width}x{where.height}) scores {worst_score:.4f}, "
            f"below {thresholds.region_min}"
        )
    passed = not reasons
    result = Score(
        score=score,
        worst_region=worst_region,
        worst_region_score=worst_score,
        passed=passed,
        reason="; ".join(reasons) if reasons else "unchanged" if not changed.any() else "within the thresholds",
        thresholds=thresholds,
        size=(a.shape[1], a.shape[0]),
        changed_regions=regions,
    )
    return Comparison(result, a, b, ssim_map, changed)


def _size(image: np.ndarray) -> str:
    return f"{image.shape[1]}x{image.shape[0]}"


def _on_canvas(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both images on a canvas of the larger width and height, padded with PAD_COLOUR (copies:
    masks are painted on them)."""
    height, width = max(a.shape[0], b.shape[0]), max(a.shape[1], b.shape[1])
    out = []
    for image in (a, b):
        canvas = np.empty((height, width, 3), dtype=np.uint8)
        canvas[...] = PAD_COLOUR
        canvas[: image.shape[0], : image.shape[1]] = image
        out.append(canvas)
    return out[0], out[1]


def _ssim_map(a: np.ndarray, b: np.ndarray, changed: np.ndarray) -> np.ndarray:
    """The per-pixel SSIM (mean over channels), computed on the changed pixels' bounding box
    grown by two window half-widths; every window outside it holds equal pixels, so SSIM 1."""
    ssim_map = np.ones(changed.shape, dtype=np.float32)
    rows, cols = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
    if rows.size == 0:
        return ssim_map
    r = WINDOW // 2
    top, bottom = max(rows[0] - 2 * r, 0), min(rows[-1] + 2 * r + 1, changed.shape[0])
    left, right = max(cols[0] - 2 * r, 0), min(cols[-1] + 2 * r + 1, changed.shape[1])
    if min(bottom - top, right - left) < WINDOW:  # skimage needs a window's room: take more
        top, left = max(top - WINDOW, 0), max(left - WINDOW, 0)
        bottom, right = min(bottom + WINDOW, changed.shape[0]), min(right + WINDOW, changed.shape[1])
    box = (slice(top, bottom), slice(left, right))
    _, full = structural_similarity(
        a[box].astype(np.float32),
        b[box].astype(np.float32),
        channel_axis=2,
        data_range=DATA_RANGE,
        win_size=WINDOW,
        full=True,
    )
    sub = full.mean(axis=2)
    # Only the part whose windows lie inside the box is exact; the rest of the box is 1 anyway
    # (its windows hold no changed pixel), except at the image's own border, where skimage's
    # reflection is the same in the box and in the whole image.
    y0 = 0 if top == 0 else r
    x0 = 0 if left == 0 else r
    y1 = sub.shape[0] if bottom == changed.shape[0] else sub.shape[0] - r
    x1 = sub.shape[1] if right == changed.shape[1] else sub.shape[1] - r
    ssim_map[top + y0 : top + y1, left + x0 : left + x1] = sub[y0:y1, x0:x1]
    return ssim_map


def _region_map(a: np.ndarray, b: np.ndarray, changed: np.ndarray) -> np.ndarray:
    """The SSIM map at half resolution of both images blurred, 1 away from the changed box."""
    height, width = changed.shape
    region_map = np.ones((-(-height // 2), -(-width // 2)), dtype=np.float32)
    rows, cols = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
    if rows.size == 0:
        return region_map
    # an even-aligned box, so its halves fall on the whole map's grid
    top, left = max(rows[0] - REGION_MARGIN, 0) // 2 * 2, max(cols[0] - REGION_MARGIN, 0) // 2 * 2
    bottom, right = min(rows[-1] + REGION_MARGIN + 1, height), min(cols[-1] + REGION_MARGIN + 1, width)
    halves = [
        ndimage.gaussian_filter(image[top:bottom, left:right].astype(np.float32), (BLUR_SIGMA, BLUR_SIGMA, 0))[::2, ::2]
        for image in (a, b)
    ]
    _, full = structural_similarity(*halves, channel_axis=2, data_range=DATA_RANGE, win_size=WINDOW, full=True)
    region_map[top // 2 : top // 2 + full.shape[0], left // 2 : left // 2 + full.shape[1]] = full.mean(axis=2)
    return region_map


def _tile_scores(ssim_map: np.ndarray, tile: int) -> np.ndarray:
    """The mean SSIM of each tile; edge tiles are partial."""
    height, width = ssim_map.shape
    rows, cols = -(-height // tile), -(-width // tile)
    padded = np.ones((rows * tile, cols * tile), dtype=np.float64)
    weights = np.zeros_like(padded)
    padded[:height, :width] = ssim_map
    weights[:height, :width] = 1
    sums = (padded * weights).reshape(rows, tile, cols, tile).sum(axis=(1, 3))
    counts = weights.reshape(rows, tile, cols, tile).sum(axis=(1, 3))
    return sums / counts


def _tile_region(index: tuple[int, int], tile: int, shape: tuple[int, ...]) -> Region:
    row, col = int(index[0]), int(index[1])
    x, y = col * tile, row * tile
    return Region(x, y, min(tile, shape[1] - x), min(tile, shape[0] - y))


def _regions(failing: np.ndarray, tile: int, shape: tuple[int, ...]) -> list[Region]:
    """The failing tiles joined into rectangles (8-connected groups), largest first."""
    labels, count = ndimage.label(failing, structure=np.ones((3, 3)))
    regions = []
    for rows, cols in ndimage.find_objects(labels)[:count]:
        x, y = cols.start * tile, rows.start * tile
        regions.append(Region(x, y, min(cols.stop * tile, shape[1]) - x, min(rows.stop * tile, shape[0]) - y))
    return sorted(regions, key=lambda g: -g.width * g.height)
