"""Passwords, access tokens and refresh tokens: the primitives that authentication is built on.

Nothing here knows HTTP or the database. `services/auth.py` combines these primitives with
storage, and `api/deps.py` turns them into the `CurrentUser` dependency.
"""

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from fast_api_template.config import SecuritySettings
from fast_api_template.core.errors import InvalidTokenError
from fast_api_template.models.base import MAX_ID


# --8<-- [start:passwords]
class Passwords:
    """Hash passwords with Argon2id, and check them.

    Args:
        settings: The Argon2id costs (`password_*`).

    """

    def __init__(self, settings: SecuritySettings) -> None:
        hasher = Argon2Hasher(
            time_cost=settings.password_time_cost,
            memory_cost=settings.password_memory_cost,
            parallelism=settings.password_parallelism,
        )
        self._hash = PasswordHash((hasher,))
        # Checked when there is no such account, so that an unknown email costs the same
        # time as a wrong password: the response time does not tell which accounts exist.
        self._dummy_hash = self._hash.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        """Return the encoded hash of a password: algorithm, costs, salt and digest."""
        return self._hash.hash(password)

    def verify(self, password: str, stored_hash: str | None) -> tuple[bool, str | None]:
        """Check a password against a stored hash.

        Args:
            password: What the user typed.
            stored_hash: The account's hash; None when there is no account or no password.

        Returns:
            Whether the password matches, and a new hash to store when the stored one was
            made with other costs than the current ones (else None).

        """
        if stored_hash is None:
            self._hash.verify(password, self._dummy_hash)
            return False, None
        return self._hash.verify_and_update(password, stored_hash)


# --8<-- [end:passwords]


# --8<-- [start:access]
# The only algorithm accepted. A token names its own algorithm, so a decoder that trusted
# it could be told "none" (no signature at all) or be made to mistake one key for another.
ALGORITHM = "HS256"


@dataclass(frozen=True)
class AccessClaims:
    """The verified claims of an access token."""

    user_id: int
    token_id: str
    issued_at: datetime
    expires_at: datetime


def create_access_token(
    user_id: int, *, secret: str, lifetime: timedelta, now: datetime | None = None
) -> str:
    """Sign a short-lived access token for a user.

    Args:
        user_id: Who the token is for; it becomes the `sub` claim.
        secret: The application's secret key.
        lifetime: How long the token is accepted.
        now: The time of issue (a parameter so that tests can make expired tokens).

    """
    issued_at = now or datetime.now(UTC)
    claims = {
        "sub": str(user_id),
        "iat": issued_at,
        "exp": issued_at + lifetime,
        "jti": uuid.uuid4().hex,
        "type": "access",
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_access_token(token: str, *, secret: str) -> AccessClaims:
    """Verify an access token and return its claims.

    Raises:
        InvalidTokenError: The token is malformed, forged, expired, signed with another
            algorithm, or not an access token.

    """
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={"require": ["exp", "iat", "sub", "jti", "type"]},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidTokenError("The access token has expired.") from None
    except jwt.PyJWTError:
        raise InvalidTokenError("The access token is invalid.") from None
    user_id = _user_id(claims["sub"])
    if claims["type"] != "access" or user_id is None:
        raise InvalidTokenError("The access token is invalid.")
    return AccessClaims(
        user_id=user_id,
        token_id=claims["jti"],
        issued_at=datetime.fromtimestamp(claims["iat"], UTC),
        expires_at=datetime.fromtimestamp(claims["exp"], UTC),
    )


def _user_id(subject: object) -> int | None:
    # Only what create_access_token writes: ASCII digits, no sign, no leading zero, within
    # the id column. str.isdecimal() would also take the digits of other scripts, such as
    # Arabic-Indic ones, which int() reads as if they were ASCII.
    if not isinstance(subject, str) or not _SUBJECT.fullmatch(subject):
        return None
    user_id = int(subject)
    return user_id if user_id <= MAX_ID else None


_SUBJECT = re.compile(r"[1-9][0-9]{0,9}", flags=re.ASCII)


# --8<-- [end:access]


# --8<-- [start:refresh]
def new_refresh_token() -> str:
    """Return a new opaque refresh token: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> str:
    """Return the digest under which a refresh token is stored.

    A fast hash is right here, unlike for passwords: the token is 256 random bits, so there
    is nothing to guess, and the same token always gives the same digest, which the database
    finds through a unique index.
    """
    return hashlib.sha256(token.encode()).hexdigest()


# --8<-- [end:refresh]
