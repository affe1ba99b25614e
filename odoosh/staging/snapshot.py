"""Production's snapshot, and the manifest every artifact of the staging chain carries.

A manifest records what an artifact's archives hold (row counts, sizes) and the sha256 of
every file, so a file changed or lost since it was written is found before anything is
restored from it; its `layout` tells an artifact of another odoosh version.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql

from odoosh.checksums import sha256_tree, verify_tree
from odoosh.postgres import PostgresError, connect, dumps

Log = Callable[[str], None]
MANIFEST = "manifest.json"
LAYOUT = 2  # of an artifact's archives; 2: scrubbed dumps are `schema` + `data`


def table_rows(conn: psycopg.Connection) -> dict[str, int]:
    """Exact row count of every table of schema public, as this transaction sees them."""
    tables = [
        name
        for (name,) in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    ]
    return {
        table: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()[0]
        for table in tables
    }


def snapshot(dsn: str, artifact_dir: Path, *, jobs: int, log: Log, compression: int = dumps.UNCOMPRESSED) -> dict:
    """Dump production into `artifact_dir/dump` (gzip level `compression`) and write
    `artifact_dir/manifest.json`.

    The row counts and the dump read one exported snapshot, so the counts are exactly what
    the dump holds and the quarantine restore can be verified against them.
    """
    started = time.monotonic()
    artifact_dir.mkdir()
    with connect(dsn) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        exported = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        dumps.dump(dsn, artifact_dir / "dump", jobs=jobs, log=log, snapshot=exported, compression=compression)
        rows = table_rows(conn)
        conn.rollback()
    return write_manifest(artifact_dir, {"seconds": round(time.monotonic() - started, 2), "rows": rows})


def write_manifest(artifact_dir: Path, facts: dict) -> dict:
    """Write the manifest of the archives in `artifact_dir`: `facts`, sizes and checksums."""
    checksums = sha256_tree(artifact_dir)
    manifest = {
        "layout": LAYOUT,
        "created_at": datetime.now(UTC).isoformat(),
        **facts,
        "size_bytes": sum((artifact_dir / name).stat().st_size for name in checksums),
        "checksums": checksums,
    }
    (artifact_dir / MANIFEST).write_text(json.dumps(manifest, indent=1))
    return manifest


def verified(artifact_dir: Path) -> dict:
    """The artifact's manifest, after checking every file of its archives against it."""
    manifest = json.loads((artifact_dir / MANIFEST).read_text())
    if manifest.get("layout") != LAYOUT:
        raise PostgresError(
            f"{artifact_dir} was written by another version of odoosh (layout "
            f"{manifest.get('layout', 1)}, this one reads {LAYOUT}): materialise prod_snapshot "
            "and scrubbed_dump again to replace it."
        )
    if problems := verify_tree(artifact_dir, manifest["checksums"], ignore=(MANIFEST,)):
        raise PostgresError(f"The dump in {artifact_dir} does not match its manifest: {'; '.join(problems[:5])}")
    return manifest
