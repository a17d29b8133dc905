"""Sessions and CSRF tokens, with itsdangerous (HMAC-signed, timestamped values): no crypto of
our own.

A session is a signed cookie holding the user's name, their account's session version (a
disable, a password reset or a logout bumps it, ending every session signed before) and the
session's CSRF token. It expires after `max_age` seconds: the signature's own timestamp is
checked, not the browser's expiry. A visitor not logged in gets a signed cookie holding only a
CSRF token, for the login form. Every POST carries the token of its cookie in a hidden field,
compared in constant time; the cookies are HttpOnly and SameSite=Strict, and Secure when the
portal is served over TLS.
"""

from __future__ import annotations

import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from itsdangerous import BadSignature, URLSafeTimedSerializer

SESSION_COOKIE = "fms_session"
SESSION_SALT = "fms-portal-session"
SECRET_FILE_MODE = 0o600


@dataclass(frozen=True)
class Session:
    user: str | None  # None: a visitor who has not logged in
    version: int
    csrf: str


def load_or_create_secret(path: Path) -> bytes:
    """The signing key kept beside the users' database, made (0600) on first use. Deleting it
    ends every session."""
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, SECRET_FILE_MODE)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(48))
    return path.read_bytes().strip()


class SessionSigner:
    def __init__(self, secret: bytes, max_age_seconds: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt=SESSION_SALT)
        self.max_age = max_age_seconds

    def new(self, user: str | None = None, version: int = 0) -> Session:
        return Session(user=user, version=version, csrf=secrets.token_urlsafe(32))

    def dumps(self, session: Session) -> str:
        return self._serializer.dumps([session.user, session.version, session.csrf])

    def loads(self, cookie: str | None) -> Session | None:
        """The session of a cookie, or None if it is missing, forged, altered or expired."""
        if not cookie:
            return None
        try:
            user, version, csrf = self._serializer.loads(cookie, max_age=self.max_age)
        except (BadSignature, ValueError, TypeError):
            return None
        return Session(user=user, version=int(version), csrf=str(csrf))


def csrf_matches(session: Session | None, submitted: str | None) -> bool:
    return (
        session is not None
        and bool(submitted)
        and hmac.compare_digest(session.csrf.encode(), submitted.encode())
    )
