"""Request and response bodies for tokens (OAuth2 password flow, RFC 6749)."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


# --8<-- [start:schemas]
class Tokens(BaseModel):
    """What a login or a refresh returns."""

    model_config = ConfigDict(from_attributes=True)

    access_token: str = Field(description="Send it as `Authorization: Bearer <access_token>`.")
    refresh_token: str = Field(
        description="Exchange it once at /auth/refresh for a new pair; keep it secret."
    )
    token_type: Literal["bearer"] = Field(default="bearer", description="Always bearer.")
    expires_in: int = Field(description="Seconds before the access token expires.")


class RefreshRequest(BaseModel):
    """A refresh token to exchange."""

    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=1, max_length=512)


# --8<-- [end:schemas]
