"""Benchmark: parsing an Odoo log, next to `wc -l` of the same file in the same run.

Generates an Odoo log (or takes one with --log) with the mix a busy server writes: werkzeug
request lines of many endpoints with perf counters, other loggers' records, tracebacks, a few
coloured lines. Then times, on the same file:
  wc -l:     `wc -l FILE`, the floor of reading lines
  parse:     odoosh.observability.logs.read_requests, every Request built (one process, one core)
  report:    odoosh.observability.report.analyse, what `request_metrics` and the command call:
             parse, endpoint templates, percentiles, N+1
and prints lines per second of each and the ratios to wc -l. The target is 200,000 lines/s per
core for the parse.

    .venv/bin/python bench/log_parse.py [--lines 2000000] [--log FILE]
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import time
from collections import deque
from pathlib import Path

from odoosh import scratch
from odoosh.observability.logs import LogStats, read_requests
from odoosh.observability.report import analyse

PATHS = (
    "/web/dataset/call_kw/res.partner/web_read",
    "/web/dataset/call_kw/sale.order/web_search_read",
    "/web/dataset/call_kw/account.move/action_post",
    "/web/dataset/call_button/sale.order/action_confirm",
    "/my/orders/{n}",
    "/shop/product-name-{n}",
    "/web/image/res.partner/{n}/avatar_128",
    "/web/content/{n}-4e48dff7/report.pdf",
    "/web/webclient/translations/d8625cdf54c4861795359b4251f017df976b12b2",
    "/longpolling/poll",
    "/websocket",
    "/web/login",
)
TRACEBACK = (
    "2026-12-01 14:{m:02d}:{s:02d},{ms:03d} 4242 ERROR prod odoo.http: Exception during request handling. \n"
    "Traceback (most recent call last):\n"
    '  File "/opt/odoo/odoo/http.py", line 2375, in __call__\n'
    "    response = request._serve_db()\n"
    "psycopg2.errors.SerializationFailure: could not serialize access due to concurrent update\n"
)


def generate(path: Path, lines: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    written = 0
    with path.open("w") as f:
        while written < lines:
            i = written
            m, s, ms = (i // 60000) % 60, (i // 1000) % 60, i % 1000
            roll = rng.random()
            if roll < 0.01:
                f.write(TRACEBACK.format(m=m, s=s, ms=ms))
                written += 5
                continue
            if roll < 0.08:
                f.write(
                    f"2026-12-01 14:{m:02d}:{s:02d},{ms:03d} 4242 INFO prod odoo.addons.base.models.ir_cron: job {i} \n"
                )
            else:
                path_ = rng.choice(PATHS).format(n=rng.randint(1, 99999))
                level = "\x1b[1;32m\x1b[1;49mINFO\x1b[0m" if roll > 0.995 else "INFO"
                status = 500 if roll > 0.99 else 200
                queries = rng.randint(1, 200)
                f.write(
                    f"2026-12-01 14:{m:02d}:{s:02d},{ms:03d} 4242 {level} prod werkzeug: 10.0.0.{i % 250} - - "
                    f'[01/Dec/2026 14:{m:02d}:{s:02d}] "POST {path_}?debug= HTTP/1.1" {status} - '
                    f"{queries} {rng.expovariate(40):.3f} {rng.expovariate(20):.3f}\n"
                )
            written += 1


def timed(run) -> tuple[float, float, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=2_000_000, help="lines of the generated log")
    parser.add_argument("--log", type=Path, help="an existing Odoo log to parse instead")
    args = parser.parse_args()
    with scratch.owned_dir("bench") as work:
        log = args.log
        if log is None:
            log = work / "odoo.log"
            seconds, _, _ = timed(lambda: generate(log, args.lines))
            print(f"  generated {log} ({log.stat().st_size / 1e6:.0f} MB) in {seconds:.1f} s", flush=True)
        wc_wall, _, wc = timed(
            lambda: subprocess.run(["wc", "-l", str(log)], capture_output=True, text=True, check=True)
        )
        lines = int(wc.stdout.split()[0])
        stats = LogStats()
        parse_wall, parse_cpu, _ = timed(lambda: deque(read_requests([log], "production", stats), maxlen=0))
        report_wall, report_cpu, report = timed(lambda: analyse([log], "production"))
    print(
        f"file: {lines} lines (wc -l); parsed {stats.lines} lines, {stats.requests} requests, skipped {dict(stats.skipped)}"
    )
    print(f"{'':8} {'seconds':>8} {'lines/s':>12} {'lines/s/cpu-s':>14} {'vs wc -l':>9}")
    print(f"{'wc -l':8} {wc_wall:8.3f} {lines / wc_wall:12,.0f} {'':>14} {1:9.1f}")
    for name, wall, cpu in (("parse", parse_wall, parse_cpu), ("report", report_wall, report_cpu)):
        print(f"{name:8} {wall:8.3f} {lines / wall:12,.0f} {lines / cpu:14,.0f} {wall / wc_wall:8.1f}x")
    verdict = "meets" if lines / parse_cpu >= 200_000 else "MISSES"
    print(f"parse {verdict} the target of 200,000 lines/s per core; endpoints: {len(report.endpoints)}")
    sys.exit(0 if verdict == "meets" else 1)


if __name__ == "__main__":
    main()
