"""DNS records of previews, through DigitalOcean's API and its official client, `pydo`.

Each preview gets an A record `pr-<n>` in the zone (`pr-<n>.<prefix>` when the preview domain
lies below the zone), pointing at the machine that serves previews. Creating is idempotent: an
identical record is reused, so a rebuild makes no duplicate. In wildcard mode (one `*` record
made by hand) nothing is created or deleted. A failed creation leaves no record behind: the
client does not retry on its own, and whatever a failed request may still have created is
looked up and deleted before the error is raised. The token is never part of a message.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path

import pydo
from azure.core.exceptions import AzureError, ClientAuthenticationError, HttpResponseError

from odoosh.previews.names import preview_name

DEFAULT_API_URL = "https://api.digitalocean.com"
RECORD_TTL = 300  # short: a preview's address may move with the machine
TIMEOUT_S = 30
_TRUE = {"1", "true", "yes", "on"}


class DnsError(RuntimeError):
    """A DNS API call that failed, phrased as what and why; never holds the token."""


@dataclass(frozen=True)
class DnsSettings:
    """Where and what to write. `ca_file`: a CA to trust instead of the public ones (the sandbox's
    loopback double); `wildcard`: a `*` record covers every preview, so none is created."""

    zone: str
    target: str
    token: str = field(repr=False)
    api_url: str = DEFAULT_API_URL
    wildcard: bool = False
    ca_file: Path | None = None
    domain: str | None = None  # the preview domain, when it lies below the zone

    def __post_init__(self) -> None:
        try:
            ipaddress.IPv4Address(self.target)
        except ValueError:
            raise DnsError(
                f"ODOOSH_DNS_TARGET={self.target!r} is not an IPv4 address; an A record needs one "
                "(the address of the machine that serves previews)."
            ) from None

    @classmethod
    def from_env(cls, ca_file: Path | None = None) -> DnsSettings | None:
        """ODOOSH_DO_TOKEN, ODOOSH_DNS_ZONE, ODOOSH_DNS_TARGET (None unless all three are set),
        ODOOSH_DO_API_URL, ODOOSH_DNS_WILDCARD, ODOOSH_PREVIEW_DOMAIN."""
        token, zone, target = (os.environ.get(k) for k in ("ODOOSH_DO_TOKEN", "ODOOSH_DNS_ZONE", "ODOOSH_DNS_TARGET"))
        if not (token and zone and target):
            return None
        return cls(
            zone=zone.strip(".").lower(),
            target=target,
            token=token,
            api_url=os.environ.get("ODOOSH_DO_API_URL") or DEFAULT_API_URL,
            wildcard=os.environ.get("ODOOSH_DNS_WILDCARD", "").strip().lower() in _TRUE,
            ca_file=ca_file,
            domain=os.environ.get("ODOOSH_PREVIEW_DOMAIN") or None,
        )


@dataclass(frozen=True)
class DnsRecord:
    id: int
    name: str
    type: str
    data: str
    fqdn: str


class PreviewDns:
    """The A records of previews in one zone."""

    def __init__(self, settings: DnsSettings) -> None:
        self.settings = settings
        verify = str(settings.ca_file) if settings.ca_file else True
        # retry_total=0: a retried POST after a lost answer would make a second record.
        self._client = pydo.Client(
            token=settings.token,
            endpoint=settings.api_url,
            retry_total=0,
            connection_timeout=TIMEOUT_S,
            read_timeout=TIMEOUT_S,
            connection_verify=verify,
        )

    def record_name(self, n: int) -> str:
        """`pr-<n>`, or `pr-<n>.<prefix>` for a preview domain `<prefix>.<zone>`."""
        zone, domain = self.settings.zone, (self.settings.domain or "").strip(".").lower()
        if domain and domain != zone and domain.endswith("." + zone):
            return f"{preview_name(n)}.{domain.removesuffix('.' + zone)}"
        return preview_name(n)

    def fqdn(self, n: int) -> str:
        return f"{self.record_name(n)}.{self.settings.zone}"

    def find_records(self, n: int) -> list[DnsRecord]:
        """The A records named like preview `n`, whatever they point at."""
        answer = self._call(
            "list the A records of",
            n,
            self._client.domains.list_records,
            self.settings.zone,
            name=self.fqdn(n),
            type="A",
        )
        return [self._record(item) for item in answer.get("domain_records", [])]

    def ensure_record(self, n: int) -> DnsRecord | None:
        """The A record of preview `n`, created unless an identical one exists; None in wildcard mode."""
        if self.settings.wildcard:
            return None
        existing = self.find_records(n)
        if same := [r for r in existing if r.data == self.settings.target]:
            return same[0]
        if existing:
            raise DnsError(
                f"{self.fqdn(n)} already has an A record pointing at {existing[0].data}, not at "
                f"{self.settings.target} (ODOOSH_DNS_TARGET). Delete that record in the zone "
                f"{self.settings.zone}, or correct ODOOSH_DNS_TARGET."
            )
        body = {"type": "A", "name": self.record_name(n), "data": self.settings.target, "ttl": RECORD_TTL}
        try:
            answer = self._call(
                "create the A record of", n, self._client.domains.create_record, self.settings.zone, body
            )
            return self._record(answer["domain_record"])
        except DnsError:
            self._undo(n)
            raise

    def delete_record(self, n: int) -> int:
        """Delete preview `n`'s A records pointing at the target; how many there were (0 in wildcard mode)."""
        if self.settings.wildcard:
            return 0
        ours = [r for r in self.find_records(n) if r.data == self.settings.target]
        for record in ours:
            self._call("delete the A record of", n, self._client.domains.delete_record, self.settings.zone, record.id)
        return len(ours)

    # ---- internals

    def _undo(self, n: int) -> None:
        """A request that failed may still have taken effect (an answer lost, a 5xx after the
        write): delete what it made, so a failed build leaves no record."""
        try:
            self.delete_record(n)
        except DnsError as exc:
            raise DnsError(
                f"Creating the A record {self.fqdn(n)} failed, and so did removing what it may have "
                f"left: {exc} Check the zone {self.settings.zone} for a record {self.fqdn(n)}."
            ) from None

    def _call(self, what: str, n: int, operation, *args, **kwargs) -> dict:
        where = f"DigitalOcean at {self.settings.api_url}"
        try:
            answer = operation(*args, **kwargs)
        except ClientAuthenticationError:
            raise DnsError(
                f"Cannot {what} {self.fqdn(n)}: {where} refused the token (401). Check ODOOSH_DO_TOKEN "
                "(a token with the domain read/create/delete scopes)."
            ) from None
        except HttpResponseError as exc:
            raise DnsError(
                f"Cannot {what} {self.fqdn(n)}: {where} answered {exc.status_code}: {_message(exc)}"
            ) from None
        except AzureError as exc:
            raise DnsError(f"Cannot {what} {self.fqdn(n)}: {where} is unreachable: {_message(exc)}") from None
        answer = answer if isinstance(answer, dict) else {}
        if "id" in answer and "message" in answer:  # pydo returns some error bodies (404) instead of raising
            hint = f" Check that the zone {self.settings.zone} (ODOOSH_DNS_ZONE) exists in the account."
            raise DnsError(f"Cannot {what} {self.fqdn(n)}: {where} answered {answer['id']}: {answer['message']}{hint}")
        return answer

    def _record(self, item: dict) -> DnsRecord:
        return DnsRecord(
            id=item["id"],
            name=item["name"],
            type=item["type"],
            data=item["data"],
            fqdn=f"{item['name']}.{self.settings.zone}",
        )


def _message(exc: AzureError) -> str:
    text = getattr(exc, "message", None) or str(exc)
    return " ".join(text.split())[:300]
