"""Logging in, and the life of a session: issue, rotate, detect reuse, log out, disable."""

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from fast_api_template.config import SecuritySettings
from fast_api_template.core.audit import SecurityEvent, record
from fast_api_template.core.errors import InvalidTokenError
from fast_api_template.core.rate_limit import LoginThrottle
from fast_api_template.core.security import (
    Passwords,
    create_access_token,
    hash_refresh_token,
    new_refresh_token,
)
from fast_api_template.models import RefreshToken, User
from fast_api_template.models.base import utc_now
from fast_api_template.services.exceptions import InvalidCredentialsError, RefreshTokenReusedError
from fast_api_template.services.users import UserService


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
            address: The client's address, for the per-address limits.

        Raises:
            TooManyAttemptsError: The account or the address tried too often recently.
            InvalidCredentialsError: No such account, a disabled one, or the wrong password:
                the same error, after the same work, so that neither the answer nor its
                time tells which.

        """
        # Counted before the password is checked: concurrent guesses cannot all slip in.
        await self.throttle.attempt(email, address)
        user = await UserService(self.session).find_by_email(email)
        valid, new_hash = await asyncio.to_thread(
            self.passwords.verify, password, user.hashed_password if user else None
        )
        if user is None or not valid or not user.is_active:
            reason = _why_refused(user, valid=valid)
            record(SecurityEvent.LOGIN_FAILED, reason=reason, user_id=_id(user), address=address)
            raise InvalidCredentialsError
        if new_hash is not None:
            # Made with older costs: upgrade it now, while the password is at hand.
            user.hashed_password = new_hash
        await self.throttle.succeeded(email, address)
        record(SecurityEvent.LOGIN_SUCCEEDED, reason="password", user_id=user.id, address=address)
        return await self._issue(user, family_id=uuid.uuid4().hex, started_at=self.clock())

    # --8<-- [end:login]

    # --8<-- [start:refresh]
    async def refresh(self, refresh_token: str, *, address: str | None = None) -> TokenPair:
        """Spend a refresh token for a new pair of tokens of the same login.

        Raises:
            InvalidTokenError: The token is unknown, expired or revoked; its session is over;
                or its user is disabled or gone.
            RefreshTokenReusedError: The token was spent before. Its whole family is revoked
                and committed before this is raised, so the revocation outlives the error.

        """
        now = self.clock()
        stored = await self._find(refresh_token)
        if stored is None or stored.revoked_at is not None:
            raise InvalidTokenError("The refresh token is invalid.")
        if stored.expires_at <= now:
            raise InvalidTokenError("The refresh token has expired.")
        if stored.session_started_at + self.settings.session_lifetime <= now:
            record(SecurityEvent.REFRESH_REFUSED, reason="session over", user_id=stored.user_id)
            raise InvalidTokenError("The session has ended: log in again.")
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
            record(
                SecurityEvent.REFRESH_TOKEN_REUSED,
                reason="a spent refresh token came back; its family is revoked",
                user_id=stored.user_id,
                address=address,
            )
            raise RefreshTokenReusedError
        user = await self.session.get(User, stored.user_id)
        if user is None or not can_sign_in(user):
            record(SecurityEvent.REFRESH_REFUSED, reason="account disabled", user_id=stored.user_id)
            raise InvalidTokenError("The refresh token is invalid.")
        return await self._issue(
            user, family_id=stored.family_id, started_at=stored.session_started_at
        )

    async def revoke_family(self, family_id: str) -> None:
        """Revoke every token of one login that is not revoked yet."""
        await self.session.exec(
            update(RefreshToken)
            .where(col(RefreshToken.family_id) == family_id, col(RefreshToken.revoked_at).is_(None))
            .values(revoked_at=self.clock())
        )

    # --8<-- [end:refresh]

    # --8<-- [start:sessions]
    async def logout(self, refresh_token: str) -> None:
        """End the session (the login) that a refresh token belongs to.

        An unknown or spent token ends nothing and raises nothing: a logout says nothing
        about which tokens exist. The session's access token works until it expires
        (`security.access_token_minutes`); `logout_everywhere` ends those too.
        """
        stored = await self._find(refresh_token)
        if stored is not None:
            await self.revoke_family(stored.family_id)
            record(SecurityEvent.LOGGED_OUT, reason="logout", user_id=stored.user_id)

    async def logout_everywhere(self, user: User) -> None:
        """End every session of a user: refresh tokens at once, access tokens at once."""
        await self._end_sessions(user)
        record(SecurityEvent.LOGGED_OUT_EVERYWHERE, reason="asked by the user", user_id=user.id)

    async def set_active(self, user_id: int, *, active: bool, by: User) -> User:
        """Disable or enable an account; disabling ends every session it has.

        Args:
            user_id: The account to change.
            active: False to disable it, True to enable it again.
            by: The administrator who asks, for the security log.

        Raises:
            UserNotFoundError: There is no such user.

        """
        user = await UserService(self.session).get(user_id)
        user.is_active = active
        if not active:
            await self._end_sessions(user)
        event = SecurityEvent.ACCOUNT_ENABLED if active else SecurityEvent.ACCOUNT_DISABLED
        record(event, reason=f"by administrator {by.id}", user_id=user.id)
        return user

    async def _end_sessions(self, user: User) -> None:
        # Access tokens carry the version they were issued under (api/deps.py checks it).
        user.token_version += 1
        await self.session.exec(
            update(RefreshToken)
            .where(col(RefreshToken.user_id) == user.id, col(RefreshToken.revoked_at).is_(None))
            .values(revoked_at=self.clock())
        )
        await self.session.flush()

    async def purge_expired_tokens(self) -> int:
        """Delete the refresh tokens that can no longer be spent; return how many.

        An expired token is refused whatever its row says, so the row is only weight: and
        no token outlives its session (`security.session_hours`), so rows live hours, not
        forever. Run it on a schedule: `python -m fast_api_template.admin tokens purge`.
        """
        return await delete_expired_refresh_tokens(self.session, now=self.clock())

    # --8<-- [end:sessions]

    async def _find(self, refresh_token: str) -> RefreshToken | None:
        query = select(RefreshToken).where(
            col(RefreshToken.token_hash) == hash_refresh_token(refresh_token)
        )
        return (await self.session.exec(query)).first()

    async def _issue(self, user: User, *, family_id: str, started_at: datetime) -> TokenPair:
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
                # Never past the session's end: a refresh token outliving it would be dead weight.
                expires_at=min(
                    now + self.settings.refresh_token_lifetime,
                    started_at + self.settings.session_lifetime,
                ),
                session_started_at=started_at,
            )
        )
        await self.session.flush()
        access_token = create_access_token(
            user.id,
            version=user.token_version,
            secret=self.settings.secret_key.get_secret_value(),
            lifetime=self.settings.access_token_lifetime,
            now=now,
        )
        return TokenPair(
            access_token=access_token,
            refresh_token=refresh_token,
            expires_in=int(self.settings.access_token_lifetime.total_seconds()),
        )


async def delete_expired_refresh_tokens(session: AsyncSession, *, now: datetime) -> int:
    """Delete the refresh tokens that expired by `now`, in `session`; return how many."""
    result = await session.exec(delete(RefreshToken).where(col(RefreshToken.expires_at) <= now))
    return result.rowcount


def can_sign_in(user: User) -> bool:
    """Whether a user's tokens may work: the account is enabled and still has a password."""
    return user.is_active and user.hashed_password is not None


def _why_refused(user: User | None, *, valid: bool) -> str:
    if user is None:
        return "unknown account"
    return "account disabled" if valid else "wrong password"


def _id(user: User | None) -> int | None:
    return user.id if user is not None else None
