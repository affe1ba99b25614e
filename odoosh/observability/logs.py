"""Odoo log files read as a stream of `Request`s, one werkzeug request line at a time.

Odoo writes every record as `%(asctime)s %(pid)s %(levelname)s %(dbname)s %(name)s: %(message)s
%(perf_info)s` (odoo/netsvc.py). On the `werkzeug` logger the message is werkzeug's access line,
`IP - - [date] "METHOD TARGET PROTOCOL" STATUS SIZE`, and `perf_info` is Odoo's PerfFilter:
query count, SQL seconds and remaining seconds (`- - -` when the request kept no counters), plus
a cursor mode (`ro`, `rw`, `ro->rw`) when a read replica is configured (18.0+). Odoo 11 and
older write no perf_info at all. On a terminal, or with ODOO_PY_COLORS, Odoo colours the level
and slow counters with ANSI sequences; those are removed before parsing.

Files are read in the order given (a log rotated mid-hour is `odoo.log.1` then `odoo.log`),
plain or gzip (by their magic bytes, whatever the name), line by line: a 10 GB log is never
held in memory. Lines that are not request lines are counted by reason, never fatal.
"""

from __future__ import annotations

import gzip
import io
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from odoosh.observability.requests import Request

# Why a regular expression: no maintained library parses Odoo's log format (it is Odoo's own, a
# logging.Formatter string around werkzeug's access line with Odoo's perf counters appended), and
# one anchored, compiled expression over each line is the fastest way Python has to split it.
REQUEST_LINE = re.compile(
    r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) \d+ [^ ]+ [^ ]+ werkzeug: "  # asctime pid level db logger
    r'[^ ]+ - - \[[^\]]*\] "([A-Z]+) ([^ "?]*)[^ "]* HTTP/\d(?:\.\d)?" (\d{3}) (\d+|-)'  # werkzeug's line
    r"(?: (\d+|-) (\d+\.\d+|-) (\d+\.\d+|-)(?: [^ \n]+)?)? ?\n\Z"  # perf_info, cursor mode; whole lines only
)
ANSI = re.compile(r"\x1b\[[0-9;]*m")
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ")
GZIP_MAGIC = b"\x1f\x8b"

# Why a line was skipped (the keys of LogStats.skipped).
CONTINUATION = "continuation"  # no timestamp: a traceback or another multi-line record's rest
OTHER_LOGGER = "other_logger"  # an Odoo record of another logger (odoo.modules, odoo.http, ...)
NOT_A_REQUEST = "not_a_request"  # werkzeug's other lines: bad request syntax, server start
GARBLED = "garbled"  # looks like a request line but does not parse (or names an impossible time)
TRUNCATED = "truncated"  # a werkzeug line without its newline: the last one, cut or still being written


class LogFileError(RuntimeError):
    """A log file that cannot be read, named with the cause and what to do."""


@dataclass
class LogStats:
    """What reading the files met: lines read, requests parsed, lines skipped by reason."""

    lines: int = 0
    requests: int = 0
    coloured: int = 0  # lines that carried ANSI colours (parsed once uncoloured)
    without_latency: int = 0  # requests whose line has no perf counters (Odoo <= 11, or `- - -`)
    skipped: Counter[str] = field(default_factory=Counter)

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())


def read_requests(paths: Iterable[str | Path], environment: str, stats: LogStats | None = None) -> Iterator[Request]:
    """The requests of the given Odoo log files, in file order; `stats` (if given) gets the counts
    of each file once it has been read.

    Every file is checked readable before the first request is yielded, so a wrong path fails
    at once rather than after half the figures.
    """
    paths = [Path(p) for p in paths]
    for path in paths:
        _check_readable(path)
    stats = stats if stats is not None else LogStats()
    for path in paths:
        yield from _read_file(path, environment, stats)


def _check_readable(path: Path) -> None:
    if path.is_dir():
        raise LogFileError(f"{path} is a directory; give the path of an Odoo log file, not its directory")
    try:
        path.open("rb").close()  # opened, not read: a FIFO or a live log is read later, once
    except OSError as exc:
        raise LogFileError(
            f"cannot read the Odoo log {path}: {exc.strerror or exc}; "
            "give the path of an Odoo log file (odoo.conf's logfile) that this user can read"
        ) from exc


@contextmanager
def _open_text(path: Path) -> Iterator[io.TextIOWrapper]:
    with path.open("rb") as raw:
        gzipped = raw.peek(2)[:2] == GZIP_MAGIC  # peek, not seek: a pipe cannot seek
        stream = gzip.GzipFile(fileobj=raw, mode="rb") if gzipped else raw
        # Undecodable bytes become U+FFFD: a line with a bad byte in its path still counts.
        with io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="\n") as text:
            yield text


def _read_file(path: Path, environment: str, stats: LogStats) -> Iterator[Request]:
    before = stats.lines
    try:
        with _open_text(path) as f:
            yield from parse_lines(f, environment, stats)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise LogFileError(
            f"the Odoo log {path} broke off after {stats.lines - before} lines: {exc}; "
            "a gzip log must be complete (not still being compressed), a plain one readable"
        ) from exc


def parse_lines(source: Iterable[str], environment: str, stats: LogStats | None = None) -> Iterator[Request]:
    """The requests of the lines of `source` (each with its newline, as a text file yields them); the counts go
    to `stats` once the lines are read. For readers that fetch the lines themselves (a tail)."""
    stats = stats if stats is not None else LogStats()
    match = REQUEST_LINE.match
    start_of_record = TIMESTAMP.match
    uncolour = ANSI.sub
    skipped = stats.skipped
    new_request = Request
    from_iso = datetime.fromisoformat
    lines = requests = coloured = without_latency = 0
    try:
        for line in source:
            lines += 1
            if "\x1b" in line:
                line = uncolour("", line)
                coloured += 1
            if " werkzeug: " not in line:
                skipped[OTHER_LOGGER if start_of_record(line) else CONTINUATION] += 1
                continue
            m = match(line)
            if m is None:
                if not start_of_record(line):
                    skipped[CONTINUATION] += 1
                elif '] "' not in line:
                    skipped[NOT_A_REQUEST] += 1
                else:  # a line without its newline was cut mid-write: never read a cut counter
                    skipped[GARBLED if line.endswith("\n") else TRUNCATED] += 1
                continue
            stamp, method, target, status, size, count, sql, other = m.groups()
            try:
                at = from_iso(stamp + "+00:00")  # Odoo logs UTC
            except ValueError:
                skipped[GARBLED] += 1
                continue
            size = None if size == "-" else int(size)
            if count is None or count == "-" or sql == "-" or other == "-":
                without_latency += 1
                yield new_request(at, environment, method, target, int(status), response_bytes=size)
            else:
                yield new_request(
                    at, environment, method, target, int(status), int(count), float(sql), float(other), size
                )
            requests += 1
    finally:
        stats.lines += lines
        stats.requests += requests
        stats.coloured += coloured
        stats.without_latency += without_latency
