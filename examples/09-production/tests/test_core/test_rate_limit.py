"""Failed logins are counted per account and per address, in memory or in Redis."""

import pytest

from fast_api_template.config import RedisSettings, SecuritySettings
from fast_api_template.core.errors import TooManyAttemptsError
from fast_api_template.core.rate_limit import LoginThrottle, create_storage

pytestmark = pytest.mark.anyio

LIMITS = SecuritySettings(login_attempts=3, login_window_seconds=60)


def throttle(redis: RedisSettings) -> LoginThrottle:
    return LoginThrottle(create_storage(redis), LIMITS)


async def test_an_account_is_locked_after_n_failures(redis_settings: RedisSettings) -> None:
    limiter = throttle(redis_settings)
    for number in range(3):
        await limiter.check("ada@example.com", f"10.0.0.{number}")
        await limiter.failed("ada@example.com", f"10.0.0.{number}")

    # From any address, in any case.
    with pytest.raises(TooManyAttemptsError) as caught:
        await limiter.check("ADA@example.com", "10.0.0.9")

    assert 0 < caught.value.retry_after <= 60
    await limiter.check("eve@example.com", "10.0.0.9")


async def test_an_address_is_locked_after_n_failures(redis_settings: RedisSettings) -> None:
    limiter = throttle(redis_settings)
    for number in range(3):
        await limiter.failed(f"user{number}@example.com", "10.0.0.1")

    with pytest.raises(TooManyAttemptsError):
        await limiter.check("someone@example.com", "10.0.0.1")
    await limiter.check("someone@example.com", "10.0.0.2")


async def test_a_success_forgets_the_account_but_not_the_address(
    redis_settings: RedisSettings,
) -> None:
    limiter = throttle(redis_settings)
    for _ in range(3):
        await limiter.failed("ada@example.com", "10.0.0.1")

    await limiter.succeeded("ada@example.com")

    await limiter.check("ada@example.com", "10.0.0.2")
    with pytest.raises(TooManyAttemptsError):
        await limiter.check("eve@example.com", "10.0.0.1")


def test_storage_follows_the_settings() -> None:
    assert type(create_storage(RedisSettings())).__name__ == "MemoryStorage"
    redis = RedisSettings(url="redis://127.0.0.1:6379/0", key_prefix="app")
    assert type(create_storage(redis)).__name__ == "RedisStorage"
