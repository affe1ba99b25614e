"""One preview environment per pull request, on the dynamic partition `previews` (`pr-<n>`).

preview_database (a clone of staging, neutralised, the environments file applied; gate
`environment_settings_hold`) -> preview_dns_record -> preview_environment (the PR's head commit
on Odoo in the configured runtime, ODOOSH_PREVIEW_RUNTIME: a local process behind Caddy, or a
docker compose project behind Traefik; the smoke gate, then the URL on the PR, or the preview
stopped). The sensor
(sensors/previews.py) requests `preview_build` per PR and head commit and `preview_teardown`
when the PR is closed (merged: after the TTL); it deletes the partition once the teardown
succeeded. What a run builds comes from its tags; a fork's run (`odoosh/secrets=none`) gets no
secrets: no token for the clone, no DNS token, no users' passwords from the environments file.
"""

import contextlib
import time

import dagster as dg

from odoosh import environments, settings
from odoosh.previews import build as preview_build_steps
from odoosh.previews.build import BuildFailed, BuildRequest, PreviewBuild
from odoosh.previews.database import preview_database_name
from odoosh.previews.publish import PreviewPublisher
from odoosh.previews.pulls import ORPHAN, Pull, number_of
from odoosh.visual import store as visual_store
from odoosh_assets.environments import CHECK as SETTINGS_CHECK
from odoosh_assets.environments import settings_result
from odoosh_assets.smoke import PROBES
from odoosh_assets.staging import staging_database
from resources.artifacts import ArtifactStoreResource
from resources.environments import EnvironmentsResource
from resources.mail import MailResource
from resources.previews import DnsResource, GitHubResource, PreviewsResource
from resources.staging import StagingResource
from sensors.previews import (
    BUILD_ASSETS,
    BUILD_JOB,
    PREVIEWS,
    TAG_CLONE_URL,
    TAG_REASON,
    TAG_SECRETS,
    TAG_SHA,
    TEARDOWN_JOB,
)

GROUP = "previews"
OWNERS = ["team:platform"]
# The foundation's probes, in this order (odoosh.previews.build.PreviewBuild.smoke runs them).
SMOKE_CHECKS = list(PROBES)


def build_request(context: dg.AssetExecutionContext, github: GitHubResource) -> BuildRequest:
    """The run's PR, head commit and clone URL from the sensor's tags; a run launched by hand
    (no tags) builds the PR's head as GitHub has it now."""
    number, tags = number_of(context.partition_key), context.run.tags
    if tags.get(TAG_SHA) and tags.get(TAG_CLONE_URL):
        return BuildRequest(number, tags[TAG_SHA], tags[TAG_CLONE_URL], secrets=tags.get(TAG_SECRETS) != "none")
    with github.client() as client:
        data = client.pull(number)
    if data is None or data.get("state") != "open":
        raise dg.Failure(f"#{number} is not an open pull request of {github.repository}: there is nothing to preview.")
    pull = Pull.from_github(data, github.repository)
    if not pull.clone_url:
        raise dg.Failure(f"The head repository of #{number} is gone (a deleted fork): its code cannot be fetched.")
    return BuildRequest(number, pull.sha, pull.clone_url, secrets=not pull.fork)


@contextlib.contextmanager
def _build(context, github: GitHubResource, dns: DnsResource, previews: PreviewsResource, staging: StagingResource):
    request = build_request(context, github)
    # A fork's build gets no DNS token: no record (wildcard DNS, or pr-<n>.localhost, serves it).
    runtime = previews.previews(staging.target().server(start=True), dns.dns() if request.secrets else None)
    with github.client() as client:
        try:
            yield PreviewBuild(runtime, PreviewPublisher(client), request, log=context.log.info)
        except BuildFailed as exc:  # the PR has been told; the run fails with the same words
            raise dg.Failure(str(exc)) from None


def _seconds(context) -> float:
    """Since the run started: the build time the PR is told."""
    record = context.instance.get_run_record_by_id(context.run.run_id)
    started = (record and record.start_time) or time.time()
    return round(time.time() - started, 1)


def _phase_metadata(build: PreviewBuild) -> dict:
    return {f"seconds_{phase}": dg.MetadataValue.float(s) for phase, s in build.phases.seconds.items()}


@dg.asset(
    partitions_def=PREVIEWS,
    deps=[staging_database],
    group_name=GROUP,
    kinds={"postgres"},
    owners=OWNERS,
    description="The PR's database: staging cloned (a demo database before the first staging), neutralised, the environments file applied.",
    check_specs=[
        dg.AssetCheckSpec(
            SETTINGS_CHECK,
            asset="preview_database",
            blocking=True,
            description="Every line of the environments file for previews holds.",
        )
    ],
)
def preview_database(
    context: dg.AssetExecutionContext,
    github: GitHubResource,
    dns: DnsResource,
    previews: PreviewsResource,
    staging: StagingResource,
    mail: MailResource,
    environments_file: EnvironmentsResource,
):
    with _build(context, github, dns, previews, staging) as build:
        yield from _database(build, staging, mail, environments_file)


def _database(
    build: PreviewBuild, staging: StagingResource, mail: MailResource, environments_file: EnvironmentsResource
):
    target, catcher = staging.target(), mail.catcher().ensure_running()
    try:
        spec = environments_file.spec()
    except environments.EnvironmentsError as exc:  # a wrong file: the PR hears why there is no preview
        build.fail("environments file", str(exc))
        raise dg.Failure(str(exc)) from None
    built, done = build.database(
        staging=target.server(start=True),
        staging_database=target.database,
        smtp_host=catcher.smtp_host,
        smtp_port=catcher.smtp_port,
        spec=spec,
        jobs=settings.jobs(),
        work_dir=settings.work_dir(),
    )
    yield dg.MaterializeResult(
        metadata={
            "database": built.name,
            "source": built.source,
            "commit": build.request.sha,
            "environment_lines_applied": dg.MetadataValue.int(len(done)),
            **_phase_metadata(build),
        }
    )
    failures = environments.verify_at(built.dsn, spec, preview_build_steps.ENVIRONMENT, secrets=build.request.secrets)
    if failures:
        build.fail("environments file", "; ".join(failures))
    yield settings_result(spec, preview_build_steps.ENVIRONMENT, failures)


@dg.asset(
    partitions_def=PREVIEWS,
    deps=[preview_database],
    group_name=GROUP,
    kinds={"digitalocean"},
    owners=OWNERS,
    description="The preview's A record pr-<n> in the DNS zone (none in wildcard mode, without DNS settings, or for a fork).",
)
def preview_dns_record(
    context: dg.AssetExecutionContext,
    github: GitHubResource,
    dns: DnsResource,
    previews: PreviewsResource,
    staging: StagingResource,
) -> dg.MaterializeResult:
    with _build(context, github, dns, previews, staging) as build:
        record = build.dns_record()
    why = "wildcard mode" if dns.wildcard else "no DNS settings" if build.request.secrets else "fork: no DNS token"
    return dg.MaterializeResult(
        metadata={
            "record": record.fqdn if record else f"none ({why})",
            "points_at": record.data if record else "",
            **({"record_id": dg.MetadataValue.int(record.id)} if record else {}),
            **_phase_metadata(build),
        }
    )


@dg.asset(
    partitions_def=PREVIEWS,
    deps=[preview_dns_record],
    group_name=GROUP,
    kinds={"odoo"},
    owners=OWNERS,
    description="Odoo on the PR's head commit behind the HTTPS proxy (Caddy, or Traefik with compose); its URL goes on the PR once every smoke check passed.",
    check_specs=[
        dg.AssetCheckSpec(name, asset="preview_environment", blocking=True, description=description)
        for name, (description, _) in PROBES.items()
    ],
)
def preview_environment(
    context: dg.AssetExecutionContext,
    github: GitHubResource,
    dns: DnsResource,
    previews: PreviewsResource,
    staging: StagingResource,
    mail: MailResource,
):
    catcher = mail.catcher().ensure_running()
    with _build(context, github, dns, previews, staging) as build:
        dsn = build.previews.server.dsn(preview_database_name(build.request.number))
        environment = build.start(dsn, smtp_host=catcher.smtp_host, smtp_port=catcher.smtp_port, token=github.token)
        results = build.smoke(environment, dsn, settings.required_modules())
        published = build.publish(environment, results, _seconds(context))
    yield dg.MaterializeResult(
        metadata={
            "url": dg.MetadataValue.url(environment.url) if published else "none: the smoke gate failed",
            "commit": environment.sha,
            "addons_path": environment.addons_path,
            "published": published,
            "runtime": previews.runtime,
            "build_seconds": dg.MetadataValue.float(_seconds(context)),
            **_phase_metadata(build),
        }
    )
    for name, result in zip(SMOKE_CHECKS, results, strict=True):
        (context.log.info if result.passed else context.log.error)(f"{name}: {result.summary}")
        yield dg.AssetCheckResult(
            check_name=name,
            passed=result.passed,
            description=result.summary,
            metadata={"probe": result.name, "summary": result.summary, **result.details},
        )


@dg.op(
    description="Stop the preview's Odoo, drop its database, delete its DNS record and proxy route, its screenshots and visual reports, mark its deployments inactive."
)
def remove_preview(
    context: dg.OpExecutionContext,
    github: GitHubResource,
    dns: DnsResource,
    previews: PreviewsResource,
    staging: StagingResource,
    visual_artifacts: ArtifactStoreResource,
) -> None:
    number, tags = number_of(context.partition_key), context.run.tags
    runtime = previews.previews(staging.target().server(start=True), dns.dns())
    with github.client() as client:
        marked = preview_build_steps.teardown(
            runtime,
            PreviewPublisher(client),
            number,
            tags.get(TAG_SHA) or ORPHAN,
            tags.get(TAG_REASON) or "removed",
            log=context.log.info,
        )
    visual_store.remove(visual_artifacts.store(), context.partition_key)
    context.log.info(
        f"preview pr-{number} removed, with its screenshots and visual reports; {marked} deployment(s) marked inactive"
    )


preview_build = dg.define_asset_job(
    BUILD_JOB,
    selection=dg.AssetSelection.assets(*BUILD_ASSETS),
    description="Build (or rebuild) one PR's preview: database, DNS record, environment, smoke gate, URL on the PR.",
)


@dg.job(name=TEARDOWN_JOB, partitions_def=PREVIEWS, description="Remove everything of one PR's preview.")
def preview_teardown():
    remove_preview()


preview_assets = [preview_database, preview_dns_record, preview_environment]
preview_jobs = [preview_build, preview_teardown]
