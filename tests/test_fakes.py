"""The fake pools are the same in every process: fakes are deterministic for a salt across runs."""

import json
import os
import subprocess
import sys

PRINT_POOLS = "import json; from odoosh.staging.scrub.fakes import build_pools; print(json.dumps(build_pools()))"


def pools_with_hash_seed(seed: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", PRINT_POOLS],
        env={**os.environ, "PYTHONHASHSEED": seed},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    return json.loads(out)


def test_pools_do_not_depend_on_the_hash_seed():
    first, second = pools_with_hash_seed("1"), pools_with_hash_seed("2")
    assert first == second
    assert len(first["cities"]) == 500 and len(set(first["cities"])) == 500
