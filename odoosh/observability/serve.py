"""The platform's metrics endpoint fed from the environments' Odoo logs, as they grow.

`LogTail` follows `<state_dir>/environments/<name>/odoo.log` of every environment: each poll
reads the complete lines written since the last one (a line still being written waits for the
next poll), follows a rotation (the rest of the renamed file, found by its inode, then the new
log from its start) and a truncation (copytruncate: from the start again). Its offsets are kept
in a JSON file, so a restarted exporter resumes where the last one stopped instead of counting
the whole log again. A first start reads each log from its beginning, before serving: the first
scrape sees the totals so far, and `rate()` counts only what comes after.

`serve` runs the loop: `RequestExporter` with endpoint templates (`endpoints.endpoint`, so series
stay bounded), fed by `LogTail`, serving `/metrics` until SIGTERM or SIGINT. Counters start at 0
in each process; Prometheus takes a restart for a counter reset.
"""

from __future__ import annotations

import io
import json
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from odoosh.observability.endpoints import endpoint
from odoosh.observability.exporter import RequestExporter
from odoosh.observability.logs import LogStats, parse_lines
from odoosh.observability.requests import Request

LIVE_LOG = "odoo.log"
CHUNK_BYTES = 8 << 20  # read at most this much at once: a 10 GB backlog is streamed
POLL_S = 2.0


class LogTail:
    """New complete lines of every environment's live Odoo log since the last poll."""

    def __init__(self, environments: Path, offsets_file: Path) -> None:
        self.environments = Path(environments)
        self.offsets_file = Path(offsets_file)
        self.offsets: dict[str, dict[str, int]] = self._load()  # env -> {"inode", "offset"}
        self.stats = LogStats()

    def poll(self) -> Iterator[Request]:
        """The requests written since the last poll; the offsets are saved once all are yielded."""
        env_dirs = sorted(p for p in self.environments.glob("*") if p.is_dir())
        for env_dir in env_dirs:
            try:
                yield from self._poll_environment(env_dir)
            except OSError as exc:  # one unreadable log must not stop the others' figures
                print(f"cannot read {env_dir / LIVE_LOG}: {exc}; retried at the next poll", file=sys.stderr)
        for gone in set(self.offsets) - {d.name for d in env_dirs}:  # a removed preview
            del self.offsets[gone]
        self._save()

    def _poll_environment(self, env_dir: Path) -> Iterator[Request]:
        env = env_dir.name
        live = env_dir / LIVE_LOG
        try:
            st = live.stat()
        except FileNotFoundError:
            return
        known = self.offsets.get(env)
        offset = 0
        if known and known["inode"] == st.st_ino:
            offset = known["offset"] if known["offset"] <= st.st_size else 0  # smaller: truncated
        elif known and (rotated := _same_inode(env_dir, known["inode"])) is not None:
            yield from self._read(rotated, env, known["offset"])  # the rest of the renamed log
        self.offsets[env] = {"inode": st.st_ino, "offset": offset}
        yield from self._read(live, env, offset)

    def _read(self, path: Path, env: str, offset: int) -> Iterator[Request]:
        """Complete lines of `path` from `offset`, chunk by chunk; the offset advances past each."""
        with path.open("rb") as f:
            f.seek(offset)
            while chunk := f.read(CHUNK_BYTES):
                end = chunk.rfind(b"\n") + 1
                if end == 0:
                    if len(chunk) < CHUNK_BYTES:
                        break  # a line still being written: the next poll reads it whole
                    end = len(chunk)  # a "line" longer than a chunk: garbage, counted and skipped
                f.seek(offset + end)
                text = io.TextIOWrapper(io.BytesIO(chunk[:end]), encoding="utf-8", errors="replace", newline="\n")
                yield from parse_lines(text, env, self.stats)
                offset += end
                if path.name == LIVE_LOG:
                    self.offsets[env]["offset"] = offset

    def _load(self) -> dict[str, dict[str, int]]:
        try:
            return {
                env: {"inode": int(v["inode"]), "offset": int(v["offset"])}
                for env, v in json.loads(self.offsets_file.read_text()).items()
            }
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return {}  # none yet, or unreadable: read every log from its start

    def _save(self) -> None:
        self.offsets_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.offsets_file.with_name(f".{self.offsets_file.name}.tmp")
        tmp.write_text(json.dumps(self.offsets))
        os.replace(tmp, self.offsets_file)


def _same_inode(env_dir: Path, inode: int) -> Path | None:
    """The rotated file that was the live log (renamed, so it kept its inode), if still there."""
    for path in env_dir.glob(f"{LIVE_LOG}.*"):
        try:
            if path.stat().st_ino == inode and path.is_file():
                return path
        except OSError:
            continue
    return None


def exporter_for(state_dir: Path) -> tuple[RequestExporter, LogTail]:
    """The exporter (per endpoint template) and the tail of `state_dir`'s environments that feeds it."""
    tail = LogTail(Path(state_dir) / "environments", Path(state_dir) / "monitoring" / "offsets.json")
    return RequestExporter(endpoint=endpoint), tail


def serve(state_dir: Path, port: int, host: str = "127.0.0.1", interval: float = POLL_S) -> None:
    """Catch up with the logs, serve `/metrics` on host:port, then poll every `interval` seconds
    until SIGTERM or SIGINT."""
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    exporter, tail = exporter_for(state_dir)
    exporter.observe(tail.poll())
    with exporter.serve(port, host):
        print(f"serving /metrics on {exporter.target} from {tail.environments}", flush=True)
        while not stopping.wait(interval):
            exporter.observe(tail.poll())
