"""The Odoo log parser: the werkzeug lines Odoo versions write, and every kind of bad line."""

import gzip
import os
import threading
from datetime import UTC, datetime

import pytest

from odoosh.observability.logs import (
    CONTINUATION,
    GARBLED,
    NOT_A_REQUEST,
    OTHER_LOGGER,
    TRUNCATED,
    LogFileError,
    LogStats,
    read_requests,
)
from odoosh.observability.requests import Request

# Lines as Odoo writes them (format of odoo/netsvc.py, werkzeug's access line, PerfFilter).
ODOO_16 = (
    "2024-11-04 02:24:38,332 41 INFO prod werkzeug: 172.18.0.4 - - [04/Nov/2024 02:24:38] "
    '"POST /web/dataset/call_kw/res.partner/web_read HTTP/1.1" 200 - 3 0.001 0.004\n'
)
ODOO_18_PROXY = (  # behind a proxy (HTTP/1.0), query string, replica cursor mode as a 4th field
    "2024-11-04 02:24:44,258 1 INFO prod werkzeug: 10.0.3.250 - - [04/Nov/2024 02:24:44] "
    '"GET /web/webclient/translations/d8625cdf54c4?lang=fr_FR HTTP/1.0" 304 - 7 0.003 0.006 ro->rw\n'
)
ODOO_11 = (  # no perf_info at all
    "2017-11-16 12:21:46,252 3344 INFO prod werkzeug: 127.0.0.1 - - [16/Nov/2017 12:21:46] "
    '"POST /web/dataset/call_kw/res.company/name_get HTTP/1.1" 200 -\n'
)
NO_COUNTERS = (  # a request that kept no counters: "- - -"
    "2024-11-04 02:24:45,001 41 INFO prod werkzeug: 172.18.0.4 - - [04/Nov/2024 02:24:45] "
    '"GET /web/static/img/logo.png HTTP/1.1" 200 - - - -\n'
)
GREEN_INFO = "\x1b[1;32m\x1b[1;49mINFO\x1b[0m"  # ColoredFormatter's COLOR_PATTERN
COLOURED = (  # ColoredFormatter's level, ColoredPerfFilter's slow counters, werkzeug's 404 style
    f"2024-11-04 02:24:46,500 41 {GREEN_INFO} prod werkzeug: 172.18.0.4 - - [04/Nov/2024 02:24:46] "
    '\x1b[33m"GET /shop/chair-12 HTTP/1.1" 404 -\x1b[0m '
    "\x1b[1;33m\x1b[1;49m150\x1b[0m \x1b[1;31m\x1b[1;49m3.500\x1b[0m 0.200\n"
)
OTHER = "2024-11-04 02:24:42,941 41 INFO prod odoo.modules.registry: Caches invalidated, signaling \n"
TRACEBACK = [
    "2024-11-04 02:24:47,000 41 ERROR prod odoo.http: Exception during request handling. \n",
    "Traceback (most recent call last):\n",
    '  File "/opt/odoo/odoo/http.py", line 2375, in __call__\n',
    "ValueError: a line of werkzeug: in a traceback\n",
]
BAD_SYNTAX = (  # werkzeug's log_error of a TLS handshake sent to plain HTTP
    "2024-11-04 02:24:48,000 41 INFO ? werkzeug: 172.18.0.4 - - [04/Nov/2024 02:24:48] "
    "code 400, message Bad request version ('\\x03\\x03') \n"
)
GARBLED_LINE = (  # its request line, which is no METHOD TARGET PROTOCOL
    "2024-11-04 02:24:48,001 41 INFO ? werkzeug: 172.18.0.4 - - [04/Nov/2024 02:24:48] "
    '"\\x16\\x03\\x01\\x02" 400 - - - -\n'
)
IMPOSSIBLE_TIME = ODOO_16.replace("2024-11-04", "2024-13-04")


def read(tmp_path, text: str | bytes, name: str = "odoo.log") -> tuple[list[Request], LogStats]:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    stats = LogStats()
    return list(read_requests([path], "production", stats)), stats


def test_request_lines_of_odoo_12_and_later(tmp_path):
    requests, stats = read(tmp_path, ODOO_16 + ODOO_18_PROXY)
    assert requests == [
        Request(
            datetime(2024, 11, 4, 2, 24, 38, 332000, tzinfo=UTC),
            "production",
            "POST",
            "/web/dataset/call_kw/res.partner/web_read",
            200,
            3,
            0.001,
            0.004,
        ),
        Request(
            datetime(2024, 11, 4, 2, 24, 44, 258000, tzinfo=UTC),
            "production",
            "GET",
            "/web/webclient/translations/d8625cdf54c4",
            304,
            7,
            0.003,
            0.006,
        ),
    ]
    assert requests[0].seconds == pytest.approx(0.005)
    assert (stats.lines, stats.requests, stats.skipped_total, stats.without_latency) == (2, 2, 0, 0)


def test_lines_without_perf_counters_give_requests_without_latency(tmp_path):
    requests, stats = read(tmp_path, ODOO_11 + NO_COUNTERS)
    assert [(r.path, r.status, r.query_count, r.seconds) for r in requests] == [
        ("/web/dataset/call_kw/res.company/name_get", 200, None, None),
        ("/web/static/img/logo.png", 200, None, None),
    ]
    assert stats.without_latency == 2 and stats.skipped_total == 0


def test_coloured_lines_are_uncoloured_and_parsed(tmp_path):
    (request,), stats = read(tmp_path, COLOURED)
    assert (request.path, request.status, request.query_count, request.query_seconds, request.other_seconds) == (
        "/shop/chair-12",
        404,
        150,
        3.5,
        0.2,
    )
    assert stats.coloured == 1 and stats.skipped_total == 0


def test_bad_lines_are_counted_by_reason_and_never_stop_the_parse(tmp_path):
    text = "".join(
        [OTHER, *TRACEBACK, BAD_SYNTAX, GARBLED_LINE, IMPOSSIBLE_TIME, "\x00\xff garbage\n", ODOO_16, ODOO_16[:90]]
    )
    requests, stats = read(tmp_path, text.encode("utf-8", "surrogateescape"))
    assert [r.path for r in requests] == ["/web/dataset/call_kw/res.partner/web_read"]
    assert stats.skipped == {
        OTHER_LOGGER: 2,  # the registry line and the traceback's first line
        CONTINUATION: 4,  # three traceback lines (one naming werkzeug:) and the garbage
        NOT_A_REQUEST: 1,
        GARBLED: 2,
        TRUNCATED: 1,  # the last line, cut before its newline
    }
    assert stats.lines == 11 == stats.requests + stats.skipped_total


def test_a_line_cut_inside_its_counters_is_truncated_not_misread(tmp_path):
    requests, stats = read(tmp_path, ODOO_16 + ODOO_16[:-3])  # "... 3 0.001 0.0", no newline
    assert len(requests) == 1 and stats.skipped == {TRUNCATED: 1}


def test_undecodable_bytes_in_a_path_do_not_lose_the_request(tmp_path):
    line = ODOO_16.replace("web_read", "caf\udce9").encode("utf-8", "surrogateescape")  # latin-1 é
    (request,), stats = read(tmp_path, line)
    assert request.path == "/web/dataset/call_kw/res.partner/caf\ufffd" and stats.skipped_total == 0


def test_a_rotated_log_is_read_across_its_files_plain_or_gzip(tmp_path):
    older = tmp_path / "odoo.log.1.gz"  # gzip by its content: the name does not matter
    with gzip.open(older, "wt") as f:
        f.write(ODOO_16 + OTHER)
    newer = tmp_path / "odoo.log"
    newer.write_text(ODOO_18_PROXY + ODOO_11)
    stats = LogStats()
    requests = list(read_requests([older, newer], "staging", stats))
    assert [r.at.second for r in requests] == [38, 44, 46]
    assert {r.environment for r in requests} == {"staging"}
    assert (stats.lines, stats.requests, stats.skipped[OTHER_LOGGER]) == (4, 3, 1)


def test_the_log_is_streamed_not_read_whole(tmp_path):
    """A FIFO gives the first request while its writer still holds the rest back."""
    fifo = tmp_path / "odoo.log"
    os.mkfifo(fifo)
    first_read, errors = threading.Event(), []

    def write():
        with fifo.open("w") as f:
            f.write(ODOO_16)
            f.flush()
            if not first_read.wait(10):
                errors.append("the reader never got the first request")
            f.write(ODOO_18_PROXY)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        requests = read_requests([fifo], "production")
        assert next(requests).path == "/web/dataset/call_kw/res.partner/web_read"
        first_read.set()
        assert [r.status for r in requests] == [304]
    finally:
        first_read.set()
        writer.join(10)
    assert not errors


def test_a_missing_file_fails_before_any_request(tmp_path):
    present = tmp_path / "odoo.log"
    present.write_text(ODOO_16)
    requests = read_requests([present, tmp_path / "odoo.log.2"], "production")
    with pytest.raises(LogFileError, match=r"cannot read the Odoo log .*odoo\.log\.2: No such file"):
        next(requests)
    with pytest.raises(LogFileError, match="is a directory"):
        next(read_requests([tmp_path], "production"))


def test_a_cut_gzip_file_is_an_error_naming_it(tmp_path):
    path = tmp_path / "odoo.log.gz"
    path.write_bytes(gzip.compress((ODOO_16 * 2000).encode())[:-200])
    with pytest.raises(LogFileError, match=r"odoo\.log\.gz broke off after \d+ lines"):
        list(read_requests([path], "production"))
