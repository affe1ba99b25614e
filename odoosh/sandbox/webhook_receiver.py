"""A loopback Mattermost incoming webhook: it takes posts as Mattermost does and records them.

Follows Mattermost's handler (server/channels/web/webhook.go, app/webhook.go) and its
documentation (developers.mattermost.com, "Incoming webhooks"): `POST /hooks/<id>` with a JSON
body (or, Slack-style, a form field `payload` holding the JSON; no Content-Type means JSON); the
fields Mattermost decodes must have the types its Go struct has (a wrong type is "Unable to
parse incoming data", as Go's decoder fails); `text` or `attachments` is required ("No text
specified"); an unknown hook id is "Invalid webhook", an unknown channel "Couldn't find the
channel". Errors are Mattermost's AppError JSON; success is `200`, `text/plain`, `ok`. Unknown
fields are ignored, as Go's decoder ignores them. A text over 16383 characters becomes several
posts, as in Mattermost. Not served: multipart/form-data (refused with 415 here, where
Mattermost would decode form fields).

Posts are kept in memory and appended to `posts.jsonl` in the receiver's directory, one JSON
object per post: `received` (UTC), `channel`, `text`, `username`, and the whole `payload`.

Tests start it in-process (`with WebhookReceiver(dir) as receiver: receiver.url`); the sandbox
runs `python -m odoosh.sandbox.webhook_receiver --dir DIR [--port N]`, which writes the hook's
URL to `receiver.json` (mode 600: the URL is the secret that lets one post) once it listens,
and keeps that URL across restarts (the same hook id, and the same port while it is free).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jsonschema

from odoosh import process

POSTS_FILE = "posts.jsonl"
URL_FILE = "receiver.json"
MAX_POST_CHARS = 16383  # Mattermost splits a longer text into several posts
MAX_BODY_BYTES = 4 * 1024 * 1024
DEFAULT_CHANNEL = "alerts"

_STRING = {"type": ["string", "null"]}  # Go leaves a string at "" for a JSON null
# The types of Mattermost's IncomingWebhookRequest and SlackAttachment (model/incoming_webhook.go,
# model/slack_attachment.go); what Go's json decoder would refuse to put into them.
PAYLOAD_SCHEMA = {
    "type": "object",
    "properties": {
        "text": _STRING,
        "username": _STRING,
        "icon_url": _STRING,
        "channel": _STRING,
        "type": _STRING,
        "icon_emoji": _STRING,
        "props": {"type": ["object", "null"]},
        "priority": {
            "type": ["object", "null"],
            "properties": {
                "priority": _STRING,
                "requested_ack": {"type": ["boolean", "null"]},
                "persistent_notifications": {"type": ["boolean", "null"]},
            },
        },
        "attachments": {
            "type": ["array", "null"],
            "items": {
                "type": ["object", "null"],
                "properties": {
                    "id": {"type": ["integer", "null"]},
                    **{
                        name: _STRING
                        for name in (
                            "fallback",
                            "color",
                            "pretext",
                            "author_name",
                            "author_link",
                            "author_icon",
                            "title",
                            "title_link",
                            "text",
                            "image_url",
                            "thumb_url",
                            "footer",
                            "footer_icon",
                        )
                    },
                    "fields": {
                        "type": ["array", "null"],
                        "items": {
                            "type": ["object", "null"],
                            "properties": {"title": _STRING, "short": {"type": ["boolean", "null"]}},
                        },
                    },
                    "actions": {"type": ["array", "null"], "items": {"type": ["object", "null"]}},
                },
            },
        },
    },
}
_VALIDATOR = jsonschema.Draft202012Validator(PAYLOAD_SCHEMA)

_ERRORS = {  # Mattermost's i18n ids and English messages
    "parse": ("web.incoming_webhook.parse.app_error", "Unable to parse incoming data.", 400),
    "text": ("web.incoming_webhook.text.app_error", "No text specified.", 400),
    "invalid": ("web.incoming_webhook.invalid.app_error", "Invalid webhook.", 400),
    "channel": ("web.incoming_webhook.channel.app_error", "Couldn't find the channel.", 404),
    "user": ("web.incoming_webhook.user.app_error", "Couldn't find the user.", 400),
}


class WebhookRefusal(Exception):
    def __init__(self, kind: str, detail: str = ""):
        super().__init__(kind)
        self.kind, self.detail = kind, detail


def parse_payload(content_type: str | None, body: bytes) -> dict:
    """The webhook request as Mattermost would decode it; WebhookRefusal("parse") if it would not."""
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type == "application/x-www-form-urlencoded":
        raw = parse_qs(body.decode("utf-8", "replace")).get("payload", [""])[0]
    elif media_type in ("", "application/json"):
        raw = body.decode("utf-8", "replace")
    else:
        raise WebhookRefusal("unsupported", f"this double reads application/json and form payloads, not {media_type}")
    try:
        payload = json.loads(raw)
    except ValueError as exc:
        raise WebhookRefusal("parse", str(exc)) from None
    if payload is None:
        raise WebhookRefusal("parse", "the body is null")
    errors = sorted(_VALIDATOR.iter_errors(payload), key=lambda e: list(e.absolute_path))
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "(body)"
        raise WebhookRefusal("parse", f"{where}: {errors[0].message}")
    return payload


class WebhookReceiver:
    """One incoming webhook on loopback, posting into `channels` (the first is the hook's own)."""

    def __init__(
        self,
        directory: Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        channels: Iterable[str] = (DEFAULT_CHANNEL,),
        hook_id: str | None = None,
    ) -> None:
        self.directory = Path(directory) if directory else None
        self.host, self.port = host, port
        self.channels = list(channels)
        self.hook_id = hook_id or secrets.token_hex(13)  # 26 characters, like Mattermost's ids
        self._posts: list[dict] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/hooks/{self.hook_id}"

    def start(self) -> WebhookReceiver:
        if self.directory:
            self.directory.mkdir(parents=True, exist_ok=True)
        server = _Server((self.host, self.port), self)
        self._server, self.port = server, server.server_address[1]
        threading.Thread(target=server.serve_forever, args=(0.1,), name="webhook", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def posts(self) -> list[dict]:
        """The posts so far, oldest first."""
        with self._lock:
            return list(self._posts)

    def wait_for(self, predicate: Callable[[dict], bool], timeout: float = 10.0) -> dict:
        """The first post matching `predicate`, waiting up to `timeout` for it to arrive."""
        deadline = time.monotonic() + timeout
        while True:
            found = next((p for p in self.posts() if predicate(p)), None)
            if found is not None:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"no matching post within {timeout:g} s; posts: {self.posts()}")
            time.sleep(0.05)

    def take(self, hook_id: str, content_type: str | None, body: bytes) -> list[dict]:
        """Handle one request as Mattermost would; returns the posts made, or raises WebhookRefusal."""
        if not secrets.compare_digest(hook_id, self.hook_id):
            raise WebhookRefusal("invalid")
        payload = parse_payload(content_type, body)
        text = payload.get("text") or ""
        if not text and payload.get("attachments") is None:
            raise WebhookRefusal("text")
        channel = payload.get("channel") or self.channels[0]
        if channel.startswith("@"):
            raise WebhookRefusal("user")  # this double knows no users
        if channel.removeprefix("#") not in self.channels:
            raise WebhookRefusal("channel")
        received = datetime.now(UTC).isoformat(timespec="milliseconds")
        chunks = [text[i : i + MAX_POST_CHARS] for i in range(0, len(text), MAX_POST_CHARS)] or [""]
        posts = [
            {
                "received": received,
                "channel": channel.removeprefix("#"),
                "text": chunk,
                "username": payload.get("username") or "webhook",
                "payload": payload,
            }
            for chunk in chunks
        ]
        with self._lock:
            self._posts.extend(posts)
            if self.directory:
                with (self.directory / POSTS_FILE).open("a") as f:
                    f.writelines(json.dumps(post) + "\n" for post in posts)
        return posts


def read_posts(directory: Path) -> list[dict]:
    """The posts a receiver recorded in `directory` (another process's, too)."""
    try:
        lines = (Path(directory) / POSTS_FILE).read_text().splitlines()
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in lines if line.strip()]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        parts = urlsplit(self.path).path.split("/")
        if len(parts) != 3 or parts[1] != "hooks" or not parts[2].isalnum() or not parts[2].isascii():
            self._send(404, b"404 page not found\n", "text/plain; charset=utf-8")
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._send(413, b"request body too large\n", "text/plain; charset=utf-8")
            return
        try:
            self.server.receiver.take(parts[2], self.headers.get("Content-Type"), self.rfile.read(length))
        except WebhookRefusal as refusal:
            self._refuse(refusal)
            return
        self._send(200, b"ok", "text/plain")

    def do_GET(self) -> None:
        self._send(405 if self.path.startswith("/hooks/") else 404, b"", "text/plain")

    def _refuse(self, refusal: WebhookRefusal) -> None:
        if refusal.kind == "unsupported":
            self._send(415, f"{refusal.detail}\n".encode(), "text/plain; charset=utf-8")
            return
        error_id, message, status = _ERRORS[refusal.kind]
        body = {
            "id": error_id,
            "message": message,
            "detailed_error": refusal.detail,
            "request_id": secrets.token_hex(13),
            "status_code": status,
        }
        self._send(status, json.dumps(body).encode(), "application/json")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Request-Id", secrets.token_hex(13))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args) -> None:
        """Silent: the request line holds the hook's id, which is the secret."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], receiver: WebhookReceiver):
        self.receiver = receiver
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, _Handler)


def _previous(url_file: Path, host: str) -> tuple[str | None, int]:
    """The hook id and port of the last start, the port only while it is free."""
    try:
        url = urlsplit(json.loads(url_file.read_text())["url"])
    except (OSError, ValueError, KeyError):
        return None, 0
    return url.path.rsplit("/", 1)[-1] or None, process.reusable_port(host, url.port) or 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m odoosh.sandbox.webhook_receiver", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--dir", required=True, type=Path, help="where posts.jsonl and receiver.json are written")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    parser.add_argument("--port", type=int, default=0, help="0 (default) picks a free port")
    args = parser.parse_args(argv)
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)  # before the server's thread starts
    directory = args.dir.resolve()
    url_file = directory / URL_FILE
    hook_id, port = _previous(url_file, args.host)  # a restart keeps the URL people configured
    receiver = WebhookReceiver(directory, args.host, args.port or port, hook_id=hook_id).start()
    tmp = url_file.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"url": receiver.url, "pid": os.getpid()}, f)
    os.replace(tmp, url_file)
    print(f"webhook receiver: listening on {receiver.host}:{receiver.port}, posts in {url_file.parent / POSTS_FILE}")
    sys.stdout.flush()
    signal.sigwait(stop_signals)
    receiver.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
