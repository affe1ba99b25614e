"""The visual parity gate: a preview's screenshots against the main branch's baselines.

Per route and viewport the result is `passed` or `failed` (scores against the viewport's
thresholds), `new` (no baseline yet: not a failure; the next baseline on main takes it), or
`error` (the preview's route answered an HTTP error, timed out, or never rendered the same twice:
a failure, with the reason). The report directory gets, per compared pair, the diff image, the
three images side by side and a thumbnail, plus `report.html` and `verdict.json`.
"""

from __future__ import annotations

import html
import json
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

from odoosh.visual import images, shots
from odoosh.visual.score import Region, Thresholds, compare, load_png

REPORT = "report.html"
VERDICT = "verdict.json"


@dataclass(frozen=True)
class RouteResult:
    route: str
    viewport: str
    status: str  # passed | failed | new | error
    reason: str
    score: float | None = None
    worst_region: Region | None = None
    worst_region_score: float | None = None
    files: dict[str, str] = field(default_factory=dict)  # baseline, preview, diff, side_by_side, thumbnail

    @property
    def ok(self) -> bool:
        return self.status in ("passed", "new")

    def describe(self) -> str:
        """One line for logs and check metadata: route, viewport, result, scores, why."""
        scores = "" if self.score is None else f" SSIM {self.score:.4f}, worst region {self.worst_region_score:.4f}"
        return f"{self.route} ({self.viewport}) {self.status}{scores}: {self.reason}"


@dataclass(frozen=True)
class Verdict:
    results: list[RouteResult]
    baseline_commit: str | None
    preview_commit: str
    override: str | None = None  # the label that turned a failure into a pass

    @property
    def failing(self) -> list[RouteResult]:
        return [r for r in self.results if not r.ok]

    @property
    def passed(self) -> bool:
        return not self.failing or self.override is not None

    def summary(self) -> str:
        """The verdict in a line: the check's description and the commit status's."""
        failing = len(self.failing)
        if self.override:
            return f"passed by override (label {self.override}); {failing} route(s) changed"
        if failing:
            return f"{failing} of {len(self.results)} route(s) failed"
        new = sum(r.status == "new" for r in self.results)
        return f"{len(self.results)} route(s) passed" + (f", {new} new (no baseline yet)" if new else "")

    def worst(self) -> RouteResult | None:
        scored = [r for r in self.results if r.worst_region_score is not None]
        return min(scored, key=lambda r: r.worst_region_score, default=None)

    def as_json(self) -> dict:
        return {**asdict(self), "passed": self.passed, "failing": len(self.failing)}


def judge(
    baseline_dir: Path | None,
    preview_dir: Path,
    report_dir: Path,
    thresholds: dict[str, Thresholds],
    *,
    override: str | None = None,
) -> Verdict:
    """Compare every shot of `preview_dir` with its baseline and write the report into `report_dir`.
    `override`: the maintainer's label on the PR, which makes a failing verdict pass, recorded."""
    report_dir.mkdir(parents=True, exist_ok=True)
    preview = shots.read(preview_dir)
    baseline = shots.read(baseline_dir) if baseline_dir else None
    results = [_result(shot, baseline, baseline_dir, preview_dir, report_dir, thresholds) for shot in preview.shots]
    failing = any(not r.ok for r in results)
    verdict = Verdict(results, baseline.commit if baseline else None, preview.commit, override if failing else None)
    (report_dir / VERDICT).write_text(json.dumps(verdict.as_json(), indent=2))
    (report_dir / REPORT).write_text(render(verdict))
    return verdict


def _result(shot, baseline, baseline_dir, preview_dir, report_dir, thresholds) -> RouteResult:
    where = (shot.route, shot.viewport)
    if shot.error or shot.file is None:  # an HTTP error, a timeout, or a page that never rendered twice the same
        return RouteResult(*where, "error", shot.error or "no image")
    preview_png = shots.image(preview_dir, shot)
    stem = Path(shot.file).stem
    files = {"preview": f"{stem}.preview.png"}
    (report_dir / files["preview"]).write_bytes(preview_png)
    base = baseline.find(*where) if baseline else None
    if base is None or base.file is None or base.error:
        why = f"main's shot failed ({base.error})" if base and base.error else "no baseline yet"
        return RouteResult(*where, "new", f"{why}: the next baseline on main takes this one", files=files)
    files["baseline"] = f"{stem}.baseline.png"
    shutil.copyfile(baseline_dir / base.file, report_dir / files["baseline"])
    comparison = compare(load_png(shots.image(baseline_dir, base)), load_png(preview_png), thresholds[shot.viewport])
    diff = images.diff_image(comparison)
    for name, image in (
        ("diff", diff),
        ("side_by_side", images.side_by_side(comparison, diff)),
        ("thumbnail", images.thumbnail(diff)),
    ):
        files[name] = f"{stem}.{name}.png"
        (report_dir / files[name]).write_bytes(images.png_bytes(image))
    score = comparison.score
    return RouteResult(
        *where,
        "passed" if score.passed else "failed",
        score.reason,
        score.score,
        score.worst_region,
        score.worst_region_score,
        files,
    )


def render(verdict: Verdict) -> str:
    """The HTML report: one row per route and viewport, the images linked, the scores shown."""
    e = html.escape
    rows = []
    for r in verdict.results:
        cells = "".join(
            f'<td><a href="{e(r.files[k])}"><img src="{e(r.files[k])}" alt="{k}" loading="lazy"></a></td>'
            if k in r.files
            else "<td>—</td>"
            for k in ("baseline", "preview", "diff")
        )
        score = "" if r.score is None else f"{r.score:.4f}"
        region = "" if r.worst_region_score is None else f"{r.worst_region_score:.4f}"
        rows.append(
            f'<tr class="{e(r.status)}"><th>{e(r.route)}<br><small>{e(r.viewport)}</small></th>'
            f"<td>{e(r.status)}</td><td>{score}</td><td>{region}</td><td>{e(r.reason)}</td>{cells}</tr>"
        )
    head = "passed" if verdict.passed else "failed"
    if verdict.override:
        head = f"passed by override (label {e(verdict.override)})"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Visual parity: {e(head)}</title>
<style>
body {{ font-family: sans-serif; margin: 1rem; }}
table {{ border-collapse: collapse; }} th, td {{ border: 1px solid #ccc; padding: .3rem; vertical-align: top; }}
img {{ max-width: 360px; }} tr.failed, tr.error {{ background: #fde8e8; }} tr.new {{ background: #eef4fd; }}
</style></head><body>
<h1>Visual parity: {e(head)}</h1>
<p>Preview commit <code>{e(verdict.preview_commit)}</code> against the baseline of
<code>{e(verdict.baseline_commit or "none")}</code>.</p>
<table><tr><th>route</th><th>result</th><th>SSIM</th><th>worst region</th><th>why</th>
<th>baseline</th><th>preview</th><th>diff</th></tr>
{chr(10).join(rows)}
</table></body></html>
"""
