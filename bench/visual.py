"""Benchmark: the visual gate's capture and scoring, against a plain SSIM call on the same pairs.

A loopback page server serves 10 routes (text, a table, a coloured button) in two versions,
the baseline's and the candidate's (one word changed on every route). Through the functions the
assets call, it captures the 10 routes x 2 viewports of each version in real Chromium
(`odoosh.visual.capture.capture`: login-free, masks, two identical captures per shot) and runs
the gate over the two sets (`odoosh.visual.gate.judge`: scores, diff images, report). Then, per
1280x800 pair, the gate's score (`odoosh.visual.score.compare`) is timed next to a plain
`skimage.metrics.structural_similarity` on the same RGB pair, in this run, on one core (process
CPU time): once for the word change, once for a pair that differs everywhere.

    .venv/bin/python bench/visual.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import http.server
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from skimage.metrics import structural_similarity

from odoosh.visual import gate, shots
from odoosh.visual.capture import VIEWPORTS, capture
from odoosh.visual.score import VIEWPORT_THRESHOLDS, compare, load_png

ROUTES = [f"/page/{i}" for i in range(10)]


class Handler(http.server.BaseHTTPRequestHandler):
    version = "baseline"  # or "candidate": which look the server shows

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        word = "summary" if self.version == "candidate" else "report"
        rows = "".join(
            f"<tr><td>Partner {n}</td><td>p{n}@example.com</td><td>+49 30 {n:07d}</td></tr>" for n in range(30)
        )
        body = (
            "<!DOCTYPE html><html><head><style>body{font-family:'DejaVu Sans',sans-serif;margin:2rem}"
            "td{padding:.2rem 1rem;border-bottom:1px solid #ddd}.b{background:#714b67;color:#fff;padding:1rem}</style>"
            f"</head><body><h1>{url.path}: quarterly {word}</h1><p class=b>Confirm order</p><table>{rows}</table>"
            "</body></html>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def cpu(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    viewports = [VIEWPORTS["desktop"], VIEWPORTS["mobile"]]
    with tempfile.TemporaryDirectory() as tmp:
        for version in ("baseline", "candidate"):
            Handler.version = version
            start = time.perf_counter()
            taken = capture(url, ROUTES, viewports, login=None, log=lambda _: None)
            seconds = time.perf_counter() - start
            shots.write(Path(tmp) / version, taken, commit="0" * 40, url=url)
            print(f"capture {version}: {len(taken)} shots in {seconds:.1f} s, {seconds / len(taken):.2f} s per route")
        start = time.perf_counter()
        verdict = gate.judge(
            Path(tmp) / "baseline", Path(tmp) / "candidate", Path(tmp) / "report", dict(VIEWPORT_THRESHOLDS)
        )
        seconds = time.perf_counter() - start
        print(
            f"gate over {len(verdict.results)} pairs (scores, diff images, report): {seconds:.1f} s, "
            f"{seconds / len(verdict.results):.2f} s per pair; {len(verdict.failing)} failing (all should)"
        )
        pair = [shots.read(Path(tmp) / v).find(ROUTES[0], "desktop") for v in ("baseline", "candidate")]
        a, b = (load_png(shots.image(Path(tmp) / v, s)) for v, s in zip(("baseline", "candidate"), pair, strict=True))
    server.shutdown()
    h, w = min(a.shape[0], b.shape[0], 800), 1280
    pairs = {"one word changed": (a[:h, :w], b[:h, :w]), "every pixel changed": (a[:h, :w], 255 - a[:h, :w])}
    for name, (x, y) in pairs.items():
        ours = cpu(lambda: compare(x, y, VIEWPORT_THRESHOLDS["desktop"]), args.repeat)  # noqa: B023
        plain = cpu(lambda: structural_similarity(x, y, channel_axis=2, data_range=255), args.repeat)  # noqa: B023
        print(
            f"score of a {w}x{h} pair, {name}: gate {ours:.3f} s, plain structural_similarity {plain:.3f} s, "
            f"ratio {ours / plain:.2f} (target: under 0.2 s)"
        )


if __name__ == "__main__":
    main()
