"""`python -m odoosh.visual compare BASELINE.png CANDIDATE.png --viewport desktop|mobile [--mask x,y,w,h ...]`

Prints the verdict as JSON (global score, worst region and its score, pass or fail) and exits 0
on pass, 1 on fail, 2 on bad input (whose reason is the last line, on stderr). Usable in any CI.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from odoosh.visual import images
from odoosh.visual.score import VIEWPORT_THRESHOLDS, Region, VisualInputError, compare, load_png


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m odoosh.visual", description=__doc__.split("\n\n")[1])
    commands = parser.add_subparsers(dest="command", required=True)
    cmp = commands.add_parser("compare", help="score a candidate screenshot against its baseline")
    cmp.add_argument("baseline", type=Path)
    cmp.add_argument("candidate", type=Path)
    cmp.add_argument("--viewport", choices=sorted(VIEWPORT_THRESHOLDS), required=True)
    cmp.add_argument("--mask", action="append", default=[], metavar="X,Y,W,H", help="a dynamic region to ignore")
    cmp.add_argument("--min-score", type=float, help="the global SSIM to reach (default: the viewport's)")
    cmp.add_argument("--min-region-score", type=float, help="the worst tile's SSIM to reach")
    cmp.add_argument("--diff", type=Path, metavar="PNG", help="also write the diff image here")
    args = parser.parse_args(argv)
    try:
        thresholds = _thresholds(args)
        masks = [Region.parse(m) for m in args.mask]
        comparison = compare(load_png(args.baseline), load_png(args.candidate), thresholds, masks)
        if args.diff:
            args.diff.write_bytes(images.png_bytes(images.diff_image(comparison)))
    except (VisualInputError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(comparison.score.as_json(), indent=2))
    return 0 if comparison.score.passed else 1


def _thresholds(args: argparse.Namespace):
    thresholds = VIEWPORT_THRESHOLDS[args.viewport]
    given = {"global_min": ("--min-score", args.min_score), "region_min": ("--min-region-score", args.min_region_score)}
    for flag, value in given.values():
        if value is not None and not 0 < value <= 1:
            raise VisualInputError(f"{flag} must be in (0, 1], not {value}")
    return dataclasses.replace(thresholds, **{k: v for k, (_, v) in given.items() if v is not None})


if __name__ == "__main__":
    sys.exit(main())
