"""The operator's commands: lift a login limit, end a user's sessions, purge dead tokens."""

import argparse
from datetime import UTC, datetime, timedelta

import pytest
from conftest import key_prefix, redis_url
from sqlmodel import col, select

from fast_api_template.admin import main, parser, run
from fast_api_template.config import RedisSettings, Settings
from fast_api_template.core.errors import TooManyAttemptsError
from fast_api_template.core.rate_limit import LoginThrottle, create_storage
from fast_api_template.db import create_engine, create_session_factory, create_tables, transaction
from fast_api_template.models import RefreshToken, User

pytestmark = pytest.mark.anyio


def command(*words: str) -> argparse.Namespace:
    return parser().parse_args(words)


@pytest.fixture
async def shared(settings: Settings) -> Settings:
    """The service's settings, with its tables made: the command reaches what it reaches."""
    engine = create_engine(settings.database)
    await create_tables(engine)
    await engine.dispose()
    return settings


@pytest.mark.sqlite_only  # about Redis: the database plays no part
async def test_lifting_an_address_lets_it_log_in_again(shared: Settings) -> None:
    # In Redis, where the service's replicas count: a process's memory is its own.
    redis = RedisSettings(url=redis_url(), key_prefix=key_prefix())
    shared = shared.model_copy(update={"redis": redis})
    service = LoginThrottle(create_storage(shared.redis), shared.security)
    for number in range(shared.security.login_address_attempts):
        await service.attempt(f"user{number}@example.com", "203.0.113.7")
    with pytest.raises(TooManyAttemptsError):
        await service.attempt("ada@example.com", "203.0.113.7")

    done = await run(command("limits", "lift", "--address", "203.0.113.7"), shared)

    assert done == "lifted the login limit of 203.0.113.7"
    await service.attempt("ada@example.com", "203.0.113.7")


async def test_ending_sessions_and_purging_tokens(shared: Settings) -> None:
    now = datetime.now(UTC)
    factory = create_session_factory(create_engine(shared.database))
    async with transaction(factory) as session:
        ada = User(email="ada@example.com")
        session.add(ada)
        await session.flush()
        assert ada.id is not None
        for number, expires in enumerate((now - timedelta(seconds=1), now + timedelta(hours=1))):
            session.add(
                RefreshToken(
                    user_id=ada.id,
                    family_id=f"family{number}",
                    token_hash=f"{number:064}",
                    expires_at=expires,
                    session_started_at=now - timedelta(hours=2),
                )
            )

    ended = await run(command("sessions", "end", "--email", "ada@example.com"), shared)
    purged = await run(command("tokens", "purge"), shared)

    assert ended == "ended every session of ada@example.com"
    assert purged == "deleted 1 expired refresh tokens"
    async with transaction(factory) as session:
        user = await session.get(User, ada.id)
        assert user is not None
        assert user.token_version == 1
        [left] = await session.exec(select(RefreshToken).order_by(col(RefreshToken.id)))
        assert left.revoked_at is not None


async def test_an_unknown_account_is_a_clear_error(shared: Settings) -> None:
    with pytest.raises(ValueError, match="no account has the email"):
        await run(command("sessions", "end", "--email", "eve@example.com"), shared)


def test_lift_needs_something_to_lift(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["limits", "lift"]) == 2
    assert "needs --email, --address, or both" in capsys.readouterr().err
