"""The visual parity gate (group `visual`): every preview photographed against main's look.

screenshot_baselines (staging on the main branch's head commit, every configured route in two
viewports) and, per PR on the `previews` partition, preview_screenshots (the same routes on the
preview) -> visual_diff (SSIM and the worst region per route, the diff images and an HTML
report; blocking check `visual_parity`, which a maintainer's label on the PR overrides, recorded).
Sets and reports live in the `visual` artifact store (ODOOSH_VISUAL_ARTIFACTS).
"""

from pathlib import Path

import dagster as dg

from odoosh import environments
from odoosh.previews.build import ENVIRONMENT as PREVIEWS_SECTION
from odoosh.previews.comment import VisualLine, visual_section
from odoosh.previews.database import preview_database_name
from odoosh.previews.publish import PreviewPublisher
from odoosh.previews.pulls import number_of
from odoosh.previews.runtime import SANDBOX
from odoosh.staging import code as staging_code
from odoosh.visual import gate, shots
from odoosh.visual import store as visual_store
from odoosh.visual.admin import admin_login
from odoosh.visual.capture import CaptureError, Shot, capture, needs_login
from odoosh_assets.previews import build_request, preview_environment
from odoosh_assets.staging import ENVIRONMENT as STAGING
from odoosh_assets.staging import new_key, staging_database, start_staging
from resources.artifacts import ArtifactStoreResource
from resources.environments import EnvironmentsResource
from resources.mail import MailResource
from resources.odoo import OdooResource
from resources.previews import GitHubResource, PreviewsResource
from resources.staging import StagingResource
from resources.visual import VisualResource
from sensors.previews import PREVIEWS

GROUP = "visual"
OWNERS = ["team:platform"]
CHECK = "visual_parity"


def _take(visual: VisualResource, url: str, login, context, *, sandbox_tls: bool) -> list[Shot]:
    # No login, no password: only the public routes (a fork's code must never see a password).
    routes = [r for r in visual.checked_routes() if login or not needs_login(r)]
    try:
        return capture(
            url,
            routes,
            visual.viewports(),
            login=login,
            masks=visual.masks,
            timeout_s=visual.timeout_s,
            ignore_https_errors=sandbox_tls,  # the sandbox CA's certificate; production's are public
            chromium=visual.chromium,
            log=context.log.info,
        )
    except CaptureError as exc:
        raise dg.Failure(str(exc)) from None


def _publish(visual_artifacts: ArtifactStoreResource, prefix: str, taken: list[Shot], context, **set_info):
    for shot in taken:
        if shot.error:
            context.log.warning(f"{shot.route} ({shot.viewport}): {shot.error}")
    key = new_key(prefix, context)
    return key, visual_store.publish(visual_artifacts.store(), prefix, key, taken, **set_info)


def _set_metadata(key: str, shot_set: shots.ShotSet) -> dict:
    errors = [f"{s.route} ({s.viewport}): {s.error}" for s in shot_set.shots if s.error]
    return {
        "key": key,
        "commit": shot_set.commit,
        "url": shot_set.url,
        "shots": dg.MetadataValue.int(sum(s.file is not None for s in shot_set.shots)),
        "routes_failed": dg.MetadataValue.int(len(errors)),
        "errors": dg.MetadataValue.md("\n".join(f"- {e}" for e in errors) or "none"),
    }


@dg.asset(
    deps=[staging_database],
    group_name=GROUP,
    kinds={"chromium"},
    owners=OWNERS,
    description="Screenshots of the configured routes on staging running the main branch's head, desktop and mobile.",
)
def screenshot_baselines(
    context: dg.AssetExecutionContext,
    github: GitHubResource,
    odoo: OdooResource,
    staging: StagingResource,
    mail: MailResource,
    previews: PreviewsResource,
    visual: VisualResource,
    visual_artifacts: ArtifactStoreResource,
    environments_file: EnvironmentsResource,
) -> dg.MaterializeResult:
    state, target = Path(odoo.state_dir), staging.target()
    with github.client() as client:
        sha = client.commit_sha(visual.branch)
        repo_url = client.settings.git_url()
    staging_code.update(state, repo_url, sha, base_addons=tuple(previews.base_addons), token=github.token)
    environment = odoo.runtime().environment(STAGING)
    start_staging(environment, target.dsn(), mail, state, context.log.info)  # restarts it on a new commit
    admin = admin_login(target.dsn())
    given = environments.password_of(environments_file.spec(), STAGING, admin)
    login = visual.login(admin, sandbox=target.sandbox, given=given)
    taken = _take(visual, environment.url, login, context, sandbox_tls=False)
    key, shot_set = _publish(visual_artifacts, visual_store.BASELINES, taken, context, commit=sha, url=environment.url)
    return dg.MaterializeResult(metadata={**_set_metadata(key, shot_set), "branch": visual.branch})


@dg.asset(
    partitions_def=PREVIEWS,
    deps=[preview_environment],
    group_name=GROUP,
    kinds={"chromium"},
    owners=OWNERS,
    description="Screenshots of the same routes on the PR's preview.",
)
def preview_screenshots(
    context: dg.AssetExecutionContext,
    github: GitHubResource,
    staging: StagingResource,
    previews: PreviewsResource,
    visual: VisualResource,
    visual_artifacts: ArtifactStoreResource,
    environments_file: EnvironmentsResource,
) -> dg.MaterializeResult:
    request = build_request(context, github)
    runtime = previews.previews(staging.target().server(start=True), None)
    url = runtime.url(request.number)
    dsn = runtime.server.dsn(preview_database_name(request.number))
    login = None  # a fork's preview runs code nobody reviewed: it gets no password, only public routes
    if request.secrets:
        admin, spec = admin_login(dsn), environments_file.spec()
        given = environments.password_of(spec, PREVIEWS_SECTION, admin) or environments.password_of(
            spec, STAGING, admin
        )
        login = visual.login(admin, sandbox=staging.target().sandbox, given=given)
    else:
        context.log.info("a fork's preview: only the routes that need no login are photographed")
    taken = _take(visual, url, login, context, sandbox_tls=previews.runtime == SANDBOX)
    prefix = visual_store.preview_prefix(context.partition_key)
    key, shot_set = _publish(visual_artifacts, prefix, taken, context, commit=request.sha, url=url)
    return dg.MaterializeResult(metadata=_set_metadata(key, shot_set))


@dg.asset(
    partitions_def=PREVIEWS,
    deps=[preview_screenshots, screenshot_baselines],
    group_name=GROUP,
    kinds={"chromium"},
    owners=OWNERS,
    description="Per route and viewport: SSIM, the worst region, a diff image and the three side by side; an HTML report.",
    check_specs=[
        dg.AssetCheckSpec(
            CHECK,
            asset="visual_diff",
            blocking=True,
            description="Every route reaches its SSIM and worst-region thresholds, or the PR carries the override label.",
        )
    ],
)
def visual_diff(
    context: dg.AssetExecutionContext,
    github: GitHubResource,
    visual: VisualResource,
    visual_artifacts: ArtifactStoreResource,
):
    store, number = visual_artifacts.store(), number_of(context.partition_key)
    with github.client() as client:
        override = visual.override_label if visual.override_label in client.labels(number) else None
        key = new_key(f"{visual_store.REPORTS}/{context.partition_key}", context)
        try:
            verdict = visual_store.judge(store, context.partition_key, key, visual.thresholds(), override=override)
        except LookupError as exc:
            raise dg.Failure(str(exc)) from None
        report_url = _link(visual, store, key, gate.REPORT)
        worst = verdict.worst()
        thumbnail = (
            _link(visual, store, key, worst.files["thumbnail"]) if worst and "thumbnail" in worst.files else None
        )
        lines = [
            VisualLine(r.route, r.viewport, r.status, r.score, r.worst_region_score, r.reason) for r in verdict.results
        ]
        section = visual_section(
            lines, passed=verdict.passed, override=verdict.override, report_url=report_url, thumbnail_url=thumbnail
        )
        summary = verdict.summary()
        PreviewPublisher(client).visual(
            number, verdict.preview_commit, section, passed=verdict.passed, summary=summary, report_url=report_url
        )
    failing = "; ".join(f"{r.route} ({r.viewport}) {r.status}: {r.reason}" for r in verdict.failing)
    (context.log.info if verdict.passed else context.log.error)(
        f"{CHECK}: {summary}{': ' + failing if failing else ''}"
    )
    yield dg.MaterializeResult(
        metadata={
            "report": dg.MetadataValue.url(report_url),
            "baseline_commit": verdict.baseline_commit or "none",
            "preview_commit": verdict.preview_commit,
            "routes": dg.MetadataValue.int(len(verdict.results)),
            "routes_failing": dg.MetadataValue.int(len(verdict.failing)),
            "routes_new": dg.MetadataValue.int(sum(r.status == "new" for r in verdict.results)),
            **({"worst_region_ssim": dg.MetadataValue.float(worst.worst_region_score)} if worst else {}),
        }
    )
    yield dg.AssetCheckResult(
        check_name=CHECK,
        passed=verdict.passed,
        description=f"{summary}{': ' + failing if failing else ''}"[:2000],
        metadata={
            "override": verdict.override or "none",
            "failing": dg.MetadataValue.md("\n".join(f"- {r.describe()}" for r in verdict.failing) or "none"),
            "scores": dg.MetadataValue.md("\n".join(f"- {r.describe()}" for r in verdict.results)),
            "report": dg.MetadataValue.url(report_url),
        },
    )


def _link(visual: VisualResource, store, key: str, name: str) -> str:
    if visual.report_base_url:
        return f"{visual.report_base_url.rstrip('/')}/{key}/{name}"
    return store.link(key, name)


visual_baselines = dg.define_asset_job(
    "visual_baselines",
    selection=dg.AssetSelection.assets(screenshot_baselines),
    description="Photograph staging on the main branch's head: the baselines previews are compared with.",
)

visual_assets = [screenshot_baselines, preview_screenshots, visual_diff]
