"""ArtifactStore on a local directory and on S3 (a loopback moto server); checksum helpers."""

import errno
import hashlib
import os
import shutil
import stat
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import httpx
import pytest

from odoosh.artifacts import (
    COMPLETE,
    ArtifactError,
    ArtifactNotFound,
    ArtifactStore,
)
from odoosh.checksums import sha256_tree, verify_tree

KEY = "snapshots/2026-11-25T17:16:05+00:00"
FILES = {"toc.dat": b"toc", "3001.dat.gz": b"\x1f\x8b table data", "blobs/1.dat": b"large object"}


def make_tree(path: Path, files: dict[str, bytes] = FILES) -> Path:
    for name, data in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_bytes(data)
    return path


def digests(files: dict[str, bytes]) -> dict[str, str]:
    return {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}


@pytest.fixture
def s3_store(moto_endpoint, fake_aws, monkeypatch):
    """A store in a fresh bucket, with fake credentials from the environment only."""
    for name, value in fake_aws.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    bucket = f"test-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=moto_endpoint).create_bucket(Bucket=bucket)
    return ArtifactStore(url=f"s3://{bucket}/dumps", endpoint_url=moto_endpoint)


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.cluster)])
def store(request, tmp_path):
    if request.param == "local":
        return ArtifactStore(url=str(tmp_path / "store"))
    return request.getfixturevalue("s3_store")


def test_publish_read_list_delete(store, tmp_path):
    source = make_tree(tmp_path / "dump")
    store.publish_dir(KEY, source)

    assert not source.exists(), "publish_dir consumes the local directory"
    assert store.exists(KEY)
    with store.local_copy(KEY) as copy:
        assert sha256_tree(copy) == digests(FILES)
    with pytest.raises(ArtifactError, match="already exists"):
        store.publish_dir(KEY, make_tree(tmp_path / "again"))

    store.write_json("snapshots/manifest.json", {"files": digests(FILES), "rows": 3})
    assert store.read_json("snapshots/manifest.json") == {"files": digests(FILES), "rows": 3}
    assert store.list() == ["snapshots"]
    assert store.list("snapshots") == ["2026-11-25T17:16:05+00:00", "manifest.json"]
    assert store.list("nothing/here") == []

    store.delete(KEY)
    store.delete(KEY)  # idempotent
    assert not store.exists(KEY)
    assert store.list("snapshots") == ["manifest.json"]
    with (
        pytest.raises(ArtifactNotFound, match=r"snapshots/2026-11-25T17:16:05\+00:00"),
        store.local_copy(KEY),
    ):
        pass
    with pytest.raises(ArtifactNotFound, match="absent.json"):
        store.read_json("absent.json")


@pytest.mark.parametrize(
    "key", ["", "/etc", "a/../b", "..", "a//b", "a/", ".hidden", "-rf", "a b", "a\nb", "é", "a\\b"]
)
def test_bad_keys_are_rejected_before_any_io(key, tmp_path):
    store = ArtifactStore(url=str(tmp_path / "store"))
    with pytest.raises(ValueError, match="invalid artifact key"):
        store.write_json(key, {})
    with pytest.raises(ValueError, match="invalid artifact key"):
        store.exists(key)
    assert not (tmp_path / "store").exists()


def test_json_is_replaced_atomically(tmp_path):
    store = ArtifactStore(url=str(tmp_path))
    store.write_json("latest.json", {"key": "old"})
    inode = (tmp_path / "latest.json").stat().st_ino

    with pytest.raises(TypeError):
        store.write_json("latest.json", {"key": "new", "bad": object()})
    assert store.read_json("latest.json") == {"key": "old"}

    store.write_json("latest.json", {"key": "new"})
    assert store.read_json("latest.json") == {"key": "new"}
    assert (tmp_path / "latest.json").stat().st_ino != inode, "written in place, not renamed"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.json"]


def test_local_publish_across_filesystems_is_atomic(tmp_path, monkeypatch):
    """A copy (another filesystem) is built under a hidden name: an interruption leaves no
    artifact, and the retry replaces the leftover."""
    store = ArtifactStore(url=str(tmp_path / "store"))
    source = make_tree(tmp_path / "dump")
    real_rename, real_copytree = os.rename, shutil.copytree

    def rename(src, dst):
        if Path(src) == source:
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        real_rename(src, dst)

    def copy_then_crash(src, dst):
        shutil.copy2(src, dst)
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "rename", rename)
    monkeypatch.setattr(shutil, "copytree", lambda src, dst: real_copytree(src, dst, copy_function=copy_then_crash))
    with pytest.raises(KeyboardInterrupt):
        store.publish_dir(KEY, source)
    assert sha256_tree(source) == digests(FILES), "the source survives a failed publish"
    assert not store.exists(KEY)
    assert store.list("snapshots") == []
    assert any(p.name.startswith(".") for p in (tmp_path / "store/snapshots").iterdir())

    monkeypatch.setattr(shutil, "copytree", real_copytree)
    store.publish_dir(KEY, source)
    assert not source.exists()
    assert [p.name for p in (tmp_path / "store/snapshots").iterdir()] == [KEY.split("/")[1]]
    with store.local_copy(KEY) as copy:
        assert sha256_tree(copy) == digests(FILES)


def test_local_store_is_private(tmp_path):
    store = ArtifactStore(url=f"file://{tmp_path}/srv/store")
    source = make_tree(tmp_path / "dump")
    source.chmod(0o755)
    store.publish_dir(KEY, source)
    store.write_json("manifest.json", {})

    def mode(relative: str) -> int:
        return stat.S_IMODE((tmp_path / relative).stat().st_mode)

    assert mode("srv") == mode("srv/store") == mode("srv/store/snapshots") == 0o700
    assert mode(f"srv/store/{KEY}") == 0o700
    assert mode("srv/store/manifest.json") == 0o600
    assert store.describe() == f"{tmp_path}/srv/store"


def test_unusable_local_store_names_path_and_fix(tmp_path):
    (tmp_path / "occupied").write_text("a file where the store should be")
    store = ArtifactStore(url=str(tmp_path / "occupied" / "store"))
    with pytest.raises(ArtifactError, match=rf"{tmp_path}/occupied/store.*url"):
        store.write_json("manifest.json", {})


def test_s3_incomplete_upload_is_absent(s3_store, tmp_path):
    """What a killed upload leaves (files, the in-progress marker, no .complete) is invisible,
    and publishing the key again replaces it."""
    client = boto3.client("s3", endpoint_url=s3_store.endpoint_url)
    bucket = urlsplit(s3_store.url).netloc
    client.put_object(Bucket=bucket, Key="dumps/snapshots/.run1.partial", Body=b"")
    client.put_object(Bucket=bucket, Key="dumps/snapshots/run1/stale.dat", Body=b"half")

    assert not s3_store.exists("snapshots/run1")
    assert s3_store.list("snapshots") == []
    missing = pytest.raises(ArtifactNotFound, match=rf"'snapshots/run1' in s3://{bucket}/dumps")
    with missing, s3_store.local_copy("snapshots/run1"):
        pass

    s3_store.publish_dir("snapshots/run1", make_tree(tmp_path / "dump"))
    assert s3_store.list("snapshots") == ["run1"]
    with s3_store.local_copy("snapshots/run1") as copy:
        assert sha256_tree(copy) == digests(FILES)

    client.delete_object(Bucket=bucket, Key=f"dumps/snapshots/run1/{COMPLETE}")
    assert not s3_store.exists("snapshots/run1")


def test_s3_multipart_download_is_temporary(s3_store, tmp_path):
    big = {"big.dat": os.urandom(9 << 20), **FILES}  # above boto3's 8 MiB multipart threshold
    s3_store.publish_dir(KEY, make_tree(tmp_path / "dump", big))
    store = ArtifactStore(url=s3_store.url, endpoint_url=s3_store.endpoint_url, work_dir=str(tmp_path / "work"))
    (tmp_path / "work").mkdir()

    with store.local_copy(KEY) as copy:
        assert copy.parent == tmp_path / "work"
        assert verify_tree(copy, digests(big)) == []
    assert not copy.exists()
    assert list((tmp_path / "work").iterdir()) == []


def test_describe_hides_credentials():
    store = ArtifactStore(url="s3://bucket/scrubbed", endpoint_url="https://minio:secret@minio.lan:9000")
    assert store.describe() == "s3://bucket/scrubbed at https://minio.lan:9000"


def test_checksums_report_flipped_missing_and_extra_files(tmp_path):
    tree = make_tree(tmp_path / "dump")
    expected = sha256_tree(tree)
    assert expected == digests(FILES)
    assert verify_tree(tree, expected) == []

    data = bytearray((tree / "3001.dat.gz").read_bytes())
    data[3] ^= 0x01
    (tree / "3001.dat.gz").write_bytes(data)
    (tree / "blobs/1.dat").unlink()
    (tree / "extra.dat").write_bytes(b"")
    assert verify_tree(tree, expected) == [
        "checksum mismatch: 3001.dat.gz",
        "missing: blobs/1.dat",
        "unexpected file: extra.dat",
    ]


def test_a_link_opens_one_stored_file(store, tmp_path):
    """What a PR's report link is: file:// for a directory, a presigned GET for S3."""
    store.publish_dir("reports/r1", make_tree(tmp_path / "tree"))
    link = store.link("reports/r1", "toc.dat")
    if link.startswith("file://"):
        assert Path(urlsplit(link).path).read_bytes() == FILES["toc.dat"]
    else:
        assert httpx.get(link, timeout=10).content == FILES["toc.dat"]  # no credentials: the link is enough
        assert "Signature=" in link and "Expires=" in link  # moto does not check them; S3 does
    with pytest.raises(ValueError, match="invalid artifact key"):
        store.link("reports/r1", "../secret")


def test_keep_newest_deletes_the_oldest_timed_keys_only(tmp_path):
    store = ArtifactStore(str(tmp_path / "store"))
    for name in ("20260101T000000Z-a", "20260102T000000Z-b", "20260103T000000Z-c"):
        store.publish_dir(f"sets/{name}", make_tree(tmp_path / name))
    store.write_json("sets/current.json", {"key": "sets/20260103T000000Z-c"})
    assert store.keep_newest("sets", 2) == ["sets/20260101T000000Z-a"]
    assert store.list("sets") == ["20260102T000000Z-b", "20260103T000000Z-c", "current.json"]
    assert store.keep_newest("sets", 5) == []
