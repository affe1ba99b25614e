"""SHA-256 of every file of a tree, for the manifests of dumps and backups."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

CHUNK = 1 << 20


def sha256_tree(directory: Path) -> dict[str, str]:
    """SHA-256 of every file under `directory`, by relative POSIX path, for dump manifests."""
    directory = Path(directory)
    files = sorted(p for p in directory.rglob("*") if p.is_file())
    with ThreadPoolExecutor(2) as pool:  # hashlib releases the GIL: two files hash at once
        digests = pool.map(_sha256, files)
    return {p.relative_to(directory).as_posix(): d for p, d in zip(files, digests, strict=True)}


def verify_tree(directory: Path, expected: dict[str, str], ignore: Collection[str] = ()) -> list[str]:
    """What differs between `directory` (but the files in `ignore`) and the checksums in
    `expected`; empty when it matches."""
    actual = {name: digest for name, digest in sha256_tree(directory).items() if name not in ignore}
    problems = []
    for name in sorted(actual.keys() | expected.keys()):
        if name not in actual:
            problems.append(f"missing: {name}")
        elif name not in expected:
            problems.append(f"unexpected file: {name}")
        elif actual[name] != expected[name]:
            problems.append(f"checksum mismatch: {name}")
    return problems


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
