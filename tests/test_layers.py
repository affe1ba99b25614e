"""The layering rule (DESIGN.md, "Layout and layers"): odoosh/ is plain Python.

Every module under odoosh/ must import in an interpreter where dagster, resources/ and
odoosh_assets/ cannot be imported at all, so the platform's logic, the benchmarks and the
sandbox's own processes never depend on the Dagster layer above them.
"""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FORBIDDEN = ("dagster", "dagster_aws", "dagster_docker", "dagster_postgres", "resources", "odoosh_assets")

# A meta-path finder that refuses the upper layers, installed before anything is imported.
PROBE = """
import importlib, importlib.abc, sys
forbidden = set(sys.argv[1].split(","))
class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in forbidden:
            raise ImportError(f"{name} is an upper layer")
sys.meta_path.insert(0, Refuse())
failed = []
for module in sys.argv[2:]:
    try:
        importlib.import_module(module)
    except Exception as exc:
        failed.append(f"{module}: {type(exc).__name__}: {exc}")
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


def odoosh_modules() -> list[str]:
    modules = []
    for path in sorted((REPO / "odoosh").rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        if parts[-1] == "__main__":
            continue  # runs its package's command on import
        modules.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return modules


def test_every_odoosh_module_imports_without_the_dagster_layers():
    modules = odoosh_modules()
    assert len(modules) > 30 and "odoosh.staging.quarantine" in modules
    result = subprocess.run(
        [sys.executable, "-c", PROBE, ",".join(FORBIDDEN), *modules],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_probe_refuses_an_upper_layer():
    """The rule test itself can fail: a module that imports dagster is reported."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, ",".join(FORBIDDEN), "odoosh_assets.definitions"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1 and "upper layer" in result.stdout
