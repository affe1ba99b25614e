"""Artifact store for database dumps and their JSON manifests: a local directory or S3.

Keys are ``/``-separated relative names. A key holds either a directory tree (``publish_dir``) or
a JSON document (``write_json``); a key may also just group other keys. Names starting with ``.``
are never keys: they are reserved for the store's own bookkeeping, so nothing of it is ever
listed or mistaken for an artifact.

Layout and crash safety (a run may be killed at any moment):

- local: a tree appears under its key in one ``os.rename``; when it must be copied (another
  filesystem), the copy is built in the hidden sibling ``.<name>.partial`` first. JSON is
  written to a hidden temporary file and renamed over the key.
- S3 has no rename: files are uploaded under ``<key>/`` and ``<key>/.complete`` is written last;
  readers treat a key without it as absent. A hidden sibling object ``.<name>.partial`` exists
  while the upload runs, so ``list`` can hide an unfinished upload without a request per child.

Leftovers of an interrupted publish are removed by the next ``publish_dir`` or ``delete`` of the
same key. Credentials for S3 come from the standard ``AWS_*`` environment variables (or an
instance profile), never from this configuration.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import os
import pwd
import re
import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePath, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from odoosh import scratch

COMPLETE = ".complete"
TRANSFER_THREADS = 4
_KEY_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:+=-]{0,199}")


class ArtifactError(RuntimeError):
    """A store that cannot be used as configured, or an operation it refuses."""


class ArtifactNotFound(ArtifactError):
    """No complete artifact under the key."""


@dataclass(frozen=True)
class ArtifactStore:
    """Where dumps and manifests live; one instance per trust zone (raw snapshots, scrubbed
    dumps), so none of this assumes a single store."""

    url: str  # a local directory (or file:///dir), or s3://bucket/prefix
    endpoint_url: str | None = None  # an S3-compatible endpoint (MinIO, Ceph...); None for AWS
    region_name: str | None = None  # None: AWS_REGION
    work_dir: str | None = None  # where S3 artifacts are downloaded; None: the system temp dir

    def publish_dir(self, key: str, local_dir: Path) -> None:
        """Store the tree `local_dir` under `key`, consuming `local_dir` (moved, or uploaded and
        removed); the key becomes visible only once the whole tree is stored."""
        local_dir = Path(local_dir)
        if not local_dir.is_dir():
            raise ArtifactError(f"cannot publish {local_dir}: not a directory")
        backend = self._backend()
        if backend.exists(_check_key(key)):
            raise ArtifactError(
                f"artifact {key!r} already exists in {self.describe()}: delete it first or publish under a new key"
            )
        backend.publish_dir(key, local_dir)

    @contextlib.contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        """A local directory with the artifact's files, valid inside the `with` block. For a local
        store it is the stored directory itself: read it, never modify it."""
        with self._backend().local_copy(_check_key(key)) as path:
            yield path

    def write_json(self, key: str, obj: Any) -> None:
        """Store `obj` as JSON under `key`, replacing any previous document atomically."""
        self._backend().write_json(_check_key(key), json.dumps(obj, indent=2, sort_keys=True))

    def read_json(self, key: str) -> Any:
        return json.loads(self._backend().read_json(_check_key(key)))

    def exists(self, key: str) -> bool:
        """Whether a published tree or a JSON document is stored under `key`."""
        return self._backend().exists(_check_key(key))

    def list(self, prefix: str = "") -> list[str]:
        """Names (not full keys) of the immediate children of `prefix`, sorted; "" is the top."""
        return self._backend().list(_check_key(prefix, allow_empty=True))

    def delete(self, key: str) -> None:
        """Remove whatever is stored under `key` (a whole tree), with any interrupted publish of
        it; a missing key is not an error."""
        self._backend().delete(_check_key(key))

    def keep_newest(self, prefix: str, keep: int) -> list[str]:
        """Delete all but the `keep` newest keys under `prefix` (keys named by time sort by
        time; names that start with a letter, like `current.json`, sort after them and are
        kept); returns the keys deleted."""
        names = self.list(prefix)
        timed = [n for n in names if n[:1].isdigit()]
        old = [f"{prefix}/{name}" for name in timed[: max(len(timed) - keep, 0)]]
        for key in old:
            self.delete(key)
        return old

    def link(self, key: str, name: str, expires_s: int = 7 * 86400) -> str:
        """Where a person opens file `name` of the tree under `key`: a file:// URL for a local
        store, a presigned GET for S3 (valid `expires_s`, at most the 7 days SigV4 allows)."""
        return self._backend().link(f"{_check_key(key)}/{_check_key(name)}", min(expires_s, 7 * 86400))

    def describe(self) -> str:
        """The store's location for metadata and messages, with any credentials stripped."""
        if not self.url.startswith("s3://"):
            return str(self._local_root())
        where = _without_credentials(self.url)
        if self.endpoint_url:
            return f"{where} at {_without_credentials(self.endpoint_url)}"
        return where

    def _local_root(self) -> Path:
        parts = urlsplit(self.url)
        if parts.scheme == "file":
            return Path(parts.path)
        if parts.scheme:
            raise ArtifactError(f"artifact store url {self.url!r}: use a path, file:///path or s3://bucket/prefix")
        return Path(self.url).absolute()

    def _backend(self) -> _LocalStore | _S3Store:
        if not self.url.startswith("s3://"):
            return _LocalStore(self._local_root(), self.describe())
        parts = urlsplit(self.url)
        if not parts.netloc:
            raise ArtifactError(f"artifact store url {self.url!r} names no bucket")
        client = _s3_client(self.endpoint_url, self.region_name)
        prefix = _check_key(parts.path.strip("/"), allow_empty=True)
        return _S3Store(client, parts.netloc, prefix, self.describe(), self.work_dir)


@dataclass(frozen=True)
class _LocalStore:
    root: Path
    where: str

    def publish_dir(self, key: str, local_dir: Path) -> None:
        dest = self.root / key
        _writable_dir(dest.parent)
        local_dir.chmod(0o700)
        try:
            os.rename(local_dir, dest)
        except OSError as e:
            if e.errno != errno.EXDEV:
                raise
            partial = _partial(dest)
            shutil.rmtree(partial, ignore_errors=True)
            shutil.copytree(local_dir, partial)
            os.rename(partial, dest)
            shutil.rmtree(local_dir)

    @contextlib.contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        path = self.root / key
        if not path.is_dir():
            raise ArtifactNotFound(f"no artifact {key!r} in {self.where}")
        yield path

    def write_json(self, key: str, text: str) -> None:
        path = self.root / key
        _writable_dir(path.parent)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
        try:
            with os.fdopen(fd, "w") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            os.rename(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise

    def read_json(self, key: str) -> str:
        try:
            return (self.root / key).read_text()
        except FileNotFoundError:
            raise ArtifactNotFound(f"no JSON document {key!r} in {self.where}") from None

    def exists(self, key: str) -> bool:
        return (self.root / key).exists()

    def link(self, key: str, expires_s: int) -> str:
        return (self.root / key).as_uri()

    def delete(self, key: str) -> None:
        for path in (self.root / key, _partial(self.root / key)):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)

    def list(self, prefix: str) -> list[str]:
        path = self.root / prefix
        if not path.is_dir():
            return []
        return sorted(p.name for p in path.iterdir() if not p.name.startswith("."))


@dataclass(frozen=True)
class _S3Store:
    client: Any  # botocore S3 client; thread-safe once created
    bucket: str
    prefix: str
    where: str
    work_dir: str | None

    def publish_dir(self, key: str, local_dir: Path) -> None:
        obj = self._obj(key)
        marker = str(_partial(PurePosixPath(obj)))
        self.client.put_object(Bucket=self.bucket, Key=marker, Body=b"")
        self._delete_prefix(f"{obj}/")  # files of an interrupted earlier attempt

        def upload(path: Path) -> None:  # multipart above 8 MiB
            name = path.relative_to(local_dir).as_posix()
            self.client.upload_file(str(path), self.bucket, f"{obj}/{name}")

        with ThreadPoolExecutor(TRANSFER_THREADS) as pool:
            list(pool.map(upload, (p for p in local_dir.rglob("*") if p.is_file())))
        self.client.put_object(Bucket=self.bucket, Key=f"{obj}/{COMPLETE}", Body=b"")
        self.client.delete_object(Bucket=self.bucket, Key=marker)
        shutil.rmtree(local_dir)

    @contextlib.contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        base = f"{self._obj(key)}/"
        if not self._has(base + COMPLETE):
            raise ArtifactNotFound(
                f"no artifact {key!r} in {self.where} (missing, or its upload never finished: no {key}/{COMPLETE})"
            )
        with scratch.owned_dir("artifact", self.work_dir) as target:

            def download(obj: str) -> None:
                path = target / obj[len(base) :]
                if not path.resolve().is_relative_to(target.resolve()):
                    raise ArtifactError(f"refusing {obj!r} from {self.where}: outside {target}")
                path.parent.mkdir(parents=True, exist_ok=True)
                self.client.download_file(self.bucket, obj, str(path))

            with ThreadPoolExecutor(TRANSFER_THREADS) as pool:
                list(pool.map(download, [o for o in self._objects(base) if o != base + COMPLETE]))
            yield target

    def write_json(self, key: str, text: str) -> None:
        self.client.put_object(
            Bucket=self.bucket,
            Key=self._obj(key),
            Body=text.encode(),
            ContentType="application/json",
        )

    def read_json(self, key: str) -> str:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self._obj(key))["Body"]
        except self.client.exceptions.NoSuchKey:
            raise ArtifactNotFound(f"no JSON document {key!r} in {self.where}") from None
        return body.read().decode()

    def exists(self, key: str) -> bool:
        obj = self._obj(key)
        return self._has(obj) or self._has(f"{obj}/{COMPLETE}")

    def link(self, key: str, expires_s: int) -> str:
        params = {"Bucket": self.bucket, "Key": self._obj(key)}
        return self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_s)

    def delete(self, key: str) -> None:
        obj = self._obj(key)
        self._delete_prefix(f"{obj}/")
        for single in (obj, str(_partial(PurePosixPath(obj)))):
            self.client.delete_object(Bucket=self.bucket, Key=single)

    def list(self, prefix: str) -> list[str]:
        base = f"{self._obj(prefix)}/" if self._obj(prefix) else ""
        names: set[str] = set()
        for page in self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=base, Delimiter="/"
        ):
            names.update(p["Prefix"][len(base) : -1] for p in page.get("CommonPrefixes", []))
            names.update(o["Key"][len(base) :] for o in page.get("Contents", []))
        unfinished = {  # an upload running or killed; its marker is listed beside it
            name for name in names if f".{name}.partial" in names and not self._has(f"{base}{name}/{COMPLETE}")
        }
        return sorted(name for name in names - unfinished if not name.startswith("."))

    def _obj(self, key: str) -> str:
        return "/".join(part for part in (self.prefix, key) if part)

    def _has(self, obj: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=obj)
        except ClientError as e:
            if e.response["Error"]["Code"] in ("404", "NoSuchKey"):
                return False
            raise
        return True

    def _objects(self, prefix: str) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            yield from (o["Key"] for o in page.get("Contents", []))

    def _delete_prefix(self, prefix: str) -> None:
        keys = [{"Key": obj} for obj in self._objects(prefix)]
        for start in range(0, len(keys), 1000):  # DeleteObjects takes at most 1000 keys
            self.client.delete_objects(
                Bucket=self.bucket, Delete={"Objects": keys[start : start + 1000], "Quiet": True}
            )


def _check_key(key: str, *, allow_empty: bool = False) -> str:
    """Keys come from run ids and timestamps and become paths: accept only plain relative names."""
    if (key or not allow_empty) and not all(_KEY_PART.fullmatch(part) for part in key.split("/")):
        raise ValueError(
            f"invalid artifact key {key!r}: use '/'-separated names of letters, digits and "
            "_ . : + = -, each starting with a letter, digit or _ "
            "(no absolute paths, '..', empty or hidden parts)"
        )
    return key


def _partial(path: PurePath) -> PurePath:
    """The hidden sibling that marks (S3) or holds (local) an unfinished publish of `path`."""
    return path.with_name(f".{path.name}.partial")


def _writable_dir(path: Path) -> None:
    """Create `path` and its missing parents with mode 700 (they hold production data; mkdir's
    `parents=True` would ignore the mode) and check that this process can write there."""
    user = pwd.getpwuid(os.geteuid()).pw_name
    try:
        for missing in reversed([p for p in (path, *path.parents) if not p.is_dir()]):
            missing.mkdir(mode=0o700, exist_ok=True)
    except OSError as e:
        raise ArtifactError(
            f"cannot create artifact store directory {path}: {e.strerror}. Create it writable by "
            f"{user} (mode 700), or set the store's url to a directory {user} can write."
        ) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ArtifactError(
            f"artifact store directory {path} is not writable by {user}: "
            f"chown {user} {path} && chmod 700 {path}, or set the store's url to another directory."
        )


@functools.cache
def _s3_client(endpoint_url: str | None, region_name: str | None) -> Any:
    """One client per endpoint and region: creating one takes ~0.1 s, and clients are
    thread-safe. Credentials are resolved by boto3 (AWS_* variables, profile, instance role);
    transient errors are retried as dagster-aws's S3Resource does."""
    config = Config(retries={"max_attempts": 5, "mode": "standard"})
    return boto3.session.Session().client("s3", endpoint_url=endpoint_url, region_name=region_name, config=config)


def _without_credentials(url: str) -> str:
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
