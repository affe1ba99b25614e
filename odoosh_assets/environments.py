"""The environments file's gate: every line of it holds in staging (and in each preview, see
odoosh_assets/previews.py), checked after each refresh."""

import dagster as dg

from odoosh import environments
from odoosh_assets.staging import staging_database
from resources.environments import EnvironmentsResource
from resources.staging import StagingResource

CHECK = "environment_settings_hold"
DESCRIPTION = "Every line of the environments file (ODOOSH_ENVIRONMENTS_FILE) for this environment holds."


def settings_result(spec: environments.EnvironmentsSpec, environment: str, failures: list[str]) -> dg.AssetCheckResult:
    lines = spec.settings(environment).lines()
    return dg.AssetCheckResult(
        check_name=CHECK,
        passed=not failures,
        description="; ".join(failures) if failures else f"all {lines} line(s) for {environment} hold: {spec.source}",
        metadata={
            "file": spec.source,
            "lines": dg.MetadataValue.int(lines),
            "failed_lines": dg.MetadataValue.int(len(failures)),
        },
    )


@dg.asset_check(asset=staging_database, name=CHECK, blocking=True, description=DESCRIPTION)
def staging_environment_settings(
    staging: StagingResource, environments_file: EnvironmentsResource
) -> dg.AssetCheckResult:
    spec = environments_file.spec()
    return settings_result(spec, "staging", environments.verify_at(staging.target().dsn(), spec, "staging"))
