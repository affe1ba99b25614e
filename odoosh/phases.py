"""Wall time per phase of a run, logged as each phase ends and reported as asset metadata."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

Log = Callable[[str], None]


@dataclass
class Phases:
    """Wall time per pipeline phase, logged as each ends."""

    log: Log
    seconds: dict[str, float] = field(default_factory=dict)

    @contextlib.contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        self.log(f"{name}: started")
        started = time.monotonic()
        yield
        self.seconds[name] = round(time.monotonic() - started, 2)
        self.log(f"{name}: {self.seconds[name]:.1f}s")
