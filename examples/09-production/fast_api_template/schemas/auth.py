"""Request and response bodies for tokens (OAuth2 password flow, RFC 6749)."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from fast_api_template.core.security import PASSWORD_MAX_LENGTH
from fast_api_template.models.domain.user import EMAIL_MAX_LENGTH
from fast_api_template.schemas.base import RequestBody
from fast_api_template.schemas.fields import Storable


class Tokens(BaseModel):
    """What a login or a refresh returns."""

    model_config = ConfigDict(from_attributes=True)

    access_token: str = Field(description="Send it as `Authorization: Bearer <access_token>`.")
    refresh_token: str = Field(
        description="Exchange it once at /auth/refresh for a new pair; keep it secret."
    )
    token_type: Literal["bearer"] = Field(default="bearer", description="Always bearer.")
    expires_in: int = Field(description="Seconds before the access token expires.")


class RefreshRequest(RequestBody):
    """A refresh token to exchange."""

    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=512), Storable]


class LoginForm(BaseModel):
    """The OAuth2 password grant's form (RFC 6749, section 4.3), as clients send it.

    Checked like every other input, so that no text reaches the database that it cannot
    store: an empty or overlong field, or one with a NUL, is a 422 before any query runs.
    """

    username: Annotated[
        str,
        StringConstraints(min_length=1, max_length=EMAIL_MAX_LENGTH),
        Storable,
        Field(description="The account's email."),
    ]
    password: Annotated[
        str, StringConstraints(min_length=1, max_length=PASSWORD_MAX_LENGTH), Storable
    ]
    # What OAuth2 clients such as Swagger UI's "Authorize" send besides; nothing reads them.
    # A form has no null: left out, a field takes its default.
    grant_type: Literal["password"] = "password"
    scope: Annotated[str, StringConstraints(max_length=1000), Storable] = ""
    client_id: Annotated[str, StringConstraints(max_length=255), Storable] = ""
    client_secret: Annotated[str, StringConstraints(max_length=255), Storable] = ""
