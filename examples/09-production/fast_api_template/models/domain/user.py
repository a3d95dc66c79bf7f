"""Users: who they are, how they prove it, and whether they administer the service."""

from typing import TYPE_CHECKING

from sqlmodel import Field, Relationship

from fast_api_template.models.base import IdMixin, TimestampMixin

if TYPE_CHECKING:
    from fast_api_template.models.domain.project import Project

EMAIL_MAX_LENGTH = 320


class User(IdMixin, TimestampMixin, table=True):
    """A person who owns projects, and an account to log in with."""

    __tablename__ = "users"

    email: str = Field(max_length=EMAIL_MAX_LENGTH, unique=True)
    # The Argon2id hash, salt and parameters included; never the password. None: the account
    # cannot log in with a password (e.g. created by an administrator, not yet claimed).
    hashed_password: str | None = Field(default=None, max_length=255)
    # An administrator sees and changes every project (services/projects.py).
    is_admin: bool = Field(default=False)
    # False: the account is disabled. Its tokens stop working at once (api/deps.py,
    # services/auth.py) and it cannot log in.
    is_active: bool = Field(default=True)
    # Every access token carries the version it was issued under; raising it ends every
    # session of the user at once (log out everywhere, disable, a new password).
    token_version: int = Field(default=0)

    projects: list["Project"] = Relationship(
        back_populates="owner",
        cascade_delete=True,
        # Projects go with their owner through ON DELETE CASCADE, without loading them first.
        passive_deletes=True,
        # Async code cannot load lazily: load on purpose with selectinload().
        sa_relationship_kwargs={"lazy": "raise_on_sql"},
    )
