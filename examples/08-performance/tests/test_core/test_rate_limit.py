"""Logins are counted before the password is checked, per pair, address and account."""

import asyncio

import pytest

from fast_api_template.config import RedisSettings, SecuritySettings
from fast_api_template.core.errors import TooManyAttemptsError
from fast_api_template.core.rate_limit import LoginThrottle, client_network, create_storage

pytestmark = pytest.mark.anyio

LIMITS = SecuritySettings(
    login_attempts=3,
    login_address_attempts=6,
    login_account_attempts=9,
    login_window_seconds=60,
)


def throttle(redis: RedisSettings) -> LoginThrottle:
    return LoginThrottle(create_storage(redis), LIMITS)


async def attempts_allowed(limiter: LoginThrottle, email: str, address: str, tries: int) -> int:
    """Make `tries` attempts that all fail; return how many were let through."""
    allowed = 0
    for _ in range(tries):
        try:
            await limiter.attempt(email, address)
        except TooManyAttemptsError:
            continue
        allowed += 1
    return allowed


async def test_a_pair_is_locked_after_n_attempts(redis_settings: RedisSettings) -> None:
    limiter = throttle(redis_settings)

    assert await attempts_allowed(limiter, "ada@example.com", "10.0.0.1", 5) == 3
    # The same account in any case, from the same address: locked, with a time to wait.
    with pytest.raises(TooManyAttemptsError) as caught:
        await limiter.attempt("ADA@example.com", "10.0.0.1")
    assert 0 < caught.value.retry_after <= 60
    # The owner, from elsewhere, is not locked out by what a stranger did.
    await limiter.attempt("ada@example.com", "10.0.0.2")


async def test_an_address_is_locked_after_n_attempts_on_any_account(
    redis_settings: RedisSettings,
) -> None:
    limiter = throttle(redis_settings)
    for number in range(6):
        await limiter.attempt(f"user{number}@example.com", "10.0.0.1")

    with pytest.raises(TooManyAttemptsError):
        await limiter.attempt("someone@example.com", "10.0.0.1")
    await limiter.attempt("someone@example.com", "10.0.0.2")


async def test_an_account_is_locked_after_n_attempts_from_any_address(
    redis_settings: RedisSettings,
) -> None:
    limiter = throttle(redis_settings)
    for number in range(9):
        await limiter.attempt("ada@example.com", f"10.0.{number}.1")

    with pytest.raises(TooManyAttemptsError):
        await limiter.attempt("ada@example.com", "10.0.99.1")


async def test_a_burst_of_concurrent_attempts_gets_no_more_than_the_limit(
    redis_settings: RedisSettings,
) -> None:
    limiter = throttle(redis_settings)

    async def one() -> bool:
        try:
            await limiter.attempt("ada@example.com", "10.0.0.1")
        except TooManyAttemptsError:
            return False
        return True

    outcomes = await asyncio.gather(*(one() for _ in range(40)))

    assert outcomes.count(True) == 3


async def test_a_success_takes_its_count_back(redis_settings: RedisSettings) -> None:
    limiter = throttle(redis_settings)
    # Six people behind one address log in at once, each once: none is refused.
    for number in range(12):
        email = f"user{number}@example.com"
        await limiter.attempt(email, "10.0.0.1")
        await limiter.succeeded(email, "10.0.0.1")

    assert await attempts_allowed(limiter, "ada@example.com", "10.0.0.1", 3) == 3


async def test_a_success_forgets_the_pair_but_not_the_account(
    redis_settings: RedisSettings,
) -> None:
    limiter = throttle(redis_settings)
    await attempts_allowed(limiter, "ada@example.com", "10.0.0.1", 2)
    for number in range(5):
        await limiter.attempt("ada@example.com", f"10.0.{number}.9")

    await limiter.attempt("ada@example.com", "10.0.0.1")
    await limiter.succeeded("ada@example.com", "10.0.0.1")

    # The pair's own failures are forgiven (3 left), but the account keeps all seven
    # failures, so two attempts remain before its limit of nine.
    assert await attempts_allowed(limiter, "ada@example.com", "10.0.0.1", 3) == 2


async def test_an_operator_lifts_a_limit(redis_settings: RedisSettings) -> None:
    limiter = throttle(redis_settings)
    for number in range(6):
        await limiter.attempt(f"user{number}@example.com", "10.0.0.1")
    await attempts_allowed(limiter, "ada@example.com", "10.0.0.2", 3)

    await limiter.lift(address="10.0.0.1")
    await limiter.lift(email="ada@example.com", address="10.0.0.2")

    await limiter.attempt("someone@example.com", "10.0.0.1")
    await limiter.attempt("ada@example.com", "10.0.0.2")


@pytest.mark.parametrize(
    ("address", "counted_as"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("testclient", "testclient"),
    ],
)
def test_ipv6_clients_count_by_their_64_network(address: str, counted_as: str) -> None:
    assert client_network(address) == counted_as


async def test_addresses_of_one_ipv6_network_share_one_count(
    redis_settings: RedisSettings,
) -> None:
    limiter = throttle(redis_settings)
    for number in range(6):
        await limiter.attempt(f"user{number}@example.com", f"2001:db8::{number + 1:x}")

    with pytest.raises(TooManyAttemptsError):
        await limiter.attempt("someone@example.com", "2001:db8::ffff")
    await limiter.attempt("someone@example.com", "2001:db8:0:1::1")


def test_storage_follows_the_settings() -> None:
    assert type(create_storage(RedisSettings())).__name__ == "MemoryStorage"
    redis = RedisSettings(url="redis://127.0.0.1:6379/0", key_prefix="app")
    assert type(create_storage(redis)).__name__ == "RedisStorage"
