"""Logging in, and the life of refresh tokens: issue, rotate, detect reuse, revoke."""

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from fast_api_template.config import SecuritySettings
from fast_api_template.core.errors import InvalidTokenError
from fast_api_template.core.rate_limit import LoginThrottle
from fast_api_template.core.security import (
    Passwords,
    create_access_token,
    hash_refresh_token,
    new_refresh_token,
)
from fast_api_template.models import RefreshToken, User
from fast_api_template.services.exceptions import InvalidCredentialsError, RefreshTokenReusedError
from fast_api_template.services.users import UserService


def utc_now() -> datetime:
    """Return the current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class TokenPair:
    """What a login or a refresh hands out."""

    access_token: str
    refresh_token: str
    expires_in: int


class AuthService:
    """Check credentials, and issue and rotate tokens.

    Args:
        session: The unit of work; the caller commits or rolls it back.
        settings: The secret key, token lifetimes and login limits.
        passwords: The password hasher.
        throttle: Counts failed logins.
        clock: Tells the time (a parameter so that tests can move it).

    """

    def __init__(
        self,
        session: AsyncSession,
        *,
        settings: SecuritySettings,
        passwords: Passwords,
        throttle: LoginThrottle,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.session = session
        self.settings = settings
        self.passwords = passwords
        self.throttle = throttle
        self.clock = clock

    # --8<-- [start:login]
    async def login(self, email: str, password: str, *, address: str) -> TokenPair:
        """Exchange an email and a password for a new pair of tokens.

        Args:
            email: The account's email, in any case.
            password: The password as typed.
            address: The client's address, for the per-address limit.

        Raises:
            TooManyAttemptsError: The account or the address failed too often recently.
            InvalidCredentialsError: No such account, or the wrong password: the same error,
                after the same work, so that neither the answer nor its time tells which.

        """
        await self.throttle.check(email, address)
        user = await UserService(self.session).find_by_email(email)
        valid, new_hash = await asyncio.to_thread(
            self.passwords.verify, password, user.hashed_password if user else None
        )
        if user is None or not valid:
            await self.throttle.failed(email, address)
            raise InvalidCredentialsError
        if new_hash is not None:
            # Made with older costs: upgrade it now, while the password is at hand.
            user.hashed_password = new_hash
        await self.throttle.succeeded(email)
        return await self._issue(user, family_id=uuid.uuid4().hex)

    # --8<-- [end:login]

    # --8<-- [start:refresh]
    async def refresh(self, refresh_token: str) -> TokenPair:
        """Spend a refresh token for a new pair of tokens of the same login.

        Raises:
            InvalidTokenError: The token is unknown, expired or revoked.
            RefreshTokenReusedError: The token was spent before. Its whole family is revoked
                and committed before this is raised, so the revocation outlives the error.

        """
        now = self.clock()
        stored = (
            await self.session.exec(
                select(RefreshToken).where(
                    col(RefreshToken.token_hash) == hash_refresh_token(refresh_token)
                )
            )
        ).first()
        if stored is None or stored.revoked_at is not None:
            raise InvalidTokenError("The refresh token is invalid.")
        if stored.expires_at <= now:
            raise InvalidTokenError("The refresh token has expired.")
        # Spend it with a conditional UPDATE: of two refreshes racing with the same token,
        # exactly one changes the row, and the other is treated as a reuse.
        spent = await self.session.exec(
            update(RefreshToken)
            .where(col(RefreshToken.id) == stored.id, col(RefreshToken.used_at).is_(None))
            .values(used_at=now)
        )
        if spent.rowcount != 1:
            await self.revoke_family(stored.family_id)
            # The request's transaction rolls back on the error below; the revocation must
            # not roll back with it.
            await self.session.commit()
            raise RefreshTokenReusedError
        user = await self.session.get(User, stored.user_id)
        if user is None:
            raise InvalidTokenError("The refresh token is invalid.")
        return await self._issue(user, family_id=stored.family_id)

    async def revoke_family(self, family_id: str) -> None:
        """Revoke every token of one login that is not revoked yet."""
        await self.session.exec(
            update(RefreshToken)
            .where(col(RefreshToken.family_id) == family_id, col(RefreshToken.revoked_at).is_(None))
            .values(revoked_at=self.clock())
        )

    # --8<-- [end:refresh]

    async def _issue(self, user: User, *, family_id: str) -> TokenPair:
        if user.id is None:
            msg = "tokens are issued to saved users only"
            raise ValueError(msg)
        now = self.clock()
        refresh_token = new_refresh_token()
        self.session.add(
            RefreshToken(
                user_id=user.id,
                family_id=family_id,
                token_hash=hash_refresh_token(refresh_token),
                expires_at=now + self.settings.refresh_token_lifetime,
            )
        )
        await self.session.flush()
        access_token = create_access_token(
            user.id,
            secret=self.settings.secret_key.get_secret_value(),
            lifetime=self.settings.access_token_lifetime,
            now=now,
        )
        return TokenPair(
            access_token=access_token,
            refresh_token=refresh_token,
            expires_in=int(self.settings.access_token_lifetime.total_seconds()),
        )
