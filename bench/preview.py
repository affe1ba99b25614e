"""Benchmark: from a pull request appearing on GitHub to its preview's URL on the PR.

In a throwaway sandbox (a staging cluster holding a synthetic staging database, the loopback
GitHub and DigitalOcean doubles, the previews' Caddy, the Odoo stand-in), it opens a PR on the
double and times what the daemon and the preview_build job would do, through the same code:

  pick-up   one tick of the GitHub sensor (sensors/previews.py) that sees the PR and asks for
            its build; a daemon adds up to its polling interval (15 s) before that tick
  clone     the staging database copied (CREATE DATABASE ... TEMPLATE), neutralised, the
            environments file applied; announcing the build to GitHub is counted in publish
  dns       the A record through the DigitalOcean API (double)
  fetch     git fetch of the PR's head commit
  start     the preview's Odoo started, its proxy route added (Caddy started or reloaded)
  smoke     the four smoke probes, HTTPS verified through the proxy
  publish   deployment, statuses and the comment with the URL

then the same for a second PR through the real `preview_build` job, executed in process (the
assets, their checks and Dagster's own cost: what the daemon's run adds, without a container),
and the GitHub requests of idle sensor ticks (the target is one conditional request, a 304).

    .venv/bin/python bench/preview.py [--scale 0.2] [--idle-ticks 5]
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

import dagster as dg

from odoosh import scratch, settings
from odoosh.odoo.runtime import OdooRuntime
from odoosh.postgres.abandoned import remove_abandoned
from odoosh.postgres.cluster import Clusters
from odoosh.previews import build as preview_build
from odoosh.previews.comment import MARKER
from odoosh.previews.dns import DnsSettings, PreviewDns
from odoosh.previews.environment import Previews
from odoosh.previews.github import GitHubClient, GitHubSettings
from odoosh.previews.proxy import PreviewProxy, sandbox_ca
from odoosh.previews.publish import PreviewPublisher
from odoosh.previews.runtime import SandboxRuntime
from odoosh.sandbox import synthetic
from odoosh.sandbox.dns_double import DnsDouble
from odoosh.sandbox.github_double import AddonsRepository, GitHubDouble
from odoosh.sandbox.mail_catcher.supervisor import SandboxCatcher
from odoosh.sandbox.staging import sandbox_staging
from sensors.previews import PREVIEWS, TAG_CLONE_URL, TAG_SECRETS, TAG_SHA, evaluate

REPOSITORY = "bench/addons"
TOKEN, DO_TOKEN, ZONE = "ghp_bench", "dop_v1_bench", "bench.test"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=0.2, help="size of staging (1 is about 36 MB)")
    parser.add_argument("--idle-ticks", type=int, default=5)
    args = parser.parse_args()
    log = lambda message: print(f"  {message}", flush=True)  # noqa: E731
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    remove_abandoned(tempfile.gettempdir(), log)
    with scratch.owned_dir("bench-preview") as state:
        state.chmod(0o711)
        try:
            run(state, args, log)
        finally:
            OdooRuntime(state).stop_all()
            PreviewProxy(state).stop(log)
            SandboxCatcher(state).stop()
            for cluster in Clusters(state).all():
                cluster.destroy()


def run(state: Path, args, log) -> None:
    print(f"preparing: staging at scale {args.scale:g}, the doubles, the mail catcher")
    server = sandbox_staging(state).server(start=True)
    server.create("odoo_staging")
    synthetic.build(server.dsn("odoo_staging"), scale=args.scale, seed=0, progress=lambda _: None)
    catcher = SandboxCatcher(state).ensure_running()
    origin = AddonsRepository(state / "origin")
    origin.commit({"bench_base": "16.0.1.0.0"})
    head = origin.commit({"bench_base": "16.0.1.0.0", "bench_feature": "16.0.1.0.0"})
    ca = sandbox_ca(state)
    ca.ensure()
    with (
        GitHubDouble(TOKEN, repository=REPOSITORY, clone_url=origin.clone_url) as github,
        DnsDouble(ca, DO_TOKEN, [ZONE]) as dns_double,
        dg.instance_for_test() as instance,
    ):
        os.environ.update(
            ODOOSH_GITHUB_REPOSITORY=REPOSITORY, ODOOSH_GITHUB_API_URL=github.url, ODOOSH_GITHUB_TOKEN=TOKEN
        )
        cursor = evaluate(dg.build_sensor_context(instance=instance), time.time()).cursor  # the sensor's state
        dns = PreviewDns(DnsSettings(ZONE, "192.0.2.10", DO_TOKEN, api_url=dns_double.url, ca_file=ca.cert))
        previews = Previews(
            state, SandboxRuntime(OdooRuntime(state, settings.odoo_command()), PreviewProxy(state)), server, dns
        )

        print("a pull request appears")
        appeared = time.monotonic()
        number = github.open_pull(head, head_ref="feature", title="Bench feature")
        tick = evaluate(dg.build_sensor_context(instance=instance, cursor=cursor), time.time())
        pickup = time.monotonic() - appeared
        [request] = tick.run_requests
        instance.add_dynamic_partitions(PREVIEWS.name, [request.partition_key])
        cursor = tick.cursor
        tags = request.tags
        build_request = preview_build.BuildRequest(
            number, tags[TAG_SHA], tags[TAG_CLONE_URL], secrets=tags[TAG_SECRETS] != "none"
        )
        with GitHubClient(GitHubSettings(REPOSITORY, github.url, TOKEN)) as client:
            build = preview_build.PreviewBuild(previews, PreviewPublisher(client), build_request, log=lambda _: None)
            built, _ = build.database(
                staging=server,
                staging_database="odoo_staging",
                smtp_host=catcher.smtp_host,
                smtp_port=catcher.smtp_port,
            )
            build.dns_record()
            environment = build.start(built.dsn, smtp_host=catcher.smtp_host, smtp_port=catcher.smtp_port, token=None)
            results = build.smoke(environment, built.dsn, settings.required_modules())
            published = build.publish(environment, results, time.monotonic() - appeared)
            total = time.monotonic() - appeared

        comment = next((c["body"] for c in github.comments(number) if MARKER in c["body"]), "")
        if not published or environment.url not in comment:
            raise SystemExit(f"the preview was not published: {[r.summary for r in results if not r.passed]}")

        requests = []
        for _ in range(args.idle_ticks):
            before = github.request_count()
            cursor = evaluate(dg.build_sensor_context(instance=instance, cursor=cursor), time.time()).cursor
            requests.append(github.request_count() - before)

        seconds = build.phases.seconds
        phases = {
            "sensor pick-up": pickup,
            "database clone": seconds["database_clone"] + seconds.get("environments", 0),
            "DNS record": seconds.get("dns", 0),
            "code fetch": seconds["code_fetch"],
            "start": seconds["start"],
            "smoke": seconds["smoke"],
            "publish": seconds["publish"] + seconds["announce"],
        }
        print(f"\nPR #{number} -> URL comment ({environment.url}), staging {built.source} copy:")
        for name, value in phases.items():
            print(f"  {name:<15}{value:6.2f} s")
        print(f"  {'total':<15}{total:6.2f} s  (target: under 60 s; plus up to 15 s of the daemon's polling)")
        print(f"GitHub requests per idle sensor tick: {requests} (target: 1, a conditional request answered 304)")
        with GitHubClient(GitHubSettings(REPOSITORY, github.url, TOKEN)) as client:
            preview_build.teardown(previews, PreviewPublisher(client), number, head, "closed", log=lambda _: None)

        job_seconds = through_the_job(state, instance, github, dns_double, ca, origin, cursor)
        print(f"through the preview_build job (in process), PR -> URL comment: {job_seconds:.2f} s")


def through_the_job(state: Path, instance, github, dns_double, ca, origin, cursor: str) -> float:
    """A second PR, built by one sensor tick and the real preview_build job; seconds to its comment."""
    os.environ.update(ODOOSH_STATE_DIR=str(state), ODOOSH_DO_API_URL=dns_double.url, ODOOSH_DO_TOKEN=DO_TOKEN)
    from odoosh_assets import previews as preview_assets
    from odoosh_assets.definitions import make_definitions
    from resources.previews import DnsResource

    defs = make_definitions()
    resources = {
        **defs.resources,
        "dns": DnsResource(
            zone=ZONE, target="192.0.2.10", token=DO_TOKEN, api_url=dns_double.url, ca_file=str(ca.cert)
        ),
    }
    job = dg.Definitions(
        assets=defs.assets, asset_checks=defs.asset_checks, jobs=preview_assets.preview_jobs, resources=resources
    ).resolve_job_def(preview_assets.BUILD_JOB)
    head = origin.commit({"bench_base": "16.0.1.0.0", "bench_other": "16.0.1.0.0"})
    appeared = time.monotonic()
    number = github.open_pull(head, head_ref="other", title="Bench, through the job")
    tick = evaluate(dg.build_sensor_context(instance=instance, cursor=cursor), time.time())
    [request] = tick.run_requests
    instance.add_dynamic_partitions(PREVIEWS.name, [request.partition_key])
    tags = {k: v for k, v in request.tags.items() if not k.startswith("dagster/")}
    result = job.execute_in_process(instance=instance, partition_key=request.partition_key, tags=tags)
    seconds = time.monotonic() - appeared
    url = result.asset_materializations_for_node("preview_environment")[0].metadata["url"].value
    if not any(url in c["body"] for c in github.comments(number)):
        raise SystemExit(f"the job did not publish {url}")
    return seconds


if __name__ == "__main__":
    main()
