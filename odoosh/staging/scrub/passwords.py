"""Password hashes in the format Odoo verifies (passlib's pbkdf2_sha512), made with hashlib.

Odoo stores `$pbkdf2-sha512$<rounds>$<salt>$<checksum>` with passlib's "adapted base64"
(standard alphabet, '.' for '+', no padding). Writing it ourselves avoids a passlib dependency.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

ROUNDS = 600_000  # Odoo 16+'s default for pbkdf2_sha512


def _ab64(raw: bytes) -> str:
    return base64.b64encode(raw).decode().rstrip("=").replace("+", ".")


def _ab64_decode(text: str) -> bytes:
    text = text.replace(".", "+")
    return base64.b64decode(text + "=" * (-len(text) % 4))


def pbkdf2_sha512(password: str, rounds: int = ROUNDS) -> str:
    salt = secrets.token_bytes(16)
    checksum = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, rounds)
    return f"$pbkdf2-sha512${rounds}${_ab64(salt)}${_ab64(checksum)}"


def verify(password: str, stored: str) -> bool:
    """True if `stored` is a pbkdf2_sha512 hash of `password`."""
    try:
        _, scheme, rounds, salt, checksum = stored.split("$")
    except ValueError:
        return False
    if scheme != "pbkdf2-sha512":
        return False
    computed = hashlib.pbkdf2_hmac("sha512", password.encode(), _ab64_decode(salt), int(rounds))
    return hmac.compare_digest(computed, _ab64_decode(checksum))


def unusable() -> str:
    """A valid hash of a random password nobody knows: login fails cleanly instead of erroring."""
    return pbkdf2_sha512(secrets.token_urlsafe(32))
