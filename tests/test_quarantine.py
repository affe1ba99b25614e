"""The quarantine without Dagster: the constraints a scrub could break, and the scrubbed
artifact's two archives (rows, then production's indexes and constraints)."""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest

from odoosh.phases import Phases
from odoosh.postgres import PostgresError
from odoosh.staging import promote, quarantine, snapshot
from odoosh.staging.scrub import constraints
from odoosh.staging.scrub.policy import load_policy

SCHEMA = """
CREATE TABLE x_branch (id serial, city varchar);
CREATE TABLE x_tag (id serial, weight int);
CREATE TABLE x_note (id serial, tag_id int, branch_id int);
"""
CONSTRAINTS = """
ALTER TABLE x_branch ADD PRIMARY KEY (id);
ALTER TABLE x_tag ADD PRIMARY KEY (id);
ALTER TABLE x_note ADD PRIMARY KEY (id);
CREATE UNIQUE INDEX x_branch_city_uniq ON x_branch (city);
ALTER TABLE x_note ADD CONSTRAINT x_note_tag_fk FOREIGN KEY (tag_id) REFERENCES x_tag (id);
ALTER TABLE x_note ADD CONSTRAINT x_note_branch_fk FOREIGN KEY (branch_id) REFERENCES x_branch (id);
"""


def _fill(conn, branches: int) -> None:
    conn.execute("INSERT INTO x_branch (city) SELECT 'Town ' || i FROM generate_series(1, %s) i", (branches,))
    conn.execute("INSERT INTO x_tag (weight) VALUES (1), (2)")
    conn.execute("INSERT INTO x_note (tag_id, branch_id) VALUES (1, 1), (2, 2), (NULL, 3)")


@pytest.fixture
def schema_and_copy(pg, fresh_db):
    """`fresh_db` with the constraints (production's schema, no rows) and a copy without them,
    with rows (the quarantine)."""
    copy = fresh_db + "_q"
    pg.databases.drop(copy)
    pg.databases.create(copy)
    with pg.connect(fresh_db) as schema, pg.connect(copy) as quarantine:
        schema.execute(SCHEMA + CONSTRAINTS)
        quarantine.execute(SCHEMA)
        _fill(quarantine, 5)
    yield fresh_db, copy
    pg.databases.drop(copy)


def test_only_constraints_over_written_columns_are_at_risk(pg, schema_and_copy):
    with pg.connect(schema_and_copy[0]) as schema:
        names = lambda written: sorted(c.name for c in constraints.at_risk(schema, written))  # noqa: E731
        assert names({}) == []
        assert names({"x_branch": ["city"]}) == ["x_branch_city_uniq"]
        assert names({"x_note": ["branch_id"]}) == ["x_note_branch_fk"]
        # Rows deleted: foreign keys into the table, not its own unique indexes.
        assert names({"x_tag": [constraints.ROWS_DELETED]}) == ["x_note_tag_fk"]
        assert names({"x_tag": ["weight"], "x_note": ["id"]}) == ["x_note_pkey"]


def test_broken_constraints_are_named_without_values(pg, schema_and_copy):
    schema_db, quarantine_db = schema_and_copy
    with pg.connect(schema_db) as schema, pg.connect(quarantine_db, autocommit=True) as quarantine:
        written = {"x_branch": ["city"], "x_tag": [constraints.ROWS_DELETED]}
        at_risk = constraints.at_risk(schema, written)
        assert constraints.broken(quarantine, at_risk) == []
        quarantine.execute("UPDATE x_branch SET city = 'Same Town' WHERE id IN (1, 2)")
        quarantine.execute("DELETE FROM x_tag WHERE weight = 1")
        failures = constraints.broken(quarantine, at_risk)
        assert [f.split(":")[0] for f in failures] == ["x_branch_city_uniq on x_branch", "x_note_tag_fk on x_note"]
        assert not any("Same Town" in f for f in failures)
        # The proofs were rolled back: the quarantine still has no index and no constraint.
        assert (
            quarantine.execute("SELECT count(*) FROM pg_index WHERE indrelid::regclass::text LIKE 'x\\_%'").fetchone()[
                0
            ]
            == 0
        )
        assert quarantine.execute("SELECT count(*) FROM pg_constraint WHERE conname LIKE 'x\\_%'").fetchone()[0] == 0


@pytest.fixture
def work_dir():
    path = Path(tempfile.mkdtemp(prefix="odoosh-quarantine-"))
    path.chmod(0o711)  # the PostgreSQL server user keeps its cluster here
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _settings(work_dir: Path, policy_text: str, tmp_path: Path) -> quarantine.QuarantineSettings:
    extra = tmp_path / "policy.yaml"
    extra.write_text(policy_text)
    return quarantine.QuarantineSettings(
        policy=load_policy([extra]),
        salt="salt",
        admin_password="pw",
        base_url="http://staging.test",
        smtp_host="127.0.0.1",
        smtp_port=1025,
        jobs=2,
        work_dir=work_dir,
    )


def test_a_policy_that_breaks_a_constraint_publishes_nothing(pg, copy_of, work_dir, tmp_path, monkeypatch):
    """600 towns faked from a pool of 500 cities must collide: staging could not build the
    unique index, so the quarantine refuses; `unique: true` repairs it."""
    monkeypatch.setattr(quarantine, "UNLOGGED_MIN_ROWS", 1)
    prod = copy_of("o16base")
    with pg.connect(prod) as conn:
        conn.execute(SCHEMA + CONSTRAINTS)
        _fill(conn, 600)
    snapshot_dir = work_dir / "snapshot"
    snapshot.snapshot(pg.dsn(prod), snapshot_dir, jobs=2, log=lambda m: None)

    out = work_dir / "scrubbed"
    broken = _settings(work_dir, "x_branch: {city: fake_city}\nx_tag: delete_rows\n", tmp_path)
    with pytest.raises(
        PostgresError,
        match=r"broke 2 of production's constraints.*x_branch_city_uniq on x_branch.*"
        r"x_note_tag_fk on x_note.*unique: true",
    ):
        quarantine.quarantine(snapshot_dir, out, broken, Phases(lambda m: None))
    assert not out.exists()

    # The snapshot is uncompressed (the default); the scrubbed dump at the level asked for.
    repaired = _settings(work_dir, "x_branch: {city: {strategy: fake_city, unique: true}}\n", tmp_path)
    gates, _ = quarantine.quarantine(snapshot_dir, out, replace(repaired, compression=1), Phases(lambda m: None))
    assert gates.passed
    assert snapshot.verified(out)["gates_passed"]
    assert {f.suffix for f in (snapshot_dir / "dump").glob("[0-9]*.dat*")} == {".dat"}
    assert {f.suffix for f in (out / "data").glob("[0-9]*.dat*")} == {".gz"}
    staging = f"{prod}_staging"
    pg.databases.create(staging)
    try:
        promote.restore_scrubbed(out, pg.dsn(staging), jobs=2, log=lambda m: None)
        with pg.connect(staging) as conn:
            # Indexes and constraints come from the post-data archive, built once, in staging.
            assert conn.execute("SELECT count(*) FROM pg_indexes WHERE indexname = 'x_branch_city_uniq'").fetchone()[0]
            assert conn.execute("SELECT count(*) FROM pg_constraint WHERE conname = 'x_note_tag_fk'").fetchone()[0]
            assert conn.execute("SELECT count(DISTINCT city) FROM x_branch").fetchone()[0] == 600
            # The quarantine's tables were unlogged; staging's are all crash-safe.
            assert (
                conn.execute(
                    "SELECT count(*) FROM pg_class WHERE relpersistence <> 'p' "
                    "AND relnamespace = 'public'::regnamespace"
                ).fetchone()[0]
                == 0
            )
    finally:
        pg.databases.drop(staging)
    # Both archives are under the manifest: a file lost in transit is named.
    (out / "schema" / "toc.dat").unlink()
    with pytest.raises(PostgresError, match="does not match its manifest: missing: schema/toc.dat"):
        snapshot.verified(out)


def test_an_artifact_of_another_layout_is_refused_clearly(tmp_path):
    (tmp_path / "dump").mkdir()
    (tmp_path / "dump" / "toc.dat").write_bytes(b"toc")
    (tmp_path / snapshot.MANIFEST).write_text(json.dumps({"checksums": {"toc.dat": "0" * 64}}))
    with pytest.raises(PostgresError, match="another version of odoosh .layout 1.*materialise prod_snapshot"):
        snapshot.verified(tmp_path)
