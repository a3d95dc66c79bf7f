"""Users, as far as stage 04 needs them: found or created by email address."""

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from fast_api_template.models import User


class UserService:
    """Find and create users."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_or_create(self, email: str) -> User:
        """Return the user with this email address, created if there is none yet."""
        if user := await self._find(email):
            return user
        user = User(email=email)
        try:
            # A savepoint: if a concurrent request created the user first, only this insert
            # is undone, and the transaction goes on with that user.
            async with self.session.begin_nested():
                self.session.add(user)
        except IntegrityError:
            if existing := await self._find(email):
                return existing
            raise
        return user

    async def _find(self, email: str) -> User | None:
        return (await self.session.exec(select(User).where(User.email == email))).first()
