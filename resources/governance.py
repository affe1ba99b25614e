"""The addons checkouts and their lock file (ODOOSH_ADDONS_DIR, ODOOSH_OCA_LOCK)."""

from pathlib import Path

import dagster as dg
from pydantic import Field

from odoosh.governance.lock import ModuleLock


class ModuleLockResource(dg.ConfigurableResource):
    addons_dir: str = Field(description="The directory of addons clones, or the repository whose submodules they are.")
    lock_file: str = Field(description="Where oca.lock.json is written and read.")
    base_branch: str = Field(default="main", description="The GitHub repository's branch weekly bump PRs target.")
    repo_path: str = Field(default="oca.lock.json", description="The lock's path in the GitHub repository.")

    def module_lock(self) -> ModuleLock:
        return ModuleLock(Path(self.addons_dir), Path(self.lock_file), self.base_branch, self.repo_path)
