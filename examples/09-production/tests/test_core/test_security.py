"""Password hashes and access tokens, without HTTP."""

import base64
import json
import secrets
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from fast_api_template.config import SecuritySettings
from fast_api_template.core import security
from fast_api_template.core.errors import InvalidTokenError
from fast_api_template.core.security import (
    Passwords,
    create_access_token,
    decode_access_token,
    hash_refresh_token,
    key_id,
    new_refresh_token,
)

SECRET = secrets.token_urlsafe(32)
PASSWORD = secrets.token_urlsafe(12)
# The header that names SECRET: tokens made by hand below reach the checks they are about.
KID = {"kid": key_id(SECRET)}
CHEAP = SecuritySettings(password_time_cost=1, password_memory_cost=8, password_parallelism=1)


def test_a_password_is_stored_as_an_argon2id_hash() -> None:
    passwords = Passwords(CHEAP)

    stored = passwords.hash(PASSWORD)

    assert stored.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert passwords.verify(PASSWORD, stored) == (True, None)
    assert passwords.verify(PASSWORD + "x", stored) == (False, None)
    assert passwords.hash(PASSWORD) != stored  # a new salt every time


def test_no_account_is_a_wrong_password() -> None:
    assert Passwords(CHEAP).verify(PASSWORD, None) == (False, None)


def test_a_hash_with_old_costs_is_upgraded_on_success() -> None:
    old = Passwords(CHEAP).hash(PASSWORD)
    current = Passwords(CHEAP.model_copy(update={"password_time_cost": 2}))

    valid, upgraded = current.verify(PASSWORD, old)

    assert valid
    assert upgraded is not None
    assert "$m=8,t=2,p=1$" in upgraded
    assert current.verify(PASSWORD, upgraded) == (True, None)
    assert current.verify(PASSWORD + "x", old) == (False, None)


def test_an_access_token_carries_its_claims() -> None:
    now = datetime.now(UTC).replace(microsecond=0)

    token = create_access_token(
        42, version=0, secret=SECRET, lifetime=timedelta(minutes=5), now=now
    )
    claims = decode_access_token(token, secret=SECRET)

    assert claims.user_id == 42
    assert (claims.issued_at, claims.expires_at) == (now, now + timedelta(minutes=5))
    assert len(claims.token_id) == 32
    assert claims.version == 0
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT", **KID}


def claims(**changes: object) -> dict[str, object]:
    now = datetime.now(UTC)
    return {
        "sub": "1",
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "jti": "x",
        "type": "access",
        "ver": 0,
        **changes,
    }


def tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = json.dumps({**data, "sub": "2"}).encode()
    return f"{header}.{base64.urlsafe_b64encode(forged).rstrip(b'=').decode()}.{signature}"


@pytest.mark.parametrize(
    ("token", "detail"),
    [
        pytest.param(
            create_access_token(
                1,
                version=0,
                secret=SECRET,
                lifetime=timedelta(minutes=5),
                now=datetime.now(UTC) - timedelta(hours=1),
            ),
            "The access token has expired.",
            id="expired",
        ),
        pytest.param(
            tamper(create_access_token(1, version=0, secret=SECRET, lifetime=timedelta(minutes=5))),
            "The access token is invalid.",
            id="tampered",
        ),
        pytest.param(
            create_access_token(1, version=0, secret=SECRET[::-1], lifetime=timedelta(minutes=5)),
            "The access token is invalid.",
            id="other-secret",
        ),
        pytest.param(
            jwt.encode(claims(), SECRET * 2, algorithm="HS512", headers=KID),
            "The access token is invalid.",
            id="other-algorithm",
        ),
        pytest.param(
            jwt.encode(claims(), None, algorithm="none", headers=KID),
            "The access token is invalid.",
            id="alg-none",
        ),
        pytest.param(
            jwt.encode(claims(type="refresh"), SECRET, algorithm="HS256", headers=KID),
            "The access token is invalid.",
            id="not-an-access-token",
        ),
        pytest.param(
            jwt.encode(claims(sub="admin"), SECRET, algorithm="HS256", headers=KID),
            "The access token is invalid.",
            id="subject-not-an-id",
        ),
        *(
            pytest.param(
                jwt.encode(claims(sub=subject), SECRET, algorithm="HS256", headers=KID),
                "The access token is invalid.",
                id=f"subject-{name}",
            )
            for name, subject in [
                ("beyond-the-id-column", str(2**31)),
                ("far-beyond", "9" * 40),
                ("arabic-indic-one", "\u0661"),
                ("fullwidth-one", "\uff11"),
                ("zero", "0"),
                ("leading-zero", "01"),
                ("signed", "+1"),
                ("spaced", " 1"),
                ("empty", ""),
            ]
        ),
        pytest.param(
            jwt.encode({k: v for k, v in claims().items() if k != "exp"}, SECRET, headers=KID),
            "The access token is invalid.",
            id="no-expiry",
        ),
        pytest.param(
            jwt.encode(claims(), "o" * 32, algorithm="HS256", headers=KID),
            "The access token is invalid.",
            id="names-our-key-signed-with-another",
        ),
        pytest.param(
            jwt.encode(claims(), SECRET, algorithm="HS256"),
            "The access token is invalid.",
            id="no-key-id",
        ),
        pytest.param(
            jwt.encode(claims(ver=True), SECRET, algorithm="HS256", headers=KID),
            "The access token is invalid.",
            id="version-not-a-number",
        ),
        pytest.param("not.a.token", "The access token is invalid.", id="garbage"),
        *(
            pytest.param(
                header + "." + jwt.encode(claims(), SECRET).partition(".")[2], detail, id=name
            )
            for name, header, detail in [
                # The header is read for its key id before PyJWT checks anything.
                ("header-not-base64", "!!!!", "The access token is invalid."),
                (
                    "header-not-json",
                    base64.urlsafe_b64encode(b"{kid").decode(),
                    "The access token is invalid.",
                ),
                (
                    "header-a-list",
                    base64.urlsafe_b64encode(b"[1]").decode(),
                    "The access token is invalid.",
                ),
                (
                    "header-deeply-nested",
                    base64.urlsafe_b64encode(b"[" * 5000).decode(),
                    "The access token is invalid.",
                ),
                (
                    "header-not-utf8",
                    base64.urlsafe_b64encode(b'{"kid": "\xff"}').decode(),
                    "The access token is invalid.",
                ),
            ]
        ),
    ],
)
def test_a_bad_access_token_is_refused(token: str, detail: str) -> None:
    with pytest.raises(InvalidTokenError) as caught:
        decode_access_token(token, secret=SECRET)

    assert caught.value.detail == detail


def test_refresh_tokens_are_random_and_stored_as_digests() -> None:
    first, second = new_refresh_token(), new_refresh_token()

    assert first != second
    assert len(first) >= 43  # 32 random bytes, base64url
    assert hash_refresh_token(first) == hash_refresh_token(first)
    assert hash_refresh_token(first) != hash_refresh_token(second)
    assert len(hash_refresh_token(first)) == 64


def test_the_largest_id_is_still_a_user() -> None:
    token = create_access_token(2**31 - 1, version=0, secret=SECRET, lifetime=timedelta(minutes=5))

    assert decode_access_token(token, secret=SECRET).user_id == 2**31 - 1


def test_a_new_key_logs_no_one_out() -> None:
    old_key, new_key = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    issued_before = create_access_token(1, version=0, secret=old_key, lifetime=timedelta(minutes=5))
    issued_after = create_access_token(1, version=0, secret=new_key, lifetime=timedelta(minutes=5))

    # During the rotation both keys are known; the new one signs.
    assert decode_access_token(issued_before, secret=new_key, previous=[old_key]).user_id == 1
    assert decode_access_token(issued_after, secret=new_key, previous=[old_key]).user_id == 1
    # Once the old key is dropped, its tokens are refused.
    with pytest.raises(InvalidTokenError):
        decode_access_token(issued_before, secret=new_key)


def test_the_hand_made_token_is_accepted_before_it_is_spoiled() -> None:
    # Each bad token above is this one with one thing changed: so each is refused for that.
    token = jwt.encode(claims(), SECRET, algorithm="HS256", headers=KID)

    assert decode_access_token(token, secret=SECRET).user_id == 1


def test_a_verified_token_still_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    # Verified claims are kept between requests; their expiry is checked on every one.
    token = create_access_token(1, version=0, secret=SECRET, lifetime=timedelta(minutes=5))
    accepted = decode_access_token(token, secret=SECRET)
    later = accepted.expires_at + timedelta(seconds=1)
    monkeypatch.setattr(security, "utc_now", lambda: later)

    with pytest.raises(InvalidTokenError) as caught:
        decode_access_token(token, secret=SECRET)

    assert caught.value.detail == "The access token has expired."


def test_a_verified_token_counts_only_for_the_keys_that_verified_it() -> None:
    token = create_access_token(1, version=0, secret=SECRET, lifetime=timedelta(minutes=5))
    decode_access_token(token, secret=SECRET)

    with pytest.raises(InvalidTokenError):
        decode_access_token(token, secret="n" * 40)
