"""The module lock: `oca.lock.json` from the addons checkouts, gated by `oca_drift`."""

import dagster as dg

from odoosh.governance.bump import weekly_bump
from resources.governance import ModuleLockResource
from resources.previews import GitHubResource

GROUP = "governance"


@dg.asset(
    group_name=GROUP,
    kinds={"git", "json"},
    description="oca.lock.json: each addons repository's URL, branch, commit and addons, from the checkouts.",
)
def oca_lock(module_lock: ModuleLockResource) -> dg.MaterializeResult:
    target = module_lock.module_lock()
    lock = target.write()
    return dg.MaterializeResult(
        metadata={
            "lock_file": dg.MetadataValue.path(str(target.lock_file)),
            "repositories": dg.MetadataValue.int(len(lock.repositories)),
            "addons": dg.MetadataValue.int(lock.addon_count),
        }
    )


@dg.asset_check(
    asset=oca_lock,
    blocking=True,
    description="Every addons checkout is at exactly its locked commit, with no uncommitted change.",
)
def oca_drift(module_lock: ModuleLockResource) -> dg.AssetCheckResult:
    result = module_lock.module_lock().drift()
    return dg.AssetCheckResult(
        passed=result.ok,
        description=result.message(),
        metadata={
            "repositories": dg.MetadataValue.int(result.checked),
            "problems": dg.MetadataValue.int(len(result.problems)),
        },
    )


@dg.op(description="Open or update the one PR that bumps oca.lock.json to each locked branch's newest commit.")
def bump_oca_lock(context: dg.OpExecutionContext, module_lock: ModuleLockResource, github: GitHubResource) -> None:
    target = module_lock.module_lock()
    with github.client() as client:
        result = weekly_bump(
            client, target.lock_file, target.addons_dir, base=target.base_branch, lock_path=target.repo_path
        )
    if result is None:
        context.log.info("no locked branch moved: no bump PR")
        return
    verb = "opened" if result.created else "updated"
    context.log.info(f"{verb} bump PR #{result.number}: {result.repositories} repositories moved")


@dg.job(description="Weekly: one pull request bumping oca.lock.json, listing each repository's new commits.")
def oca_lock_bump() -> None:
    bump_oca_lock()


governance_assets = [oca_lock]
governance_jobs = [oca_lock_bump]
governance_checks = [oca_drift]
