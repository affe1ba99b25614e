"""The demo's GitHub and DigitalOcean: loopback doubles run as processes of their own.

With ODOOSH_GITHUB_API_URL and ODOOSH_GITHUB_REPOSITORY unset, `./dev build` and `./dev demo`
start a GitHub double holding a repository of addons (a local git repository) with one open
pull request, and a DigitalOcean DNS double behind the sandbox CA; the platform then reaches
them through its ordinary settings, which `environment()` returns. Everything lives in
`<state>/doubles/`: the addons repository, each double's log, and `doubles.json` (pids, start
times, URLs, the doubles' tokens; mode 600). `./dev down` stops them.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from odoosh import process
from odoosh.previews.proxy import sandbox_ca
from odoosh.sandbox.github_double import AddonsRepository

REPOSITORY = "odoosh/addons"
ZONE = "sandbox.test"
TARGET = "127.0.0.1"
START_TIMEOUT_S = 60
# The demo PR adds a module to the base branch's: its preview's login page lists both.
BASE_ADDONS = {"odoosh_demo": "16.0.1.0.0"}
PR_ADDONS = {"odoosh_demo": "16.0.1.0.0", "odoosh_demo_preview": "16.0.1.1.0"}
Log = Callable[[str], None]


@dataclass(frozen=True)
class DemoDoubles:
    state_dir: Path

    @property
    def directory(self) -> Path:
        return Path(self.state_dir) / "doubles"

    @property
    def _record_file(self) -> Path:
        return self.directory / "doubles.json"

    def environment(self) -> dict[str, str]:
        """The settings that point the platform at the running doubles (empty if they are not)."""
        record = self._record()
        if not all(self._alive(record.get(name)) for name in ("github", "dns")):
            return {}
        return {
            "ODOOSH_GITHUB_REPOSITORY": REPOSITORY,
            "ODOOSH_GITHUB_API_URL": record["github"]["url"],
            "ODOOSH_GITHUB_TOKEN": record["github_token"],
            "ODOOSH_GITHUB_CLONE_URL": record["github"]["clone_url"],
            "ODOOSH_DO_API_URL": record["dns"]["url"],
            "ODOOSH_DO_TOKEN": record["dns_token"],
            "ODOOSH_DNS_ZONE": ZONE,
            "ODOOSH_DNS_TARGET": TARGET,
        }

    def is_double(self, api_url: str | None) -> bool:
        """Whether `api_url` is the demo's DNS double (whose TLS is the sandbox CA's)."""
        dns = self._record().get("dns") or {}
        return bool(api_url) and api_url == dns.get("url")

    def ensure_running(self, log: Log = print) -> dict[str, str]:
        """Start whichever double is not running; returns `environment()`."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        record = self._record()
        record.setdefault("github_token", "ghp_demo" + secrets.token_hex(16))
        record.setdefault("dns_token", "dop_v1_demo" + secrets.token_hex(16))
        if not self._alive(record.get("github")):
            record["github"] = self._start_github(record["github_token"], log)
        if not self._alive(record.get("dns")):
            record["dns"] = self._start_dns(record["dns_token"], log)
        self._save(record)
        return self.environment()

    def stop(self, log: Log = print) -> list[str]:
        """Stop both doubles; returns the names of those that ran."""
        record, stopped = self._record(), []
        for name in ("github", "dns"):
            if self._alive(entry := record.get(name)):
                process.stop(entry["pid"])
                stopped.append(name)
                log(f"the demo's {name} double (pid {entry['pid']}) stopped")
            record.pop(name, None)
        if self._record_file.exists():
            self._save(record)
        return stopped

    # ---- internals

    def _start_github(self, token: str, log: Log) -> dict:
        repository = AddonsRepository(self.directory / "addons")
        repository.commit(BASE_ADDONS, "the base branch's addons")
        head = repository.commit(PR_ADDONS, "a new module, to preview")
        url_file = self.directory / "github.url"
        url_file.unlink(missing_ok=True)
        args = [sys.executable, "-m", "odoosh.sandbox.github_double", "--repository", REPOSITORY]
        args += ["--clone-url", repository.clone_url, "--url-file", str(url_file), "--open-pull", head]
        pid = self._launch(args, "github", {"ODOOSH_GITHUB_TOKEN": token}, url_file.exists)
        url = url_file.read_text().strip()
        log(f"the demo's GitHub double serves {REPOSITORY} at {url}, with one open pull request")
        return {"pid": pid, "process_start": process.start_time(pid), "url": url, "clone_url": repository.clone_url}

    def _start_dns(self, token: str, log: Log) -> dict:
        ca = sandbox_ca(Path(self.state_dir))
        ca.ensure()
        port_file = self.directory / "dns.port"
        port_file.unlink(missing_ok=True)
        args = [sys.executable, "-m", "odoosh.sandbox.dns_double", "--ca-dir", str(ca.directory)]
        args += ["--zone", ZONE, "--port-file", str(port_file)]
        pid = self._launch(args, "dns", {"ODOOSH_DO_TOKEN": token}, port_file.exists)
        url = f"https://127.0.0.1:{int(port_file.read_text())}"
        log(f"the demo's DigitalOcean DNS double serves the zone {ZONE} at {url}")
        return {"pid": pid, "process_start": process.start_time(pid), "url": url}

    def _launch(self, args: list[str], name: str, env: dict[str, str], ready: Callable[[], bool]) -> int:
        log_file = self.directory / f"{name}.log"
        offset = process.log_size(log_file)
        pid = process.start(args, log_file, env={**os.environ, **env})
        process.wait_until_ready(
            pid,
            ready,
            timeout=START_TIMEOUT_S,
            what=f"The demo's {name} double",
            ready_as="listen",
            log_file=log_file,
            log_offset=offset,
        )
        return pid

    @staticmethod
    def _alive(entry: dict | None) -> bool:
        return bool(entry) and process.start_time(entry["pid"]) == entry.get("process_start")

    def _record(self) -> dict:
        try:
            return json.loads(self._record_file.read_text())
        except (OSError, ValueError):
            return {}

    def _save(self, record: dict) -> None:
        tmp = self._record_file.with_name(f".{self._record_file.name}.tmp")
        tmp.write_text(json.dumps(record, indent=2) + "\n")
        tmp.chmod(0o600)
        os.replace(tmp, self._record_file)
