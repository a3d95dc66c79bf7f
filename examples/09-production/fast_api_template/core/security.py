"""Passwords, access tokens and refresh tokens: the primitives that authentication is built on.

Nothing here knows HTTP or the database. `services/auth.py` combines these primitives with
storage, and `api/deps.py` turns them into the `CurrentUser` dependency.
"""

import base64
import binascii
import hashlib
import json
import re
import secrets
import string
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from pathlib import Path

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from fast_api_template.config import SecuritySettings
from fast_api_template.core.errors import InvalidTokenError
from fast_api_template.models.base import MAX_ID, utc_now


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


# --8<-- [start:policy]
# ASVS 2.1.1 asks for at least 12 characters; the cap bounds the work one request can ask for.
PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 128
# A password of fewer different characters than this ("aaaaaaaaaaaa", "abababababab") is refused.
MIN_DISTINCT_CHARACTERS = 5
# An email name this short ("al@...") is no hint, and would refuse many good passwords.
MIN_NAME_LENGTH = 3


def password_problem(password: str, *, email: str) -> str | None:
    """Say why a new password is too easy to guess, or return None when it is acceptable.

    Length is checked by the request schema; this checks what a length cannot: a password
    from the list of common ones shipped with the service, one of a few characters repeated,
    or one that contains the account's own email name.
    """
    folded = password.casefold()
    # "Password2024!" is "password" with what everyone adds to pass a rule.
    core = folded.strip(string.digits + string.punctuation + " ")
    if folded in common_passwords() or core in common_passwords():
        return "the password is one of the most common ones: choose another"
    if len(set(folded)) < MIN_DISTINCT_CHARACTERS:
        return f"the password needs at least {MIN_DISTINCT_CHARACTERS} different characters"
    name = email.partition("@")[0].casefold()
    if len(name) >= MIN_NAME_LENGTH and name in folded:
        return "the password must not contain the email's name"
    return None


@cache
def common_passwords() -> frozenset[str]:
    """Return the common passwords that are refused, in lower case (read once per process).

    A short list of what leads breach lists: common words and names, and, at 12 characters
    or more, those words with years and digits, keyboard walks, repeated words. Not a breach
    corpus: a service that may call out can also ask a k-anonymity range service such as
    Have I Been Pwned's.
    """
    text = Path(__file__).with_name("common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


# --8<-- [end:policy]


# --8<-- [start:access]
# The only algorithm accepted. A token names its own algorithm, so a decoder that trusted
# it could be told "none" (no signature at all) or be made to mistake one key for another.
ALGORITHM = "HS256"
# Hex digits of a key's digest in a token's `kid` header: enough to tell keys apart.
KEY_ID_LENGTH = 16
# How many verified tokens are kept: about a megabyte.
VERIFIED_TOKENS = 4096
# The longest encoded token header read for its `kid`.
MAX_HEADER_LENGTH = 200


@dataclass(frozen=True)
class AccessClaims:
    """The verified claims of an access token."""

    user_id: int
    token_id: str
    issued_at: datetime
    expires_at: datetime
    # The user's token version when it was issued: a token of an older version is refused.
    version: int


def create_access_token(
    user_id: int,
    *,
    version: int,
    secret: str,
    lifetime: timedelta,
    now: datetime | None = None,
) -> str:
    """Sign a short-lived access token for a user.

    Args:
        user_id: Who the token is for; it becomes the `sub` claim.
        version: The user's `token_version`; it becomes the `ver` claim.
        secret: The application's secret key.
        lifetime: How long the token is accepted.
        now: The time of issue (a parameter so that tests can make expired tokens).

    """
    issued_at = now or utc_now()
    claims = {
        "sub": str(user_id),
        "iat": issued_at,
        "exp": issued_at + lifetime,
        "jti": uuid.uuid4().hex,
        "type": "access",
        "ver": version,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM, headers={"kid": key_id(secret)})


# A few keys at a time (the current one and those it replaced): their names are worked out
# once, not on every request.
@lru_cache(maxsize=16)
def key_id(secret: str) -> str:
    """Name a key without revealing it: the start of its SHA-256 digest, sent as `kid`."""
    return hashlib.sha256(secret.encode()).hexdigest()[:KEY_ID_LENGTH]


def decode_access_token(token: str, *, secret: str, previous: Sequence[str] = ()) -> AccessClaims:
    """Verify an access token and return its claims.

    Args:
        token: The token, as the client sent it.
        secret: The key that signs new tokens.
        previous: Keys that signed tokens before `secret` replaced them: their tokens are
            accepted until they expire, so that a new key logs no one out.

    Raises:
        InvalidTokenError: The token is malformed, forged, expired, signed with another
            algorithm or an unknown key, or not an access token.

    """
    claims = _verified(token, secret, tuple(previous))
    # Checked on every request, the verification may be older: the one check that moves.
    if claims.expires_at <= utc_now():
        raise InvalidTokenError("The access token has expired.")
    return claims


# Verifying a token gives the same answer every time, for the same token and keys; only its
# expiry moves with the clock. So the claims of recently verified tokens are kept, a few
# thousand at most, and a client's next requests skip the signature and the parsing: PyJWT
# reads each character of a token in Python, a measurable part of a cached read. A token
# that fails is not kept (lru_cache keeps no exception). Whether its user may still use it
# is not the token's to say: `CurrentUser` and the cached standing check that per request.
@lru_cache(maxsize=VERIFIED_TOKENS)
def _verified(token: str, secret: str, previous: tuple[str, ...]) -> AccessClaims:
    keys = {key_id(key): key for key in (secret, *previous)}
    # The header names the key (`kid`); the signature is checked with that key only.
    signed_with = keys.get(_named_key(token))
    if signed_with is None:
        raise InvalidTokenError("The access token is invalid.")
    try:
        claims = jwt.decode(
            token,
            signed_with,
            algorithms=[ALGORITHM],
            options={"require": ["exp", "iat", "sub", "jti", "type", "ver"]},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidTokenError("The access token has expired.") from None
    except jwt.PyJWTError:
        raise InvalidTokenError("The access token is invalid.") from None
    user_id = _user_id(claims["sub"])
    version = claims["ver"]
    # bool is an int in Python; a token this service signed never carries one.
    if claims["type"] != "access" or user_id is None or type(version) is not int:
        raise InvalidTokenError("The access token is invalid.")
    return AccessClaims(
        user_id=user_id,
        token_id=claims["jti"],
        issued_at=datetime.fromtimestamp(claims["iat"], UTC),
        expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        version=version,
    )


def _named_key(token: str) -> str:
    """Return the `kid` of a token's header, unverified; "" if it has none or is malformed.

    jwt.get_unverified_header() would do, but it parses and checks the whole token, which
    jwt.decode() then does again: PyJWT checks each character of a segment in Python, so that
    second pass was a measurable part of an authenticated request (see the queries page).
    The header alone is a few dozen characters; jwt.decode() checks everything.
    """
    header = token.partition(".")[0]
    if len(header) > MAX_HEADER_LENGTH:
        # Ours is about 70 characters; a long one is not ours, and could nest JSON deeply.
        return ""
    try:
        data = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    except (ValueError, binascii.Error):
        return ""
    kid = data.get("kid") if isinstance(data, dict) else None
    return kid if isinstance(kid, str) else ""


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
