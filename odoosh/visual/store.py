"""Where the visual gate keeps its sets and reports: the `visual` artifact store.

    baselines/<key>/            main's screenshots (a `shots` set), baselines/current.json names the newest
    previews/pr-<n>/<key>/      a PR's screenshots, previews/pr-<n>/current.json
    reports/pr-<n>/<key>/       a PR's report: report.html, verdict.json, the images

A set is published as one key and `current.json` is rewritten after it, so a reader sees the
previous complete set or the new one; the `KEEP` newest keys of each prefix stay.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

from odoosh.artifacts import ArtifactStore
from odoosh.visual import gate, shots
from odoosh.visual.capture import Shot
from odoosh.visual.score import Thresholds

BASELINES, PREVIEWS, REPORTS, CURRENT = "baselines", "previews", "reports", "current.json"
KEEP = 5  # per prefix: the current set and a few earlier ones to compare by hand


def preview_prefix(partition: str) -> str:
    return f"{PREVIEWS}/{partition}"


def publish(store: ArtifactStore, prefix: str, key: str, taken: list[Shot], *, commit: str, url: str) -> shots.ShotSet:
    """Store `taken` under `key` (within `prefix`) and make it the prefix's current set."""
    with tempfile.TemporaryDirectory(dir=store.work_dir) as tmp:
        shot_set = shots.write(Path(tmp) / "set", taken, commit=commit, url=url)
        store.publish_dir(key, Path(tmp) / "set")
    store.write_json(f"{prefix}/{CURRENT}", {"key": key, "commit": commit})
    store.keep_newest(prefix, KEEP)
    return shot_set


@contextlib.contextmanager
def _current(store: ArtifactStore, prefix: str) -> Iterator[Path | None]:
    """A local copy of the prefix's current set, or None when there is none yet."""
    if not store.exists(f"{prefix}/{CURRENT}"):
        yield None
        return
    with store.local_copy(store.read_json(f"{prefix}/{CURRENT}")["key"]) as directory:
        yield directory


def judge(
    store: ArtifactStore,
    partition: str,
    report_key: str,
    thresholds: dict[str, Thresholds],
    *,
    override: str | None,
) -> gate.Verdict:
    """The PR's current set against main's current baselines; the report is stored under
    `report_key`. Raises LookupError when the PR has no screenshots yet."""
    if not store.exists(f"{preview_prefix(partition)}/{CURRENT}"):
        raise LookupError(f"{partition} has no screenshots yet: materialise preview_screenshots first")
    with (
        tempfile.TemporaryDirectory(dir=store.work_dir) as tmp,
        _current(store, preview_prefix(partition)) as preview_dir,
        _current(store, BASELINES) as baseline_dir,
    ):
        verdict = gate.judge(baseline_dir, preview_dir, Path(tmp) / "report", thresholds, override=override)
        store.publish_dir(report_key, Path(tmp) / "report")
    store.keep_newest(f"{REPORTS}/{partition}", KEEP)
    return verdict


def remove(store: ArtifactStore, partition: str) -> None:
    """Everything of one PR (its preview is torn down); main's baselines stay."""
    store.delete(preview_prefix(partition))
    store.delete(f"{REPORTS}/{partition}")
