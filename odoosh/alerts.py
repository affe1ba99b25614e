"""Alerts: one path for the whole platform, a Mattermost incoming webhook (ODOOSH_ALERT_WEBHOOK_URL).

Mattermost's documented payload (`text` in Markdown, optional `username`, `icon_url`,
`channel`) answered by `200 ok`; the sandbox's receiver (`odoosh.sandbox.webhook_receiver`)
answers the same, so tests and the sandbox go through this very client. Without a URL an alert
is only logged, which puts it in the Dagster log of the sensor or run that raised it.

The webhook URL is a secret (its path is the key that lets anyone post), so it is never logged
or put in an error: only its scheme and host are shown.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import httpx

WEBHOOK_ENV = "ODOOSH_ALERT_WEBHOOK_URL"
TIMEOUT_S = 10.0
USERNAME = "odoosh"
MAX_TEXT_CHARS = 16383  # Mattermost's post limit; a longer text would be split into several posts
MAX_FIELD_CHARS = 300  # one metadata value in an alert; the whole value is on the run's page
MAX_FIELDS = 12
MAX_ERROR_CHARS = 1500  # an error's message in an alert; its stack trace stays in Dagster

log = logging.getLogger(__name__)


class AlertError(RuntimeError):
    """An alert that could not be delivered, phrased as what is wrong and how to fix it (no secret)."""


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


_BADGE = {Severity.ERROR: ":red_circle: **ERROR**", Severity.WARNING: ":warning: **WARNING**"}


@dataclass(frozen=True)
class Alert:
    """One message: a one-line title, a Markdown body, and labelled values shown as a list."""

    severity: Severity
    title: str
    body: str = ""
    fields: Mapping[str, str] = field(default_factory=dict)

    def markdown(self) -> str:
        lines = [f"{_BADGE[self.severity]} {self.title}"]
        if self.body:
            lines += ["", self.body]
        if self.fields:
            lines += [""] + [f"- **{name}**: {value}" for name, value in self.fields.items()]
        text = "\n".join(lines)
        if len(text) > MAX_TEXT_CHARS:
            cut = "\n\n… (cut: the whole text is in Dagster)"
            text = text[: MAX_TEXT_CHARS - len(cut)] + cut
        return text


# --------------------------------------------------------------------------- what gets posted


def run_failed(job: str, run_id: str, step_errors: Sequence[tuple[str, str]], reason: str = "") -> Alert:
    """A failed Dagster run: its job, and each failed step with its error (the message, not the stack)."""
    body = "\n".join(f"- step `{step}`: {_short(error, MAX_ERROR_CHARS)}" for step, error in step_errors)
    if not step_errors and reason:
        body = _short(reason, MAX_ERROR_CHARS)
    return Alert(Severity.ERROR, f"Run of `{job}` failed", body, {"run": run_id})


def check_failed(
    check: str,
    asset: str,
    severity: Severity,
    description: str | None,
    metadata: Mapping[str, str],
    run_id: str,
) -> Alert:
    """A failed asset check evaluation: which check of which asset, why, and its metadata."""
    shown = dict(list(metadata.items())[:MAX_FIELDS])
    if len(metadata) > MAX_FIELDS:
        shown["…"] = f"{len(metadata) - MAX_FIELDS} more metadata entries on the check's page"
    fields = {"asset": f"`{asset}`", "run": run_id}
    fields |= {(f"metadata {k}" if k in fields else k): _short(v, MAX_FIELD_CHARS) for k, v in shown.items()}
    return Alert(severity, f"Check `{check}` of `{asset}` failed", _short(description or "", MAX_ERROR_CHARS), fields)


def _short(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------- the client


@dataclass(frozen=True)
class Delivery:
    """What became of an alert: posted to the webhook, or only logged."""

    posted: bool
    where: str


class AlertSender:
    """Posts alerts to a Mattermost incoming webhook, or only logs them when there is none.

    `webhook_url` is the full incoming-webhook URL (`https://chat.example.com/hooks/<key>`);
    `None` or empty: alerts go to the log only. `username`, `icon_url` and `channel` override
    the webhook's own (Mattermost ignores the first two unless integrations may override them).
    """

    def __init__(
        self,
        webhook_url: str | None,
        *,
        username: str = USERNAME,
        icon_url: str | None = None,
        channel: str | None = None,
        timeout: float = TIMEOUT_S,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._url = _parse_webhook_url(webhook_url) if webhook_url else None
        self.username, self.icon_url, self.channel = username, icon_url, channel
        self.timeout = timeout
        self._transport = transport
        if self._url is not None:
            _SECRET_URLS.add(str(self._url))

    @property
    def configured(self) -> bool:
        return self._url is not None

    @property
    def where(self) -> str:
        """Where alerts go, safe to show: the webhook's scheme and host only."""
        if self._url is None:
            return f"the log only ({WEBHOOK_ENV} is unset)"
        return f"the webhook at {_redacted(self._url)} ({WEBHOOK_ENV})"

    def payload(self, alert: Alert) -> dict:
        """Mattermost's incoming-webhook JSON for `alert`."""
        payload = {"text": alert.markdown(), "username": self.username}
        if self.icon_url:
            payload["icon_url"] = self.icon_url
        if self.channel:
            payload["channel"] = self.channel
        return payload

    def send(self, alert: Alert, logger: logging.Logger | logging.LoggerAdapter | None = None) -> Delivery:
        """Log `alert`, then post it if a webhook is configured. Raises AlertError if it cannot be posted."""
        logger = logger or log
        (logger.error if alert.severity is Severity.ERROR else logger.warning)(f"alert: {alert.markdown()}")
        if self._url is None:
            return Delivery(False, self.where)
        self._post(self.payload(alert))
        logger.info(f"alert posted to {self.where}")
        return Delivery(True, self.where)

    def _post(self, payload: dict) -> None:
        fix = f"Check {WEBHOOK_ENV} and that Mattermost is reachable from this host."
        try:
            with httpx.Client(timeout=self.timeout, transport=self._transport, follow_redirects=False) as client:
                response = client.post(self._url, json=payload)
        except httpx.TimeoutException:
            raise AlertError(f"The alert to {self.where} timed out after {self.timeout:g} s. {fix}") from None
        except httpx.HTTPError as exc:  # connection refused, DNS, TLS: the message names no URL
            raise AlertError(f"The alert to {self.where} could not be sent: {exc}. {fix}") from None
        if response.status_code == 200:
            return
        raise AlertError(f"{_refusal(response)} Sending to {self.where}. {_advice(response.status_code)}")


def _refusal(response: httpx.Response) -> str:
    """Mattermost's own words: the AppError's message and id; never `detailed_error`, which
    can hold the webhook's id, the secret part of its URL."""
    try:
        error = response.json()
    except ValueError:
        error = None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return f"Mattermost refused the alert (HTTP {response.status_code}): {error['message']} ({error.get('id')})."
    return f"The webhook refused the alert with HTTP {response.status_code}."


def _advice(status: int) -> str:
    if status == 501:
        return "Incoming webhooks are disabled on that server: a system admin enables them in the System Console."
    if status in (400, 401, 403, 404):
        return f"The webhook may have been deleted or the URL mistyped: set {WEBHOOK_ENV} to the URL Mattermost shows."
    if status in (301, 302, 303, 307, 308):
        return f"Set {WEBHOOK_ENV} to the final URL (alerts do not follow redirects)."
    return "Mattermost may be down or overloaded; the alert is in the Dagster log meanwhile."


def _parse_webhook_url(raw: str) -> httpx.URL:
    try:
        url = httpx.URL(raw.strip())
    except (httpx.InvalidURL, TypeError):
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host:
        raise AlertError(
            f"{WEBHOOK_ENV} is not an http(s) URL. Set it to the incoming webhook's URL "
            "(https://mattermost.example.com/hooks/<key>), or unset it to only log alerts."
        )
    return url


def _redacted(url: httpx.URL) -> str:
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}/…"


# httpx logs every request's URL at INFO; a webhook's URL is a secret, so it is hidden there too.
_SECRET_URLS: set[str] = set()


class _HideSecretURLs(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(str(a) in _SECRET_URLS for a in record.args):
            record.args = tuple(_redacted(httpx.URL(str(a))) if str(a) in _SECRET_URLS else a for a in record.args)
        return True


logging.getLogger("httpx").addFilter(_HideSecretURLs())
