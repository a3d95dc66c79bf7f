"""Accounts: registration, and finding users by id or email."""

import asyncio

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from fast_api_template.core.security import Passwords
from fast_api_template.models import User
from fast_api_template.services.exceptions import EmailTakenError, UserNotFoundError


class UserService:
    """Find and create users."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --8<-- [start:register]
    async def register(self, email: str, password: str, passwords: Passwords) -> User:
        """Create an account that logs in with this email and password.

        Args:
            email: The account's email; stored in lower case, so that it is unique in any case.
            password: The password, of which only the hash is stored.
            passwords: The password hasher.

        Raises:
            EmailTakenError: An account with this email already exists.

        """
        # Argon2 is slow by design: hash in a thread, so the event loop serves other requests.
        hashed = await asyncio.to_thread(passwords.hash, password)
        user = User(email=email.casefold(), hashed_password=hashed)
        try:
            # The unique constraint decides, not a lookup first: two registrations of one
            # email can both pass a lookup. The savepoint keeps the transaction usable.
            async with self.session.begin_nested():
                self.session.add(user)
        except IntegrityError:
            raise EmailTakenError from None
        return user

    # --8<-- [end:register]

    async def get(self, user_id: int) -> User:
        """Return a user by id.

        Raises:
            UserNotFoundError: There is no such user.

        """
        user = await self.session.get(User, user_id)
        if user is None:
            raise UserNotFoundError(user_id)
        return user

    async def find_by_email(self, email: str) -> User | None:
        """Return the user with this email, in any case, or None."""
        query = select(User).where(col(User.email) == email.casefold())
        return (await self.session.exec(query)).first()
