"""A set of screenshots as a directory: one PNG per route and viewport, and `manifest.json`.

The manifest names what was photographed and when: the commit, the time, the URL, and per shot
the route, viewport, file, SHA-256 of the image, HTTP status, and the error of a route that
gave no image. The directory is published to the artifact store as one key, so a set is either
complete or absent.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from odoosh.visual.capture import Shot

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class StoredShot:
    route: str
    viewport: str
    file: str | None  # None: the route gave no image (see `error`)
    sha256: str | None
    status: int | None
    error: str | None
    attempts: int


@dataclass(frozen=True)
class ShotSet:
    commit: str
    taken_at: str
    url: str
    shots: list[StoredShot]

    def find(self, route: str, viewport: str) -> StoredShot | None:
        return next((s for s in self.shots if s.route == route and s.viewport == viewport), None)


def file_name(route: str, viewport: str) -> str:
    """A file name for a route: readable, and unique through a digest of the exact route."""
    # Not parsing anything: only folding a path into characters every filesystem and S3 accept.
    slug = re.sub(r"[^a-z0-9]+", "-", route.lower()).strip("-")[:60] or "root"
    return f"{slug}-{hashlib.sha256(route.encode()).hexdigest()[:8]}.{viewport}.png"


def write(directory: Path, shots: list[Shot], *, commit: str, url: str) -> ShotSet:
    """Write the PNGs and the manifest into `directory` (created)."""
    directory.mkdir(parents=True, exist_ok=True)
    stored = []
    for shot in shots:
        name = file_name(shot.route, shot.viewport) if shot.png else None
        if name:
            (directory / name).write_bytes(shot.png)
        stored.append(
            StoredShot(
                route=shot.route,
                viewport=shot.viewport,
                file=name,
                sha256=hashlib.sha256(shot.png).hexdigest() if shot.png else None,
                status=shot.status,
                error=shot.error,
                attempts=shot.attempts,
            )
        )
    shot_set = ShotSet(commit, datetime.now(UTC).isoformat(timespec="seconds"), url, stored)
    (directory / MANIFEST).write_text(json.dumps(asdict(shot_set), indent=2))
    return shot_set


def read(directory: Path) -> ShotSet:
    data = json.loads((directory / MANIFEST).read_text())
    return ShotSet(data["commit"], data["taken_at"], data["url"], [StoredShot(**s) for s in data["shots"]])


def image(directory: Path, shot: StoredShot) -> bytes:
    """A stored shot's PNG, checked against the manifest's digest: a replaced file is refused."""
    data = (directory / shot.file).read_bytes()
    if hashlib.sha256(data).hexdigest() != shot.sha256:
        raise ValueError(f"{shot.file} does not match the SHA-256 in its manifest: the set was changed after capture")
    return data
