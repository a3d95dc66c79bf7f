"""Refresh tokens, stored as digests, in families that rotate."""

from datetime import datetime

from sqlmodel import Field

from fast_api_template.models.base import IdMixin, TimestampMixin, UTCDateTime

FAMILY_ID_LENGTH = 32
TOKEN_HASH_LENGTH = 64


class RefreshToken(IdMixin, TimestampMixin, table=True):
    """One refresh token, of which only the SHA-256 digest is kept.

    The tokens issued from one login form a family. A refresh spends the token it is given
    (`used_at`) and issues its successor in the same family. A spent token that comes back
    means that two parties hold it, one of them a thief, so the whole family is revoked
    (`revoked_at`) and both must log in again. A family ends at the latest
    `security.session_hours` after its login (`session_started_at`), however often it rotates.
    """

    __tablename__ = "refresh_tokens"

    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    family_id: str = Field(max_length=FAMILY_ID_LENGTH, index=True)
    token_hash: str = Field(max_length=TOKEN_HASH_LENGTH, unique=True)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When the family's login happened: no refresh extends a session past a fixed lifetime.
    session_started_at: datetime = Field(sa_type=UTCDateTime)
